// MinuteSet against a std::set of the same minutes: any order of inserts
// and merges, gaps of every encoded length.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "aggregate/minute_set.hpp"

using namespace gw502;

namespace {
std::vector<MinuteSet::Minute> sorted(const std::set<MinuteSet::Minute>& s) { return {s.begin(), s.end()}; }
}  // namespace

TEST_CASE("a set that fills its span is a bit per minute, and leaves that form when it thins out",
          "[minute_set]") {
  MinuteSet day;
  for (int i = 1439; i >= 0; --i) day.insert(7 + i);  // backwards: every add before the first
  CHECK(day.dense());
  CHECK(day.size() == 1440);
  CHECK(day.front() == 7);
  CHECK(day.back() == 7 + 1439);
  CHECK(day.heap_bytes() < 512);  // 180 bytes and the growth's slack; 5,760 as 32-bit values
  std::vector<MinuteSet::Minute> want;
  for (int i = 0; i < 1440; ++i) want.push_back(7 + i);
  CHECK(day.to_vector() == want);
  // A far minute would make the bits much larger than the gaps.
  CHECK(day.insert(10000000));
  CHECK_FALSE(day.dense());
  want.push_back(10000000);
  CHECK(day.to_vector() == want);
  // Either form gives the same set, and compares equal.
  MinuteSet sparse;
  for (auto m : want) sparse.insert(m);
  CHECK(sparse == day);
  MinuteSet dense_again;
  for (int i = 0; i < 1440; ++i) dense_again.insert(7 + i);
  REQUIRE(dense_again.dense());
  MinuteSet gaps_form(std::vector<MinuteSet::Minute>{7, 300, 1446});
  CHECK_FALSE(gaps_form.dense());
  gaps_form.merge(dense_again);  // gaps into bits
  CHECK(gaps_form.to_vector() == std::vector<MinuteSet::Minute>(want.begin(), want.end() - 1));
  MinuteSet into_bits = dense_again;
  into_bits.merge(MinuteSet(std::vector<MinuteSet::Minute>{-20, 5000}));  // bits that grow at both ends
  CHECK(into_bits.size() == 1442);
  CHECK(into_bits.front() == -20);
  CHECK(into_bits.back() == 5000);
}

TEST_CASE("minutes in time order take a byte each", "[minute_set]") {
  MinuteSet m;
  CHECK(m.empty());
  CHECK(m.begin() == m.end());
  for (int i = 0; i < 1440; i += 2) CHECK(m.insert(1000000 + i));
  CHECK_FALSE(m.insert(1000000));
  CHECK_FALSE(m.insert(1000000 + 1438));
  CHECK(m.size() == 720);
  CHECK(m.front() == 1000000);
  CHECK(m.back() == 1000000 + 1438);
  CHECK(m.heap_bytes() <= 720);  // gaps of two: bits (90 bytes) are smaller
  CHECK(m.dense());
  CHECK(std::distance(m.begin(), m.end()) == 720);
}

TEST_CASE("inserts in any order give the set, gaps of any size", "[minute_set]") {
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    MinuteSet m;
    std::set<MinuteSet::Minute> want;
    // Spreads from a few minutes to the whole 32-bit range: 1- to 5-byte gaps.
    const int64_t spread = int64_t{1} << (rng() % 32);
    const int n = static_cast<int>(rng() % 300);
    for (int i = 0; i < n; ++i) {
      const auto v = static_cast<MinuteSet::Minute>(INT32_MIN / 2 + static_cast<int64_t>(rng() % spread));
      CHECK(m.insert(v) == want.insert(v).second);
    }
    REQUIRE(m.size() == want.size());
    CHECK(m.to_vector() == sorted(want));
    if (!want.empty()) {
      CHECK(m.front() == *want.begin());
      CHECK(m.back() == *want.rbegin());
    }
    CHECK(MinuteSet(sorted(want)) == m);
  }
}

TEST_CASE("merges are unions, appended or interleaved", "[minute_set]") {
  std::mt19937 rng(5);
  for (int round = 0; round < 200; ++round) {
    MinuteSet a, b;
    std::set<MinuteSet::Minute> want;
    const bool apart = round % 3 == 0;  // b after a: the append path
    for (int i = 0, n = static_cast<int>(rng() % 100); i < n; ++i) {
      const auto v = static_cast<MinuteSet::Minute>(rng() % 5000);
      a.insert(v);
      want.insert(v);
    }
    for (int i = 0, n = static_cast<int>(rng() % 100); i < n; ++i) {
      const auto v = static_cast<MinuteSet::Minute>((apart ? 6000 : 0) + rng() % 5000);
      b.insert(v);
      want.insert(v);
    }
    MinuteSet ab = a, ba = b;
    ab.merge(b);
    ba.merge(a);
    CHECK(ab.to_vector() == sorted(want));
    CHECK(ab == ba);
    CHECK(ab.size() == want.size());
  }
  // Every pair of forms: dense and sparse sets, near and far apart, big and small.
  for (int round = 0; round < 400; ++round) {
    const int64_t spreads[] = {40, 400, 5000, 100000, int64_t{1} << 30};
    auto make = [&](MinuteSet& m, std::set<MinuteSet::Minute>& want) {
      const int64_t spread = spreads[rng() % 5];
      const int64_t offset = static_cast<int64_t>(rng() % 200000) - 100000;
      for (int i = 0, n = static_cast<int>(rng() % 400); i < n; ++i) {
        const auto v = static_cast<MinuteSet::Minute>(offset + static_cast<int64_t>(rng() % spread));
        m.insert(v);
        want.insert(v);
      }
    };
    MinuteSet a, b;
    std::set<MinuteSet::Minute> want;
    make(a, want);
    make(b, want);
    const bool a_dense = a.dense(), b_dense = b.dense();
    a.merge(b);
    INFO("round " << round << " dense " << a_dense << b_dense);
    CHECK(a.to_vector() == sorted(want));
    CHECK(a.size() == want.size());
    if (!want.empty()) {
      CHECK(a.front() == *want.begin());
      CHECK(a.back() == *want.rbegin());
      a.insert(*want.rbegin() + 1);  // after the last: the fast path relies on back()
      CHECK(a.size() == want.size() + 1);
    }
  }
  MinuteSet empty, one({7});
  empty.merge(one);
  CHECK(empty == one);
  one.release();
  CHECK(one.empty());
  CHECK(one.heap_bytes() == 0);
}
