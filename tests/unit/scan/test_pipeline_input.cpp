// Pipeline::scan on hostile files: a huge last line (D1), a file
// truncated while it is read (D3), binary data sniffed alike on a file and
// a stream (D11).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "helpers.hpp"
#include "scan/pipeline.hpp"
#include "scan/source_info.hpp"

using namespace gw502;
using namespace std::string_literals;

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

namespace {

struct Sniffed {
  bool binary = false;
  uint64_t lines = 0;
  size_t problems = 0;
};

// `bytes` through Pipeline::scan, as a file (mapped) or as a stream.
Sniffed scan_bytes(const std::string& bytes, bool stream, unsigned threads, size_t chunk, size_t step) {
  static Catalogue cat = test::embedded_catalogue();
  ScanOptions opt;
  opt.max_line = 4096;
  Pipeline p(cat, threads, opt, chunk);
  REQUIRE(p.ok());
  std::string path = "/tmp/gw502_sniff_" + std::to_string(::getpid()) + ".log";
  std::unique_ptr<Source> src;
  std::string err;
  if (stream) {
    src = std::make_unique<test::StringSource>(std::string(bytes), step);
  } else {
    std::ofstream(path, std::ios::binary) << bytes;
    src = open_source(path, err);
    REQUIRE(src);
    std::string_view m;
    REQUIRE((bytes.empty() || src->map(m)));
  }
  SourceInfo info;
  info.name = "sniff.log";
  Aggregator agg;
  ScanStats stats;
  std::vector<Problem> problems;
  p.scan(*src, info, 0, agg, stats, problems, nullptr);
  src.reset();
  if (!stream) ::unlink(path.c_str());
  Sniffed s;
  s.lines = stats.lines;
  s.problems = problems.size();
  for (const Problem& pr : problems) s.binary = s.binary || pr.message == kBinaryProblem;
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("binary or not: the same verdict for a file and a stream, any chunk or read size", "[pipeline][D11]") {
  // fuzz_scan's find (its first byte was the fuzz chunk size): a NUL in a
  // short first line was over 5 % of a stream's first chunk (up to its last
  // newline, binary) and under 5 % of the file (text).
  const std::string found =
      read_file(std::string(GW502_SOURCE_DIR) + "/tests/fuzz/regress/scan/diff-binary-sniff-stream-first-chunk.bin");
  REQUIRE(found.size() == 21);
  std::string log;
  for (int i = 0; i < 100; ++i) log += test::refused_line() + "\n";
  const std::vector<std::pair<const char*, std::string>> inputs = {
      {"fuzz find", found.substr(1)},
      {"a NUL in a short first line", "a\x01\0b\nx"s + std::string(40, 'y') + "\n" + std::string(40, 'z')},
      {"a NUL in the first line, log after", "ab\0\x02\n"s + log},
      {"a hole, then a log", std::string(5000, '\0') + log},
      {"a hole, then control bytes", std::string(300, '\0') + std::string(900, '\x03') + "\n" + log},
      {"a NUL past the first 8 KiB", log + std::string(1, '\0') + std::string(500, '\x05') + "\n"},
      {"nothing but NULs", std::string(3000, '\0')},
      {"a log", log},
  };
  for (const auto& [name, bytes] : inputs) {
    INFO(name);
    const Sniffed file = scan_bytes(bytes, false, 1, 4 << 20, 0);
    for (unsigned threads : {1u, 2u})
      for (size_t chunk : {size_t{64}, size_t{1024}, size_t{4} << 20}) {
        INFO("-j" << threads << ", " << chunk << " B chunks");
        const Sniffed f = scan_bytes(bytes, false, threads, chunk, 0);
        CHECK(f.binary == file.binary);
        CHECK(f.lines == file.lines);
        for (size_t step : {size_t{1}, size_t{17}, size_t{4096}}) {
          INFO(step << " B reads");
          const Sniffed s = scan_bytes(bytes, true, threads, chunk, step);
          CHECK(s.binary == file.binary);
          CHECK(s.lines == file.lines);
          CHECK(s.problems == file.problems);
        }
      }
  }
  CHECK(scan_bytes(found.substr(1), true, 1, 4 << 20, 17).binary == false);
  CHECK(scan_bytes(std::string(3000, '\0'), true, 1, 4 << 20, 17).binary == true);
}

TEST_CASE("a stream's head is read ahead, then handed back whole", "[source_info][D11]") {
  std::string bytes = std::string(70000, '\0') + std::string(20000, 'a');
  test::StringSource src(std::string(bytes), 333);
  StreamHead head(src);
  // The hole and the 8 KiB window after it, not more than a read's worth past.
  CHECK(head.head().size() >= 70000 + 8192);
  CHECK(head.head().size() < 70000 + 8192 + 333);
  std::string back, err;
  char buf[1000];
  long r;
  while ((r = head.read(buf, sizeof buf, err)) > 0) back.append(buf, static_cast<size_t>(r));
  CHECK(r == 0);
  CHECK(back == bytes);
}
