// The next '"' or '\\' of a quoted string (Go's and logfmt's quoting), 16
// bytes at a time: log values run to a hundred bytes and more, and a loop
// over single bytes was most of the Traefik v2 decoder's time.
#pragma once
#include <cstddef>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gw502 {

// The first '"' or '\\' in s at or after `from`; s.size() when there is
// none; `from` itself when from >= s.size().
inline size_t find_quote_or_backslash(std::string_view s, size_t from) {
  if (from >= s.size()) return from;
  const char* p = s.data();
  size_t i = from;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (m) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(m)));
  }
#endif
  for (; i < s.size(); ++i)
    if (p[i] == '"' || p[i] == '\\') return i;
  return s.size();
}

}  // namespace gw502
