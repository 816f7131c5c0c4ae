#include <unistd.h>

#include <fstream>

#include "helpers.hpp"
#include "scan/pipeline.hpp"
#include "prefilter/prefilter.hpp"
#include "report/events.hpp"
#include "report/report.hpp"
#include "scan/source_info.hpp"

using namespace gw502;

namespace {


struct Outcome {
  std::string events, report;
  uint64_t lines = 0;
  std::vector<Problem> problems;
};

Outcome run(const std::string& path, unsigned threads, size_t chunk, bool as_stream) {
  static Catalogue cat = test::embedded_catalogue();
  Pipeline p(cat, threads, ScanOptions{}, chunk);
  REQUIRE(p.ok());
  std::string err;
  std::unique_ptr<Source> src;
  if (as_stream) {
    // Through a pipe: no memory map, the framer path.
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t child = ::fork();
    if (child == 0) {
      std::ifstream in(path, std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      ::close(fds[0]);
      size_t off = 0;
      while (off < data.size()) {
        ssize_t w = ::write(fds[1], data.data() + off, data.size() - off);
        if (w <= 0) break;
        off += static_cast<size_t>(w);
      }
      ::_exit(0);
    }
    ::close(fds[1]);
    src = source_from_fd(fds[0], true, err);
  } else {
    src = open_source(path, err);
  }
  REQUIRE(src);
  Aggregator agg;
  RunSummary run;
  run.sources.push_back(describe_source(path, nullptr));
  run.stats.emplace_back();
  std::string text;
  NdjsonEvents out(cat, [&text](std::string_view s) { text.append(s.data(), s.size()); });
  p.scan(*src, run.sources[0], 0, agg, run.stats[0], run.problems, &out);
  Outcome o;
  o.events = text;
  o.report = render_json(cat, agg, run);
  o.lines = run.stats[0].lines;
  o.problems = run.problems;
  return o;
}

// Every cell of threads x chunk sizes x (map, stream) gives base's events,
// report and line count.
void same_everywhere(const std::string& path, const Outcome& base, std::initializer_list<unsigned> threads,
                     std::initializer_list<size_t> chunks) {
  for (unsigned t : threads)
    for (size_t chunk : chunks)
      for (bool stream : {false, true}) {
        INFO("threads " << t << " chunk " << chunk << " stream " << stream);
        Outcome o = run(path, t, chunk, stream);
        CHECK(o.events == base.events);
        CHECK(o.report == base.report);
        CHECK(o.lines == base.lines);
      }
}

}  // namespace

TEST_CASE("results do not depend on threads, chunk size or map vs stream", "[pipeline]") {
  std::string path = "/tmp/gw502_pipeline_" + std::to_string(::getpid()) + ".log";
  {
    std::ofstream f(path);
    for (int i = 0; i < 5000; ++i) {
      if (i % 5 == 0)
        f << test::refused_line(i % 10 ? "http://10.0.0.1:80/" : "http://127.0.0.1:3000/") << "\n";
      else if (i % 7 == 0)
        f << "2024/01/15 10:23:45 [error] 1#1: *9 upstream timed out (110: Connection timed out) while reading "
             "response header from upstream, client: 1.2.3.4, server: s, request: \"GET / HTTP/1.1\", upstream: "
             "\"http://10.0.0.2:8080/\", host: \"b\"\n";
      else
        f << "2024/01/15 10:23:45 [notice] 1#1: ordinary line " << i << "\n";
    }
    f << test::refused_line();  // the last line has no newline
  }
  Outcome base = run(path, 1, 1 << 20, false);
  CHECK(base.lines == 5001);
  CHECK(base.problems.empty());
  CHECK(std::count(base.events.begin(), base.events.end(), '\n') == 1000 + 572 + 1);  // i%5, i%7 but not i%35, the last line
  CHECK(base.events.find("\"line\":5001,") != std::string::npos);
  same_everywhere(path, base, {1u, 2u, 3u}, {size_t{4096}, size_t{65536}});
  std::remove(path.c_str());
}

TEST_CASE("the RE2 prefilter finds the same candidates as the default one", "[pipeline]") {
  Catalogue cat = test::embedded_catalogue();
  Classifier fast(cat), portable(cat, PrefilterEngine::re2);
  REQUIRE(fast.ok());
  REQUIRE(portable.ok());
  CHECK(std::string(portable.prefilter_name()) == "re2");
  if (Prefilter::hyperscan_available())
    CHECK(std::string(fast.prefilter_name()) == "hyperscan");
  else
    WARN("built without Hyperscan: both prefilters are RE2, the comparison is trivial");
  std::string buf;
  for (int i = 0; i < 300; ++i)
    buf += (i % 3 ? "2024/01/15 10:23:45 [notice] 1#1: nothing " + std::to_string(i) + "\n" : test::refused_line() + "\n");
  std::vector<size_t> a = fast.candidates(buf);
  std::vector<size_t> b = portable.candidates(buf);
  REQUIRE(a.size() == 100);
  REQUIRE(b.size() == a.size());
  CHECK(a == b);  // each line's end
  for (size_t end : a) CHECK(buf[end] == '\n');
}

TEST_CASE("past the group cap the report is the same for any threads, chunk size or stream", "[pipeline]") {
  // Every failure a new Host (a flood): more keys than the cap; a few hosts
  // fail often; times move so that minutes differ.
  std::string path = "/tmp/gw502_pipeline_flood_" + std::to_string(::getpid()) + ".log";
  const int n = static_cast<int>(Aggregator::kMaxGroups) + 4000;
  {
    std::ofstream f(path);
    for (int i = 0; i < n; ++i) {
      const std::string host = i % 10 == 0 ? "steady" + std::to_string(i % 3) + ".example"
                                           : "h" + std::to_string(i) + ".flood.example";
      char ts[32];
      std::snprintf(ts, sizeof ts, "2024/01/15 %02d:%02d:%02d", i / 3600 % 24, i / 60 % 60, i % 60);
      f << ts << " [error] 31#31: *" << i << " connect() failed (111: Connection refused) while connecting to upstream, client: 10.0."
        << i / 256 % 256 << "." << i % 256 << ", server: s, request: \"GET /" << i % 13
        << " HTTP/1.1\", upstream: \"http://172.18.0." << i % 5 << ":3000/\", host: \"" << host << "\"\n";
      if (i % 4 == 0) f << "2024/01/15 10:23:45 [notice] 1#1: ordinary line " << i << "\n";
    }
  }
  Outcome base = run(path, 1, 1 << 20, false);
  CHECK(base.report.find("(others)") != std::string::npos);
  for (unsigned threads : {2u, 3u})
    for (size_t chunk : {size_t{16384}, size_t{262144}})
      for (bool stream : {false, true}) {
        INFO("threads " << threads << " chunk " << chunk << " stream " << stream);
        Outcome o = run(path, threads, chunk, stream);
        CHECK(o.events == base.events);
        CHECK(o.report == base.report);
      }
  std::remove(path.c_str());
}

TEST_CASE("collectors' records among a proxy's own JSON: the same for any threads, chunk size or stream",
          "[pipeline][envelope]") {
  std::string path = "/tmp/gw502_pipeline_env_" + std::to_string(::getpid()) + ".log";
  const std::string nginx =
      "2024/01/15 10:23:45 [error] 31#31: *7 connect() failed (111: Connection refused) while connecting to "
      "upstream, client: 10.0.0.1, server: a, request: \\\"GET / HTTP/1.1\\\", upstream: "
      "\\\"http://10.0.0.5:80/\\\", host: \\\"a.example\\\"";
  {
    std::ofstream f(path);
    for (int i = 0; i < 3000; ++i) {
      switch (i % 10) {
        case 0: f << "{\"@timestamp\":\"2024-01-15T10:23:45Z\",\"message\":\"" << nginx << "\"}\n"; break;
        case 1: f << "{\"__CURSOR\":\"s=" << i << "\",\"MESSAGE\":\"" << nginx << "\"}\n"; break;
        case 2:
          f << "{\"level\":\"debug\",\"error\":\"dial tcp 172.18.0.5:80: connect: connection refused\",\"time\":"
               "\"2024-01-15T10:23:45Z\",\"message\":\"502 Bad Gateway\"}\n";
          break;
        case 3: f << "{\"level\":\"debug\",\"message\":\"Service selected by WRR: 10.0.3.4:9000 upstream\"}\n"; break;
        case 4: f << "{\"@timestamp\":\"2024-01-15T10:23:45Z\",\"message\":\"ordinary " << i << "\"}\n"; break;
        case 5: f << "{\"level\":\"error\",\"msg\":\"cut off, upstream\n"; break;  // malformed
        case 6: f << "{\"log\":\"" << nginx << "\\n\",\"stream\":\"stderr\",\"time\":\"2024-01-15T10:23:45Z\"}\n"; break;
        case 7: f << "{\"date\":1705314225.1,\"log\":\"" << nginx << "\\n\"}\n"; break;
        case 8:
          f << "{\"container_id\":\"3f2a\",\"message\":\"" << nginx << "\",\"source_type\":\"docker_logs\",\"stream\":\"stderr\"}\n";
          break;
        default: f << "{\"file\":\"/var/log/nginx/error.log\",\"message\":\"10.0.0.1 - - [15/Jan/2024:10:23:45 +0000] \\\"GET / HTTP/1.1\\\" 502 1 \\\"-\\\" \\\"-\\\"\"}\n";
      }
    }
  }
  Outcome base = run(path, 1, 1 << 20, false);
  CHECK(base.lines == 3000);
  CHECK(base.events.find("connection_refused") != std::string::npos);
  same_everywhere(path, base, {1u, 2u}, {size_t{512}, size_t{4096}, size_t{65536}});
  std::remove(path.c_str());
}
