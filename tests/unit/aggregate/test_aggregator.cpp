#include <algorithm>
#include <memory>
#include <random>
#include <tuple>

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
  CHECK(a.groups()[0].minutes.to_vector() == std::vector<Group::Minute>{2, 10, 11, 100});
  for (int64_t t : {6000, 6060, 7200}) b.add(hit("u", 0, t));
  a.merge(b);  // the shared minute counts once
  CHECK(a.groups()[0].minutes.to_vector() == std::vector<Group::Minute>{2, 10, 11, 100, 101, 120});
  for (int64_t t : {0, 660, 9000}) c.add(hit("u", 0, t));
  a.merge(c);  // out of order
  CHECK(a.groups()[0].minutes.to_vector() == std::vector<Group::Minute>{0, 2, 10, 11, 100, 101, 120, 150});
  CHECK(count_bursts(a.groups()[0]) == 4);
}

TEST_CASE("a flood of distinct hosts folds the tail into (others), the same in any order", "[aggregator]") {
  const size_t n = Aggregator::kMaxGroups * 3;
  std::vector<std::string> hosts;
  for (size_t i = 0; i < n; ++i) hosts.push_back("h" + std::to_string(i) + ".example");
  auto flood = [&](Aggregator& a, size_t i) {
    Hit h = hit("10.0.0.5:80", 0, 1000, i + 1);
    h.host = hosts[i];
    a.add(h);
  };
  Aggregator fwd, rev, halves, x, y;
  for (size_t i = 0; i < n; ++i) flood(fwd, i);
  for (size_t i = n; i-- > 0;) flood(rev, i);
  for (size_t i = 0; i < n; ++i) flood(i % 2 ? x : y, i);
  halves.merge(x);
  halves.merge(y);
  for (Aggregator* a : {&fwd, &rev, &halves}) {
    CHECK(a->total() == n);
    CHECK(a->fold_level() >= 1);
    CHECK(a->folded_groups() > 0);
    size_t exact = 0, others = 0;
    uint64_t sum = 0;
    for (const Group& g : a->groups()) {
      sum += g.count;
      if (g.folded) {
        ++others;
        CHECK(a->str(g.host) == Aggregator::kOther);
      } else {
        ++exact;
        CHECK(g.count == 1);
      }
    }
    CHECK(exact <= Aggregator::kMaxGroups);
    CHECK(others == 1);  // one (site, cause)
    CHECK(sum == n);
    CHECK(a->folded_count() == n - exact);
  }
  // The same keys stay exact whatever the order; the (others) group's
  // samples are the first lines by position.
  auto keys = [](const Aggregator& a) {
    std::vector<std::string> v;
    for (const Group& g : a.groups()) v.push_back(std::string(a.str(g.host)) + "#" + std::to_string(g.count));
    std::sort(v.begin(), v.end());
    return v;
  };
  CHECK(keys(fwd) == keys(rev));
  CHECK(keys(fwd) == keys(halves));
  auto others = [](const Aggregator& a) {
    for (const Group& g : a.groups())
      if (g.folded) return g.samples.front().line;
    return uint64_t{0};
  };
  CHECK(others(fwd) == others(rev));
  CHECK(others(fwd) == others(halves));
  // A frequent key that is sampled in keeps its exact count.
  Hit heavy = hit("10.0.0.5:80", 0, 1000);
  size_t kept = 0;
  for (const Group& g : fwd.groups())
    if (!g.folded) {
      kept = static_cast<size_t>(std::stoul(std::string(fwd.str(g.host)).substr(1)));
      break;
    }
  heavy.host = hosts[kept];
  for (int i = 0; i < 100; ++i) fwd.add(heavy);
  for (const Group& g : fwd.groups())
    if (fwd.str(g.host) == hosts[kept]) CHECK(g.count == 101);
}

