// gw502-logs -f: the follow loop of the command line. Waits in poll() on the
// follower's descriptors, the signals and the metrics listener; redraws the
// live summary on a terminal, or writes events as they come, or a summary
// every --interval; on SIGINT/SIGTERM (or when followed stdin ends) prints
// the final report and returns the exit status.
#pragma once
#include "run_config.hpp"

namespace gw502::cli {

int run_follow(const RunConfig& cfg);

}  // namespace gw502::cli
