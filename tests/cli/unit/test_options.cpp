#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "metrics_server.hpp"
#include "options.hpp"

using namespace gw502::cli;

namespace {

bool parse(std::vector<std::string> args, Options& opt, std::string& err) {
  args.insert(args.begin(), "gw502-logs");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return parse_options(static_cast<int>(args.size()), argv.data(), opt, err);
}

constexpr int64_t kNow = 1700000000;

}  // namespace

TEST_CASE("options: defaults and values", "[cli]") {
  Options opt;
  std::string err;
  REQUIRE(parse({"--format", "json", "--proxy", "npm", "-j", "4", "--patterns", "a.json", "--patterns",
                 "b.json", "x.log", "-"},
                opt, err));
  CHECK(opt.format == "json");
  CHECK(opt.proxy == "npm");
  CHECK(opt.color == "auto");
  CHECK(opt.threads == 4);
  CHECK(opt.patterns == std::vector<std::string>{"a.json", "b.json"});
  CHECK(opt.inputs == std::vector<std::string>{"x.log", "-"});
  CHECK_FALSE(opt.since.has_value());
  CHECK_FALSE(opt.follow);
}

TEST_CASE("options: --since given empty is kept apart from not given", "[cli]") {
  Options opt;
  std::string err;
  REQUIRE(parse({"--since", "", "x.log"}, opt, err));
  REQUIRE(opt.since.has_value());
  CHECK(opt.since->empty());
  CHECK_FALSE(opt.until.has_value());
}

TEST_CASE("options: follow-only options, intervals", "[cli]") {
  Options opt;
  std::string err;
  REQUIRE(parse({"-f", "--interval", "5m", "--metrics", "9502", "--from-start", "x.log"}, opt, err));
  CHECK(opt.follow);
  CHECK(opt.from_start);
  CHECK(opt.interval == 300);
  CHECK(opt.metrics == "9502");
  Options o2;
  REQUIRE(parse({"-f", "--interval", "30", "x.log"}, o2, err));
  CHECK(o2.interval == 30);
  for (auto args : std::vector<std::vector<std::string>>{{"--metrics", "9502", "x.log"},
                                                         {"--interval", "5", "x.log"},
                                                         {"-f", "--interval", "soon", "x.log"},
                                                         {"-f", "--interval", "30d", "x.log"}}) {
    Options o;
    CHECK_FALSE(parse(args, o, err));
  }
}

TEST_CASE("options: --format html and -o/--output", "[cli]") {
  Options opt;
  std::string err;
  REQUIRE(parse({"--format", "html", "-o", "report.html", "x.log"}, opt, err));
  CHECK(opt.format == "html");
  CHECK(opt.output == "report.html");
  Options o2;
  REQUIRE(parse({"--output", "r.json", "--format", "json", "x.log"}, o2, err));
  CHECK(o2.output == "r.json");
}

TEST_CASE("options: usage errors", "[cli]") {
  for (auto args : std::vector<std::vector<std::string>>{{"--format", "xml"},
                                                         {"--color", "sometimes"},
                                                         {"--proxy", "apache"},
                                                         {"-j", "0"},
                                                         {"-j", "257"},
                                                         {"-j", "-1"},
                                                         {"-j", "two"},
                                                         {"-o", ""},
                                                         {"-o", "r.html", "--events"},
                                                         {"--docker", "--format", "html"},
                                                         {"--no-such-option"}}) {
    Options opt;
    std::string err;
    CHECK_FALSE(parse(args, opt, err));
    CHECK_FALSE(err.empty());
  }
}

TEST_CASE("parse_when: dates, times, offsets, durations", "[cli]") {
  int64_t t = 0;
  CHECK(parse_when("2024-01-15", kNow, t));
  CHECK(t == 1705276800);
  CHECK(parse_when("2024-01-15T10:00:00Z", kNow, t));
  CHECK(t == 1705312800);
  CHECK(parse_when("2024-01-15 10:00+02:00", kNow, t));
  CHECK(t == 1705305600);
  CHECK(parse_when("2024-02-29", kNow, t));      // a leap year
  CHECK(parse_when("2024-01-15T23:59:60Z", kNow, t));  // a leap second
  CHECK(parse_when("2024-01-15T10:00:00-14:00", kNow, t));
  CHECK(parse_when("90s", kNow, t));
  CHECK(t == kNow - 90);
  CHECK(parse_when("30m", kNow, t));
  CHECK(t == kNow - 1800);
  CHECK(parse_when("2h", kNow, t));
  CHECK(t == kNow - 7200);
  CHECK(parse_when("7d", kNow, t));
  CHECK(t == kNow - 7 * 86400);
}

TEST_CASE("parse_when: rejects empty, impossible and malformed values, and says why", "[cli]") {
  struct Bad {
    const char* value;
    const char* why;
  };
  for (const Bad& b : {Bad{"", "empty"},
                       Bad{"2024-02-30", "no such day in that month"},
                       Bad{"2023-02-29", "no such day in that month"},
                       Bad{"2024-04-31", "no such day in that month"},
                       Bad{"2024-13-01", "no such month"},
                       Bad{"2024-00-10", "no such month"},
                       Bad{"2024-01-15T25:00", "hour, minute or second out of range"},
                       Bad{"2024-01-15 10:60", "hour, minute or second out of range"},
                       Bad{"2024-01-15T10:00+99:99", "zone offset out of range (at most +-14:00)"},
                       Bad{"2024-01-15T10:00:00+14:30", "zone offset out of range (at most +-14:00)"},
                       Bad{"2024-01-15T10:00-10:75", "zone offset out of range (at most +-14:00)"},
                       Bad{"5", "not a time"},
                       Bad{"-5m", "not a time"},
                       Bad{"5x", "not a time"},
                       Bad{" 2h", "not a time"},
                       Bad{"2h ", "not a time"},
                       Bad{"99999999999999999999d", "not a time"},
                       Bad{"2024-01-15T10", "not a time"},
                       Bad{"2024/01/15 10:00:00", "not a time"}}) {
    INFO(b.value);
    int64_t t = 0;
    std::string why;
    CHECK_FALSE(parse_when(b.value, kNow, t, &why));
    CHECK(why == b.why);
  }
}

TEST_CASE("metrics address: loopback by default, ports 1 to 65535, digits only", "[cli]") {
  ListenAddress a;
  std::string err;
  REQUIRE(parse_listen_address("9502", a, err));
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 9502);
  CHECK_FALSE(a.host_given);
  REQUIRE(parse_listen_address(":9502", a, err));
  CHECK(a.host == "127.0.0.1");
  CHECK_FALSE(a.host_given);
  REQUIRE(parse_listen_address("0.0.0.0:1", a, err));
  CHECK(a.host == "0.0.0.0");
  CHECK(a.port == 1);
  CHECK(a.host_given);
  REQUIRE(parse_listen_address("[::1]:65535", a, err));
  CHECK(a.host == "::1");
  CHECK(a.port == 65535);
  REQUIRE(parse_listen_address("localhost:9502", a, err));
  CHECK(a.host == "localhost");
  for (const char* bad : {"", "0", "65536", "99999", "165535", "00000009502", "-1", "+9502", "95 02", "0x10",
                          "notaport", "127.0.0.1:", "127.0.0.1:0", "::1:9502", "[::1]", "[]:9502",
                          "[::1]:99999", "9502:"}) {
    INFO(bad);
    err.clear();
    CHECK_FALSE(parse_listen_address(bad, a, err));
    CHECK(err.rfind("--metrics: ", 0) == 0);
    CHECK(err.find('\n') == std::string::npos);
  }
}