TEST_CASE("per-worker parts merge to what one thread counts", "[aggregator]") {
  // 12 chunks of 50 lines; hits on some lines; the parts get the chunks in
  // a scrambled assignment, lines relative to their chunk.
  const size_t chunks = 12, lines = 50;
  std::vector<uint64_t> base;
  for (size_t c = 0; c < chunks; ++c) base.push_back(c * lines);
  std::vector<std::string> texts, ups = {"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"};
  for (size_t i = 0; i < chunks * lines; ++i) texts.push_back("line " + std::to_string(i % 7));
  auto hit_at = [&](size_t abs) {
    Hit h = hit(ups[abs % 3], static_cast<int>(abs % 2), 1000 + static_cast<int64_t>(abs) * 17, abs + 1);
    h.rule = static_cast<int>(abs % 5);
    h.text = texts[abs];
    return h;
  };
  Aggregator one;
  for (size_t i = 0; i < chunks * lines; ++i)
    if (i % 3 != 1) one.add(hit_at(i));
  for (unsigned workers : {1u, 2u, 3u}) {
    std::vector<Aggregator> parts(workers);
    for (size_t k = 0; k < chunks; ++k) {
      const size_t c = (k * 5) % chunks;  // not in order
      Aggregator& p = parts[(k * 7 + workers) % workers];
      p.set_chunk(static_cast<uint32_t>(c));
      for (size_t l = 0; l < lines; ++l) {
        const size_t abs = c * lines + l;
        if (abs % 3 == 1) continue;
        Hit h = hit_at(abs);
        h.line = l + 1;
        p.add(h);
      }
    }
    Aggregator all;
    all.merge_parts(parts, base);
    INFO("workers " << workers);
    REQUIRE(all.groups().size() == one.groups().size());
    CHECK(all.total() == one.total());
    for (size_t i = 0; i < one.groups().size(); ++i) {
      const Group &a = all.groups()[i], &b = one.groups()[i];
      CHECK(all.str(a.upstream) == one.str(b.upstream));
      CHECK(a.cause == b.cause);
      CHECK(a.count == b.count);
      CHECK(a.first == b.first);
      CHECK(a.last == b.last);
      CHECK(a.minutes == b.minutes);
      CHECK(a.rules == b.rules);
      REQUIRE(a.samples.size() == b.samples.size());
      for (size_t s = 0; s < a.samples.size(); ++s) {
        CHECK(a.samples[s].line == b.samples[s].line);
        CHECK(a.samples[s].text == b.samples[s].text);
        CHECK(a.samples[s].chunk == 0);
      }
    }
  }
}

TEST_CASE("minutes are kept in 32 bits: far times count at the bound", "[aggregator]") {
  Aggregator a;
  a.add(hit("u", 0, int64_t{253402300799}));   // 9999-12-31T23:59:59Z
  a.add(hit("u", 0, int64_t{-300000000000}));  // about 7500 BC
  a.add(hit("u", 0, 1700000000));
  const auto m = a.groups()[0].minutes.to_vector();
  REQUIRE(m.size() == 3);
  CHECK(m.front() == Group::kMinMinute);
  CHECK(m[1] == 1700000000 / 60);
  CHECK(m.back() == Group::kMaxMinute);
  CHECK(a.groups()[0].last == 253402300799);  // the time itself is kept whole
}

TEST_CASE("minutes stay bounded in a long run, the same in any order (D15)", "[aggregator]") {
  // Every minute of 45 days.
  const int64_t n = 45 * 1440;
  Aggregator fwd, rev, x, y, halves;
  for (int64_t m = 0; m < n; ++m) fwd.add(hit("u", 0, m * 60));
  for (int64_t m = n; m-- > 0;) rev.add(hit("u", 0, m * 60));
  for (int64_t m = 0; m < n; ++m) (m % 3 ? x : y).add(hit("u", 0, m * 60));
  halves.merge(y);
  halves.merge(x);
  const auto& v = fwd.groups()[0].minutes;
  CHECK(v.size() <= Aggregator::kMaxMinutes + 6 * 144 + 23 * 24 + 15 + 3);
  CHECK(v.back() == n - 1);
  const auto exact = v.to_vector();
  CHECK(exact[exact.size() - Aggregator::kMaxMinutes] == n - Aggregator::kMaxMinutes);  // the last day exact
  CHECK(v.front() == 0);
  CHECK(rev.groups()[0].minutes == v);
  CHECK(halves.groups()[0].minutes == v);
  // A week of hits every minute is still one burst (10-minute blocks).
  Aggregator week;
  for (int64_t m = 0; m < 7 * 1440; ++m) week.add(hit("u", 0, m * 60));
  CHECK(week.groups()[0].minutes.size() < 7 * 1440);
  CHECK(count_bursts(week.groups()[0]) == 1);
  // A short group keeps every minute.
  Aggregator small;
  for (int64_t m : {0, 5000, 90000}) small.add(hit("u", 0, m * 60));
  CHECK(small.groups()[0].minutes.to_vector() == std::vector<Group::Minute>{0, 5000, 90000});
}

