#include "base/html_escape.hpp"

#include "base/json_writer.hpp"

namespace gw502 {
namespace {

// C1 controls (U+0080..U+009F), bidi embeddings, overrides and isolates
// (U+202A..U+202E, U+2066..U+2069) as their UTF-8 bytes.
bool masked_sequence(std::string_view s, size_t i, size_t n) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (n == 2) return b(0) == 0xc2 && b(1) <= 0x9f;
  if (n != 3 || b(0) != 0xe2) return false;
  return (b(1) == 0x80 && b(2) >= 0xaa && b(2) <= 0xae) || (b(1) == 0x81 && b(2) >= 0xa6 && b(2) <= 0xa9);
}

}  // namespace

void html_escape(std::string& out, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = utf8_len(s, i);
      if (n == 0)
        out += "\xEF\xBF\xBD";
      else if (masked_sequence(s, i, n))
        out += '?';
      else
        out.append(s.data() + i, n);
      i += n == 0 ? 1 : n;
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\t':
      case '\n': out += static_cast<char>(c); break;
      default: out += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
    }
    ++i;
  }
}

std::string html_escaped(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  html_escape(out, s);
  return out;
}

}  // namespace gw502
