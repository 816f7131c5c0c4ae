#include <algorithm>
#include <string>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "aggregate/diagnosis.hpp"
#include "helpers.hpp"

using namespace gw502;

namespace {

struct Fixture {
  Catalogue cat = test::embedded_catalogue();
  Aggregator agg;
  int refused = cat.find_cause("connection_refused");

  void add(std::string_view host, std::string_view upstream, int64_t t, bool context = false) {
    Hit h{ProxyKind::nginx, "", host, upstream, refused, 0, t, true, 0, 1, "text"};
    h.context = context;
    agg.add(h);
  }
  const Group& group(std::string_view host, std::string_view upstream) {
    for (const Group& g : agg.groups())
      if (agg.str(g.host) == host && agg.str(g.upstream) == upstream) return g;
    FAIL("no group " << host << " " << upstream);
    return agg.groups().front();
  }
  bool has(const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  }
};

}  // namespace

TEST_CASE("a site that failed at two IP addresses gets the stale-address hint", "[diagnosis]") {
  Fixture f;
  f.add("a.example", "172.18.0.5:3000", 1000);
  f.add("a.example", "172.18.0.9:3000", 2000);
  f.add("b.example", "172.18.0.7:3000", 1000);
  f.add("c.example", "app:3000", 1000);  // a name, not an address
  f.add("c.example", "172.18.0.8:3000", 1000);
  const HintFinder hints(f.agg, f.cat);
  CHECK(f.has(hints(f.group("a.example", "172.18.0.5:3000")), "stale_address"));
  CHECK(f.has(hints(f.group("a.example", "172.18.0.9:3000")), "stale_address"));
  CHECK_FALSE(f.has(hints(f.group("b.example", "172.18.0.7:3000")), "stale_address"));
  // One IP and one name: not two addresses.
  CHECK_FALSE(f.has(hints(f.group("c.example", "172.18.0.8:3000")), "stale_address"));
  CHECK_FALSE(f.has(hints(f.group("c.example", "app:3000")), "stale_address"));
}

TEST_CASE("a context line at another address does not make the stale-address hint", "[diagnosis]") {
  Fixture f;
  f.add("a.example", "172.18.0.5:3000", 1000);
  f.add("a.example", "172.18.0.6:3000", 1000, true);  // no request behind it
  const HintFinder hints(f.agg, f.cat);
  CHECK_FALSE(f.has(hints(f.group("a.example", "172.18.0.5:3000")), "stale_address"));
  // The context group itself sees the request's address as another one.
  CHECK(f.has(hints(f.group("a.example", "172.18.0.6:3000")), "stale_address"));
}

TEST_CASE("loopback and Docker host upstreams get their hints", "[diagnosis]") {
  Fixture f;
  f.add("a.example", "127.0.0.1:3000", 1000);
  f.add("b.example", "172.17.0.1:8080", 1000);
  const HintFinder hints(f.agg, f.cat);
  CHECK(f.has(hints(f.group("a.example", "127.0.0.1:3000")), "loopback_upstream"));
  CHECK(f.has(hints(f.group("b.example", "172.17.0.1:8080")), "docker_host_gateway"));
  CHECK_FALSE(f.has(hints(f.group("a.example", "127.0.0.1:3000")), "docker_host_gateway"));
}

TEST_CASE("steady refusals and bursts are told apart", "[diagnosis]") {
  Fixture f;
  for (int i = 0; i < 3; ++i) f.add("a.example", "172.18.0.5:3000", 1000 + 60 * i);
  f.add("b.example", "172.18.0.7:3000", 1000);
  f.add("b.example", "172.18.0.7:3000", 1000 + 3600);  // an hour later: a second burst
  const HintFinder hints(f.agg, f.cat);
  const auto a = hints(f.group("a.example", "172.18.0.5:3000"));
  CHECK(f.has(a, "steady_refusal"));
  CHECK_FALSE(f.has(a, "intermittent"));
  const auto b = hints(f.group("b.example", "172.18.0.7:3000"));
  CHECK(f.has(b, "intermittent"));
  CHECK_FALSE(f.has(b, "steady_refusal"));  // below its min_count, and not steady
}
