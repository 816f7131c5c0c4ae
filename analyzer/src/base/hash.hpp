// Fast non-cryptographic hashing of short strings (keys of log fields):
// 8 bytes at a time, then a 64-bit finaliser. Not for anything an attacker
// could exploit by collision: callers compare the strings themselves, or
// accept that two keys may share a hash (pairing requests).
#pragma once
#include <cstdint>
#include <cstring>
#include <string_view>

namespace gw502 {

// splitmix64's finaliser: every input bit reaches every output bit.
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A string into a running hash; its length goes in with the last word, so
// that ("ab", "c") and ("a", "bc") differ.
inline uint64_t hash_str(uint64_t h, std::string_view s) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  uint64_t w = 0;
  if (n) std::memcpy(&w, p, n);
  h = (h ^ w ^ (uint64_t{s.size() & 0xFF} << 56)) * kMul;
  return h ^ (h >> 29);
}

}  // namespace gw502
