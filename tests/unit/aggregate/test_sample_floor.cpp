// SampleFloor: workers of one scan share which keys' samples are complete,
// and the merged samples are the same as without it.
#include <algorithm>
#include <string>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "aggregate/sample_floor.hpp"
#include "core/event.hpp"
#include "helpers.hpp"

using namespace gw502;

TEST_CASE("a key is covered only in chunks after the one that completed it", "[sample_floor]") {
  SampleFloor f(64);
  CHECK_FALSE(f.covers(42, 7));
  f.publish(42, 5);
  CHECK_FALSE(f.covers(42, 5));  // the same chunk: its lines may come before
  CHECK(f.covers(42, 6));
  f.publish(42, 9);  // a later chunk does not move it back
  CHECK(f.covers(42, 6));
  f.publish(42, 2);
  CHECK(f.covers(42, 3));
  CHECK_FALSE(f.covers(43, 100));  // another key
  f.publish(0, 1);                 // hash 0 is a key like any other
  CHECK(f.covers(0, 2));
}

TEST_CASE("a full table covers nothing more, and says no rather than wrong", "[sample_floor]") {
  SampleFloor f(8);
  for (uint64_t k = 1; k <= 8; ++k) f.publish(k * 8, 0);  // all in the same home slot
  CHECK(f.covers(8, 1));
  f.publish(9 * 8, 0);  // no slot left
  CHECK_FALSE(f.covers(9 * 8, 1));
}

namespace {

Hit line_hit(const std::string& text, const std::string& upstream, uint64_t line) {
  return Hit{ProxyKind::nginx, "", "a.example", upstream, 0, 0, 100, false, 0, line, text};
}

// Chunks 0..n-1 of `per` lines each over two workers (even chunks to the
// first, odd to the second), with or without a floor; in chunk order, or
// the odd ones first.
std::vector<Group> run(bool with_floor, bool odd_first, int n, int per, size_t* held = nullptr) {
  std::vector<Aggregator> parts(2);
  SampleFloor floor;
  if (with_floor)
    for (auto& p : parts) p.set_sample_floor(&floor);
  std::vector<std::string> texts;
  texts.reserve(static_cast<size_t>(n * per));
  std::vector<int> order;
  for (int c = 0; c < n; ++c) order.push_back(c);
  if (odd_first)
    std::stable_partition(order.begin(), order.end(), [](int c) { return c % 2 == 1; });
  for (int c : order) {
    Aggregator& a = parts[static_cast<size_t>(c % 2)];
    a.set_chunk(static_cast<uint32_t>(c));
    for (int l = 1; l <= per; ++l) {
      texts.push_back("chunk " + std::to_string(c) + " line " + std::to_string(l));
      a.add(line_hit(texts.back(), "10.0.0." + std::to_string(l % 3) + ":80", static_cast<uint64_t>(l)));
    }
  }
  std::vector<uint64_t> base;
  for (int c = 0; c < n; ++c) base.push_back(static_cast<uint64_t>(c * per));
  if (held)
    for (const auto& p : parts)
      for (const Group& g : p.groups()) *held += g.samples.size();
  Aggregator whole;
  whole.merge_parts(parts, base);
  return whole.groups();
}

}  // namespace

TEST_CASE("with a shared floor the merged samples are the same", "[sample_floor]") {
  size_t held_without = 0, held_with = 0, held_odd_first = 0;
  const auto a = run(false, false, 12, 20, &held_without), b = run(true, false, 12, 20, &held_with);
  CHECK(held_without == 2 * 3 * 3);  // each worker: 3 keys, 3 samples
  CHECK(held_with == 3 * 3);         // chunk 0's: the second worker keeps none
  // The odd chunks first: chunk 0 is not after chunk 1, so both keep theirs.
  const auto c = run(true, true, 12, 20, &held_odd_first);
  CHECK(held_odd_first == 2 * 3 * 3);
  REQUIRE(c.size() == a.size());
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t s = 0; s < a[i].samples.size(); ++s) CHECK(a[i].samples[s].line == c[i].samples[s].line);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].samples.size() == b[i].samples.size());
    for (size_t s = 0; s < a[i].samples.size(); ++s) {
      CHECK(a[i].samples[s].line == b[i].samples[s].line);
      CHECK(a[i].samples[s].text == b[i].samples[s].text);
    }
    CHECK(a[i].count == b[i].count);
  }
}
