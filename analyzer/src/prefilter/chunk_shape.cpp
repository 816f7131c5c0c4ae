#include "prefilter/chunk_shape.hpp"

#include <algorithm>
#include <cstring>

#include "base/compose_prefix.hpp"
#include "base/newlines.hpp"

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
// D: a digit, a: a lower-case letter, anything else itself.
constexpr char kNginxHead[] = "DDDD/DD/DD DD:DD:DD [aaa";
constexpr size_t kNginxHeadLen = sizeof kNginxHead - 1;

bool nginx_head(const char* s, size_t avail) {
  if (avail <= kNginxHeadLen) return false;  // the head and at least one byte more
  for (size_t i = 0; i < kNginxHeadLen; ++i) {
    const char want = kNginxHead[i], c = s[i];
    if (want == 'D' ? (c < '0' || c > '9') : want == 'a' ? (c < 'a' || c > 'z') : c != want)
      return false;
  }
  return true;
}

// A JSON line of the proxies' own, by its first key: Caddy's and Traefik
// v3's start with "level" (zap, zerolog), Traefik v2's are logrus's with
// sorted keys ("level", or "entryPointName" or "error" before it), Traefik's
// access log with a capitalised field ("ClientAddr" ...). Any other JSON may
// be a collector's record around a line (Filebeat, journald, Fluent Bit,
// Vector, Loki, Cloud Logging, CloudWatch, Azure Monitor, GELF ...), and the
// line inside may be nginx's: a chunk that holds one is mixed, so that every
// rule's literals are sought in it: docker's json-file records ({"log":..})
// too, whether or not a "stream" key follows. Unknown JSON costs speed, not
// lines.
bool other_json_head(const char* s, size_t avail) {
  if (avail < 5 || s[0] != '{' || s[1] != '"') return false;
  auto key = [&](std::string_view k) {
    return avail > k.size() + 3 && std::memcmp(s + 2, k.data(), k.size()) == 0 && s[2 + k.size()] == '"';
  };
  const char c = s[2];
  if (c >= 'A' && c <= 'Z')  // Traefik's access log; not Azure Monitor's or journald's records
    return !(key("TimeGenerated") || key("TenantId") || key("LogEntry") || key("LogMessage") ||
             key("MESSAGE") || key("Computer"));
  switch (c) {
    case 'l': return key("logger");
    case 't': return key("ts");
    case 'm': return key("msg");
    case 'e': return key("error") || key("entryPointName");
    default: return false;
  }
}

// Nearly every line opens with `{"level":"` (8 bytes, then ':"'): one
// compare. A level that is a number is GELF's, a collector's record.
inline bool json_head(const char* s, size_t avail) {
  static constexpr char kLevel[8] = {'{', '"', 'l', 'e', 'v', 'e', 'l', '"'};
  if (avail > 10 && std::memcmp(s, kLevel, 8) == 0) return s[8] == ':' && s[9] == '"';
  return other_json_head(s, avail);
}

// logrus's text format (Traefik v2): `time="...`.
bool logfmt_head(const char* s, size_t avail) { return avail > 6 && std::memcmp(s, "time=\"", 6) == 0; }

// A key sought in the same pass while the chunk may still be of the shapes
// it matters for: found by a rare pair of its bytes, then compared whole.
struct Key {
  std::string_view text;
  size_t pair;          // text[pair], text[pair + 1]: the pair
  bool wanted = false;  // sought at all
  bool found = false;
};

// nginx's JSON access log (log_format escape=json, with $remote_addr or
// $upstream_addr, as the decoder takes it) needs every rule's literals: a
// chunk that has it is mixed, not json. The key's end serves both names.
constexpr std::string_view kAddrKey = "_addr\"";