TEST_CASE("a request's earlier tries on one connection count once", "[aggregator][pairing]") {
  auto error_on = [](std::string_view upstream, int64_t t, uint32_t conn, uint64_t line) {
    Hit h = hit(upstream, 0, t, line);
    h.request = 42;  // the same client and path
    h.conn = conn;
    return h;
  };
  auto access = [](int64_t t, int status, uint64_t line) {
    Hit h = hit("", 1, t, line);
    h.source = 1;
    h.request = 42;
    h.access = true;
    h.status = status;
    return h;
  };
  SECTION("two servers tried, one 504 served: one failure, one earlier try") {
    Aggregator agg;
    agg.add(error_on("10.0.0.5:80", 1000, 7, 1));
    agg.add(error_on("10.0.0.6:80", 1060, 7, 2));
    agg.add(access(1060, 504, 1));
    CHECK(agg.total() == 1);
    uint64_t count = 0, tries = 0;
    for (const Group& g : agg.groups()) count += g.count, tries += g.tries;
    CHECK(count == 1);
    CHECK(tries == 1);
    CHECK(agg.paired() == 1);
  }
  SECTION("keepalive: the same path twice on one connection, each with its 502") {
    Aggregator agg;
    agg.add(error_on("10.0.0.5:80", 1000, 7, 1));
    agg.add(error_on("10.0.0.5:80", 1000, 7, 2));
    agg.add(access(1000, 502, 1));
    agg.add(access(1000, 502, 2));
    CHECK(agg.total() == 2);
    CHECK(agg.groups()[0].tries == 0);
    CHECK(agg.paired() == 2);
  }
  SECTION("without a connection (HTTP/2, or not nginx) nothing is taken for a try") {
    Aggregator agg;
    agg.add(error_on("10.0.0.5:80", 1000, 0, 1));
    agg.add(error_on("10.0.0.6:80", 1001, 0, 2));
    agg.add(access(1001, 502, 1));
    CHECK(agg.total() == 2);
  }
  SECTION("HTTP/2: the access line's upstream status list says how many tries failed") {
    Aggregator agg;
    agg.add(error_on("10.0.0.5:80", 1000, 0, 1));
    agg.add(error_on("10.0.0.6:80", 1000, 0, 2));
    agg.add(error_on("10.0.0.7:80", 1000, 0, 3));
    agg.add(error_on("10.0.0.7:80", 1005, 0, 4));  // the next request of the same path
    Hit a = access(1000, 404, 1);                    // "502, 502, 502, 404 404"
    a.failed_tries = 3;
    a.cause = 2;  // retried_served's stand-in: another cause than the errors'
    agg.add(a);
    uint64_t count = 0, tries = 0, moved = 0;
    for (const Group& g : agg.groups()) {
      if (g.cause == 0) count += g.count;
      if (g.cause == 2) moved += g.count;
      tries += g.tries;
    }
    CHECK(moved == 1);  // the request was served
    CHECK(tries == 2);  // its two other failed tries
    CHECK(count == 1);  // the next request's entry stays
  }
}

