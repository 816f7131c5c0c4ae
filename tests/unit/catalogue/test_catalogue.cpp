#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "helpers.hpp"

using namespace gw502;

namespace {

std::string load_error(const std::string& json, bool user = false) {
  Catalogue cat;
  std::string err;
  bool ok = cat.add_json("broken.json", json, user, err) && cat.finish(err);
  return ok ? std::string() : err;
}

}  // namespace

TEST_CASE("the embedded catalogue loads and covers every cause id of the design", "[catalogue]") {
  Catalogue cat = test::embedded_catalogue();
  for (const char* id :
       {"connection_refused", "connect_timeout", "network_unreachable", "dns_failure", "no_resolver",
        "read_timeout", "plain_to_tls_backend", "tls_to_plain_backend", "tls_verify_failed",
        "tls_handshake_failed", "upstream_reset", "header_too_big", "invalid_upstream_response",
        "permission_denied", "unix_socket_missing", "no_live_upstreams", "resource_exhaustion",
        "client_closed", "proxy_internal_error", "unexplained", "unclassified"}) {
    INFO(id);
    int c = cat.find_cause(id);
    REQUIRE(c >= 0);
    const Cause& cause = cat.causes()[static_cast<size_t>(c)];
    CHECK_FALSE(cause.title.empty());
    CHECK_FALSE(cause.explain.empty());
  }
  for (const auto& r : cat.rules()) {
    INFO(r.id);
    CHECK(r.literals.empty() == r.pair_only);  // pair-only rules match no line of their own
  }
  CHECK(cat.unclassified() >= 0);
}

TEST_CASE("a broken catalogue names the file, the rule and the reason", "[catalogue]") {
  CHECK(load_error("{not json") .find("broken.json: invalid JSON") == 0);
  CHECK(load_error("[]") == "broken.json: the catalogue must be a JSON object");
  CHECK(load_error(R"({"rulez": []})") == "broken.json: unknown key \"rulez\"");
  // A user's file has its regexes compiled at load (the built-in catalogue's
  // are compiled by the classifier: test_classifier.cpp).
  std::string bad_regex = load_error(
      R"({"causes":[{"id":"x","title":"t"}],"rules":[{"id":"r1","cause":"x","regex":"(unclosed","literal":"a"}]})",
      true);
  CHECK(bad_regex.find("broken.json: rule r1: bad regex: missing )") == 0);
  CHECK(load_error(R"({"rules":[{"id":"r1","cause":"nope","regex":"a","literal":"a"}]})") ==
        "broken.json: rule r1: unknown cause \"nope\"");
  CHECK(load_error(R"({"causes":[{"id":"x","title":"t"}],"rules":[{"id":"r1","cause":"x","regex":"a"},{"id":"r1","cause":"x","regex":"b"}]})") ==
        "broken.json: rule r1: duplicate rule id");
  CHECK(load_error(R"({"rules":[{"id":"r1","cause":"x","regex":"a","literal":""}]})") ==
        "broken.json: rule r1: empty literal");
  CHECK(load_error(R"({"causes":[{"id":"Bad-Id","title":"t"}]})").find("cause id must be") != std::string::npos);
  CHECK(load_error(R"({"rules":[{"id":"r1","cause":"x","regex":"a","proxies":["apache"]}]})") ==
        "broken.json: rule r1: unknown proxy \"apache\"");
}

TEST_CASE("user files add rules in front and override by id", "[catalogue]") {
  Catalogue cat;
  std::string err;
  REQUIRE(cat.add_json("mini.json", test::kMiniCatalogue, false, err));
  REQUIRE(cat.add_json("user.json",
                       R"({"rules":[{"id":"u.first","cause":"dns_failure","regex":"zzz","literal":"zzz"},
                                    {"id":"t.refused","cause":"dns_failure","regex":"refused","literal":"refused"}]})",
                       true, err));
  REQUIRE(cat.finish(err));
  CHECK(cat.rules().front().id == "u.first");
  int r = cat.find_rule("t.refused");
  REQUIRE(r >= 0);
  CHECK(cat.rules()[static_cast<size_t>(r)].regex == "refused");
  CHECK(cat.rules()[static_cast<size_t>(r)].origin == "user.json");
  // The built-in catalogue refuses a duplicate id across its own files.
  CHECK_FALSE(cat.add_json("again.json", R"({"rules":[{"id":"t.refused","cause":"dns_failure","regex":"a"}]})", false, err));
  CHECK(err.find("duplicate rule id (also in user.json)") != std::string::npos);
}

TEST_CASE("a user catalogue file that cannot be read is an error", "[catalogue]") {
  Catalogue cat;
  std::string err;
  CHECK_FALSE(cat.load({"/nonexistent/extra.json"}, err));
  CHECK(err == "/nonexistent/extra.json: cannot read the catalogue file (No such file or directory)");
  Catalogue fresh;
  CHECK_FALSE(fresh.load({"/tmp"}, err));
  CHECK(err == "/tmp: is a directory, not a catalogue file");
}

