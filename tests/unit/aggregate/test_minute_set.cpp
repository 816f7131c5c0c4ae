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
  CHECK(m.heap_bytes() < 720 * 2);
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
  MinuteSet empty, one({7});
  empty.merge(one);
  CHECK(empty == one);
  one.release();
  CHECK(one.empty());
  CHECK(one.heap_bytes() == 0);
}
