// Verdicts on answers recorded from Debian 12's dockerd 20.10 (API 1.41) in
// the Docker lab (tests/unit/docker/data/api141/): a crashed container, one
// restarting, an unhealthy one, host networking, the default bridge, a
// loopback-only app with a port mapping, and its /proc/<pid>/net/tcp.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "docker/engine.hpp"
#include "docker/model.hpp"
#include "docker/verdict.hpp"

using namespace gw502;
using namespace gw502::docker;

namespace {

std::string data(const std::string& name) {
  std::string here = __FILE__;
  std::ifstream in(here.substr(0, here.rfind('/')) + "/data/api141/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Recorded {
  Snapshot snap;
  Container proxy;
  Recorded() {
    std::string err;
    REQUIRE(parse_version(data("version.json"), snap.version, err));
    REQUIRE(parse_networks(data("networks.json"), snap.networks, err));
    std::vector<std::string> ids;
    REQUIRE(parse_container_ids(data("containers.json"), ids, err));
    CHECK(ids.size() == 6);
    for (const char* n : {"lab-app-1", "crashed", "looping", "sick", "hostnet", "oldbridge"}) {
      Container c;
      REQUIRE(parse_container(data(std::string("container-") + n + ".json"), c, err));
      snap.containers.push_back(c);
    }
    proxy.name = "proxy";
    proxy.id = "0123456789ab0123456789ab";
    proxy.status = "running";
    proxy.running = true;
    proxy.network_mode = "lab_front";
    Endpoint e;
    e.network = "lab_front";
    e.ip = "10.213.0.200";
    e.gateway = "10.213.0.1";
    proxy.endpoints.push_back(e);
  }
  Finding run(const std::string& upstream, const std::string& cause) {
    Probes p;
    p.listeners = [](const Container& c, std::vector<Listener>& out, std::string& src, std::string& err) {
      if (c.name != "lab-app-1") {
        err = "not recorded";
        return false;
      }
      src = "/proc/PID/net/tcp";
      out = parse_proc_net_tcp(data("proc-lab-app-1-net-tcp.txt"), false);
      auto six = parse_proc_net_tcp(data("proc-lab-app-1-net-tcp6.txt"), true);
      out.insert(out.end(), six.begin(), six.end());
      return true;
    };
    p.last_log_line = [](const Container& c) -> std::string {
      if (c.name != "crashed") return "";
      std::string text = demux_log_stream(data("logs-crashed.bin"));
      text.pop_back();
      return text.substr(text.rfind('\n') + 1);
    };
    Failure f;
    f.site = "photos.example.com";
    f.upstream = upstream;
    f.log_cause = cause;
    f.count = 1;
    return diagnose(snap, proxy, ProxyKind::nginx, f, {}, p);
  }
};

}  // namespace

TEST_CASE("recorded 1.41: the model", "[docker]") {
  Recorded r;
  CHECK(r.snap.version.api_version == "1.41");
  const Container* app = r.snap.by_name("lab-app-1");
  REQUIRE(app);
  CHECK(app->service() == "app");
  REQUIRE(app->ports.size() == 1);
  CHECK(app->ports[0].host_port == 9090);
  CHECK(app->ports[0].container_port == 3000);
  REQUIRE(app->endpoints.size() == 1);
  CHECK_FALSE(app->endpoints[0].has_dns_names);
  auto names = dns_names(*app, app->endpoints[0], r.snap.network("lab_front"));
  CHECK(std::find(names.begin(), names.end(), "app") != names.end());
  const Container* crashed = r.snap.by_name("crashed");
  REQUIRE(crashed);
  CHECK(crashed->status == "exited");
  CHECK(crashed->exit_code == 3);
  CHECK(crashed->endpoints[0].ip.empty());  // Docker clears a stopped container's address
  CHECK(r.snap.by_name("hostnet")->host_network());
  CHECK(r.snap.network("bridge")->default_bridge);
  CHECK(demux_log_stream(data("logs-crashed.bin")).find("Z KeyError: DATABASE_URL\n") != std::string::npos);
}

TEST_CASE("recorded 1.41: verdicts", "[docker]") {
  Recorded r;
  auto f = r.run("crashed:3000", "dns_failure");
  CHECK(f.cause == RootCause::backend_down);
  CHECK(f.summary == "container crashed is not running: exited with code 3; its last log line: starting");
  f = r.run("looping:80", "dns_failure");
  CHECK(f.cause == RootCause::backend_down);
  CHECK(f.summary.find("keeps restarting") != std::string::npos);
  f = r.run("sick:80", "read_timeout");
  CHECK(f.cause == RootCause::backend_down);
  CHECK(f.summary == "container sick runs but is unhealthy: db not ready");
  f = r.run("hostnet:80", "dns_failure");
  CHECK(f.cause == RootCause::host_network);
  f = r.run("oldbridge:80", "dns_failure");
  CHECK(f.cause == RootCause::no_shared_network);
  f = r.run("app:3000", "connection_refused");
  CHECK(f.cause == RootCause::loopback_bind);
  CHECK(f.backend_container == "lab-app-1");
  f = r.run("app:9090", "connection_refused");
  CHECK(f.cause == RootCause::host_port);
  CHECK(f.fix == "proxy_pass http://app:3000;");
}
