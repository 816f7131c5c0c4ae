// gw502-logs without -f: the list, explain and export modes, and the batch
// report over files, globs and standard input.
#pragma once
#include "run_config.hpp"

namespace gw502::cli {

int run_batch(const RunConfig& cfg);

}  // namespace gw502::cli
