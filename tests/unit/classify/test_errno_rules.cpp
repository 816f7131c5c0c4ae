#include <algorithm>
#include <string>

#include "classify/classifier.hpp"
#include "helpers.hpp"

using namespace gw502;

TEST_CASE("the errno table becomes rules: every number on every platform, in every phase", "[catalogue]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier cls(cat);
  REQUIRE(cls.ok());
  struct Case {
    int number;
    const char* action;
    const char* cause;
  };
  // Linux, BSD/macOS and Windows numbers of the same error give the same cause.
  const Case cases[] = {
      {111, "connecting to upstream", "connection_refused"},
      {61, "connecting to upstream", "connection_refused"},
      {10061, "connecting to upstream", "connection_refused"},
      {110, "connecting to upstream", "connect_timeout"},
      {60, "connecting to upstream", "connect_timeout"},
      {10060, "connecting to upstream", "connect_timeout"},
      {10060, "reading response header from upstream", "read_timeout"},
      {110, "sending to client", "read_timeout"},
      {65, "connecting to upstream", "network_unreachable"},
      {10065, "connecting to upstream", "network_unreachable"},
      {51, "connecting to upstream", "network_unreachable"},
      {54, "reading response header from upstream", "upstream_reset"},
      {10054, "reading response header from upstream", "upstream_reset"},
      {49, "connecting to upstream", "resource_exhaustion"},
      {10013, "connecting to upstream", "permission_denied"},
      {35, "connecting to upstream", "resource_exhaustion"},
  };
  for (const Case& c : cases) {
    std::string msg = "kevent() reported that connect() failed (" + std::to_string(c.number) +
                      ": some platform's text) while " + c.action;
    int rule = cls.classify(LogFamily::nginx, false, msg);
    INFO(msg);
    REQUIRE(rule >= 0);
    const Rule& r = cat.rules()[static_cast<size_t>(rule)];
    CHECK(cat.causes()[static_cast<size_t>(r.cause)].id == c.cause);
  }
  // Go on Windows (Caddy, Traefik): the op before the text names the phase.
  const char* go = "dial tcp 10.0.0.5:8080: connectex: No connection could be made because the target machine actively refused it.";
  int rule = cls.classify(LogFamily::caddy, false, go);
  REQUIRE(rule >= 0);
  CHECK(cat.causes()[static_cast<size_t>(cat.rules()[static_cast<size_t>(rule)].cause)].id == "connection_refused");
  // Every generated rule is reachable by a line made from its own table row.
  size_t generated = 0;
  for (const Rule& r : cat.rules())
    if (r.id.rfind("errno.", 0) == 0) ++generated;
  CHECK(generated >= 20);
}

TEST_CASE("a --patterns file adds a platform's errno number to the table", "[catalogue]") {
  Catalogue cat;
  std::string err;
  REQUIRE(cat.add_json("base.json", R"({"causes": [{"id": "connection_refused", "title": "t"}],
    "phases": [{"id": "connect", "nginx": ["connecting to upstream"]}],
    "errno": [{"name": "ECONNREFUSED", "linux": 111, "causes": {"connect": "connection_refused"}}]})", false, err));
  REQUIRE(cat.add_json("user.json", R"({"errno": [{"name": "ECONNREFUSED", "linux": 111, "windows": 10061,
    "causes": {"connect": "connection_refused"}}]})", true, err));
  REQUIRE(cat.finish(err));
  Classifier cls(cat);
  REQUIRE(cls.ok());
  CHECK(cls.classify(LogFamily::nginx, false, "connect() failed (10061: refused) while connecting to upstream") >= 0);
  // Bad table entries are named.
  Catalogue bad;
  CHECK_FALSE(bad.add_json("x.json", R"({"errno": [{"name": "EX", "causes": {}}]})", true, err));
  CHECK(err.find("x.json: errno EX") == 0);
  Catalogue bad2;
  REQUIRE(bad2.add_json("y.json", R"({"errno": [{"name": "EY", "linux": 5, "causes": {"nowhere": "x"}}]})", true, err));
  CHECK_FALSE(bad2.finish(err));
  CHECK(err.find("unknown phase") != std::string::npos);
}

TEST_CASE("a phase's nginx_literals are what the prefilter seeks, and must cover every text", "[catalogue]") {
  Catalogue cat = test::embedded_catalogue();
  bool found = false;
  for (const Rule& r : cat.rules()) {
    if (r.id != "errno.etimedout.read") continue;
    found = true;
    // The stream module's phase is sought by a piece with a rarer end.
    CHECK(std::find(r.literals.begin(), r.literals.end(), "proxying c") != r.literals.end());
    CHECK(std::find(r.literals.begin(), r.literals.end(), "proxying connection") == r.literals.end());
  }
  CHECK(found);
  Classifier cls(cat);
  REQUIRE(cls.ok());
  const std::string stream = "upstream timed out (110: Connection timed out) while proxying connection";
  CHECK(cls.classify(LogFamily::nginx, false, "recv() failed (110: Connection timed out) while proxying connection") >= 0);
  CHECK(cls.classify(LogFamily::nginx, false, stream) >= 0);
  // ...and the prefilter of a chunk of nginx error lines finds its line.
  const std::string chunk =
      "2024/01/15 10:23:45 [error] 31#31: *7 recv() failed (110: Connection timed out) while proxying connection, "
      "client: 10.0.0.1, server: 0.0.0.0:5432, bytes from/to client:0/0\n"
      "2024/01/15 10:23:46 [notice] 31#31: signal process started\n";
  CHECK(cls.candidates(chunk).size() == 1);

  Catalogue bad;
  std::string err;
  CHECK_FALSE(bad.add_json("p.json", R"({"phases": [{"id": "read", "nginx": ["reading upstream", "proxying connection"],
    "nginx_literals": ["upstream"]}]})", true, err));
  CHECK(err.find("p.json") != std::string::npos);
  CHECK(err.find("\"nginx_literals\": none is in \"proxying connection\"") != std::string::npos);
}
