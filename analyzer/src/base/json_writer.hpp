// Output escaping. Log lines carry client input: JSON strings are escaped
// and made valid UTF-8 (bad bytes become U+FFFD); terminal text loses its
// control characters so a log line cannot drive the terminal.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace gw502 {

void json_string(std::string& out, std::string_view s);
// Length of the valid UTF-8 sequence at s[i] (1 for ASCII), or 0 when the
// bytes there are not valid UTF-8 (overlong forms and surrogates included).
size_t utf8_len(std::string_view s, size_t i);
void json_number(std::string& out, int64_t v);
void safe_text(std::string& out, std::string_view s);

}  // namespace gw502