struct Verdict {
  bool json = true;
  bool nginx = true;
  bool logfmt = true;
  // Every line behind a multiplexer's prefix (`docker compose logs`:
  // "proxy-1  | ..."), decided by the first line: the heads are checked
  // after it, one line at a time (the decoders take the prefix off first).
  bool prefixed = false;
  std::string_view last_prefix;  // the previous line's: lines of one service repeat it
  // Takes a prefixed line's prefix off; false (and every shape ruled out)
  // when it has none or nothing after it.
  bool strip(const char*& s, size_t& avail) {
    size_t k = last_prefix.size();
    if (k == 0 || avail <= k || std::memcmp(s, last_prefix.data(), k) != 0) {
      // (Equal bytes give compose_prefix() the same answer: it reads no
      // further than the prefix's last byte.)
      k = compose_prefix(std::string_view(s, std::min<size_t>(avail, 256)));
      last_prefix = std::string_view(s, k);
    }
    if (k == 0 || k >= avail) {
      json = nginx = logfmt = false;
      return false;
    }
    s += k;
    avail -= k;
    return true;
  }
  Key addr{kAddrKey, 0};  // "_a": in no Caddy 2 or Traefik key
  bool seek_addr() const { return json && addr.wanted && !addr.found; }
  bool undecided() const { return json || nginx || logfmt; }
  // The line that starts at s, with avail bytes to the buffer's end.
  void line(const char* s, size_t avail) {
    if (prefixed && !strip(s, avail)) return;
    json = json && json_head(s, avail);
    nginx = nginx && nginx_head(s, avail);
    logfmt = logfmt && logfmt_head(s, avail);
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
// nginx_head() on 32 bytes at once: separators equal, digits and lower-case
// letters in range, every position of the head at once.
__attribute__((target("avx2"))) bool nginx_head_avx2(const char* s) {
  static_assert(kNginxHeadLen <= 32, "the head fits one vector");
  alignas(32) static const struct Masks {
    char sep[32], at_sep[32], dig[32], low[32];
    Masks() : sep(), at_sep(), dig(), low() {
      for (size_t i = 0; i < kNginxHeadLen; ++i) {
        if (kNginxHead[i] == 'D') {
          dig[i] = -1;
        } else if (kNginxHead[i] == 'a') {
          low[i] = -1;
        } else {
          sep[i] = kNginxHead[i];
          at_sep[i] = -1;
        }
      }
    }
  } m;
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s));
  const __m256i sep = _mm256_load_si256(reinterpret_cast<const __m256i*>(m.sep));
  const __m256i d = _mm256_sub_epi8(v, _mm256_set1_epi8('0'));
  const __m256i l = _mm256_sub_epi8(v, _mm256_set1_epi8('a'));
  const __m256i is_digit = _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(9)), d);
  const __m256i is_lower = _mm256_cmpeq_epi8(_mm256_min_epu8(l, _mm256_set1_epi8(25)), l);
  const __m256i ok = _mm256_or_si256(
      _mm256_and_si256(_mm256_cmpeq_epi8(v, sep), _mm256_load_si256(reinterpret_cast<const __m256i*>(m.at_sep))),
      _mm256_or_si256(_mm256_and_si256(is_digit, _mm256_load_si256(reinterpret_cast<const __m256i*>(m.dig))),
                      _mm256_and_si256(is_lower, _mm256_load_si256(reinterpret_cast<const __m256i*>(m.low)))));
  const unsigned need = (1u << kNginxHeadLen) - 1;
  return (static_cast<unsigned>(_mm256_movemask_epi8(ok)) & need) == need;
}

// 64 bytes at p + i, and the 64 one byte on (a pair of bytes is a byte of
// the first and the same bit of the second).
struct Block {
  __m256i lo, hi, next_lo, next_hi;
};

// Bit k set: byte k of the block matched (two vector compares' results).
__attribute__((target("avx2"))) inline uint64_t bits(__m256i lo, __m256i hi) {
  return static_cast<uint32_t>(_mm256_movemask_epi8(lo)) |
         (static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(hi))) << 32);
}

// The key's pair among the 64 pairs that start in the block, each compared
// whole where the key would start.
__attribute__((target("avx2,bmi"))) inline void seek_avx2(const char* p, size_t n, size_t i, const Block& b,
                                                          Key& key) {
  const __m256i first = _mm256_set1_epi8(key.text[key.pair]);
  const __m256i second = _mm256_set1_epi8(key.text[key.pair + 1]);
  uint64_t m = bits(_mm256_and_si256(_mm256_cmpeq_epi8(b.lo, first), _mm256_cmpeq_epi8(b.next_lo, second)),
                    _mm256_and_si256(_mm256_cmpeq_epi8(b.hi, first), _mm256_cmpeq_epi8(b.next_hi, second)));
  for (; m; m &= m - 1) {
    const size_t at = i + static_cast<size_t>(__builtin_ctzll(m));
    if (at < key.pair) continue;
    const size_t start = at - key.pair;
    if (start + key.text.size() <= n && std::memcmp(p + start, key.text.data(), key.text.size()) == 0) {
      key.found = true;
      return;
    }
  }
}

