// Verdicts on Engine API answers shaped as Docker 20.10 (API 1.41) and 25+
// (API 1.44, DNSNames) write them; listeners as /proc/<pid>/net/tcp has them.
#include <catch2/catch.hpp>
#include <map>

#include "docker/model.hpp"
#include "docker/proxy_config.hpp"
#include "docker/render.hpp"
#include "base/timeparse.hpp"
#include "docker/verdict.hpp"

using namespace gw502;
using namespace gw502::docker;

namespace {

struct Net {
  std::string name, ip, gw;
  std::vector<std::string> aliases;
  bool dns_names = false;  // API 1.44: DNSNames given
};

// GET /containers/{id}/json as the daemon answers it (the fields read).
std::string container_json(const std::string& id, const std::string& name, const std::string& status,
                           const std::vector<Net>& nets, const std::string& extra_state = "",
                           const std::string& service = "", const std::string& mode = "",
                           const std::string& ports = "{}", int pid = 4242, int exit_code = 0) {
  bool running = status == "running";
  std::string j = "{\"Id\":\"" + id + "\",\"Name\":\"/" + name + "\",\"Path\":\"/usr/bin/python3\",\"Args\":[\"app.py\"],";
  j += "\"State\":{\"Status\":\"" + status + "\",\"Running\":" + (running ? "true" : "false") +
       ",\"Paused\":false,\"Restarting\":" + (status == "restarting" ? "true" : "false") +
       ",\"OOMKilled\":false,\"Dead\":false,\"Pid\":" + std::to_string(running ? pid : 0) +
       ",\"ExitCode\":" + std::to_string(exit_code) + ",\"Error\":\"\",\"StartedAt\":\"2026-12-03T13:49:02Z\",\"FinishedAt\":\"2026-12-03T13:49:05Z\"" +
       extra_state + "},";
  j += "\"RestartCount\":0,\"HostConfig\":{\"NetworkMode\":\"" + (mode.empty() ? (nets.empty() ? std::string("default") : nets[0].name) : mode) +
       "\",\"PortBindings\":" + ports + ",\"RestartPolicy\":{\"Name\":\"no\"},\"ExtraHosts\":null},";
  j += "\"Config\":{\"Hostname\":\"" + id.substr(0, 12) + "\",\"Image\":\"gw502lab:base\",\"Tty\":false,\"Env\":[],\"ExposedPorts\":{\"3000/tcp\":{}},\"Labels\":{";
  if (!service.empty()) j += "\"com.docker.compose.service\":\"" + service + "\",\"com.docker.compose.project\":\"lab\"";
  j += "}},\"Mounts\":[],\"NetworkSettings\":{\"Ports\":" + std::string(running ? ports : "{}") + ",\"Networks\":{";
  for (size_t i = 0; i < nets.size(); ++i) {
    const Net& n = nets[i];
    if (i) j += ",";
    j += "\"" + n.name + "\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":[";
    for (size_t k = 0; k < n.aliases.size(); ++k) j += (k ? ",\"" : "\"") + n.aliases[k] + "\"";
    j += "],\"NetworkID\":\"net" + n.name + "\",\"EndpointID\":\"\",\"Gateway\":\"" + (running ? n.gw : "") +
         "\",\"IPAddress\":\"" + (running ? n.ip : "") + "\",\"IPPrefixLen\":24";
    if (n.dns_names) {
      j += ",\"DNSNames\":[\"" + name + "\"";
      for (const auto& a : n.aliases) j += ",\"" + a + "\"";
      j += "]";
    }
    j += "}";
  }
  j += "}}}";
  return j;
}

const char* kNetworks = R"([
 {"Name":"bridge","Id":"netbridge","Driver":"bridge","Internal":false,"IPAM":{"Config":[{"Subnet":"10.212.0.0/24","Gateway":"10.212.0.1"}]},"Options":{"com.docker.network.bridge.default_bridge":"true"}},
 {"Name":"lab_front","Id":"netlab_front","Driver":"bridge","Internal":false,"IPAM":{"Config":[{"Subnet":"10.213.0.0/24","Gateway":"10.213.0.1"}]},"Options":{}},
 {"Name":"other","Id":"netother","Driver":"bridge","Internal":false,"IPAM":{"Config":[{"Subnet":"10.213.1.0/24","Gateway":"10.213.1.1"}]},"Options":{}},
 {"Name":"host","Id":"nethost","Driver":"host","IPAM":{"Config":[]},"Options":{}}
])";

// "  0: 0100007F:0BB8 ..." rows for /proc/net/tcp.
std::string tcp_row(const std::string& hexaddr, uint16_t port) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "   0: %s:%04X 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n",
                hexaddr.c_str(), port);
  return buf;
}
const std::string kTcpHead = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

