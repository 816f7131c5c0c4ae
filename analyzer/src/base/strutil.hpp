// Small string helpers shared by every stage (no project vocabulary here).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace gw502 {

inline bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

inline bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// s.find(p) in one memmem() call: faster than std::string_view::find, which
// calls memchr for every place p's first byte occurs (a space or a comma:
// a dozen calls per nginx message).
inline size_t find_text(std::string_view s, std::string_view p) {
  if (p.empty()) return 0;
  if (s.size() < p.size()) return std::string_view::npos;  // also an empty s, whose data() may be null
  const void* at = ::memmem(s.data(), s.size(), p.data(), p.size());
  return at ? static_cast<size_t>(static_cast<const char*>(at) - s.data()) : std::string_view::npos;
}

// The last path component: "/data/logs/x.log" -> "x.log".
inline std::string_view path_basename(std::string_view p) {
  size_t s = p.rfind('/');
  return s == std::string_view::npos ? p : p.substr(s + 1);
}

// Everything before the last '/': "/data/logs/x.log" -> "/data/logs"; "." without one.
inline std::string path_dirname(std::string_view p) {
  size_t s = p.rfind('/');
  if (s == std::string_view::npos) return ".";
  if (s == 0) return "/";
  return std::string(p.substr(0, s));
}

// 1234567 -> "1,234,567".
inline std::string thousands(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace gw502