TEST_CASE("a run without pairing records no error entry and counts the access entries it meets",
          "[aggregator][pairing]") {
  auto error_entry = [](int64_t t, uint64_t line) {
    Hit h = hit("10.0.0.5:80", 0, t, line);
    h.request = 42;
    return h;
  };
  Hit access = hit("", 1, 1000, 1);
  access.source = 1;
  access.request = 42;
  access.access = true;
  access.status = 502;
  SECTION("with pairing (the default) the access entry is the error entry's echo") {
    Aggregator agg;
    CHECK(agg.pairing());
    agg.add(error_entry(1000, 1));
    CHECK(agg.request_count() == 1);
    agg.add(access);
    CHECK(agg.total() == 1);
    CHECK(agg.paired() == 1);
    CHECK(agg.access_requests() == 1);
  }
  SECTION("without: nothing is recorded; what was met is told, and merges") {
    Aggregator agg;
    agg.set_pairing(false);
    agg.add(error_entry(1000, 1));
    agg.add(error_entry(1001, 2));
    CHECK(agg.request_count() == 0);
    CHECK(agg.access_requests() == 0);
    agg.add(access);
    CHECK(agg.access_requests() == 1);
    CHECK(agg.total() == 3);  // counted twice: why the command line reads such a run again
    CHECK(agg.paired() == 0);
    Aggregator whole;
    whole.set_pairing(false);
    std::vector<Aggregator> parts(1);
    parts[0].set_pairing(false);
    parts[0].set_chunk(0);
    parts[0].add(access);
    whole.merge_parts(parts, {0});
    CHECK(whole.access_requests() == 1);
  }
}

TEST_CASE("merge_parts moves the parts' request entries and waiting access entries: pairing as on one thread",
          "[aggregator][pairing]") {
  // Chunks of 40 lines: an error entry on each even line, the access entry
  // of the same request two lines later (statuses 502, 504, 200 in turn),
  // some access entries without an error entry. Request keys differ in
  // their upper 32 bits only for some: short keys must still tell them apart
  // by time. The texts are short: a waiting access entry's strings must
  // stay put while the list of waiting entries grows (they did not, in
  // short strings' inline bytes).
  const size_t chunks = 9, lines = 40;
  std::vector<uint64_t> base;
  for (size_t c = 0; c < chunks; ++c) base.push_back(c * lines);
  auto hit_at = [](size_t abs) {
    const bool access = abs % 4 == 2;
    const size_t req = access ? abs - 2 : abs;
    Hit h = hit(access ? "" : "10.0.0.1:80", access ? 1 : 0, 5000 + static_cast<int64_t>(req) * 10, abs + 1);
    h.request = (uint64_t{req % 3} << 32) | (req / 3 + 1);  // short keys collide across req % 3
    h.conn = static_cast<uint32_t>(req + 1);
    h.access = access;
    h.status = access ? (req % 12 == 0 ? 502 : req % 12 == 4 ? 504 : 200) : 0;
    return h;
  };
  auto wanted = [](size_t abs) { return abs % 4 == 0 || abs % 4 == 2 || abs % 20 == 5; };
  Aggregator one;
  for (size_t i = 0; i < chunks * lines; ++i)
    if (wanted(i)) one.add(hit_at(i));
  for (unsigned workers : {2u, 3u}) {
    std::vector<Aggregator> parts(workers);
    for (size_t k = 0; k < chunks; ++k) {
      const size_t c = (k * 4) % chunks;
      Aggregator& p = parts[(k * 5 + workers) % workers];
      p.set_chunk(static_cast<uint32_t>(c));
      for (size_t l = 0; l < lines; ++l) {
        const size_t abs = c * lines + l;
        if (!wanted(abs)) continue;
        Hit h = hit_at(abs);
        h.line = l + 1;
        p.add(h);
      }
    }
    Aggregator all;
    all.merge_parts(parts, base);
    INFO("workers " << workers);
    CHECK(all.paired() == one.paired());
    CHECK(all.paired() > 0);
    CHECK(all.total() == one.total());
    REQUIRE(all.groups().size() == one.groups().size());
    for (size_t i = 0; i < one.groups().size(); ++i) {
      const Group &a = all.groups()[i], &b = one.groups()[i];
      CHECK(a.count == b.count);
      CHECK(a.served_502 == b.served_502);
      CHECK(a.served_504 == b.served_504);
      CHECK(a.served_other == b.served_other);
      CHECK(a.tries == b.tries);
      REQUIRE(a.samples.size() == b.samples.size());
      for (size_t s = 0; s < a.samples.size(); ++s) CHECK(a.samples[s].text == b.samples[s].text);
    }
    for (Aggregator& p : parts) CHECK(p.groups().empty());  // consumed
  }
}