struct Lab {
  Snapshot snap;
  std::map<std::string, std::string> tcp;  // container name -> /proc/net/tcp text
  std::map<std::string, std::string> last_line;
  Probes probes() {
    Probes p;
    p.listeners = [this](const Container& c, std::vector<Listener>& out, std::string& src, std::string& err) {
      auto it = tcp.find(c.name);
      if (it == tcp.end()) {
        err = "cannot read /proc/" + std::to_string(c.pid) + "/net/tcp";
        return false;
      }
      src = "/proc/" + std::to_string(c.pid) + "/net/tcp";
      out = parse_proc_net_tcp(it->second, false);
      return true;
    };
    p.last_log_line = [this](const Container& c) { return last_line[c.name]; };
    return p;
  }
  void add(const std::string& json) {
    Container c;
    std::string err;
    REQUIRE(parse_container(json, c, err));
    snap.containers.push_back(c);
  }
  Lab() {
    std::string err;
    REQUIRE(parse_networks(kNetworks, snap.networks, err));
    snap.version = {"20.10.24+dfsg1", "1.41"};
    add(container_json("aaaaaaaaaaaa0001", "lab-proxy-1", "running", {{"lab_front", "10.213.0.2", "10.213.0.1", {"proxy", "aaaaaaaaaaaa"}}}, "", "proxy"));
  }
  const Container& proxy() { return snap.containers.front(); }
  Finding run(const std::string& upstream, const std::string& cause, ProxyKind kind = ProxyKind::caddy,
              const std::vector<Route>& routes = {}) {
    Failure f;
    f.site = "photos.example.com";
    f.upstream = upstream;
    f.log_cause = cause;
    f.count = 3;
    auto pr = probes();
    return diagnose(snap, proxy(), kind, f, routes, pr);
  }
};

}  // namespace

TEST_CASE("container JSON of API 1.41 and 1.44", "[docker]") {
  Container c;
  std::string err;
  REQUIRE(parse_container(container_json("bbbbbbbbbbbb0002", "lab-app-1", "running",
                                         {{"lab_front", "10.213.0.3", "10.213.0.1", {"app", "bbbbbbbbbbbb"}}}, "", "app"),
                          c, err));
  CHECK(c.name == "lab-app-1");
  CHECK(c.service() == "app");
  CHECK(c.pid == 4242);
  REQUIRE(c.endpoints.size() == 1);
  CHECK(c.endpoints[0].ip == "10.213.0.3");
  CHECK_FALSE(c.endpoints[0].has_dns_names);
  Network front{"netlab_front", "lab_front", "bridge", {}, {}, false, false};
  auto names = dns_names(c, c.endpoints[0], &front);
  CHECK(std::find(names.begin(), names.end(), "app") != names.end());
  CHECK(std::find(names.begin(), names.end(), "lab-app-1") != names.end());
  // 1.44: DNSNames is the truth, even when Aliases lack the service
  REQUIRE(parse_container(container_json("bbbbbbbbbbbb0002", "lab-app-1", "running",
                                         {{"lab_front", "10.213.0.3", "10.213.0.1", {"app"}, true}}),
                          c, err));
  CHECK(c.endpoints[0].has_dns_names);
  names = dns_names(c, c.endpoints[0], &front);
  CHECK(names == std::vector<std::string>{"lab-app-1", "app"});
  // the default bridge resolves no names
  Network bridge{"netbridge", "bridge", "bridge", {}, {}, false, true};
  CHECK(dns_names(c, c.endpoints[0], &bridge).empty());
  CHECK(compare_api_versions("1.41", "1.44") < 0);
  CHECK(compare_api_versions("1.44", "1.44") == 0);
  std::vector<std::string> ids;
  REQUIRE(parse_container_ids(R"([{"Id":"x1","Names":["/a"]},{"Id":"x2"}])", ids, err));
  CHECK(ids == std::vector<std::string>{"x1", "x2"});
  CHECK_FALSE(parse_container("{", c, err));
}

TEST_CASE("/proc/net/tcp listeners", "[docker]") {
  std::string t = kTcpHead + tcp_row("0100007F", 3000) + tcp_row("00000000", 8080) +
                  "   2: 0100007F:0BB8 0300D50A:D431 01 00000000:00000000 00:00000000 00000000 0 0 1\n";
  auto ls = parse_proc_net_tcp(t, false);
  REQUIRE(ls.size() == 2);
  CHECK(ls[0].address == "127.0.0.1");
  CHECK(ls[0].port == 3000);
  CHECK(ls[0].loopback());
  CHECK(ls[1].any());
  std::string t6 = kTcpHead + "   0: 00000000000000000000000001000000:0BB8 00000000000000000000000000000000:0000 0A 0 0 0 0 0\n" +
                   "   1: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 0 0 0 0 0\n";
  auto l6 = parse_proc_net_tcp(t6, true);
  REQUIRE(l6.size() == 2);
  CHECK(l6[0].address == "::1");
  CHECK(l6[0].loopback());
  CHECK(l6[1].address == "::");
}

TEST_CASE("upstream texts", "[docker]") {
  auto u = parse_upstream("http://app:3000/x");
  CHECK(u.scheme == "http");
  CHECK(u.host == "app");
  CHECK(u.port == 3000);
  CHECK(parse_upstream("172.18.0.5:3000").is_ip());
  CHECK(parse_upstream("[fd00::5]:80").host == "fd00::5");
  CHECK(parse_upstream("https://app").port == 443);
  CHECK(edit_distance("imich", "immich") == 1);
}

TEST_CASE("verdict: backend_down, exited, with its last log line", "[docker]") {
  Lab lab;
  lab.add(container_json("cccccccccccc0003", "lab-app-1", "exited", {{"lab_front", "10.213.0.3", "10.213.0.1", {"app", "cccccccccccc"}}},
                         "", "app", "", "{}", 0, 1));
  lab.last_line["lab-app-1"] = "KeyError: 'DATABASE_URL'";
  auto f = lab.run("app:3000", "dns_failure");
  CHECK(f.cause == RootCause::backend_down);
  CHECK(seed_cause(f.cause) == 1);
  CHECK(f.backend_container == "lab-app-1");
  CHECK(f.summary.find("exited with code 1") != std::string::npos);
  CHECK(f.summary.find("DATABASE_URL") != std::string::npos);
  // nginx resolved it at start: the old address, no holder now
  auto g = lab.run("10.213.0.3:3000", "network_unreachable", ProxyKind::nginx,
                   routes_from_nginx("server { server_name photos.example.com; location / { proxy_pass http://app:3000; } }", "/etc/nginx/conf.d/a.conf"));
  CHECK(g.cause == RootCause::backend_down);
}

