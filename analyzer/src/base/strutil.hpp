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

// s.find(p), seeking p's byte at `rare` with memchr and comparing the rest
// where it occurs: for a needle with a byte the haystack seldom holds ('w'
// of " while ", 'H' of " HTTP/2"). std::string_view::find calls memchr for
// each place of p's first byte (a space: a dozen per nginx message), and
// glibc's memmem costs ~250 instructions a call on short texts.
inline size_t find_by(std::string_view s, std::string_view p, size_t rare) {
  if (p.empty()) return 0;
  if (s.size() < p.size() || rare >= p.size()) return s.find(p);  // also an empty s, whose data() may be null
  const char* base = s.data();
  const char* last = base + (s.size() - p.size()) + rare;  // the last place p[rare] can be
  for (const char* q = base + rare; q <= last;) {
    q = static_cast<const char*>(std::memchr(q, p[rare], static_cast<size_t>(last - q) + 1));
    if (!q) break;
    const char* start = q - rare;
    if (std::memcmp(start, p.data(), p.size()) == 0) return static_cast<size_t>(start - base);
    ++q;
  }
  return std::string_view::npos;
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
