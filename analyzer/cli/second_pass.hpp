// The second passes of a batch run. Each scans the same input again, only
// when every input can be read again as it was: regular files whose paths
// still name the same files, of the same size, before and after the pass (it
// reads them by path, as the served pass does).
// - heavy keys: when keys folded into "(others)" may be heavy
//   (Aggregator::heavy_candidates()), the pass keeps the first pass's fold
//   level with those keys pinned, and the heavy ones keep exact groups;
// - pairing: a run read without pairing (every input an nginx error log by
//   its first lines: Aggregator::set_pairing()) that met access entries all
//   the same is read again with it.
#pragma once
#include <string>
#include <sys/types.h>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "report/report.hpp"
#include "scan/pipeline.hpp"

namespace gw502::cli {

// What the first pass saw of one input, to read it again.
struct ScannedInput {
  std::string path;
  bool regular = false;  // a regular file (not standard input, a pipe, a device)
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;        // before the first pass
};

// Notes what open_source() is about to read (before the first pass).
ScannedInput describe_input(const std::string& path);

// Whether a run pairs access entries with error entries: not when every input
// is an nginx error log by its first lines (SourceInfo::error_log_head; never
// with --proxy, which skips that look) that the served pass would not read
// again, and --access-format is not given. (With --events the second read
// prints no events: only the exit status can depend on pairing.)
bool pairing_needed(const std::vector<SourceInfo>& sources, const ScanOptions& scan);

// Reads the input again with pairing when the first pass went without it and
// met access entries, replacing agg. False (agg untouched, why set) when the
// input cannot be read again as it was.
bool rescan_paired(Pipeline& pipeline, const std::vector<ScannedInput>& inputs, const RunSummary& run,
                   const Aggregator::SampleReader& reader, Aggregator& agg, std::string& why);

// Runs the second pass when it is needed and possible, replacing agg. False
// (agg untouched, why set) when the input cannot be read again as it was.
bool rescan_heavy(const Catalogue& cat, const ScanOptions& scan, Pipeline& pipeline,
                  const std::vector<ScannedInput>& inputs, const RunSummary& run,
                  const Aggregator::SampleReader& reader, Aggregator& agg, std::string& why);

}  // namespace gw502::cli
