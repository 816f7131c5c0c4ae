// The next '"' or '\\' of a quoted string (Go's and logfmt's quoting, and
// JSON's plain strings), 16 bytes at a time: log values run to a hundred
// bytes and more, and a loop over single bytes was most of the Traefik v2
// decoder's time.
#pragma once
#include <algorithm>
#include <cstddef>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gw502 {

#if defined(__SSE2__)
// Bit k set: byte k of v is '"' or '\\' (and, with `plain`, also a control
// character or a byte >= 0x80: signed, those are below 0x20).
template <bool plain>
inline int quote_bits(__m128i v) {
  __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
  if (plain) hit = _mm_or_si128(hit, _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
  return _mm_movemask_epi8(hit);
}
#endif

// The first '"' or '\\' in s at or after `from`; s.size() when there is
// none; `from` itself when from >= s.size().
inline size_t find_quote_or_backslash(std::string_view s, size_t from) {
  if (from >= s.size()) return from;
  const char* p = s.data();
  size_t i = from;
#if defined(__SSE2__)
  for (; i + 16 <= s.size(); i += 16)
    if (const int m = quote_bits<false>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))))
      return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(m)));
#endif
  for (; i < s.size(); ++i)
    if (p[i] == '"' || p[i] == '\\') return i;
  return s.size();
}

// The first byte at or after `from` that ends a plain JSON string or rules
// it out: '"', '\\', a control character or a byte >= 0x80; s.size() when
// there is none. s's buffer must stay readable for 15 bytes past its end
// (no byte-by-byte tail: JSON keys are shorter than a vector).
inline size_t find_plain_string_end(std::string_view s, size_t from) {
  size_t i = from;
#if defined(__SSE2__)
  for (; i < s.size(); i += 16)
    if (const int m = quote_bits<true>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i))))
      return std::min(s.size(), i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(m))));
  return s.size();
#else
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return i;
  }
  return s.size();
#endif
}

}  // namespace gw502