TEST_CASE("verdict: backend_down, OOMKilled and unhealthy", "[docker]") {
  Lab lab;
  lab.add(container_json("cccccccccccc0003", "lab-app-1", "exited", {{"lab_front", "10.213.0.3", "10.213.0.1", {"app"}}},
                         "", "app", "", "{}", 0, 137));
  lab.snap.containers.back().oom_killed = true;
  Container c;
  std::string err;
  std::string j = container_json("cccccccccccc0004", "x", "exited", {}, "");
  auto k = j.find("\"OOMKilled\":false");
  j.replace(k, 17, "\"OOMKilled\":true");
  REQUIRE(parse_container(j, c, err));
  CHECK(c.oom_killed);
  auto f = lab.run("app:3000", "upstream_reset");
  CHECK(f.cause == RootCause::backend_down);
  CHECK(f.summary.find("OOMKilled") != std::string::npos);
  CHECK(f.fix.find("memory") != std::string::npos);

  Lab lab2;
  lab2.add(container_json("dddddddddddd0005", "lab-app-1", "running", {{"lab_front", "10.213.0.3", "10.213.0.1", {"app"}}},
                          ",\"Health\":{\"Status\":\"unhealthy\",\"FailingStreak\":5,\"Log\":[{\"ExitCode\":1,\"Output\":\"db not ready\\n\"}]}", "app"));
  auto h = lab2.run("app:3000", "read_timeout");
  CHECK(h.cause == RootCause::backend_down);
  CHECK(h.summary.find("db not ready") != std::string::npos);
}

TEST_CASE("verdict: wrong_port, host_port, loopback_bind, ok, backend_slow, tls_mismatch", "[docker]") {
  Lab lab;
  lab.add(container_json("eeeeeeeeeeee0006", "lab-app-1", "running", {{"lab_front", "10.213.0.3", "10.213.0.1", {"app"}}}, "", "app", "",
                         R"({"3000/tcp":[{"HostIp":"0.0.0.0","HostPort":"9090"},{"HostIp":"::","HostPort":"9090"}]})"));
  lab.tcp["lab-app-1"] = kTcpHead + tcp_row("00000000", 3000);
  auto f = lab.run("app:8080", "connection_refused");
  CHECK(f.cause == RootCause::wrong_port);
  CHECK(f.fix == "reverse_proxy app:3000");
  f = lab.run("app:9090", "connection_refused");
  CHECK(f.cause == RootCause::host_port);
  CHECK(f.summary.find("container port 3000") != std::string::npos);
  f = lab.run("app:3000", "connection_refused");
  CHECK(f.cause == RootCause::ok);
  f = lab.run("app:3000", "read_timeout", ProxyKind::nginx,
              routes_from_nginx("server { server_name photos.example.com; proxy_read_timeout 2s; location / { proxy_pass http://app:3000; } }", "/etc/nginx/conf.d/a.conf"));
  CHECK(f.cause == RootCause::backend_slow);
  CHECK(f.summary.find("proxy_read_timeout 2s") != std::string::npos);
  f = lab.run("https://app:3000", "tls_to_plain_backend");
  CHECK(f.cause == RootCause::tls_mismatch);
  CHECK(f.fix == "reverse_proxy http://app:3000");
  lab.tcp["lab-app-1"] = kTcpHead + tcp_row("0100007F", 3000);
  f = lab.run("app:3000", "connection_refused");
  CHECK(f.cause == RootCause::loopback_bind);
  CHECK(seed_cause(f.cause) == 8);
  CHECK(f.summary == "the container listens on 127.0.0.1:3000 only");
  CHECK(headline(f).find("photos.example.com \u2192 app:3000: the container listens on 127.0.0.1:3000 only; ") == 0);
  // no /proc: unknown, with what was checked
  lab.tcp.clear();
  f = lab.run("app:3000", "connection_refused");
  CHECK(f.cause == RootCause::unknown);
}

TEST_CASE("verdict: no_shared_network, default bridge, host_network", "[docker]") {
  Lab lab;
  lab.add(container_json("ffffffffffff0007", "app", "running", {{"other", "10.213.1.2", "10.213.1.1", {"ffffffffffff"}}}));
  lab.tcp["app"] = kTcpHead + tcp_row("00000000", 3000);
  auto f = lab.run("app:3000", "dns_failure");
  CHECK(f.cause == RootCause::no_shared_network);
  CHECK(f.fix.find("docker network connect other lab-proxy-1") == 0);
  // both on the default bridge
  Lab b;
  b.snap.containers.clear();
  b.add(container_json("aaaaaaaaaaaa0001", "proxy", "running", {{"bridge", "10.212.0.2", "10.212.0.1", {}}}, "", "", "default"));
  b.add(container_json("ffffffffffff0007", "app", "running", {{"bridge", "10.212.0.3", "10.212.0.1", {}}}, "", "", "default"));
  f = b.run("app:3000", "dns_failure");
  CHECK(f.cause == RootCause::no_shared_network);
  CHECK(f.summary.find("default bridge") != std::string::npos);
  // host network
  Lab h;
  h.add(container_json("9999999999990008", "app", "running", {{"host", "", "", {}}}, "", "app", "host"));
  f = h.run("app:3000", "dns_failure");
  CHECK(f.cause == RootCause::host_network);
  CHECK(seed_cause(f.cause) == 4);
}

