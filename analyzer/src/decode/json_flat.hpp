// A one-pass reader of the JSON lines most access logs write: one flat
// object whose values are plain strings (no escape, ASCII only), numbers,
// true, false or null. It accepts only text that is valid JSON of that shape
// and returns false for anything else (an escape, a byte >= 0x80, a nested
// object or array, a syntax error, a number out of double's range, more
// members than room), so that the caller falls back to a full parser
// (simdjson), which then decides. simdjson spends about 1,400 instructions
// on a 260-byte Traefik access line, most of it building its tape; this
// reads the members straight into views.
#pragma once
#include <cstddef>
#include <string_view>

namespace gw502 {

struct FlatMember {
  enum class Kind : unsigned char { string, number, literal };
  std::string_view key;
  std::string_view text;  // a string's content, a number's or literal's token
  double number = 0;      // Kind::number
  Kind kind = Kind::literal;
};

// Reads `text` (one object, whitespace around it allowed) into out[0, count).
// Its buffer must stay readable for 15 bytes past its end (SIMD loads).
bool read_flat_object(std::string_view text, FlatMember* out, size_t room, size_t& count);

}  // namespace gw502