TEST_CASE("access entries past the waiting cap: the same groups for any partition of chunks over workers",
          "[aggregator][pairing][pending]") {
  // Source 0: an access log, more 502 entries than kMaxPending, in chunks of
  // 1,000 lines, the host changing with the chunk. Source 1: an error log
  // with the error entry of every other request. Which access entries wait
  // (and pair) must not depend on which worker got which chunk, nor when.
  const size_t lines = 1000, chunks = (Aggregator::kMaxPending + 30000) / lines;
  const std::vector<std::string> hosts = {"a.example", "b.example", "c.example", "d.example"};
  std::vector<uint64_t> base(chunks + 1, 0);  // chunk `chunks`: the error log (source 1)
  for (size_t c = 0; c < chunks; ++c) base[c] = c * lines;
  std::string text;
  auto access_at = [&](size_t abs) {
    text = "10.0.0.9 - - \"GET /item/" + std::to_string(abs) + "\" 502";
    Hit h = hit("", 1, 100000 + static_cast<int64_t>(abs), abs + 1);
    h.host = hosts[(abs / lines) % hosts.size()];
    h.text = text;
    h.request = abs * 2654435761u + 1;
    h.access = true;
    h.status = 502;
    return h;
  };
  auto error_at = [&](size_t n) {  // the error entry of request 2n, line n + 1 of source 1
    Hit h = hit("10.0.0.1:80", 0, 100000 + static_cast<int64_t>(2 * n), n + 1);
    h.source = 1;
    h.request = 2 * n * 2654435761u + 1;
    return h;
  };
  const size_t errors = chunks * lines / 2;
  Aggregator one;
  for (size_t i = 0; i < chunks * lines; ++i) one.add(access_at(i));
  for (size_t n = 0; n < errors; ++n) one.add(error_at(n));
  CHECK(one.pending_level() > 0);

  // assign(c): the worker of chunk c; `order`: the order chunks are fed in.
  auto run = [&](const std::vector<size_t>& order, auto assign) {
    std::vector<Aggregator> parts(2);
    for (size_t c : order) {
      Aggregator& p = parts[assign(c)];
      p.set_chunk(static_cast<uint32_t>(c));
      if (c == chunks) {
        for (size_t n = 0; n < errors; ++n) p.add(error_at(n));
        continue;
      }
      for (size_t l = 0; l < lines; ++l) {
        Hit h = access_at(c * lines + l);
        h.line = l + 1;
        p.add(h);
      }
    }
    Aggregator all;
    all.merge_parts(parts, base);
    return all;
  };
  std::vector<size_t> forward(chunks + 1), backward(chunks + 1);
  for (size_t c = 0; c <= chunks; ++c) forward[c] = c, backward[c] = chunks - c;
  Aggregator split = run(forward, [](size_t c) { return c % 2; });               // about half each
  Aggregator lopsided = run(backward, [&](size_t c) { return c == chunks ? 1 : 0; });  // all access on one
  for (const Aggregator* a : {&split, &lopsided}) {
    INFO((a == &split ? "split" : "lopsided"));
    CHECK(a->paired() == one.paired());
    CHECK(a->total() == one.total());
    CHECK(a->pending_level() == one.pending_level());
    // Groups in key order (the reports sort them; the order they were made
    // in is not the same on one thread).
    auto sorted = [](const Aggregator& agg) {
      std::vector<const Group*> v;
      for (const Group& g : agg.groups()) v.push_back(&g);
      std::sort(v.begin(), v.end(), [&agg](const Group* a, const Group* b) {
        return std::make_tuple(agg.str(a->host), agg.str(a->upstream), a->cause) <
               std::make_tuple(agg.str(b->host), agg.str(b->upstream), b->cause);
      });
      return v;
    };
    const auto xs = sorted(*a), ys = sorted(one);
    REQUIRE(xs.size() == ys.size());
    for (size_t i = 0; i < ys.size(); ++i) {
      const Group &x = *xs[i], &y = *ys[i];
      CHECK(a->str(x.host) == one.str(y.host));
      CHECK(a->str(x.upstream) == one.str(y.upstream));
      CHECK(x.cause == y.cause);
      CHECK(x.count == y.count);
      CHECK(x.served_502 == y.served_502);
      CHECK(x.minutes == y.minutes);
      REQUIRE(x.samples.size() == y.samples.size());
      for (size_t s = 0; s < x.samples.size(); ++s) {
        CHECK(x.samples[s].source == y.samples[s].source);
        CHECK(x.samples[s].line == y.samples[s].line);
        CHECK(x.samples[s].text == y.samples[s].text);
      }
    }
  }
}