TEST_CASE("verdict: name_unknown suggests the closest name; stale_address names the holder", "[docker]") {
  Lab lab;
  lab.add(container_json("eeeeeeeeeeee0006", "lab-immich-1", "running", {{"lab_front", "10.213.0.4", "10.213.0.1", {"immich", "eeeeeeeeeeee"}}}, "", "immich"));
  lab.add(container_json("eeeeeeeeeeee0009", "lab-other-1", "running", {{"lab_front", "10.213.0.3", "10.213.0.1", {"other"}}}, "", "other"));
  lab.tcp["lab-immich-1"] = kTcpHead + tcp_row("00000000", 2283);
  auto f = lab.run("imich:2283", "dns_failure");
  CHECK(f.cause == RootCause::name_unknown);
  CHECK(f.fix == "reverse_proxy immich:2283");
  // nginx resolved immich to 10.213.0.3 at start; immich is .4 now, .3 is other
  auto routes = routes_from_nginx(
      "upstream photos { server immich:2283; }\n"
      "server { listen 80; server_name photos.example.com;\n location / { proxy_pass http://photos; } }\n",
      "/etc/nginx/conf.d/photos.conf");
  REQUIRE(routes.size() == 1);
  CHECK(routes[0].upstream.host == "immich");
  CHECK(routes[0].where == "/etc/nginx/conf.d/photos.conf:3");
  f = lab.run("10.213.0.3:2283", "connection_refused", ProxyKind::nginx, routes);
  CHECK(f.cause == RootCause::stale_address);
  CHECK(f.summary.find("10.213.0.3 is lab-other-1") != std::string::npos);
  CHECK(f.backend_container == "lab-immich-1");
  CHECK(f.configured_upstream == "immich:2283");
  CHECK(headline(f).find("photos.example.com \u2192 immich:2283 (10.213.0.3:2283): the proxy uses 10.213.0.3") == 0);
  // an address matched to a container directly
  lab.tcp["lab-other-1"] = kTcpHead + tcp_row("00000000", 80);
  f = lab.run("10.213.0.3:2283", "connection_refused", ProxyKind::nginx);
  CHECK(f.cause == RootCause::wrong_port);
  CHECK(f.backend_container == "lab-other-1");
}

TEST_CASE("proxy configs: NPM proxy host, Caddyfile, Traefik labels", "[docker]") {
  auto npm = routes_from_nginx(
      "server {\n  set $forward_scheme http;\n  set $server         \"immich\";\n  set $port           2283;\n"
      "  listen 80;\n  server_name photos.example.com;\n  location / {\n    include conf.d/include/proxy.conf;\n  }\n}\n",
      "/data/nginx/proxy_host/1.conf");
  REQUIRE(npm.size() == 1);
  auto braces = routes_from_nginx("server { server_name a.example; set $b app; location / { proxy_pass http://${b}:81; } }", "x.conf");
  REQUIRE(braces.size() == 1);
  CHECK(braces[0].upstream.host_port() == "app:81");
  CHECK(npm[0].upstream.host_port() == "immich:2283");
  CHECK(npm[0].site == "photos.example.com");
  auto caddy = routes_from_caddyfile(
      "{\n  admin off\n}\nphotos.example.com, http://p.example.com {\n  reverse_proxy /api/* immich:2283 {\n"
      "    transport http {\n      read_timeout 5s\n    }\n  }\n}\n:8080 {\n  reverse_proxy http://other:80\n}\n",
      "/etc/caddy/Caddyfile");
  REQUIRE(caddy.size() == 2);
  CHECK(caddy[0].site == "photos.example.com");
  CHECK(caddy[0].sites.size() == 2);
  CHECK(caddy[0].read_timeout.find("read_timeout 5s") == 0);
  CHECK(caddy[1].upstream.host == "other");
  CHECK(caddy[1].site.empty());
  Snapshot s;
  Container c;
  c.name = "whoami";
  c.labels["traefik.http.routers.w.rule"] = "Host(`w.example.com`)";
  c.labels["traefik.http.services.w.loadbalancer.server.port"] = "8000";
  s.containers.push_back(c);
  auto t = routes_from_traefik_labels(s);
  REQUIRE(t.size() == 1);
  CHECK(t[0].upstream.host_port() == "whoami:8000");
  CHECK(t[0].site == "w.example.com");
  ProxyKind k;
  Container p;
  p.image = "jc21/nginx-proxy-manager:2.15.1";
  CHECK(looks_like_proxy(p, k));
  CHECK(k == ProxyKind::npm);
  p.image = "gw502lab:base";
  p.command = "/usr/bin/caddy run --config /etc/caddy/Caddyfile";
  CHECK(looks_like_proxy(p, k));
  CHECK(k == ProxyKind::caddy);
  p.command = "/usr/bin/python3 -m http.server";
  CHECK_FALSE(looks_like_proxy(p, k));
}

TEST_CASE("JSON findings", "[docker]") {
  Finding f;
  f.site = "a";
  f.upstream = "app:1";
  f.proxy_container = "p";
  f.cause = RootCause::loopback_bind;
  f.evidence.push_back({"x \"q\"", "/proc/1/net/tcp"});
  DockerRun run;
  std::string j = render_json(run, {f});
  CHECK(j.find("\"root_cause\": \"loopback_bind\", \"seed_cause\": 8") != std::string::npos);
  CHECK(j.find("{\"fact\": \"x \\\"q\\\"\", \"source\": \"/proc/1/net/tcp\"}") != std::string::npos);
  CHECK(j.find("\"backend_container\": null") != std::string::npos);
}

