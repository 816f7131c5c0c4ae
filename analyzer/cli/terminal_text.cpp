#include "terminal_text.hpp"

namespace gw502::cli {
namespace {

// Length of the C1 control or bidi control starting at s[i], or 0.
size_t unsafe_sequence(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned a = at(i), b = at(i + 1), c = at(i + 2);
  if (a == 0xC2 && b >= 0x80 && b <= 0x9F) return 2;                 // U+0080-U+009F
  if (a == 0xE2 && b == 0x80 && c >= 0xAA && c <= 0xAE) return 3;    // U+202A-U+202E
  if (a == 0xE2 && b == 0x81 && c >= 0xA6 && c <= 0xA9) return 3;    // U+2066-U+2069
  return 0;
}

std::string mask(std::string_view s, bool c0) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto ch = static_cast<unsigned char>(s[i]);
    if (ch >= 0xC2 && ch <= 0xE2) {
      if (size_t n = unsafe_sequence(s, i)) {
        out += '?';
        i += n;
        continue;
      }
    }
    out += c0 && (ch < 0x20 || ch == 0x7f) ? '?' : s[i];
    ++i;
  }
  return out;
}

}  // namespace

std::string mask_c1_bidi(std::string_view s) { return mask(s, false); }

std::string mask_controls(std::string_view s) { return mask(s, true); }

}  // namespace gw502::cli
