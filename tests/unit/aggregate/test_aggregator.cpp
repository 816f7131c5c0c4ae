#include "aggregate/aggregator.hpp"
#include "aggregate/diagnosis.hpp"
#include "core/event.hpp"
#include "helpers.hpp"

using namespace gw502;

namespace {

Hit hit(std::string_view upstream, int cause, int64_t t, uint64_t line = 1) {
  return Hit{ProxyKind::nginx, "", "a.example", upstream, cause, 0, t, false, 0, line, "text"};
}

}  // namespace

TEST_CASE("hits group by site, upstream and cause", "[aggregator]") {
  Aggregator agg;
  agg.add(hit("10.0.0.5:80", 0, 1000));
  agg.add(hit("10.0.0.5:80", 0, 900));
  agg.add(hit("10.0.0.5:80", 1, 950));
  agg.add(hit("", 0, kNoTime));
  REQUIRE(agg.groups().size() == 3);
  const Group& g = agg.groups()[0];
  CHECK(g.count == 2);
  CHECK(g.first == 900);
  CHECK(g.last == 1000);
  CHECK(agg.str(agg.groups()[2].upstream) == "-");
  CHECK(agg.total() == 4);
}

TEST_CASE("samples are few and distinct", "[aggregator]") {
  Aggregator agg;
  for (int i = 0; i < 10; ++i) agg.add(hit("u", 0, 0, static_cast<uint64_t>(i)));
  CHECK(agg.groups()[0].samples.size() == 1);
  Hit h = hit("u", 0, 0);
  std::string long_text(5000, 'x');
  h.text = long_text;
  agg.add(h);
  CHECK(agg.groups()[0].samples.back().text.size() == Aggregator::kMaxSampleBytes);
}

TEST_CASE("aggregators merge", "[aggregator]") {
  Aggregator a, b;
  a.add(hit("u1", 0, 100));
  b.add(hit("u1", 0, 50));
  b.add(hit("u2", 0, 70));
  a.merge(b, 3);
  REQUIRE(a.groups().size() == 2);
  CHECK(a.groups()[0].count == 2);
  CHECK(a.groups()[0].first == 50);
  CHECK(a.total() == 3);
  CHECK(a.groups()[1].samples[0].source == 3);
}

TEST_CASE("bursts: failures far apart in time are separate bursts", "[aggregator]") {
  Aggregator agg;
  for (int64_t m : {0, 1, 2, 3, 30, 31, 120}) agg.add(hit("u", 0, m * 60));
  CHECK(count_bursts(agg.groups()[0]) == 3);
}

TEST_CASE("minutes with hits stay sorted and distinct through adds and merges", "[aggregator]") {
  Aggregator a, b, c;
  for (int64_t t : {600, 660, 630, 120, 660, 6000}) a.add(hit("u", 0, t));  // the clock goes back once
  CHECK(a.groups()[0].minutes == std::vector<int64_t>{2, 10, 11, 100});
  for (int64_t t : {6000, 6060, 7200}) b.add(hit("u", 0, t));
  a.merge(b);  // the shared minute counts once
  CHECK(a.groups()[0].minutes == std::vector<int64_t>{2, 10, 11, 100, 101, 120});
  for (int64_t t : {0, 660, 9000}) c.add(hit("u", 0, t));
  a.merge(c);  // out of order
  CHECK(a.groups()[0].minutes == std::vector<int64_t>{0, 2, 10, 11, 100, 101, 120, 150});
  CHECK(count_bursts(a.groups()[0]) == 4);
}

TEST_CASE("a flood of distinct hosts folds into one group past the cap", "[aggregator]") {
  Aggregator a, b;
  const size_t n = Aggregator::kMaxGroups + 500;
  std::vector<std::string> hosts;
  for (size_t i = 0; i < n; ++i) hosts.push_back("h" + std::to_string(i) + ".example");
  for (size_t i = 0; i < n; ++i) {
    Hit h = hit("10.0.0.5:80", 0, 1000);
    h.host = hosts[i];
    a.add(h);
  }
  CHECK(a.groups().size() == Aggregator::kMaxGroups + 1);
  CHECK(a.total() == n);
  const Group& last = a.groups().back();
  CHECK(a.str(last.host) == Aggregator::kOther);
  CHECK(last.count == 500);
  Hit known = hit("10.0.0.5:80", 0, 1000);
  known.host = hosts[7];  // a host seen before the cap still has its own group
  a.add(known);
  CHECK(a.groups()[7].count == 2);
  b.merge(a);  // merging keeps the bound and every count
  CHECK(b.groups().size() <= Aggregator::kMaxGroups + 1);
  uint64_t sum = 0;
  for (const Group& g : b.groups()) sum += g.count;
  CHECK(sum == n + 1);
}
