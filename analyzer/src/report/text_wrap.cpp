#include "report/text_wrap.hpp"

#include "base/json_writer.hpp"
#include "report/redact.hpp"

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

std::string cut_text(std::string text, size_t max) {
  if (text.size() <= max) return text;
  size_t at = max - 1;
  while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
  return text.substr(0, at) + "\xe2\x80\xa6";
}

void append_sample(std::string& out, std::string_view indent, const Sample& s, std::string text,
                   const std::vector<SourceInfo>& sources, const Style& st, bool redact_it, size_t max) {
  out += indent;
  out += st.dim();
  out += "e.g. ";
  safe_text(out, s.source < sources.size() ? std::string_view(sources[s.source].name) : "?");
  out += ":" + std::to_string(s.line) + ": ";
  if (redact_it) text = redact(text);
  safe_text(out, max ? cut_text(std::move(text), max) : text);
  out += st.off();
  out += '\n';
}

}  // namespace gw502
