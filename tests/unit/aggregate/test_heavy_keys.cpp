#include <algorithm>
#include <random>

#include "aggregate/heavy_keys.hpp"
#include "helpers.hpp"

using namespace gw502;

TEST_CASE("heavy keys: below the counters' number every count is exact", "[heavy_keys]") {
  HeavyKeys h;
  CHECK(h.empty());
  for (uint64_t k = 1; k <= 100; ++k) h.add(k, k);
  CHECK(h.total() == 5050);
  // total / 50 = 101: only keys above it (none); total / 100 = 50: 51..100.
  CHECK(h.above(50, 1).empty());
  const auto top = h.above(100, 1);
  REQUIRE(top.size() == 50);
  CHECK(top.front() == 51);
  CHECK(top.back() == 100);
  CHECK(h.above(100, 99) == std::vector<uint64_t>{99, 100});  // and at least min_weight
  h.add(7, 0);  // no weight, no change
  CHECK(h.total() == 5050);
}

TEST_CASE("heavy keys: a frequent key among a flood of distinct keys is found, in any order", "[heavy_keys]") {
  // 200,000 distinct keys once each, and 5 keys 1,000 times each: the heavy
  // ones are above total / 1024 (~200), the flood's estimates are not.
  std::vector<uint64_t> stream;
  for (uint64_t k = 0; k < 200000; ++k) stream.push_back(1000000 + k);
  for (uint64_t k = 1; k <= 5; ++k)
    for (int i = 0; i < 1000; ++i) stream.push_back(k);
  std::mt19937_64 rng(42);
  for (int order = 0; order < 3; ++order) {
    if (order == 1) std::shuffle(stream.begin(), stream.end(), rng);
    if (order == 2) std::reverse(stream.begin(), stream.end());
    HeavyKeys whole, a, b, merged;
    for (size_t i = 0; i < stream.size(); ++i) {
      whole.add(stream[i], 1);
      (i % 3 ? a : b).add(stream[i], 1);
    }
    merged.merge(a);
    merged.merge(b);
    CHECK(merged.total() == whole.total());
    for (const HeavyKeys* h : {&whole, &merged}) {
      INFO("order " << order);
      CHECK(h->above(1024, 8) == std::vector<uint64_t>{1, 2, 3, 4, 5});
    }
  }
  HeavyKeys h;
  for (uint64_t k = 0; k < 100000; ++k) h.add(k + 7, 1);
  CHECK(h.above(4096, 8).empty());  // a flood alone: no candidate
  CHECK(h.bytes() > 0);
}

TEST_CASE("heavy keys: weighted adds and shrinks keep estimates within total / (counters / 2)", "[heavy_keys]") {
  HeavyKeys h;
  std::mt19937_64 rng(7);
  std::vector<uint64_t> truth(50000, 0);
  for (int i = 0; i < 300000; ++i) {
    // half the draws among 20 keys, half among all
    const uint64_t k = rng() % 2 ? rng() % 20 : rng() % truth.size();
    const uint64_t w = 1 + rng() % 3;
    truth[k] += w;
    h.add(k + 1, w);
  }
  const uint64_t err = h.total() / (HeavyKeys::kCounters / 2);
  size_t heavy = 0;
  for (size_t k = 0; k < truth.size(); ++k) {
    const uint64_t est = h.estimate(k + 1);
    CHECK(est <= truth[k]);
    CHECK(est + err >= truth[k]);
    heavy += truth[k] > err;
  }
  CHECK(heavy >= 20);
}
