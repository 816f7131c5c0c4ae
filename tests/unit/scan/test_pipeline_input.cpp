// Pipeline::scan on hostile files: a huge last line (D1) and a file
// truncated while it is read (D3).
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

#include "helpers.hpp"
#include "scan/pipeline.hpp"
#include "scan/source_info.hpp"

using namespace gw502;

namespace {

struct Truncator final : EventSink {
  std::string path;
  off_t to = 0;
  bool done = false;
  uint64_t events = 0;
  void on_event(const SourceInfo&, uint64_t, const Event&, int, int, std::string_view) override {
    ++events;
    if (!done) {
      done = true;
      REQUIRE(::truncate(path.c_str(), to) == 0);
    }
  }
};

long peak_rss_kib() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

}  // namespace

TEST_CASE("a huge last line costs the line limit, not its size", "[pipeline][D1]") {
  std::string path = "/tmp/gw502_hugeline_" + std::to_string(::getpid()) + ".log";
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 60; ++i) f << test::refused_line() << "\n";
  }
  // 512 MiB more, a hole without a newline (sparse: no disk space used).
  REQUIRE(::truncate(path.c_str(), 512 << 20) == 0);
  static Catalogue cat = test::embedded_catalogue();
  ScanOptions opt;
  opt.max_line = 64 << 10;
  Pipeline p(cat, 2, opt, 1 << 20);
  REQUIRE(p.ok());
  std::string err;
  auto src = open_source(path, err);
  REQUIRE(src);
  SourceInfo info = describe_source(path, nullptr);
  Aggregator agg;
  ScanStats stats;
  std::vector<Problem> problems;
  const long before = peak_rss_kib();
  p.scan(*src, info, 0, agg, stats, problems, nullptr);
  const long grew = peak_rss_kib() - before;
  ::unlink(path.c_str());
  CHECK(stats.lines == 61);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].line == 61);
  CHECK(problems[0].message.find("line longer than") == 0);
  // Before: the last chunk (the whole hole) was copied: 512 MiB.
  CHECK(grew < 64 * 1024);
}

TEST_CASE("a file truncated while it is read: what was read is reported, the file is named", "[pipeline][D3]") {
  std::string path = "/tmp/gw502_truncated_" + std::to_string(::getpid()) + ".log";
  const std::string line = test::refused_line() + "\n";
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 200000; ++i) f << line;  // ~40 MB
  }
  static Catalogue cat = test::embedded_catalogue();
  for (unsigned threads : {1u, 2u}) {
    {
      std::ofstream f(path, std::ios::binary | std::ios::app);  // restore the size
      std::ifstream in(path, std::ios::binary | std::ios::ate);
      const auto have = static_cast<size_t>(in.tellg());
      for (size_t i = have / line.size(); i < 200000; ++i) f << line;
    }
    Pipeline p(cat, threads, ScanOptions{}, 256 << 10);
    REQUIRE(p.ok());
    std::string err;
    auto src = open_source(path, err);
    REQUIRE(src);
    SourceInfo info = describe_source(path, nullptr);
    Aggregator agg;
    ScanStats stats;
    std::vector<Problem> problems;
    // The first event truncates the file to 1,000 lines while the producer
    // and the workers are chunks ahead: their pages are gone (SIGBUS before).
    Truncator t;
    t.path = path;
    t.to = static_cast<off_t>(1000 * line.size());
    CHECK_FALSE(p.scan(*src, info, 0, agg, stats, problems, &t));
    REQUIRE(problems.size() >= 1);
    CHECK(problems.back().message.find("the file shrank while it was read") == 0);
    CHECK(problems.back().source == path);
    // Every line before the new end was read; none after it was made up.
    CHECK(t.events >= 1000);
    CHECK(t.events < 200000);
    CHECK(stats.events == t.events);
  }
  ::unlink(path.c_str());
}
