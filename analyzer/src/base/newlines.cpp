#include "base/newlines.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gw502 {
namespace {

uint64_t count_tail(const char* p, size_t n) {
  uint64_t c = 0;
  for (size_t i = 0; i < n; ++i) c += p[i] == '\n';
  return c;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t count_avx2(const char* p, size_t n) {
  const __m256i nl = _mm256_set1_epi8('\n');
  uint64_t c = 0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    c += static_cast<uint64_t>(__builtin_popcount(static_cast<unsigned>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl)))));
  }
  return c + count_tail(p + i, n - i);
}

uint64_t count_sse2(const char* p, size_t n) {
  const __m128i nl = _mm_set1_epi8('\n');
  uint64_t c = 0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    c += static_cast<uint64_t>(__builtin_popcount(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)))));
  }
  return c + count_tail(p + i, n - i);
}

const bool kAvx2 = __builtin_cpu_supports("avx2");
#endif

}  // namespace

uint64_t count_newlines(const char* p, size_t n) {
#if defined(__x86_64__)
  return kAvx2 ? count_avx2(p, n) : count_sse2(p, n);
#else
  return count_tail(p, n);
#endif
}

}  // namespace gw502
