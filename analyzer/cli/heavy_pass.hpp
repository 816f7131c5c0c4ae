// The second pass of a batch run whose keys passed the group cap: when keys
// folded into "(others)" may be heavy (Aggregator::heavy_candidates()), the
// same input is scanned again with the first pass's fold level and those
// keys pinned, and the ones that are heavy keep exact groups. Only when every
// input can be read again as it was: regular files whose paths still name
// the same files, of the same size, before and after the second pass (it
// reads them by path, as the served pass does).
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

// Runs the second pass when it is needed and possible, replacing agg. False
// (agg untouched, why set) when the input cannot be read again as it was.
bool rescan_heavy(const Catalogue& cat, const ScanOptions& scan, Pipeline& pipeline,
                  const std::vector<ScannedInput>& inputs, const RunSummary& run,
                  const Aggregator::SampleReader& reader, Aggregator& agg, std::string& why);

}  // namespace gw502::cli
