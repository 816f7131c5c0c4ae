// Whole inputs through Pipeline::scan, with the differential property: the
// same bytes as a mapped file (memfd) at -j1 with 4 MiB chunks, as a mapped
// file at -j2 with small chunks (the first input byte picks 64 B .. 16 KiB),
// and as a stream (pipe-like reads). Always: no crash, no sanitizer report,
// the same line count for the two chunkings; and (strict, the default) the
// same events (NDJSON, with line numbers) and JSON report, and the stream
// too. FUZZ_STRICT=0: the line counts only.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "report/events.hpp"
#include "report/report.hpp"
#include "scan/pipeline.hpp"
#include "scan/source_info.hpp"

using namespace gw502;

namespace {

class StringSource final : public Source {
 public:
  StringSource(std::string_view d, size_t step) : d_(d), step_(step) {}
  long read(char* dst, size_t n, std::string&) override {
    size_t k = std::min({n, step_, d_.size() - pos_});
    std::memcpy(dst, d_.data() + pos_, k);
    pos_ += k;
    return static_cast<long>(k);
  }

 private:
  std::string_view d_;
  size_t step_, pos_ = 0;
};

struct Out {
  std::string events, report;
  uint64_t lines = 0;
  bool binary = false;  // skipped whole as binary data
};

const Catalogue& catalogue() {
  static Catalogue cat = [] {
    Catalogue c;
    std::string err;
    if (!c.load({}, err)) std::abort();
    return c;
  }();
  return cat;
}

Out run(std::string_view bytes, unsigned threads, size_t chunk, bool stream, size_t step) {
  const Catalogue& cat = catalogue();
  // Pipelines are reused across inputs (as the CLI does across files): one
  // per (threads, chunk size), built once.
  static std::map<std::pair<unsigned, size_t>, std::unique_ptr<Pipeline>> pipelines;
  auto& slot = pipelines[{threads, chunk}];
  if (!slot) {
    ScanOptions opt;
    opt.max_line = 4096;
    slot = std::make_unique<Pipeline>(cat, threads, opt, chunk);
    if (!slot->ok()) std::abort();
  }
  Pipeline& p = *slot;
  std::unique_ptr<Source> src;
  std::string err;
  if (stream) {
    src = std::make_unique<StringSource>(bytes, step);
  } else {
    int fd = ::memfd_create("fuzz", 0);
    if (fd < 0) std::abort();
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t w = ::write(fd, bytes.data() + off, bytes.size() - off);
      if (w <= 0) std::abort();
      off += static_cast<size_t>(w);
    }
    ::lseek(fd, 0, SEEK_SET);
    src = source_from_fd(fd, true, err);
    if (!src) std::abort();
  }
  SourceInfo info;
  info.name = "fuzz.log";
  refine_source(info, bytes.substr(0, 16384));
  Aggregator agg;
  RunSummary run;
  run.sources.push_back(info);
  run.stats.emplace_back();
  Out o;
  NdjsonEvents ev(cat, [&o](std::string_view s) { o.events.append(s.data(), s.size()); });
  p.scan(*src, run.sources[0], 0, agg, run.stats[0], run.problems, &ev);
  o.lines = run.stats[0].lines;
  o.report = render_json(cat, agg, run);
  for (const Problem& pr : run.problems) o.binary = o.binary || pr.message == kBinaryProblem;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 256 << 10) return 0;
  // FUZZ_STRICT=0: the line counts of the two chunkings only. 1 (the
  // default, also in CI): all three the same, events and report too. (2 was
  // the binary sniff's known difference, D11, fixed: the same as 1 now.)
  static const int level = [] {
    const char* v = std::getenv("FUZZ_STRICT");
    return v && *v ? std::atoi(v) : 1;
  }();
  const bool strict = level >= 1;
  const size_t small = size_t{64} << (data[0] % 9);  // 64 B .. 16 KiB
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  Out a = run(bytes, 1, 4 << 20, false, 0);
  Out b = run(bytes, 2, small, false, 0);
  Out c = run(bytes, 1, 4 << 20, true, 17 + data[0]);
  auto differ = [&](const Out& x, const Out& y) {
    return x.lines != y.lines || (strict && (x.events != y.events || x.report != y.report));
  };
  if (differ(a, b) || (strict && differ(a, c))) {
    std::fprintf(stderr, "DIFF: events/lines differ (j1/4MiB vs j2/%zu B: %d, vs stream: %d)\n", small,
                 differ(a, b), differ(a, c));
    const Out& o = differ(a, b) ? b : c;
    std::fprintf(stderr, "lines %llu vs %llu\n--- j1/4MiB events\n%s--- other events\n%s",
                 static_cast<unsigned long long>(a.lines), static_cast<unsigned long long>(o.lines),
                 a.events.c_str(), o.events.c_str());
    if (a.events == o.events) std::fprintf(stderr, "--- reports\n%s\n%s\n", a.report.c_str(), o.report.c_str());
    std::abort();
  }
  return 0;
}