TEST_CASE("verdict: an app in a VPN container's network (network_mode: service:gluetun)", "[docker]") {
  // qbittorrent shares gluetun's network namespace: Docker's DNS has no name
  // for it; its web UI is reached as gluetun:8080.
  Lab lab;
  lab.add(container_json("cccccccccccc0011", "gluetun", "running", {{"lab_front", "10.213.0.5", "10.213.0.1", {"gluetun"}}}, "", "gluetun"));
  lab.add(container_json("dddddddddddd0012", "qbittorrent", "running", {}, "", "qbittorrent", "container:cccccccccccc0011"));
  lab.tcp["gluetun"] = lab.tcp["qbittorrent"] = kTcpHead + tcp_row("00000000", 8080);
  for (const char* cause : {"dns_failure", "connect_timeout"}) {
    INFO(cause);
    auto f = lab.run("qbittorrent:8080", cause, ProxyKind::nginx);
    CHECK(f.cause == RootCause::no_shared_network);
    CHECK(f.backend_container == "qbittorrent");
    CHECK(f.summary.find("inside gluetun's network") != std::string::npos);
    CHECK(f.fix.find("proxy_pass http://gluetun:8080") == 0);
  }
  // The same with gluetun on a network the proxy is not on: connect it first.
  Lab apart;
  apart.add(container_json("cccccccccccc0011", "vpn", "running", {{"other", "10.213.1.5", "10.213.1.1", {"vpn"}}}, "", "vpn"));
  apart.add(container_json("dddddddddddd0012", "qbittorrent", "running", {}, "", "qbittorrent", "container:vpn"));
  auto f = apart.run("qbittorrent:8080", "dns_failure", ProxyKind::caddy);
  CHECK(f.cause == RootCause::no_shared_network);
  CHECK(f.fix.find("docker network connect other lab-proxy-1, then reverse_proxy vpn:8080") == 0);
  // gluetun stopped: the app is down with it.
  Lab stopped;
  stopped.add(container_json("cccccccccccc0011", "gluetun", "exited", {{"lab_front", "10.213.0.5", "10.213.0.1", {"gluetun"}}}, "", "gluetun", "", "{}", 0, 1));
  stopped.add(container_json("dddddddddddd0012", "qbittorrent", "running", {}, "", "qbittorrent", "container:cccccccccccc0011"));
  f = stopped.run("qbittorrent:8080", "dns_failure", ProxyKind::nginx);
  CHECK(f.cause == RootCause::backend_down);
}

TEST_CASE("verdict: the Docker host's LAN address and a published port (NPM's Forward Hostname as an IP)", "[docker]") {
  const std::string ports = R"({"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]})";
  Lab lab;
  lab.snap.host_addresses = {"192.168.1.50", "2001:db8::50"};
  lab.add(container_json("ffffffffffff0021", "wiki", "exited", {{"other", "10.213.1.7", "10.213.1.1", {"wiki"}}}, "", "wiki", "", ports, 4242, 1));
  lab.last_line["wiki"] = "Error: database is locked";
  auto f = lab.run("192.168.1.50:8080", "connection_refused", ProxyKind::npm);
  CHECK(f.cause == RootCause::backend_down);
  CHECK(f.backend_container == "wiki");
  bool told = false;
  for (const auto& e : f.evidence) told = told || e.fact.find("192.168.1.50 is an address of the Docker host") == 0;
  CHECK(told);
  // Running, but the app listens on 3000, not on the mapped 80.
  Lab up;
  up.snap.host_addresses = {"192.168.1.50"};
  up.add(container_json("ffffffffffff0021", "wiki", "running", {{"other", "10.213.1.7", "10.213.1.1", {"wiki"}}}, "", "wiki", "", ports));
  up.tcp["wiki"] = kTcpHead + tcp_row("00000000", 3000);
  f = up.run("192.168.1.50:8080", "connection_refused", ProxyKind::npm);
  CHECK(f.cause == RootCause::wrong_port);
  // An address that is not the host's stays unknown.
  f = up.run("192.168.1.51:8080", "connection_refused", ProxyKind::npm);
  CHECK(f.cause == RootCause::unknown);
}

TEST_CASE("verdict: an upstream without a port is the proxy's default, 80", "[docker]") {
  // Caddy's `reverse_proxy app`, nginx's `server app;` in an upstream block.
  Lab lab;
  lab.add(container_json("ffffffffffff0031", "app", "running", {{"lab_front", "10.213.0.9", "10.213.0.1", {"app"}}}, "", "app"));
  lab.tcp["app"] = kTcpHead + tcp_row("00000000", 3000);
  auto f = lab.run("app", "connection_refused", ProxyKind::caddy);
  CHECK(f.cause == RootCause::wrong_port);
  CHECK(f.fix == "reverse_proxy app:3000");
  REQUIRE_FALSE(f.evidence.empty());
  CHECK(f.evidence.front().fact == "the upstream names no port: the proxy uses 80");
}

