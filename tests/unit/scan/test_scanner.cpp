#include "classify/classifier.hpp"
#include "helpers.hpp"
#include "scan/scanner.hpp"
#include "scan/source_info.hpp"

using namespace gw502;
using gw502::test::StringSource;

namespace {

struct Recorder final : EventSink {
  std::vector<std::pair<uint64_t, int>> seen;  // line, cause
  void on_event(const SourceInfo&, uint64_t line, const Event&, int, int cause, std::string_view) override {
    seen.emplace_back(line, cause);
  }
};

struct Run {
  Catalogue cat = test::mini_catalogue();
  Classifier cls{cat};
  Aggregator agg;
  Recorder rec;
  ScanStats stats;
  std::vector<Problem> problems;
  Run() = default;
  explicit Run(Catalogue c) : cat(std::move(c)) {}
  bool scan(const std::string& data, ScanOptions opt = {}, size_t step = 1 << 20,
            const std::string& name = "/var/log/nginx/error.log") {
    Scanner s(cls, agg, &rec, opt);
    StringSource src(data, step);
    SourceInfo info = describe_source(name, nullptr);
    return s.scan(src, info, 0, stats, problems);
  }
};

}  // namespace

TEST_CASE("line numbers are right whatever the chunking", "[scanner]") {
  std::string data;
  std::vector<uint64_t> want;
  for (int i = 1; i <= 3000; ++i) {
    if (i % 7 == 0) {
      data += test::refused_line() + "\n";
      want.push_back(static_cast<uint64_t>(i));
    } else {
      data += "2024/01/15 10:23:45 [notice] 1#1: ordinary line " + std::to_string(i) + "\n";
    }
  }
  for (size_t block : {64u, 4096u, 1u << 20}) {
    Run run;
    ScanOptions opt;
    opt.block = block;
    opt.max_line = 4096;
    REQUIRE(run.scan(data, opt, 999));
    std::vector<uint64_t> got;
    for (auto& [line, cause] : run.rec.seen) got.push_back(line);
    CHECK(got == want);
    CHECK(run.stats.lines == 3000);
    CHECK(run.stats.events == want.size());
  }
}

TEST_CASE("collector prefixes and CRLF endings are handled", "[scanner]") {
  Run run;
  REQUIRE(run.scan("proxy-1  | " + test::refused_line() + "\r\n" + "2024-01-15T10:23:45.1Z " + test::refused_line() + "\n"));
  CHECK(run.stats.events == 2);
  REQUIRE(run.agg.groups().size() == 1);
  CHECK(run.agg.str(run.agg.groups()[0].upstream) == "172.18.0.5:3000");
}

TEST_CASE("since and until drop failures outside the window", "[scanner]") {
  Run run;
  ScanOptions opt;
  opt.since = 1705314225 + 1;  // one second after 2024-01-15T10:23:45
  REQUIRE(run.scan(test::refused_line() + "\n", opt));
  CHECK(run.stats.events == 0);
  CHECK(run.stats.filtered == 1);
}

TEST_CASE("binary data is refused, over-long lines are reported and skipped", "[scanner]") {
  {
    Run run;
    std::string junk(4096, '\0');
    for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 131) & 0xff);
    CHECK_FALSE(run.scan(junk));
    REQUIRE(run.problems.size() == 1);
    CHECK(run.problems[0].message.find("binary data") == 0);
  }
  {
    Run run;
    ScanOptions opt;
    opt.max_line = 1024;
    opt.block = 1024;
    REQUIRE(run.scan("first\n" + std::string(5000, 'x') + "\n" + test::refused_line() + "\n", opt));
    REQUIRE(run.problems.size() == 1);
    CHECK(run.problems[0].line == 2);
    REQUIRE(run.rec.seen.size() == 1);
    CHECK(run.rec.seen[0].first == 3);
  }
}

TEST_CASE("NPM files are recognised by name", "[scanner]") {
  SourceInfo a = describe_source("/data/logs/proxy-host-12_error.log", nullptr);
  CHECK(a.proxy == ProxyKind::npm);
  CHECK(a.site == "proxy-host-12");
  SourceInfo b = describe_source("/backup/fallback_error.log.2.gz", nullptr);
  CHECK(b.proxy == ProxyKind::npm);
  CHECK(b.site == "fallback");
  SourceInfo c = describe_source("/var/log/nginx/error.log", nullptr);
  CHECK(c.proxy == ProxyKind::nginx);
  ProxyKind forced = ProxyKind::npm;
  CHECK(describe_source("x.log", &forced).proxy == ProxyKind::npm);
}

TEST_CASE("a Caddy access entry of a request whose error entry counted is evidence, not a second failure", "[scanner]") {
  auto req = [](int port) {
    return R"j("request":{"remote_ip":"10.0.0.9","remote_port":")j" + std::to_string(port) +
           R"j(","method":"GET","host":"app.example","uri":"/x"})j";
  };
  std::string data =
      R"j({"level":"error","ts":1764000000.1,"logger":"http.log.error","msg":"dial tcp 172.18.0.5:3000: connect: connection refused",)j" +
      req(1000) + R"j(,"status":502,"err_trace":"reverseproxy.statusError (reverseproxy.go:1299)"})j" + "\n" +
      R"j({"level":"error","ts":1764000000.2,"logger":"http.log.access","msg":"handled request",)j" + req(1000) +
      R"j(,"status":502})j" + "\n" +
      R"j({"level":"error","ts":1764000000.3,"logger":"http.log.access","msg":"handled request",)j" + req(1001) +
      R"j(,"status":502})j" + "\n";
  Run run(test::embedded_catalogue());
  REQUIRE(run.scan(data, ScanOptions{}, 1 << 20, "caddy.log"));
  // Every line is evidence (an event); the request counts once: the access
  // entry of port 1000 pairs with its error entry in the aggregator.
  REQUIRE(run.rec.seen.size() == 3);
  CHECK(run.rec.seen[0] == std::make_pair(uint64_t{1}, run.cat.find_cause("connection_refused")));
  CHECK(run.rec.seen[1] == std::make_pair(uint64_t{2}, run.cat.find_cause("unexplained")));
  CHECK(run.rec.seen[2] == std::make_pair(uint64_t{3}, run.cat.find_cause("unexplained")));
  CHECK(run.agg.total() == 2);
  CHECK(run.agg.paired() == 1);
}
