#include "second_pass.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "scan/served_pass.hpp"
#include "source/source.hpp"

namespace gw502::cli {

ScannedInput describe_input(const std::string& path) {
  ScannedInput in;
  in.path = path;
  struct stat st;
  if (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    in.regular = true;
    in.dev = st.st_dev;
    in.ino = st.st_ino;
    in.size = st.st_size;
  }
  return in;
}

namespace {

// Whether the path still names the file the first pass read, unchanged in
// size (the served pass reads access logs again by path). why set if not.
bool unchanged(const ScannedInput& in, std::string& why) {
  if (!in.regular) {
    why = in.path == "-" ? "standard input is read once" : in.path + " is not a regular file";
    return false;
  }
  struct stat st;
  if (::stat(in.path.c_str(), &st) != 0 || st.st_dev != in.dev || st.st_ino != in.ino || st.st_size != in.size) {
    why = in.path + " changed since it was read";
    return false;
  }
  return true;
}

bool all_unchanged(const std::vector<ScannedInput>& inputs, std::string& why) {
  for (const ScannedInput& in : inputs)
    if (!unchanged(in, why)) return false;
  return true;
}

}  // namespace

namespace {

// Scans every input of the first pass into `again`: the same bytes, or
// false with why set.
bool scan_again(Pipeline& pipeline, const std::vector<ScannedInput>& inputs, const RunSummary& run,
                Aggregator& again, std::string& why) {
  // Every input checked before the first is read again (a pipe last in the
  // list would otherwise be found after a whole pass).
  if (!all_unchanged(inputs, why)) return false;
  for (uint32_t i = 0; i < inputs.size(); ++i) {
    auto src = open_source(inputs[i].path, why);
    if (!src) return false;
    ScanStats stats;
    std::vector<Problem> problems;  // the first pass's were reported
    pipeline.scan(*src, run.sources[i], i, again, stats, problems, nullptr);
    const ScanStats& first = run.stats[i];
    if (stats.bytes != first.bytes || stats.lines != first.lines || stats.events != first.events) {
      why = inputs[i].path + " changed since it was read";
      return false;
    }
  }
  return true;
}

}  // namespace

bool pairing_needed(const std::vector<SourceInfo>& sources, const ScanOptions& scan) {
  if (scan.access_format) return true;
  // The served pass looks further (64 KiB) for the 200 lines of retried
  // requests, which no scan counts: a file it would read pairs from the start.
  for (const SourceInfo& s : sources)
    if (!s.error_log_head || served_pass_reads(s)) return true;
  return false;
}

bool rescan_paired(Pipeline& pipeline, const std::vector<ScannedInput>& inputs, const RunSummary& run,
                   const Aggregator::SampleReader& reader, Aggregator& agg, std::string& why) {
  if (agg.pairing() || agg.access_requests() == 0) return true;
  Aggregator again;
  again.set_sample_reader(reader);
  if (!scan_again(pipeline, inputs, run, again, why)) return false;
  // A path that names the same file of the same size throughout: the bytes
  // the first pass read.
  if (!all_unchanged(inputs, why)) return false;
  agg = std::move(again);
  return true;
}

bool rescan_heavy(const Catalogue& cat, const ScanOptions& scan, Pipeline& pipeline,
                  const std::vector<ScannedInput>& inputs, const RunSummary& run,
                  const Aggregator::SampleReader& reader, Aggregator& agg, std::string& why) {
  if (agg.fold_level() == 0) return true;
  auto pin = std::make_shared<Aggregator::Pin>();
  pin->keys = agg.heavy_candidates();
  if (pin->keys.empty()) return true;
  pin->level = agg.fold_level();
  Aggregator again;
  again.pin(pin);
  again.set_sample_reader(reader);
  again.set_pairing(agg.pairing());
  if (!scan_again(pipeline, inputs, run, again, why)) return false;
  std::vector<Problem> problems;
  read_served(cat, scan, run.sources, again, problems);
  if (!all_unchanged(inputs, why)) return false;  // rotated or grown meanwhile
  again.fold_light_pinned();
  agg = std::move(again);
  return true;
}

}  // namespace gw502::cli