TEST_CASE("verdict: serving now, but started after the failures: it was down then", "[docker]") {
  Lab lab;  // the app was started at 2026-12-03T13:49:02Z (container_json)
  lab.add(container_json("ffffffffffff0041", "app", "running", {{"lab_front", "10.213.0.9", "10.213.0.1", {"app"}}}, "", "app"));
  lab.tcp["app"] = kTcpHead + tcp_row("00000000", 3000);
  Failure fl;
  fl.site = "photos.example.com";
  fl.upstream = "app:3000";
  fl.log_cause = "connection_refused";
  fl.count = 12;
  int64_t t = 0;
  bool utc = false;
  REQUIRE(parse_iso_time("2026-12-03T13:48:40Z", t, utc));
  fl.first = t - 30;
  fl.last = t;
  auto pr = lab.probes();
  Finding f = diagnose(lab.snap, lab.proxy(), ProxyKind::caddy, fl, {}, pr);
  CHECK(f.cause == RootCause::backend_down);
  CHECK(f.summary.find("was (re)started after the failures") != std::string::npos);
  // Running since before the failures: nothing to blame now.
  REQUIRE(parse_iso_time("2026-12-03T14:10:00Z", t, utc));
  fl.first = t - 30;
  fl.last = t;
  f = diagnose(lab.snap, lab.proxy(), ProxyKind::caddy, fl, {}, pr);
  CHECK(f.cause == RootCause::ok);
  // Started long after (an update days later), or a cause where it answered: no such inference.
  REQUIRE(parse_iso_time("2026-12-01T10:00:00Z", t, utc));
  fl.first = t - 30;
  fl.last = t;
  f = diagnose(lab.snap, lab.proxy(), ProxyKind::caddy, fl, {}, pr);
  CHECK(f.cause == RootCause::ok);
  REQUIRE(parse_iso_time("2026-12-03T13:48:40Z", t, utc));
  fl.first = t - 30;
  fl.last = t;
  fl.log_cause = "invalid_upstream_response";
  f = diagnose(lab.snap, lab.proxy(), ProxyKind::caddy, fl, {}, pr);
  CHECK(f.cause != RootCause::backend_down);
  fl.log_cause = "connection_refused";
  // Times unknown (nginx's, without a zone): no such inference.
  fl.first = fl.last = INT64_MIN;
  f = diagnose(lab.snap, lab.proxy(), ProxyKind::caddy, fl, {}, pr);
  CHECK(f.cause == RootCause::ok);
}

TEST_CASE("verdict: an app that listens on nothing yet is down, not on the wrong port", "[docker]") {
  Lab lab;
  lab.add(container_json("ffffffffffff0051", "app", "running", {{"lab_front", "10.213.0.9", "10.213.0.1", {"app"}}},
                         R"(,"Health":{"Status":"starting","FailingStreak":0,"Log":[]})", "app"));
  lab.tcp["app"] = kTcpHead;  // no listening socket at all
  auto f = lab.run("app:3000", "connection_refused");
  CHECK(f.cause == RootCause::backend_down);
  CHECK(f.summary.find("healthcheck: starting") != std::string::npos);
  // Without a healthcheck the same: no port would be the right one.
  Lab plain;
  plain.add(container_json("ffffffffffff0051", "app", "running", {{"lab_front", "10.213.0.9", "10.213.0.1", {"app"}}}, "", "app"));
  plain.tcp["app"] = kTcpHead + tcp_row("0B00007F", 53);  // Docker's embedded DNS only
  f = plain.run("app:3000", "connection_refused");
  CHECK(f.cause == RootCause::backend_down);
  CHECK(f.summary.find("listens on no TCP port at all") != std::string::npos);
  // Listening elsewhere: the port is wrong.
  plain.tcp["app"] = kTcpHead + tcp_row("00000000", 8080);
  f = plain.run("app:3000", "connection_refused");
  CHECK(f.cause == RootCause::wrong_port);
}

TEST_CASE("verdict: a port published on the host's loopback only is out of the proxy's reach", "[docker]") {
  // ports: "127.0.0.1:8080:80"; the proxy uses the Docker host's address.
  Lab lab;
  lab.snap.host_addresses = {"192.168.1.50"};
  lab.add(container_json("ffffffffffff0061", "wiki", "running", {{"lab_front", "10.213.0.7", "10.213.0.1", {"wiki"}}}, "", "wiki", "",
                         R"({"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]})"));
  lab.tcp["wiki"] = kTcpHead + tcp_row("00000000", 80);
  for (const char* up : {"192.168.1.50:8080", "10.213.0.1:8080"}) {
    INFO(up);
    auto f = lab.run(up, "connection_refused", ProxyKind::nginx);
    CHECK(f.cause == RootCause::loopback_bind);
    CHECK(f.fix.find("proxy_pass http://wiki:80") == 0);
  }
}

TEST_CASE("verdict: Traefik dials an address on a network it is not on", "[docker]") {
  // The proxy is on lab_front; the app on lab_front and other.
  std::string app = container_json("ffffffffffff0071", "app", "running",
                                   {{"other", "10.213.1.9", "10.213.1.1", {"app"}}, {"lab_front", "10.213.0.9", "10.213.0.1", {"app"}}},
                                   "", "app");
  Lab file;  // an address written in Traefik's file provider: the user's, not a label's
  file.add(app);
  file.tcp["app"] = kTcpHead + tcp_row("00000000", 3000);
  auto f = file.run("10.213.1.9:3000", "connect_timeout", ProxyKind::traefik);
  CHECK(f.cause == RootCause::no_shared_network);
  CHECK(f.fix.find("traefik.docker.network") == std::string::npos);
  // The docker provider's choice, by the container's labels.
  const std::string labels = "\"Labels\":{";
  app.replace(app.find(labels), labels.size(), labels + "\"traefik.enable\":\"true\",");
  Lab lab;
  lab.add(app);
  lab.tcp["app"] = kTcpHead + tcp_row("00000000", 3000);
  f = lab.run("10.213.1.9:3000", "connect_timeout", ProxyKind::traefik);
  CHECK(f.cause == RootCause::no_shared_network);
  CHECK(f.fix.find("traefik.docker.network=lab_front") != std::string::npos);
}

