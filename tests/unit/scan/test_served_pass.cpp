#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "helpers.hpp"
#include "scan/pipeline.hpp"
#include "scan/served_pass.hpp"
#include "scan/source_info.hpp"

using namespace gw502;

namespace {

std::string error_line(const char* time, const char* client, const char* request, const char* upstream) {
  return std::string("2026/11/20 ") + time + " [error] 7#7: *3 connect() failed (111: Connection refused) while " +
         "connecting to upstream, client: " + client + ", server: s, request: \"" + request +
         "\", upstream: \"http://" + upstream + "/\", host: \"s\"\n";
}

struct Files {
  std::string error = "/tmp/gw502_served_err_" + std::to_string(::getpid()) + ".log";
  std::string access = "/tmp/gw502_served_acc_" + std::to_string(::getpid()) + ".log";
  ~Files() {
    std::remove(error.c_str());
    std::remove(access.c_str());
  }
};

struct Outcome {
  uint64_t failures = 0, retried = 0;
  ServedPassStats pass;
};

Outcome run(const std::vector<std::string>& paths, bool with_pass) {
  static Catalogue cat = test::embedded_catalogue();
  ScanOptions opt;
  opt.naive_utc = true;
  Pipeline p(cat, 1, opt);
  REQUIRE(p.ok());
  Aggregator agg;
  std::vector<SourceInfo> sources;
  std::vector<Problem> problems;
  for (const auto& path : paths) {
    std::string err;
    auto src = open_source(path, err);
    REQUIRE(src);
    sources.push_back(describe_source(path, nullptr));
    ScanStats stats;
    p.scan(*src, sources.back(), static_cast<uint32_t>(sources.size() - 1), agg, stats, problems, nullptr);
  }
  Outcome o;
  if (with_pass) o.pass = read_served(cat, opt, sources, agg, problems);
  CHECK(problems.empty());
  const int retried = cat.find_cause("retried_served");
  for (const Group& g : agg.groups()) {
    if (g.cause == retried) o.retried += g.count;
    if (!g.context && cat.causes()[static_cast<size_t>(g.cause)].counts_as_failure) o.failures += g.count;
  }
  return o;
}

}  // namespace

TEST_CASE("a combined access log's 200 makes a retried request served, not a failure", "[served_pass]") {
  Files f;
  {
    std::ofstream e(f.error);
    e << error_line("10:00:01", "203.0.113.1", "GET / HTTP/1.1", "10.0.0.3:80")      // served 200 next
      << error_line("10:00:05", "203.0.113.2", "GET /cart HTTP/1.1", "10.0.0.3:80")  // served 502
      << error_line("10:00:09", "203.0.113.3", "GET /late HTTP/1.1", "10.0.0.3:80"); // a 200 30 s later
    std::ofstream a(f.access);
    a << "203.0.113.1 - - [20/Nov/2026:10:00:01 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"x\"\n"
      << "203.0.113.9 - - [20/Nov/2026:10:00:02 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"x\"\n"
      << "203.0.113.2 - - [20/Nov/2026:10:00:05 +0000] \"GET /cart HTTP/1.1\" 502 157 \"-\" \"x\"\n"
      << "203.0.113.3 - - [20/Nov/2026:10:00:39 +0000] \"GET /late HTTP/1.1\" 200 1 \"-\" \"x\"\n";
  }
  const Outcome without = run({f.access, f.error}, false);
  CHECK(without.failures == 3);
  CHECK(without.retried == 0);
  const Outcome with = run({f.access, f.error}, true);
  CHECK(with.failures == 2);  // /cart (502 served) and /late (no 200 within 2 s)
  CHECK(with.retried == 1);
  CHECK(with.pass.sources == 1);  // the error log holds no access line: not read again
  CHECK(with.pass.lines == 2);    // "/" and "/late": only lines of unexplained requests
  // Order of the files does not matter.
  const Outcome reversed = run({f.error, f.access}, true);
  CHECK(reversed.failures == 2);
  CHECK(reversed.retried == 1);
}

TEST_CASE("the served pass reads nothing when every error entry is explained", "[served_pass]") {
  Files f;
  {
    std::ofstream e(f.error);
    e << error_line("10:00:05", "203.0.113.2", "GET /cart HTTP/1.1", "10.0.0.3:80");
    std::ofstream a(f.access);
    a << "203.0.113.2 - - [20/Nov/2026:10:00:05 +0000] \"GET /cart HTTP/1.1\" 502 157 \"-\" \"x\"\n";
  }
  const Outcome o = run({f.access, f.error}, true);
  CHECK(o.failures == 1);
  CHECK(o.pass.sources == 0);
}
