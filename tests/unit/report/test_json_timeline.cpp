// The JSON report's time buckets: their size follows the window, rows are
// (site, cause), buckets hold minutes with failures.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "report_fixture.hpp"

using namespace gw502;
using test::ReportFixture;

namespace {

// A refused line on 2024-01-DD at HH:MM:45 for host.
std::string at(int day, int hour, int minute, const char* host = "a.example") {
  std::string l = test::refused_line("http://172.18.0.5:3000/", host);
  char when[20];
  std::snprintf(when, sizeof when, "2024/01/%02d %02d:%02d", day, hour, minute);
  return l.replace(0, 16, when) + "\n";
}

std::string timeline_of(ReportFixture& f) {
  const std::string json = render_json(f.cat, f.agg, f.run);
  const size_t at = json.find("\"timeline\":");
  REQUIRE(at != std::string::npos);
  return json.substr(at, json.find(",\"errors\":") - at);
}

// A row's buckets (one value each, version 3): `n` values, zero but at `set`.
std::string dense(size_t n, std::vector<std::pair<size_t, unsigned>> set) {
  std::string out = "[";
  for (size_t b = 0; b < n; ++b) {
    unsigned v = 0;
    for (auto& [at, x] : set)
      if (at == b) v = x;
    out += (b ? "," : "") + std::to_string(v);
  }
  return out + "]";
}

}  // namespace

TEST_CASE("JSON time buckets follow the window", "[report][json]") {
  SECTION("under 3 hours: minutes") {
    ReportFixture f;
    f.scan("e.log", at(15, 10, 0) + at(15, 10, 0) + at(15, 10, 2) + at(15, 11, 59, "b.example"));
    const std::string t = timeline_of(f);
    CHECK(t.find("\"bucket\":\"minute\",\"seconds\":60,\"start\":\"2024-01-15T10:00:00Z\",\"buckets\":120") !=
          std::string::npos);
    // Two lines in minute 0 are one minute with failures; minute 2 another.
    CHECK(t.find("{\"site\":\"a.example\",\"cause\":\"connection_refused\",\"count\":3,\"minutes\":" +
                 dense(120, {{0, 1}, {2, 1}}) + "}") !=
          std::string::npos);
    CHECK(t.find("{\"site\":\"b.example\",\"cause\":\"connection_refused\",\"count\":1,\"minutes\":" +
                 dense(120, {{119, 1}}) + "}") !=
          std::string::npos);
  }
  SECTION("two days: hours") {
    ReportFixture f;
    f.scan("e.log", at(15, 10, 1) + at(15, 10, 7) + at(16, 9, 30));
    const std::string t = timeline_of(f);
    CHECK(t.find("\"bucket\":\"hour\",\"seconds\":3600,\"start\":\"2024-01-15T10:00:00Z\",\"buckets\":24") !=
          std::string::npos);
    CHECK(t.find("\"minutes\":" + dense(24, {{0, 2}, {23, 1}})) != std::string::npos);
  }
  SECTION("ten days: days") {
    ReportFixture f;
    f.scan("e.log", at(5, 10, 1) + at(15, 10, 7));
    CHECK(timeline_of(f).find("\"bucket\":\"day\",\"seconds\":86400,\"start\":\"2024-01-05T00:00:00Z\",\"buckets\":11") !=
          std::string::npos);
  }
  SECTION("no failures: no rows") {
    ReportFixture f;
    f.scan("e.log", "2024/01/15 10:23:45 [notice] 1#1: start worker processes\n");
    CHECK(timeline_of(f) == "\"timeline\":{\"bucket\":\"minute\",\"seconds\":60,\"start\":null,\"buckets\":0,\"rows\":[]}");
  }
}