TEST_CASE("cause policy is data: counts_as_failure, samples, hint conditions", "[catalogue]") {
  Catalogue cat = test::embedded_catalogue();
  const Cause& cc = cat.causes()[static_cast<size_t>(cat.find_cause("client_closed"))];
  CHECK_FALSE(cc.counts_as_failure);
  const Cause& un = cat.causes()[static_cast<size_t>(cat.find_cause("unclassified"))];
  CHECK(un.samples == 5);
  CHECK(cat.causes()[static_cast<size_t>(cat.find_cause("connection_refused"))].counts_as_failure);
  const Hint* lo = cat.find_hint("loopback_upstream");
  REQUIRE(lo);
  CHECK(lo->when == HintWhen::loopback);
  CHECK_FALSE(lo->applies_to.empty());

  // A user file can state the same policy for its own cause and hint.
  std::string err;
  Catalogue user;
  REQUIRE(user.add_json("user.json", R"({
    "causes": [{"id": "health_probe", "title": "probe", "counts_as_failure": false, "samples": 3}],
    "hints": [{"id": "probe_loop", "text": {"nginx": "x"}, "when": "bursts", "applies_to": ["health_probe"], "min_count": 2}]
  })", true, err));
  REQUIRE(user.finish(err));
  CHECK_FALSE(user.causes()[0].counts_as_failure);
  CHECK(user.causes()[0].samples == 3);
  CHECK(user.hints()[0].when == HintWhen::bursts);
  CHECK(user.hints()[0].min_count == 2);

  // Bad policy values fail with the entry named.
  for (const char* bad : {
           R"({"causes": [{"id": "a", "title": "t", "counts_as_failure": "no"}]})",
           R"({"causes": [{"id": "a", "title": "t", "samples": 0}]})",
           R"({"hints": [{"id": "h", "text": {}, "when": "sometimes"}]})",
       }) {
    Catalogue c;
    std::string why;
    CHECK_FALSE(c.add_json("bad.json", bad, true, why));
    CHECK(why.find("bad.json") == 0);
  }
  Catalogue c;
  std::string why;
  REQUIRE(c.add_json("bad.json", R"({"hints": [{"id": "h", "text": {}, "applies_to": ["nope"]}]})", true, why));
  CHECK_FALSE(c.finish(why));
  CHECK(why.find("nope") != std::string::npos);
}


TEST_CASE("a user catalogue file is a regular file under the size cap, read without blocking", "[catalogue][D4]") {
  std::string err;
  {
    Catalogue cat;  // an endless device: refused at once, no unbounded read
    CHECK_FALSE(cat.load({"/dev/zero"}, err));
    CHECK(err == "/dev/zero: not a regular file; a catalogue file must be one");
  }
  {
    // A FIFO with no writer: refused, not waited on (a hang fails by timeout).
    std::string fifo = "/tmp/gw502_test_fifo_" + std::to_string(::getpid());
    ::unlink(fifo.c_str());
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    Catalogue cat;
    CHECK_FALSE(cat.load({fifo}, err));
    CHECK(err == fifo + ": not a regular file; a catalogue file must be one");
    ::unlink(fifo.c_str());
  }
  {
    std::string big = "/tmp/gw502_test_big_" + std::to_string(::getpid()) + ".json";
    {
      std::ofstream f(big, std::ios::binary);
      f << "{\"rules\":[]}" << std::string(kMaxCatalogueFile, ' ');
    }
    Catalogue cat;
    CHECK_FALSE(cat.load({big}, err));
    CHECK(err == big + ": catalogue file larger than 4 MiB; not read");
    ::unlink(big.c_str());
  }
  {
    std::string ok = "/tmp/gw502_test_ok_" + std::to_string(::getpid()) + ".json";
    {
      std::ofstream f(ok, std::ios::binary);
      f << R"J({"rules":[{"id":"u.x","cause":"connection_refused","regex":"zzz (?P<upstream>\\S+)","literal":"zzz"}]})J";
    }
    Catalogue cat;
    CHECK(cat.load({ok}, err));
    ::unlink(ok.c_str());
  }
}

TEST_CASE("the errno table's rules escape only regex metacharacters (they are exported to other engines)",
          "[catalogue][errno]") {
  Catalogue cat = test::embedded_catalogue();
  size_t checked = 0;
  for (const Rule& r : cat.rules()) {
    if (r.id.rfind("errno.", 0) != 0) continue;
    ++checked;
    for (size_t i = 0; i + 1 < r.regex.size(); ++i) {
      if (r.regex[i] != '\\') continue;
      const char next = r.regex[++i];
      INFO(r.id << ": " << r.regex);
      // Metacharacters, and the classes the table itself writes (\b, \S, \d ...).
      CHECK(std::string_view("\\.+*?()|[]{}^$bBdDsSwW").find(next) != std::string_view::npos);
    }
  }
  CHECK(checked > 20);
}