TEST_CASE("verdict: the fixes fit where the proxy is (review)", "[docker]") {
  const std::string loop_publish = R"({"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]})";
  // The proxy's own 127.0.0.1:8080 with a loopback-only publish: still the host side of the mapping.
  Lab lab;
  lab.add(container_json("ffffffffffff0081", "wiki", "running", {{"lab_front", "10.213.0.7", "10.213.0.1", {"wiki"}}}, "", "wiki", "", loop_publish));
  lab.tcp["wiki"] = kTcpHead + tcp_row("00000000", 80);
  auto f = lab.run("127.0.0.1:8080", "connection_refused", ProxyKind::nginx);
  CHECK(f.cause == RootCause::host_port);
  // Both on the default bridge: the address, not the name.
  Lab b;
  b.snap.containers.clear();
  b.snap.host_addresses = {"192.168.1.50"};
  b.add(container_json("aaaaaaaaaaaa0001", "proxy", "running", {{"bridge", "10.212.0.2", "10.212.0.1", {}}}, "", "", "default"));
  b.add(container_json("ffffffffffff0081", "wiki", "running", {{"bridge", "10.212.0.3", "10.212.0.1", {}}}, "", "", "default", loop_publish));
  b.tcp["wiki"] = kTcpHead + tcp_row("00000000", 80);
  f = b.run("192.168.1.50:8080", "connection_refused", ProxyKind::nginx);
  CHECK(f.cause == RootCause::loopback_bind);
  CHECK(f.fix.find("proxy_pass http://10.212.0.3:80") == 0);
  // A proxy in the host's network reaches a loopback-only publish at 127.0.0.1.
  Lab h;
  h.snap.containers.clear();
  h.snap.host_addresses = {"192.168.1.50"};
  h.add(container_json("aaaaaaaaaaaa0001", "proxy", "running", {{"host", "", "", {}}}, "", "", "host"));
  h.add(container_json("ffffffffffff0081", "wiki", "running", {{"lab_front", "10.213.0.7", "10.213.0.1", {"wiki"}}}, "", "wiki", "", loop_publish));
  f = h.run("192.168.1.50:8080", "connection_refused", ProxyKind::nginx);
  CHECK(f.cause == RootCause::loopback_bind);
  CHECK(f.fix.find("proxy_pass http://127.0.0.1:8080") == 0);
  // A proxy inside the VPN container's network too: the app is on its loopback.
  Lab v;
  v.snap.containers.clear();
  v.add(container_json("cccccccccccc0011", "gluetun", "running", {{"lab_front", "10.213.0.5", "10.213.0.1", {"gluetun"}}}, "", "gluetun"));
  v.add(container_json("aaaaaaaaaaaa0001", "proxy", "running", {}, "", "proxy", "container:gluetun"));
  v.add(container_json("dddddddddddd0012", "qbittorrent", "running", {}, "", "qbittorrent", "container:cccccccccccc0011"));
  Failure fl;
  fl.site = "t.example";
  fl.upstream = "qbittorrent:8080";
  fl.log_cause = "dns_failure";
  auto pr = v.probes();
  f = diagnose(v.snap, v.snap.containers[1], ProxyKind::caddy, fl, {}, pr);
  CHECK(f.cause == RootCause::no_shared_network);
  CHECK(f.fix == "reverse_proxy 127.0.0.1:8080");
}

TEST_CASE("verdict: an upstream outside Docker is said to be so, with what its log means", "[docker]") {
  Lab lab;
  lab.snap.host_addresses = {"192.168.1.50"};
  auto f = lab.run("192.168.1.20:5000", "connect_timeout", ProxyKind::npm);  // a NAS on the LAN
  CHECK(f.cause == RootCause::unknown);
  CHECK(f.summary.find("outside Docker") != std::string::npos);
  CHECK(f.summary.find("firewall") != std::string::npos);
  CHECK(f.fix.find("docker exec lab-proxy-1 wget -qO- http://192.168.1.20:5000/") != std::string::npos);
  f = lab.run("nas.lan:5000", "dns_failure", ProxyKind::npm);
  CHECK(f.cause == RootCause::unknown);
  CHECK(f.summary.find("does not resolve in the proxy's container") != std::string::npos);
  CHECK(f.fix.find("extra_hosts") != std::string::npos);
  // An address in a Docker network that nobody holds now stays the old answer.
  f = lab.run("10.213.0.77:3000", "connect_timeout", ProxyKind::npm);
  CHECK(f.summary.find("no container holds 10.213.0.77") == 0);
  // A short name with no close container name is still name_unknown.
  f = lab.run("zzzz:3000", "dns_failure", ProxyKind::npm);
  CHECK(f.cause == RootCause::name_unknown);
}