// Newlines 64 bytes at a time; lines are rarely shorter than that, so most
// blocks hold one newline or none. JSON: the byte after each newline, from
// the loads one byte on. nginx: each line's head, 32 bytes at once. With
// `at` (one slot per kStep bytes), every block's newlines are counted too
// and the loop runs to the end; `count` is the number before the returned
// offset.
__attribute__((target("avx2,popcnt,bmi"))) size_t scan_avx2(const char* p, size_t n, Verdict& v,
                                                            uint32_t* at, uint64_t& count) {
  static_assert(NewlineIndex::kStep % 64 == 0, "a slot's boundary is a block's");
  const __m256i nl = _mm256_set1_epi8('\n');
  const __m256i brace = _mm256_set1_epi8('{');
  size_t i = 0;
  // Up to n - 65: the loads one byte on and every line start stay inside
  // buf; the head check needs 32 bytes (else: the scalar one).
  for (; i + 65 <= n && (at || v.undecided()); i += 64) {
    const auto* q = reinterpret_cast<const __m256i*>(p + i);
    const auto* q1 = reinterpret_cast<const __m256i*>(p + i + 1);
    const Block b{_mm256_loadu_si256(q), _mm256_loadu_si256(q + 1), _mm256_loadu_si256(q1), _mm256_loadu_si256(q1 + 1)};
    const uint64_t m = bits(_mm256_cmpeq_epi8(b.lo, nl), _mm256_cmpeq_epi8(b.hi, nl));
    if (at) {
      if (i % NewlineIndex::kStep == 0) at[i / NewlineIndex::kStep] = static_cast<uint32_t>(count);
      count += static_cast<uint64_t>(__builtin_popcountll(m));
    }
    if (v.seek_addr()) seek_avx2(p, n, i, b, v.addr);
    if (!m || !v.undecided()) continue;
    if (v.prefixed) {  // the heads lie behind prefixes of any length
      for (uint64_t rest = m; rest && v.undecided(); rest &= rest - 1) {
        const size_t next = i + static_cast<size_t>(__builtin_ctzll(rest)) + 1;
        const char* s = p + next;
        size_t avail = n - next;
        if (!v.strip(s, avail)) break;
        v.json = v.json && json_head(s, avail);
        v.nginx = v.nginx && (avail >= 32 ? nginx_head_avx2(s) : nginx_head(s, avail));
        v.logfmt = v.logfmt && logfmt_head(s, avail);
      }
      continue;
    }
    if (v.json) {
      const uint64_t braces = bits(_mm256_cmpeq_epi8(b.next_lo, brace), _mm256_cmpeq_epi8(b.next_hi, brace));
      if (m & ~braces) v.json = false;
      // (the braces are known: only the records are left to tell)
      for (uint64_t rest = m; v.json && rest; rest &= rest - 1) {
        const size_t next = i + static_cast<size_t>(__builtin_ctzll(rest)) + 1;
        if (!json_head(p + next, n - next)) v.json = false;
      }
    }
    uint64_t rest = m;
    for (; v.nginx && rest; rest &= rest - 1) {
      size_t next = i + static_cast<size_t>(__builtin_ctzll(rest)) + 1;
      v.nginx = n - next >= 32 ? nginx_head_avx2(p + next) : nginx_head(p + next, n - next);
    }
    for (rest = m; v.logfmt && rest; rest &= rest - 1) {
      size_t next = i + static_cast<size_t>(__builtin_ctzll(rest)) + 1;
      v.logfmt = logfmt_head(p + next, n - next);
    }
  }
  return i;
}
const bool kAvx2 = __builtin_cpu_supports("avx2");
#endif

}  // namespace

// Fills a NewlineIndex (a friend: the index's fields are its own business).
class NewlineIndexFill {
 public:
  static uint32_t* start(NewlineIndex& x, std::string_view buf) {
    x.base_ = buf.data();
    x.at_.assign(buf.size() / NewlineIndex::kStep + 1, 0);
    x.total_ = 0;
    return x.at_.data();
  }
  // The slots at or after `from`, `count` newlines being before it.
  static void finish(NewlineIndex& x, std::string_view buf, size_t from, uint64_t count) {
    const size_t step = NewlineIndex::kStep;
    for (size_t b = (from + step - 1) / step * step; b <= buf.size(); b += step) {
      count += count_newlines(buf.data() + from, b - from);
      from = b;
      x.at_[b / step] = static_cast<uint32_t>(count);
    }
    x.total_ = count + count_newlines(buf.data() + from, buf.size() - from);
  }
};

uint64_t NewlineIndex::before(size_t pos) const {
  const size_t k = pos / kStep;
  return at_[k] + count_newlines(base_ + k * kStep, pos - k * kStep);
}

ChunkShape chunk_shape(std::string_view buf, NewlineIndex* index) {
  const char* p = buf.data();
  const size_t n = buf.size();
  uint32_t* at = index ? NewlineIndexFill::start(*index, buf) : nullptr;
  uint64_t count = 0;
  size_t from = 0;
  Verdict v;
  v.addr.wanted = true;
  if (n == 0) {
    v.json = v.nginx = v.logfmt = false;
  } else {
    v.prefixed = compose_prefix(std::string_view(p, std::min<size_t>(n, 256))) > 0;
    v.line(p, n);
  }
#if defined(__x86_64__)
  if (kAvx2 && (at || v.undecided())) from = scan_avx2(p, n, v, at, count);
#endif
  if (index) NewlineIndexFill::finish(*index, buf, from, count);
  // The vector loop saw every newline before `from`, and every pair of the
  // key whose first byte is before it: the rest of the key starts after from - size.
  if (v.undecided()) scan_plain(p, n, from, v);
  if (v.seek_addr()) {
    const size_t tail = from > v.addr.text.size() ? from - v.addr.text.size() : 0;
    v.addr.found = buf.substr(tail).find(v.addr.text) != std::string_view::npos;
  }
  // The JSON literal set is the Go proxies'; nginx's own JSON access log
  // (log_format escape=json, with $remote_addr or $upstream_addr) needs every rule's.
  if (v.json && v.addr.found) return ChunkShape::mixed;
  if (v.json) return ChunkShape::json;
  if (v.nginx) return ChunkShape::nginx_error;
  if (v.logfmt) return ChunkShape::logfmt;
  return ChunkShape::mixed;
}

}  // namespace gw502
