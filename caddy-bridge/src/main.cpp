// gw502-caddy-bridge: the sidecar Caddy's handle_errors proxies failed
// requests to (see ../gw502.caddy and ../README.md).
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "bridge.hpp"
#include "gw502/gw502.h"
#include "server.hpp"

namespace po = boost::program_options;
using namespace gw502::bridge;

namespace {

po::options_description visible() {
  po::options_description d("Options");
  d.add_options()
      ("help,h", "show this help and exit")
      ("version", "show the version and exit")
      ("listen", po::value<std::string>()->value_name("ADDR"),
       "unix:/run/gw502/bridge.sock (default) or 127.0.0.1:PORT")
      ("metrics-listen", po::value<std::string>()->value_name("ADDR"),
       "also serve /metrics and /healthz (only those) here, e.g. 127.0.0.1:9503 for Prometheus (9502 is gw502-logs --metrics)")
      ("socket-mode", po::value<std::string>()->value_name("OCTAL"),
       "permissions of the unix socket (default 0660: owner and group, e.g. caddy)")
      ("detail", "private deployments: add the cause title and the fix to the visitor's page")
      ("patterns", po::value<std::string>()->value_name("FILE"),
       "add or override catalogue entries from FILE")
      ("max-hosts", po::value<std::string>()->value_name("N"),
       "distinct host label values in /metrics before 'other' (default 100)")
      ("max-connections", po::value<std::string>()->value_name("N"),
       "connections open at once; more are closed (default 512)")
      ("timeout", po::value<double>()->value_name("SECONDS"),
       "to receive one request or send one answer; also the keep-alive idle time (default 10)")
      ("max-header-bytes", po::value<std::string>()->value_name("N"),
       "request line and headers, at most (default 65536)")
      ("allow-non-loopback", "allow a TCP address outside 127.0.0.0/8 and ::1");
  return d;
}

std::string usage() {
  std::ostringstream ss;
  ss << "Usage: gw502-caddy-bridge [--listen unix:/run/gw502/bridge.sock | --listen 127.0.0.1:PORT]\n"
        "Answers the failed requests Caddy's handle_errors hands it (gw502.caddy) with the\n"
        "original status, an X-Gw502-Cause header and a short page; serves /metrics and /healthz.\n\n"
     << visible();
  return ss.str();
}

// A whole number in [lo, hi] (program_options would wrap "-1" into an unsigned).
bool count_option(const po::variables_map& vm, const char* name, size_t lo, size_t hi, size_t& out) {
  if (!vm.count(name)) return true;
  const std::string& s = vm[name].as<std::string>();
  bool ok = !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string::npos;
  size_t v = ok ? std::stoul(s) : 0;
  if (!ok || v < lo || v > hi) {
    std::fprintf(stderr, "gw502-caddy-bridge: --%s wants a whole number from %zu to %zu\n", name, lo, hi);
    return false;
  }
  out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(visible()).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gw502-caddy-bridge: %s\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << usage();
    return 0;
  }
  if (vm.count("version")) {
    std::printf("gw502-caddy-bridge %s\n", gw502_version());
    return 0;
  }

  Config cfg;
  ServerConfig scfg;
  scfg.listen = vm.count("listen") ? vm["listen"].as<std::string>() : "unix:/run/gw502/bridge.sock";
  cfg.detail = vm.count("detail") > 0;
  if (vm.count("patterns")) cfg.patterns = vm["patterns"].as<std::string>();
  if (!count_option(vm, "max-hosts", 1, 100000, cfg.max_hosts) ||
      !count_option(vm, "max-connections", 1, 1000000, scfg.max_connections) ||
      !count_option(vm, "max-header-bytes", 1024, 16u << 20, scfg.limits.max_header_bytes))
    return 2;
  scfg.allow_non_loopback = vm.count("allow-non-loopback") > 0;
  if (vm.count("socket-mode")) {
    const std::string& m = vm["socket-mode"].as<std::string>();
    char* end = nullptr;
    unsigned long v = std::strtoul(m.c_str(), &end, 8);
    if (m.empty() || *end || v > 0777) {
      std::fprintf(stderr, "gw502-caddy-bridge: --socket-mode wants an octal mode such as 0660\n");
      return 2;
    }
    scfg.socket_mode = static_cast<unsigned>(v);
  }
  if (vm.count("timeout")) {
    double t = vm["timeout"].as<double>();
    if (!(t >= 0.1 && t <= 3600)) {
      std::fprintf(stderr, "gw502-caddy-bridge: --timeout wants 0.1 to 3600 seconds\n");
      return 2;
    }
    scfg.timeout = std::chrono::milliseconds(static_cast<long long>(t * 1000));
  }

  ::signal(SIGPIPE, SIG_IGN);
  std::string err;
  // Declared in this order so that connections still queued in the
  // io_context are destroyed before the bridge they count in.
  std::unique_ptr<Bridge> bridge = Bridge::create(cfg, err);
  if (!bridge) {
    std::fprintf(stderr, "gw502-caddy-bridge: %s\n", err.c_str());
    return 1;
  }
  boost::asio::io_context io(1);
  Server server(io, *bridge, scfg);
  if (!server.start(err)) {
    std::fprintf(stderr, "gw502-caddy-bridge: %s\n", err.c_str());
    return 1;
  }
  std::unique_ptr<Server> metrics_server;
  if (vm.count("metrics-listen")) {
    ServerConfig mcfg = scfg;
    mcfg.listen = vm["metrics-listen"].as<std::string>();
    mcfg.metrics_only = true;
    metrics_server = std::make_unique<Server>(io, *bridge, mcfg);
    if (!metrics_server->start(err)) {
      std::fprintf(stderr, "gw502-caddy-bridge: %s\n", err.c_str());
      return 1;
    }
  }
  std::string where = server.address();
  if (metrics_server) where += ", /metrics also on " + metrics_server->address();
  std::fprintf(stderr, "gw502-caddy-bridge %s: listening on %s%s\n", gw502_version(), where.c_str(),
               cfg.detail ? " (--detail: pages name the cause)" : "");
  std::fflush(stderr);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  boost::asio::steady_timer grace(io);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    server.stop();  // no new connections; answers in flight get a moment
    if (metrics_server) metrics_server->stop();
    grace.expires_after(std::chrono::milliseconds(300));
    grace.async_wait([&](const boost::system::error_code&) { io.stop(); });
  });
  io.run();
  server.stop();
  if (metrics_server) metrics_server->stop();
  return 0;
}
