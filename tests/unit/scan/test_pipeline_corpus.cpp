// The pipeline matrix over the whole labelled corpus: threads x chunk sizes x
// memory map or stream x gzip/zstd, with the prefilter and with every line a
// candidate. The events and the report must be the same in every cell: a
// chunk boundary, a thread or a literal set that misses a rule's lines would
// show up as a difference.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "helpers.hpp"
#include "prefilter/prefilter.hpp"
#include "report/events.hpp"
#include "report/report.hpp"
#include "scan/pipeline.hpp"
#include "scan/source_info.hpp"

using namespace gw502;

namespace {

void collect_logs(const std::string& dir, std::vector<std::string>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    if (e->d_type == DT_DIR)
      collect_logs(path, out);
    else if (name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0)
      out.push_back(path);
  }
  ::closedir(d);
}

struct Outcome {
  std::string events, report;
};

Outcome run(const Catalogue& cat, const std::string& path, unsigned threads, size_t chunk, bool stream,
            PrefilterEngine engine) {
  ScanOptions opt;
  opt.naive_utc = true;
  opt.prefilter = engine;
  Pipeline p(cat, threads, opt, chunk);
  REQUIRE(p.ok());
  std::string err;
  std::unique_ptr<Source> src;
  if (stream) {
    int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    src = source_from_fd(fd, true, err);  // read(), not a map: the framer's path
  } else {
    src = open_source(path, err);
  }
  REQUIRE(src);
  Aggregator agg;
  RunSummary run;
  run.sources.push_back(describe_source("corpus.log", nullptr));
  run.stats.emplace_back();
  std::string text;
  NdjsonEvents out(cat, [&text](std::string_view s) { text.append(s.data(), s.size()); });
  p.scan(*src, run.sources[0], 0, agg, run.stats[0], run.problems, &out);
  ReportOptions ro;
  ro.naive_utc = true;
  return {text, render_json(cat, agg, run, ro)};
}

// The report without the per-source "ignored" and "malformed" counts.
std::string without_line_counters(std::string report) {
  for (const char* key : {"\"ignored\":", "\"malformed\":"}) {
    for (size_t at = report.find(key); at != std::string::npos; at = report.find(key, at)) {
      size_t end = report.find_first_of(",}", at);
      report.erase(at, end - at);
    }
  }
  return report;
}

}  // namespace

TEST_CASE("the whole corpus gives the same events and report in every cell of the matrix", "[scan]") {
  std::vector<std::string> logs;
  collect_logs(GW502_SOURCE_DIR "/corpus", logs);
  std::sort(logs.begin(), logs.end());
  REQUIRE(logs.size() > 100);
  const std::string base = "/tmp/gw502_matrix_" + std::to_string(::getpid());
  const std::string all = base + ".log";
  {
    std::ofstream o(all, std::ios::binary);
    for (auto& l : logs) {
      std::ifstream in(l, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string data = ss.str();
      if (!data.empty() && data.back() != '\n') data += '\n';
      o << data;
    }
  }
  const Catalogue cat = test::embedded_catalogue();
  const Outcome want = run(cat, all, 1, 1 << 20, false, PrefilterEngine::automatic);
  CHECK(std::count(want.events.begin(), want.events.end(), '\n') > 500);
  for (PrefilterEngine engine : {PrefilterEngine::automatic, PrefilterEngine::every_line})
    for (unsigned threads : {1u, 2u})
      for (size_t chunk : {size_t{4096}, size_t{65536}})
        for (bool stream : {false, true}) {
          INFO("every_line " << (engine == PrefilterEngine::every_line) << " threads " << threads << " chunk "
                             << chunk << " stream " << stream);
          Outcome o = run(cat, all, threads, chunk, stream, engine);
          if (o.events != want.events && std::getenv("GW502_MATRIX_DUMP")) {
            std::ofstream("/tmp/matrix_want.ndjson") << want.events;
            std::ofstream("/tmp/matrix_got.ndjson") << o.events;
          }
          CHECK(o.events == want.events);
          // ignored and malformed count candidate lines, so the prefilter
          // changes them; the rest of the report must not change.
          if (engine == PrefilterEngine::every_line)
            CHECK(without_line_counters(o.report) == without_line_counters(want.report));
          else
            CHECK(o.report == want.report);
        }
  // Compressed copies read through the gzip and zstd sources.
  const std::string gz = base + ".log.gz", zst = base + ".log.zst";
  REQUIRE(std::system(("gzip -c " + all + " > " + gz).c_str()) == 0);
  const bool have_zstd = std::system(("zstd -q -c " + all + " > " + zst + " 2>/dev/null").c_str()) == 0;
  for (const std::string& c : {gz, zst}) {
    if (c == zst && !have_zstd) {
      WARN("no zstd command: the zstd source is not in the matrix");
      continue;
    }
    INFO(c);
    for (unsigned threads : {1u, 2u}) {
      Outcome o = run(cat, c, threads, 65536, false, PrefilterEngine::automatic);
      CHECK(o.events == want.events);
      CHECK(o.report == want.report);
    }
  }
  std::remove(all.c_str());
  std::remove(gz.c_str());
  std::remove(zst.c_str());
}