TEST_CASE("a waiting access entry holds 64 bytes, and its text only while it can become a sample",
          "[aggregator][pairing][pending]") {
  const std::string long_text(300, 'x');
  std::string text;
  auto access = [&](uint64_t line, uint64_t request) {
    Hit h = hit("", 1, 5000 + static_cast<int64_t>(line), line);
    text = long_text + std::to_string(line);
    h.text = text;
    h.request = request;
    h.access = true;
    h.status = 502;
    return h;
  };
  const size_t n = 50000;
  SECTION("its group already has its samples, earlier: no text") {
    Aggregator agg;
    for (uint64_t l = 1; l <= 3; ++l) agg.add(access(l, 0));  // no request: counted at once
    for (uint64_t i = 0; i < n; ++i) agg.add(access(10 + i, i + 1));
    REQUIRE(agg.pending_count() == n);
    CHECK(agg.pending_bytes() <= n * 64);
    CHECK(agg.total() == n + 3);
    const Group& g = agg.groups()[0];
    REQUIRE(g.samples.size() == Aggregator::kSamples);
    CHECK(g.samples.back().line == 3);
    CHECK(agg.pending_count() == 0);
  }
  SECTION("otherwise the text, in a shared arena (no allocation per entry)") {
    Aggregator agg;
    for (uint64_t i = 0; i < n; ++i) agg.add(access(10 + i, i + 1));
    REQUIRE(agg.pending_count() == n);
    CHECK(agg.pending_bytes() <= n * (64 + long_text.size() + 6) + 64 * 1024);
    agg.add(access(1, 0));  // an earlier line, no request
    CHECK(agg.total() == n + 1);
    const Group& g = agg.groups()[0];
    REQUIRE(g.samples.size() == 3);  // the earliest by position, texts kept while they waited
    CHECK(g.samples[0].line == 1);
    CHECK(g.samples[1].line == 10);
    CHECK(g.samples[2].text == long_text + "11");
  }
  SECTION("past the cap, which entries wait follows the request's hash: about half at level 1") {
    Aggregator agg;
    const size_t many = Aggregator::kMaxPending + 1;
    for (uint64_t i = 0; i < many; ++i) agg.add(access(10 + i, i + 1));
    CHECK(agg.pending_level() == 1);
    CHECK(agg.pending_count() < Aggregator::kMaxPending * 6 / 10);
    CHECK(agg.pending_count() > Aggregator::kMaxPending * 4 / 10);
    // The group has its samples: the texts of the entries after them went.
    CHECK(agg.pending_bytes() <= agg.pending_count() * 64 + 64 * 1024);
    CHECK(agg.total() == many);
  }
}

