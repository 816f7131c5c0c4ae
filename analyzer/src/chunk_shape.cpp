#include "chunk_shape.hpp"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gw502 {
namespace {

// The start of an nginx error-log line: "2024/01/15 10:23:45 [err". Stricter
// than detect_line_format() (every digit checked), so a line that passes is
// one it calls nginx_error, and no escape code or line end hides in it. The
// level's first letters also rule out an access-log line: the nginx decoder
// would take " [err" for the start of a CLF time and find none.
bool nginx_head(const char* s, size_t avail) {
  static constexpr char kHead[] = "DDDD/DD/DD DD:DD:DD [aaa";
  if (avail < sizeof kHead) return false;  // the head and at least one byte more
  for (size_t i = 0; i + 1 < sizeof kHead; ++i) {
    const char want = kHead[i], c = s[i];
    if (want == 'D' ? (c < '0' || c > '9') : want == 'a' ? (c < 'a' || c > 'z') : c != want)
      return false;
  }
  return true;
}

struct Verdict {
  bool json = true;
  bool nginx = true;
  bool undecided() const { return json || nginx; }
  // The line that starts at s, with avail bytes to the buffer's end.
  void line(const char* s, size_t avail) {
    json = json && s[0] == '{';
    nginx = nginx && nginx_head(s, avail);
  }
};

// Every line start after the first: one memchr per line.
void scan_plain(const char* p, size_t n, size_t from, Verdict& v) {
  for (size_t i = from; i < n && v.undecided();) {
    const void* nl = std::memchr(p + i, '\n', n - i);
    if (!nl) break;
    size_t next = static_cast<size_t>(static_cast<const char*>(nl) - p) + 1;
    if (next < n) v.line(p + next, n - next);
    i = next;
  }
}

#if defined(__x86_64__)
// Newlines 32 bytes at a time; lines are rarely shorter than that, so most
// blocks hold one newline or none.
__attribute__((target("avx2"))) size_t scan_avx2(const char* p, size_t n, Verdict& v) {
  const __m256i nl = _mm256_set1_epi8('\n');
  size_t i = 0;
  for (; i + 32 <= n && v.undecided(); i += 32) {
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
    auto m = static_cast<unsigned>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, nl)));
    while (m) {
      size_t next = i + static_cast<size_t>(__builtin_ctz(m)) + 1;
      m &= m - 1;
      if (next < n) v.line(p + next, n - next);
    }
  }
  return i;
}
const bool kAvx2 = __builtin_cpu_supports("avx2");
#endif

}  // namespace

ChunkShape chunk_shape(std::string_view buf) {
  const char* p = buf.data();
  const size_t n = buf.size();
  if (n == 0) return ChunkShape::mixed;
  Verdict v;
  v.line(p, n);
  size_t from = 0;
#if defined(__x86_64__)
  if (kAvx2 && v.undecided()) from = scan_avx2(p, n, v);
#endif
  if (v.undecided()) scan_plain(p, n, from, v);
  // A newline at from - 1 was handled by the vector loop; scan_plain starts
  // at `from` and only looks at newlines at or after it.
  if (v.json) return ChunkShape::json;
  if (v.nginx) return ChunkShape::nginx_error;
  return ChunkShape::mixed;
}

}  // namespace gw502
