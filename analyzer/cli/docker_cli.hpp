// gw502-logs --docker: finds the proxy containers through the Engine API,
// reads their logs (and log files kept in their mounts), classifies them
// with the usual pipeline, and explains every failing site and upstream
// from the containers behind it (docker/verdict.hpp). --check runs the same
// checks on every upstream the proxies are configured with.
#pragma once
#include <string>

#include "run_config.hpp"

namespace gw502::cli {

struct DockerOptions {
  std::string container;  // --container NAME: only this proxy
  bool check = false;     // --check: configured upstreams, no logs
};

int run_docker(const RunConfig& cfg, const DockerOptions& opt);

}  // namespace gw502::cli
