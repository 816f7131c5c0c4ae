#include "report/text_wrap.hpp"

#include "report/json_writer.hpp"

namespace gw502 {

void wrap_text(std::string& out, std::string_view prefix, std::string_view text, size_t width) {
  const std::string indent(prefix.size(), ' ');
  out += prefix;
  size_t col = prefix.size();
  bool line_empty = true;
  size_t i = 0;
  while (i < text.size()) {
    size_t sp = text.find(' ', i);
    if (sp == std::string_view::npos) sp = text.size();
    std::string_view word = text.substr(i, sp - i);
    if (!line_empty && col + 1 + word.size() > width) {
      out += '\n';
      out += indent;
      col = indent.size();
    } else if (!line_empty) {
      out += ' ';
      ++col;
    }
    safe_text(out, word);
    col += word.size();
    line_empty = false;
    i = sp + 1;
  }
  out += '\n';
}

}  // namespace gw502
