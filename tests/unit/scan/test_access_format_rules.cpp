#include "classify/classifier.hpp"
#include "helpers.hpp"
#include "scan/access_format_rules.hpp"
#include "scan/scanner.hpp"
#include "scan/source_info.hpp"

using namespace gw502;
using gw502::test::StringSource;

namespace {

struct Recorder final : EventSink {
  std::vector<std::pair<uint64_t, std::string>> seen;  // line, rule id
  const Catalogue* cat = nullptr;
  void on_event(const SourceInfo&, uint64_t line, const Event&, int rule, int, std::string_view) override {
    seen.emplace_back(line, cat->rules()[static_cast<size_t>(rule)].id);
  }
};

// The embedded catalogue with the format's rules, and a scan of data with it.
struct FormatRun {
  std::shared_ptr<AccessFormat> format = std::make_shared<AccessFormat>();
  std::string rules;
  Catalogue cat;
  Aggregator agg;
  Recorder rec;
  ScanStats stats;
  std::vector<Problem> problems;
  explicit FormatRun(std::string_view spec) {
    std::string err;
    REQUIRE(format->compile(spec, err));
    rules = access_format_rules(*format);
    REQUIRE(cat.load({}, err, {{"--access-format", rules.c_str()}}));
    rec.cat = &cat;
  }
  void scan(const std::string& data) {
    Classifier cls(cat);
    REQUIRE(cls.ok());
    ScanOptions opt;
    opt.access_format = format;
    Scanner s(cls, agg, &rec, opt);
    StringSource src(data);
    SourceInfo info = describe_source("access.log", nullptr);
    refine_source(info, data, format.get());
    CHECK_FALSE(info.unrecognised);
    REQUIRE(s.scan(src, info, 0, stats, problems));
  }
};

}  // namespace

TEST_CASE("the rules seek the format's own bytes around the status", "[access_format]") {
  FormatRun run("$remote_addr [$time_local] \"$request\" status=$status, up=$upstream_status");
  CHECK(run.rules.find("\"=502,\"") == std::string::npos);
  CHECK(run.rules.find("\"tus=502, \"") != std::string::npos);
  CHECK(run.cat.find_rule("access.format_retried") >= 0);
  FormatRun plain("$remote_addr $status");
  CHECK(plain.cat.find_rule("access.format_retried") < 0);  // no $upstream_status
  CHECK(plain.rules.find("\" 502\"") != std::string::npos);
}

TEST_CASE("custom-format lines are found, classified and paired", "[access_format]") {
  // JSON written by log_format escape=json with names of its own, and the
  // status last: neither the JSON nor the combined literals find it.
  FormatRun run(
      "log_format j escape=json '{\"t\":\"$time_iso8601\",\"ip\":\"$remote_addr\",\"req\":\"$request\","
      "\"up\":\"$upstream_addr\",\"ups\":\"$upstream_status\",\"code\":$status}';");
  auto line = [](const char* req, const char* ups, int code) {
    return std::string("{\"t\":\"2026-12-03T07:41:40+00:00\",\"ip\":\"10.0.0.1\",\"req\":\"") + req +
           "\",\"up\":\"10.0.0.5:3000, 10.0.0.6:3000\",\"ups\":\"" + ups + "\",\"code\":" + std::to_string(code) + "}\n";
  };
  std::string data = line("GET /a HTTP/1.1", "502, 200", 200) + line("GET /b HTTP/1.1", "504", 504) +
                     line("GET /c HTTP/1.1", "200", 200) + line("GET /d HTTP/1.1", "-", 499) +
                     "2026/12/03 07:41:41 [error] 7#7: *8 upstream timed out (110: Connection timed out) while "
                     "reading response header from upstream, client: 10.0.0.1, server: s, request: \"GET /b "
                     "HTTP/1.1\", upstream: \"http://10.0.0.5:3000/b\", host: \"s\"\n";
  run.scan(data);
  REQUIRE(run.rec.seen.size() == 4);
  CHECK(run.rec.seen[0] == std::make_pair(uint64_t{1}, std::string("access.format_retried")));
  CHECK(run.rec.seen[1] == std::make_pair(uint64_t{2}, std::string("access.format_5xx")));
  CHECK(run.rec.seen[2] == std::make_pair(uint64_t{4}, std::string("access.format_499")));
  CHECK(run.rec.seen[3].first == 5);
  CHECK(run.agg.paired() == 1);  // /b: the access line and its error line are one failure
  CHECK(run.agg.total() == 3);  // /a retried, /b once, /d's 499 (the report sets two apart)
}

TEST_CASE("a file the format does not fit is still said to be unread", "[access_format]") {
  AccessFormat f;
  std::string err;
  REQUIRE(f.compile("$host $upstream_addr [$time_local] $remote_addr \"$request\" $status", err));
  SourceInfo info = describe_source("x.log", nullptr);
  // Lines that look like CLF but are neither combined nor in the format.
  refine_source(info, "10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] GET / 502 \n", &f);
  CHECK(info.unrecognised);
  refine_source(info, "a.test 10.0.0.5:80 [15/Jan/2024:10:23:45 +0000] 10.0.0.1 \"GET / HTTP/1.1\" 502\n", &f);
  CHECK_FALSE(info.unrecognised);
}