TEST_CASE("verdict: a proxy in the host's network cannot reach a macvlan container", "[docker]") {
  Lab lab;
  lab.snap.containers.clear();
  Network mv;
  mv.id = "netlan";
  mv.name = "lan";
  mv.driver = "macvlan";
  mv.subnets = {"192.168.1.0/24"};
  lab.snap.networks.push_back(mv);
  lab.add(container_json("aaaaaaaaaaaa0001", "npm", "running", {{"host", "", "", {}}}, "", "npm", "host"));
  lab.add(container_json("ffffffffffff0091", "homeassistant", "running", {{"lan", "192.168.1.60", "192.168.1.1", {"homeassistant"}}}, "", "homeassistant"));
  lab.tcp["homeassistant"] = kTcpHead + tcp_row("00000000", 8123);
  auto f = lab.run("192.168.1.60:8123", "connect_timeout", ProxyKind::npm);
  CHECK(f.cause == RootCause::no_shared_network);
  CHECK(f.summary.find("cannot reach its own macvlan containers") != std::string::npos);
  CHECK(f.backend_container == "homeassistant");
}

TEST_CASE("verdict: the Docker host's own name does not resolve inside containers", "[docker]") {
  Lab lab;
  lab.snap.host_name = "homeserver";
  lab.snap.host_addresses = {"10.213.0.1", "fd00::50", "192.168.1.50"};  // a bridge's gateway first
  lab.add(container_json("ffffffffffff00a1", "jellyfin", "running", {{"other", "10.213.1.7", "10.213.1.1", {"jellyfin"}}}, "", "jellyfin", "",
                         R"({"8096/tcp":[{"HostIp":"0.0.0.0","HostPort":"8096"}]})"));
  lab.tcp["jellyfin"] = kTcpHead + tcp_row("00000000", 8096);
  for (const char* up : {"homeserver:8096", "HomeServer.local:8096"}) {
    INFO(up);
    auto f = lab.run(up, "dns_failure", ProxyKind::npm);
    CHECK(f.cause == RootCause::name_unknown);
    CHECK(f.summary.find("this Docker host's own name") != std::string::npos);
    CHECK(f.fix.find("host.docker.internal") != std::string::npos);
    CHECK(f.fix.find("192.168.1.50") != std::string::npos);
  }
  // When it does resolve (an extra_hosts entry, a DNS server that knows it), the published port decides.
  auto f = lab.run("homeserver:8096", "connection_refused", ProxyKind::npm);
  CHECK(f.backend_container == "jellyfin");
  // Another machine's name stays outside.
  f = lab.run("homeserver2.lan:8096", "dns_failure", ProxyKind::npm);
  CHECK(f.cause == RootCause::unknown);
}

TEST_CASE("verdict: names and addresses the second review found (host name, NAME.NETWORK, LAN subnets, extra_hosts)", "[docker]") {
  // A container that answers to the host's name wins over the host.
  Lab lab;
  lab.snap.host_name = "jellyfin.example.com";  // gethostname() may give the full name
  lab.snap.host_addresses = {"192.168.1.50"};
  lab.add(container_json("ffffffffffff00b1", "jellyfin", "running", {{"other", "10.213.1.7", "10.213.1.1", {"jellyfin"}}}, "", "jellyfin"));
  lab.tcp["jellyfin"] = kTcpHead + tcp_row("00000000", 8096);
  auto f = lab.run("jellyfin:8096", "dns_failure", ProxyKind::npm);
  CHECK(f.cause == RootCause::no_shared_network);
  // The host's first label matches a full host name.
  Lab h;
  h.snap.host_name = "myserver.example.com";
  f = h.run("myserver:8096", "dns_failure", ProxyKind::npm);
  CHECK(f.cause == RootCause::name_unknown);
  CHECK(f.summary.find("own name") != std::string::npos);
  // app.lab_front is app on network lab_front.
  lab.add(container_json("ffffffffffff00b2", "app", "running", {{"lab_front", "10.213.0.9", "10.213.0.1", {"app"}}}, "", "app"));
  lab.tcp["app"] = kTcpHead + tcp_row("00000000", 3000);
  f = lab.run("app.lab_front:8080", "connection_refused", ProxyKind::npm);
  CHECK(f.cause == RootCause::wrong_port);
  CHECK(f.backend_container == "app");
  // A NAS in a macvlan network's subnet (the LAN) that no container holds: outside Docker.
  Network mv;
  mv.id = "netlan";
  mv.name = "lan";
  mv.driver = "macvlan";
  mv.subnets = {"192.168.1.0/24"};
  lab.snap.networks.push_back(mv);
  f = lab.run("192.168.1.20:5000", "connection_refused", ProxyKind::npm);
  CHECK(f.cause == RootCause::unknown);
  CHECK(f.summary.find("outside Docker") != std::string::npos);
  // extra_hosts nas.lan:192.168.1.20 is another machine, not the Docker host.
  std::string proxy = container_json("aaaaaaaaaaaa0001", "lab-proxy-1", "running", {{"lab_front", "10.213.0.2", "10.213.0.1", {"proxy"}}}, "", "proxy");
  const std::string extra = "\"ExtraHosts\":null";
  proxy.replace(proxy.find(extra), extra.size(), "\"ExtraHosts\":[\"nas.lan:192.168.1.20\",\"host.docker.internal:host-gateway\"]");
  Lab x;
  x.snap.containers.clear();
  x.snap.host_addresses = {"192.168.1.50"};
  x.add(proxy);
  f = x.run("nas.lan:5000", "connect_timeout", ProxyKind::npm);
  CHECK(f.cause == RootCause::unknown);
  CHECK(f.summary.find("outside Docker") != std::string::npos);
  f = x.run("host.docker.internal:5000", "connect_timeout", ProxyKind::npm);
  CHECK(f.summary.find("the Docker host") != std::string::npos);
}
