// The prefix a log multiplexer puts before each line it relays: "proxy-1  | "
// or "npm_1     | " (docker compose v1 and v2), swarm tasks
// ("app_proxy.1.x7k2abc@node1    | "), supervisord and friends ("web stderr
// | ", "nginx stdout | "): a name (single spaces inside), spaces, "| ".
// Shared by the decoders (decode/unwrap) and the chunk shape pass.
#pragma once
#include <cstddef>
#include <string_view>

namespace gw502 {

inline bool compose_name_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
         c == '.';
}

// The prefix's length at the start of s, or 0 when s has none.
inline size_t compose_prefix(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && i < 128 &&
         (compose_name_char(s[i]) || s[i] == '@' ||
          (s[i] == ' ' && i > 0 && i + 1 < s.size() && compose_name_char(s[i + 1]))))
    ++i;
  if (i == 0) return 0;
  size_t j = i;
  while (j < s.size() && s[j] == ' ') ++j;
  if (j == i || j + 1 >= s.size() || s[j] != '|') return 0;
  if (s[j + 1] == ' ') return j + 2;
  return 0;
}

}  // namespace gw502