TEST_CASE("past the cap, heavy keys are found and a pinned second pass counts them exactly", "[aggregator]") {
  // A flood of distinct hosts (3 x the cap) and 8 hosts that fail 400 times
  // each: above 1/512 of all hits.
  const size_t flood = Aggregator::kMaxGroups * 3;
  std::vector<std::string> hosts;
  for (size_t i = 0; i < flood; ++i) hosts.push_back("h" + std::to_string(i) + ".example");
  for (int i = 0; i < 8; ++i) hosts.push_back("heavy" + std::to_string(i) + ".example");
  std::vector<size_t> order;
  for (size_t i = 0; i < flood; ++i) order.push_back(i);
  for (size_t k = 0; k < 8 * 400; ++k) order.push_back(flood + k % 8);
  std::mt19937_64 rng(11);
  std::shuffle(order.begin(), order.end(), rng);
  auto feed = [&](Aggregator& a, size_t at) {
    Hit h = hit("10.0.0.5:80", 0, 1000, at + 1);
    h.host = hosts[order[at]];
    a.add(h);
  };
  // Pass one, by one aggregator and by two parts merged: the same candidates.
  Aggregator one, x, y, two;
  for (size_t i = 0; i < order.size(); ++i) feed(one, i);
  for (size_t i = 0; i < order.size(); ++i) feed(i % 2 ? x : y, i);
  two.merge(x);
  two.merge(y);
  REQUIRE(one.fold_level() >= 1);
  CHECK(one.fold_level() == two.fold_level());
  for (Aggregator* a : {&one, &two}) {
    CHECK_FALSE(a->heavy_exact());
    CHECK_FALSE(a->heavy_candidates().empty());
    CHECK(a->heavy_candidates().size() < 64);  // the flood's keys are not candidates
  }
  // Pass two, pinned with either pass's candidates, split in two other ways.
  auto second = [&](const Aggregator& first, size_t parts) {
    auto pin = std::make_shared<Aggregator::Pin>();
    pin->level = first.fold_level();
    pin->keys = first.heavy_candidates();
    Aggregator whole;
    whole.pin(pin);
    std::vector<Aggregator> part(parts);
    for (Aggregator& p : part) p.share_pin(whole);
    for (size_t i = 0; i < order.size(); ++i) feed(part[(i / 1000) % parts], i);
    for (Aggregator& p : part) whole.merge(p);
    whole.fold_light_pinned();
    return whole;
  };
  Aggregator a = second(one, 1), b = second(two, 3);
  auto rows = [](const Aggregator& agg) {
    std::vector<std::string> v;
    for (const Group& g : agg.groups()) v.push_back(std::string(agg.str(g.host)) + "#" + std::to_string(g.count));
    std::sort(v.begin(), v.end());
    return v;
  };
  CHECK(rows(a) == rows(b));
  CHECK(a.heavy_kept() == b.heavy_kept());
  CHECK(a.heavy_exact());
  CHECK(a.total() == order.size());
  size_t heavy = 0;
  for (const Group& g : a.groups())
    if (std::string_view(a.str(g.host)).substr(0, 5) == "heavy") {
      ++heavy;
      CHECK(g.count == 400);
    }
  CHECK(heavy == 8);
  // The keys the hash keeps are the first pass's.
  size_t hashed = 0;
  for (const Group& g : a.groups()) hashed += !g.folded && a.str(g.host).substr(0, 5) != "heavy";
  size_t hashed_one = 0;
  for (const Group& g : one.groups()) hashed_one += !g.folded && one.str(g.host).substr(0, 5) != "heavy";
  CHECK(hashed == hashed_one);
}

namespace {

// Makes "line N" for the hit it is given to, and counts how often it is asked.
struct CountedText final : SampleText {
  std::string_view text() const override {
    ++made;
    buf = "line " + std::to_string(n);
    return buf;
  }
  uint64_t n = 0;
  mutable int made = 0;
  mutable std::string buf;
};

}  // namespace

TEST_CASE("a sample's text is made only while its group still takes samples", "[aggregator]") {
  Aggregator agg;
  CountedText maker;
  for (uint64_t i = 1; i <= 50; ++i) {
    Hit h = hit("u", 0, 0, i);
    h.text = {};
    maker.n = i;
    h.make_text = &maker;
    agg.add(h, 3);
  }
  const Group& g = agg.groups()[0];
  CHECK(g.count == 50);
  REQUIRE(g.samples.size() == 3);
  CHECK(agg.sample_text(g.samples[0]) == "line 1");
  CHECK(agg.sample_text(g.samples[2]) == "line 3");
  // Three lines filled the group: the 47 after them never made their text.
  CHECK(maker.made == 3);
}
