// gw502-logs: the command-line layer, the only place that prints or exits.
// main reads the options and hands a checked RunConfig to the batch flow
// (batch.cpp) or to follow mode (follow_cli.cpp).
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <exception>

#include "batch.hpp"
#include "gw502/gw502.h"
#include "docker_cli.hpp"
#include "follow_cli.hpp"
#include "options.hpp"
#include "run_config.hpp"

#ifdef GW502_WITH_JEMALLOC
// jemalloc's settings, read when it starts (MALLOC_CONF in the environment
// still wins): one arena for all threads instead of four per core. Each
// thread keeps its own cache of small blocks, so the workers do not wait on
// each other, and memory freed by one thread is reused by the others: peak
// RSS on hostflood -j2 45 -> 39 MiB, multisite Caddy 26 -> 22 MiB.
extern "C" const char* malloc_conf;
const char* malloc_conf = "narenas:1";
#endif

namespace {

// Many followed files (a glob of NPM hosts) and metrics clients each hold a
// descriptor: the soft limit (often 1024) goes up to the hard one.
void raise_open_file_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  const rlim_t kEnough = rlim_t{1} << 20;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? std::max(rl.rlim_cur, kEnough) : rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
}

int run_cli(int argc, char** argv) {
  using namespace gw502::cli;
  Options opt;
  std::string err;
  if (!parse_options(argc, argv, opt, err)) return usage_error(err);
  if (opt.help) {
    write_out(usage());
    return 0;
  }
  if (opt.version) {
    std::printf("gw502-logs %s\n", gw502_version());
    return 0;
  }
  raise_open_file_limit();
  RunConfig cfg;
  ConfigError cerr;
  if (!make_run_config(opt, cfg, cerr)) return config_error(cerr);
  if (opt.docker) return run_docker(cfg, {opt.container, opt.docker_check});
  return cfg.mode == Mode::follow ? run_follow(cfg) : run_batch(cfg);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_cli(argc, argv);
  } catch (const std::exception& e) {
    return gw502::cli::print_error(e.what());
  }
}
