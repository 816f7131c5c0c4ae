#include "docker/verdict.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "base/strutil.hpp"
#include "base/timeparse.hpp"

namespace gw502::docker {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_ipv4(std::string_view s) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}

bool is_ipv6(std::string_view s) {
  in6_addr a{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

bool is_loopback_host(std::string_view h) {
  return starts_with(h, "127.") || h == "::1" || lower(h) == "localhost";
}

// IPv4 address in CIDR subnet.
bool in_subnet(std::string_view ip, std::string_view cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return false;
  in_addr a{}, n{};
  if (inet_pton(AF_INET, std::string(ip).c_str(), &a) != 1) return false;
  if (inet_pton(AF_INET, std::string(cidr.substr(0, slash)).c_str(), &n) != 1) return false;
  int bits = std::atoi(std::string(cidr.substr(slash + 1)).c_str());
  if (bits < 0 || bits > 32) return false;
  uint32_t mask = bits == 0 ? 0 : ~uint32_t(0) << (32 - bits);
  return (ntohl(a.s_addr) & mask) == (ntohl(n.s_addr) & mask);
}

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string api(const Container& c, std::string_view field) {
  return "GET /containers/" + c.name + "/json " + std::string(field);
}

std::vector<std::string> network_names(const Container& c) {
  std::vector<std::string> out;
  for (const auto& e : c.endpoints) out.push_back(e.network);
  return out;
}

// 137/143: killed by SIGKILL/SIGTERM (docker stop), not a crash of its own.
bool stopped_by_signal(const Container& c) { return !c.oom_killed && (c.exit_code == 137 || c.exit_code == 143 || c.exit_code == 0); }

bool down(const Container& c) { return !c.running || c.restarting || c.status == "paused"; }

// The name the proxy should use for c on network: its compose service when
// Docker answers to it there, else its container name.
std::string best_name(const Container& c) {
  std::string s = c.service();
  return s.empty() ? c.name : s;
}

std::string upstream_with(const Upstream& u, std::string_view host, uint16_t port) {
  Upstream v = u;
  v.host = std::string(host);
  v.port = port;
  return v.host_port();
}

// "use app:3000" in the proxy's own terms.
std::string fix_target(ProxyKind kind, const Upstream& u, const std::string& target) {
  std::string scheme = u.scheme.empty() ? "http" : u.scheme;
  switch (kind) {
    case ProxyKind::npm:
      return "in the proxy host's Details set Forward Hostname / IP and Forward Port to " + target;
    case ProxyKind::caddy:
      return "reverse_proxy " + target;
    case ProxyKind::traefik:
      return "point the service at " + target +
             " (label traefik.http.services.NAME.loadbalancer.server.port)";
    case ProxyKind::nginx:
      break;
  }
  return "proxy_pass " + scheme + "://" + target + ";";
}

struct Context {
  const Snapshot& snap;
  const Container& proxy;
  ProxyKind kind;
  const Probes& probes;
  Finding& f;
  void fact(std::string text, std::string source) { f.evidence.push_back({std::move(text), std::move(source)}); }
  void verdict(RootCause c, std::string summary, std::string fix) {
    f.cause = c;
    f.summary = std::move(summary);
    f.fix = std::move(fix);
  }
};

// Containers Docker's DNS answers `name` for, on any network, with the
// networks where it does.
struct NameHit {
  const Container* c;
  std::vector<std::string> networks;  // where the name resolves to c
};

std::vector<NameHit> containers_named(const Snapshot& snap, const std::string& name) {
  std::vector<NameHit> out;
  std::string want = lower(name);
  for (const auto& c : snap.containers) {
    NameHit h{&c, {}};
    bool known = lower(c.name) == want || lower(c.service()) == want;
    for (const auto& e : c.endpoints) {
      for (const auto& n : dns_names(c, e, snap.network(e.network)))
        if (lower(n) == want) {
          h.networks.push_back(e.network);
          break;
        }
    }
    if (known || !h.networks.empty()) out.push_back(std::move(h));
  }
  return out;
}

const Container* holder_of(const Snapshot& snap, const std::string& ip, std::string* network) {
  for (const auto& c : snap.containers)
    for (const auto& e : c.endpoints)
      if (!ip.empty() && (e.ip == ip || e.ip6 == ip)) {
        if (network) *network = e.network;
        return &c;
      }
  return nullptr;
}

// The container whose network namespace c runs in (network_mode
// container:ID or NAME; compose's service:NAME is written as the former).
const Container* netns_owner(const Snapshot& snap, const Container& c) {
  if (!starts_with(c.network_mode, "container:")) return nullptr;
  const std::string ref = c.network_mode.substr(10);
  for (const auto& o : snap.containers)
    if (&o != &c && !ref.empty() && (starts_with(o.id, ref) || o.name == ref)) return &o;
  return nullptr;
}

std::vector<std::string> shared_networks(const Container& a, const Container& b) {
  std::vector<std::string> out;
  for (const auto& e : a.endpoints)
    if (b.endpoint(e.network)) out.push_back(e.network);
  return out;
}

// The Docker host's own name, bare or with a domain (myserver, myserver.local).
bool is_host_address(const Snapshot& snap, const std::string& ip) {
  return std::find(snap.host_addresses.begin(), snap.host_addresses.end(), ip) != snap.host_addresses.end();
}

// A container that answers to the same name wins (Docker's DNS answers it
// first): the host's name only counts when none does.
bool is_host_name(const Snapshot& snap, const std::string& host) {
  if (snap.host_name.empty() || is_ipv4(host) || is_ipv6(host)) return false;
  const std::string h = lower(host), full = lower(snap.host_name);
  const std::string me = full.substr(0, full.find('.'));  // its first label
  const bool named = h == full || h == me || (h.size() > me.size() && h.compare(0, me.size(), me) == 0 && h[me.size()] == '.');
  return named && containers_named(snap, host).empty();
}

bool is_docker_host(const Snapshot& snap, const Container& proxy, const std::string& host) {
  std::string h = lower(host);
  if (is_host_name(snap, host)) return true;
  if (h == "host.docker.internal" || h == "gateway.docker.internal") return true;
  if (is_host_address(snap, h)) return true;
  for (const auto& e : proxy.endpoints)
    if (!e.gateway.empty() && e.gateway == host) return true;
  for (const auto& n : snap.networks)
    for (const auto& g : n.gateways)
      if (g == host) return true;
  // extra_hosts "name:host-gateway", or "name:IP" with one of the host's
  // addresses or gateways ("nas.lan:192.168.1.20" is another machine).
  for (const auto& x : proxy.extra_hosts) {
    size_t colon = x.find(':');
    if (colon == std::string::npos || lower(x.substr(0, colon)) != h) continue;
    const std::string to = x.substr(colon + 1);
    if (to == "host-gateway" || (to != h && is_docker_host(snap, proxy, to))) return true;
  }
  return false;
}

void state_facts(Context& cx, const Container& c) {
  std::string st = "State.Status is " + c.status;
  if (!c.running && c.status == "exited") st += " (exit code " + std::to_string(c.exit_code) + ")";
  cx.fact(c.name + ": " + st, api(c, "State.Status"));
}

// backend_down when c is not serving; true when decided.
bool check_down(Context& cx, const Container& c, const std::string& port_text) {
  const std::string nm = best_name(c);
  if (down(c)) {
    state_facts(cx, c);
    std::string what;
    if (c.oom_killed) {
      what = "was killed for lack of memory (OOMKilled)";
      cx.fact(c.name + ": State.OOMKilled is true", api(c, "State.OOMKilled"));
    } else if (c.restarting) {
      what = "keeps restarting (" + std::to_string(c.restart_count) + " restarts, last exit code " +
             std::to_string(c.exit_code) + ")";
      cx.fact(c.name + ": RestartCount is " + std::to_string(c.restart_count), api(c, "RestartCount"));
    } else if ((c.status == "exited" || c.status == "dead") && stopped_by_signal(c)) {
      what = "is not running: it was stopped (exit code " + std::to_string(c.exit_code) +
             (c.exit_code == 137 ? ", SIGKILL" : c.exit_code == 143 ? ", SIGTERM" : "") + ": docker stop, compose down, a reboot)";
      if (!c.finished_at.empty() && !starts_with(c.finished_at, "0001-"))
        cx.fact(c.name + ": finished at " + c.finished_at, api(c, "State.FinishedAt"));
    } else if (c.status == "exited" || c.status == "dead") {
      what = "is not running: exited with code " + std::to_string(c.exit_code);
      if (!c.finished_at.empty() && !starts_with(c.finished_at, "0001-"))
        cx.fact(c.name + ": finished at " + c.finished_at, api(c, "State.FinishedAt"));
    } else {
      what = "is not running (" + c.status + ")";
    }
    if (!c.error.empty()) cx.fact(c.name + ": " + c.error, api(c, "State.Error"));
    std::string last = cx.probes.last_log_line ? cx.probes.last_log_line(c) : std::string();
    // "2026-12-03T14:27:19.104754204Z text" (timestamps=1) -> "text"
    if (last.size() > 20 && last[4] == '-' && last[10] == 'T' && last.find(' ') != std::string::npos)
      last.erase(0, last.find(' ') + 1);
    while (!last.empty() && (last.back() == '\n' || last.back() == '\r')) last.pop_back();
    if (!last.empty()) {
      cx.fact(c.name + "'s last log line: " + last, "GET /containers/" + c.name + "/logs?tail=1");
      if ((c.status == "exited" && !stopped_by_signal(c)) || c.restarting) what += "; its last log line: " + last;
    }
    std::string fix = c.oom_killed ? "raise the container's memory limit (mem_limit / deploy.resources.limits.memory), then docker compose up -d " + nm
                                   : c.status == "exited" && c.exit_code != 0 && !stopped_by_signal(c)
                                         ? "fix the start-up error in its log, then docker compose up -d " + nm + " (docker start " + c.name + ")"
                                         : "start it: docker compose up -d " + nm + " (docker start " + c.name + "); add restart: unless-stopped";
    cx.verdict(RootCause::backend_down, "container " + c.name + " " + what, fix);
    return true;
  }
  if (c.health == "unhealthy") {
    cx.fact(c.name + ": State.Health.Status is unhealthy (failing streak " +
                std::to_string(c.health_failing_streak) + ")",
            api(c, "State.Health.Status"));
    if (!c.health_output.empty())
      cx.fact(c.name + "'s last health check: " + c.health_output, api(c, "State.Health.Log"));
    cx.verdict(RootCause::backend_down,
               "container " + c.name + " runs but is unhealthy" +
                   (c.health_output.empty() ? std::string() : ": " + c.health_output),
               "look at docker compose logs " + nm + "; restart it once the cause is fixed");
    return true;
  }
  (void)port_text;
  return false;
}

std::string listener_text(const Listener& l) {
  return l.v6 ? "[" + l.address + "]:" + std::to_string(l.port) : l.address + ":" + std::to_string(l.port);
}

bool tls_cause(std::string_view cause) {
  return cause == "tls_to_plain_backend" || cause == "plain_to_tls_backend" || cause == "tls_handshake_failed" ||
         cause == "tls_verify_failed";
}

// With the port listened on by a running container: the log's wording decides.
void port_ok(Context& cx, const Container& c, const Upstream& u, const Failure& fl, const Route* route) {
  const std::string target = best_name(c) + ":" + std::to_string(u.port);
  if (tls_cause(fl.log_cause) || (!u.scheme.empty() && fl.log_cause == "invalid_upstream_response")) {
    bool to_plain = fl.log_cause == "tls_to_plain_backend" || (fl.log_cause != "plain_to_tls_backend" && u.scheme == "https");
    cx.fact("the proxy's log says " + fl.log_cause + " for " + fl.upstream, "proxy log");
    if (fl.log_cause == "tls_verify_failed") {
      cx.verdict(RootCause::tls_mismatch, "the backend's TLS certificate is rejected by the proxy",
                 cx.kind == ProxyKind::caddy ? "transport http { tls_insecure_skip_verify } or trust its CA"
                                              : "proxy_ssl_verify off; or proxy_ssl_trusted_certificate with its CA");
      return;
    }
    Upstream v = u;
    v.scheme = to_plain ? "http" : "https";
    std::string fix = cx.kind == ProxyKind::npm      ? std::string("set Scheme to ") + v.scheme + " in the proxy host's Details"
                      : cx.kind == ProxyKind::caddy  ? "reverse_proxy " + v.scheme + "://" + target
                      : cx.kind == ProxyKind::traefik ? "label traefik.http.services.NAME.loadbalancer.server.scheme=" + v.scheme
                                                      : "proxy_pass " + v.scheme + "://" + target + ";";
    cx.verdict(RootCause::tls_mismatch,
               to_plain ? "the proxy speaks TLS to " + target + ", which answers plain HTTP"
                        : "the proxy speaks plain HTTP to " + target + ", which expects TLS",
               fix);
    return;
  }
  if (fl.log_cause == "read_timeout") {
    std::string setting = route && !route->read_timeout.empty()
                              ? route->read_timeout + " (" + route->where + ")"
                              : cx.kind == ProxyKind::caddy ? std::string("Caddy's transport read_timeout (default: none)")
                              : cx.kind == ProxyKind::traefik ? std::string("Traefik's responding/forwarding timeouts")
                                                              : std::string("proxy_read_timeout (default 60s)");
    cx.fact("the proxy timed out waiting for " + target + "'s answer " + std::to_string(fl.count) + " time(s)", "proxy log");
    cx.fact("the proxy's timeout: " + setting, route ? route->where : std::string("proxy default"));
    std::string fix = cx.kind == ProxyKind::caddy ? "reverse_proxy " + target + " { transport http { read_timeout 300s } }, or make the request faster"
                      : cx.kind == ProxyKind::traefik ? "raise the serversTransport's responseHeaderTimeout, or make the request faster"
                      : cx.kind == ProxyKind::npm ? "Advanced tab: proxy_read_timeout 300s; (or make the request faster)"
                                                  : "proxy_read_timeout 300s; (or make the request faster)";
    cx.verdict(RootCause::backend_slow,
               c.name + " accepts connections on port " + std::to_string(u.port) + " but answers after the proxy's timeout (" + setting + ")",
               fix);
    return;
  }
  // Serving now, but (re)started soon after failures that say it could not
  // be reached: it was down or still starting when they happened (a crash
  // and a restart policy, a redeploy). Not for causes where it answered,
  // nor for a restart long after (an update days later says nothing).
  static constexpr int64_t kRestartWindow = 15 * 60;
  int64_t started = 0;
  bool utc = false;
  const bool unreachable = fl.log_cause == "connection_refused" || fl.log_cause == "dns_failure" ||
                           fl.log_cause == "connect_timeout" || fl.log_cause == "upstream_reset" ||
                           fl.log_cause == "no_live_upstreams" || fl.log_cause == "network_unreachable";
  if (fl.last != INT64_MIN && unreachable && parse_iso_time(c.started_at, started, utc) && started >= fl.last &&
      started - fl.last <= kRestartWindow) {
    cx.fact(c.name + " was started at " + c.started_at + ", after the last failure (" + format_iso(fl.last, true) + ")",
            api(c, "State.StartedAt"));
    if (c.restart_count > 0)
      cx.fact(c.name + ": RestartCount is " + std::to_string(c.restart_count), api(c, "RestartCount"));
    cx.verdict(RootCause::backend_down,
               c.name + " runs and listens on port " + std::to_string(u.port) + " now, but was (re)started after the failures: " +
                   "it was down or still starting when they happened" +
                   (c.restart_count > 0 ? " (" + std::to_string(c.restart_count) + " restarts)" : std::string()),
               "look at why it stopped: docker compose logs " + best_name(c) + " (and docker inspect " + c.name +
                   " for OOMKilled / ExitCode); give it restart: unless-stopped and a healthcheck");
    return;
  }
  cx.verdict(RootCause::ok,
             "everything checks out now: " + c.name + " runs and listens on port " + std::to_string(u.port) +
                 (fl.log_cause.empty() ? std::string() : " (the log's " + fl.log_cause + " was before, or intermittent)"),
             fl.log_cause.empty() ? std::string() : "nothing to change now; if it recurs, look at " + c.name + "'s restarts and logs");
}

// The listeners of a running c decide between wrong_port, host_port,
// loopback_bind and the log's wording.
void check_ports(Context& cx, const Container& c, const Upstream& u, const Failure& fl, const Route* route) {
  std::vector<Listener> ls;
  std::string source, err;
  bool read = cx.probes.listeners && cx.probes.listeners(c, ls, source, err);
  if (!read) {
    cx.fact("listening sockets of " + c.name + " not read: " + (err.empty() ? "no /proc access" : err), "/proc");
    if (fl.log_cause == "read_timeout" || tls_cause(fl.log_cause)) {
      port_ok(cx, c, u, fl, route);
      return;
    }
    cx.verdict(RootCause::unknown,
               "container " + c.name + " runs and shares a network with the proxy; its listening sockets could not be read",
               "run gw502-logs as root on the Docker host (it reads /proc/<pid>/net/tcp), or docker exec " + c.name + " ss -tlnp");
    return;
  }
  std::vector<std::string> all;
  for (const auto& l : ls)
    if (!(l.address == "127.0.0.11" && !l.v6)) all.push_back(listener_text(l));  // Docker's embedded DNS
  std::vector<const Listener*> on_port;
  for (const auto& l : ls)
    if (l.port == u.port) on_port.push_back(&l);
  cx.fact(c.name + " listens on " + (all.empty() ? std::string("nothing") : join(all)), source);
  if (on_port.empty()) {
    // The host side of a ports: mapping?
    for (const auto& m : c.ports)
      if (m.host_port == u.port && m.proto == "tcp") {
        cx.fact(c.name + " publishes " + std::to_string(m.host_port) + "->" + std::to_string(m.container_port) + "/tcp",
                api(c, "NetworkSettings.Ports"));
        std::string target = upstream_with(u, best_name(c), m.container_port);
        cx.verdict(RootCause::host_port,
                   "port " + std::to_string(u.port) + " is the host side of " + c.name + "'s mapping " +
                       std::to_string(m.host_port) + ":" + std::to_string(m.container_port) +
                       "; between containers use the container port " + std::to_string(m.container_port),
                   fix_target(cx.kind, u, target));
        return;
      }
    // Nothing to be had from it yet: no port is the right one.
    if (c.health == "starting" || all.empty()) {
      if (c.health == "starting")
        cx.fact(c.name + ": State.Health.Status is starting (its healthcheck has not passed yet)", api(c, "State.Health.Status"));
      cx.verdict(RootCause::backend_down,
                 "container " + c.name + " runs, but its app " +
                     (all.empty() ? std::string("listens on no TCP port at all") : "is still starting") +
                     (c.health == "starting" ? " (healthcheck: starting)" : "") +
                     ": it is still starting, or its server failed inside the container",
                 "look at docker compose logs " + best_name(c) + " for its start-up; wait for it, or fix what keeps its "
                 "server from opening port " + std::to_string(u.port));
      return;
    }
    // Suggest the port it does listen on (non-loopback, exposed first).
    uint16_t suggest = 0;
    for (uint16_t p : c.exposed)
      for (const auto& l : ls)
        if (l.port == p && !l.loopback() && !suggest) suggest = p;
    for (const auto& l : ls)
      if (!l.loopback() && !suggest) suggest = l.port;
    if (!c.exposed.empty()) {
      std::vector<std::string> ex;
      for (auto p : c.exposed) ex.push_back(std::to_string(p));
      cx.fact(c.name + " exposes " + join(ex), api(c, "Config.ExposedPorts"));
    }
    cx.verdict(RootCause::wrong_port,
               "nothing listens on port " + std::to_string(u.port) + " in " + c.name +
                   (suggest ? "; it listens on " + std::to_string(suggest) : std::string()),
               suggest ? fix_target(cx.kind, u, upstream_with(u, best_name(c), suggest))
                       : "find the app's port: docker exec " + c.name + " ss -tlnp, or its documentation");
    return;
  }
  bool all_loop = std::all_of(on_port.begin(), on_port.end(), [](const Listener* l) { return l->loopback(); });
  if (all_loop) {
    cx.verdict(RootCause::loopback_bind,
               "the container listens on " + listener_text(*on_port.front()) + " only",
               "make the app listen on 0.0.0.0:" + std::to_string(u.port) +
                   " (its HOST / BIND / LISTEN_ADDR setting, e.g. HOST=0.0.0.0)");
    return;
  }
  port_ok(cx, c, u, fl, route);
}

const Route* match_route(const std::vector<Route>& routes, const Failure& fl, const Upstream& u) {
  std::string site = lower(fl.site);
  auto site_ok = [&](const Route& r) {
    if (site.empty() || site == "-" || (r.site.empty() && r.sites.empty())) return true;
    if (lower(r.site) == site) return true;
    for (const auto& s : r.sites)
      if (lower(s) == site || s == "_" || (starts_with(s, "*.") && ends_with(site, lower(s).substr(1)))) return true;
    return false;
  };
  const Route* best = nullptr;
  int best_score = 0;
  for (const auto& r : routes) {
    int score = 0;
    if (lower(r.upstream.host) == lower(u.host) && (r.upstream.port == u.port || !u.port)) score = 4;
    else if (u.is_ip() && r.upstream.port == u.port && !r.upstream.is_ip()) score = 2;
    if (!score) continue;
    if (site_ok(r)) score += 2;
    else if (score < 4) continue;  // an address on another site: not this route
    if (score > best_score) best = &r, best_score = score;
  }
  return best;
}

// An upstream outside Docker (another machine, a name Docker's DNS does not
// know): nothing here can be inspected; the log's wording says what to check.
void outside_docker(Context& cx, const Upstream& u, const Failure& fl) {
  const std::string& lc = fl.log_cause;
  const bool name = !u.is_ip();
  const std::string what =
      lc == "dns_failure" && name
          ? "it does not resolve in the proxy's container (Docker's DNS asks the host's resolvers: a name only in the "
            "host's /etc/hosts, or an mDNS .local name, does not resolve inside containers)"
      : lc == "connection_refused" ? "it refuses the connection: its service is down there, or listens on another port"
      : lc == "connect_timeout" || lc == "network_unreachable"
          ? "it does not answer: the machine is down, or a firewall (on it, or ufw/firewalld on this host) drops "
            "traffic from Docker's networks"
      : lc == "read_timeout" ? "it accepts the connection but answers after the proxy's timeout"
                             : "the proxy's log says " + (lc.empty() ? std::string("nothing more") : lc);
  cx.verdict(RootCause::unknown,
             u.host_port() +
                 (name ? std::string(" is outside Docker (a DNS name no container answers to); ")
                       : std::string(" is outside Docker (another machine, or a container of a network removed since); ")) +
                 what,
             lc == "dns_failure" && name
                 ? "give the proxy the address: extra_hosts: [\"" + u.host + ":IP\"] on its service, or use the IP"
             : lc == "read_timeout"
                 ? "make the request faster on " + u.host + ", or raise the proxy's read timeout"
                 : "check from the proxy's container: docker exec " + cx.proxy.name + " wget -qO- http://" +
                       u.host_port() + "/ (or curl -v, whichever the image has), then on " + u.host +
                       ": is the service running and listening on " + std::to_string(u.port) +
                       ", and does its firewall let Docker's networks in?");
}

void suggest_name(Context& cx, const std::string& name, const Upstream& u, const Failure& fl) {
  // Names the proxy could reach: on its networks first, then anywhere.
  struct Cand {
    std::string name;
    const Container* c;
    bool reachable;
  };
  std::vector<Cand> cands;
  for (const auto& c : cx.snap.containers) {
    if (&c == &cx.proxy) continue;
    for (const auto& e : c.endpoints) {
      bool reach = cx.proxy.endpoint(e.network) != nullptr;
      for (const auto& n : dns_names(c, e, cx.snap.network(e.network))) cands.push_back({n, &c, reach});
    }
    cands.push_back({c.name, &c, false});
    if (!c.service().empty()) cands.push_back({c.service(), &c, false});
  }
  const Cand* best = nullptr;
  size_t best_d = SIZE_MAX;
  for (const auto& k : cands) {
    if (k.name.size() == 12 && k.name == k.c->id.substr(0, 12)) continue;  // short ids
    size_t d = edit_distance(lower(name), lower(k.name));
    if (d < best_d || (d == best_d && k.reachable && best && !best->reachable)) best = &k, best_d = d;
  }
  cx.fact("no container, service or network alias is named " + name, "GET /containers/json?all=1, NetworkSettings.Networks.*.Aliases");
  if (!fl.log_cause.empty()) cx.fact("the proxy's log says " + fl.log_cause, "proxy log");
  size_t limit = std::max<size_t>(2, name.size() / 3);
  if (best && best_d <= limit) {
    cx.f.backend_container = best->c->name;
    std::string target = upstream_with(u, best->name, u.port);
    cx.verdict(RootCause::name_unknown,
               "no container answers to " + name + "; did you mean " + best->name + " (container " + best->c->name + ")?",
               fix_target(cx.kind, u, target));
    return;
  }
  if (name.find('.') != std::string::npos) {  // nas.lan, api.example.com: a DNS name, not a container's
    outside_docker(cx, u, fl);
    return;
  }
  cx.verdict(RootCause::name_unknown, "no container answers to " + name,
             "use the compose service name or container name of the app (docker ps shows them)");
}

}  // namespace

const char* root_cause_id(RootCause c) {
  switch (c) {
    case RootCause::backend_down: return "backend_down";
    case RootCause::wrong_port: return "wrong_port";
    case RootCause::host_port: return "host_port";
    case RootCause::no_shared_network: return "no_shared_network";
    case RootCause::host_network: return "host_network";
    case RootCause::tls_mismatch: return "tls_mismatch";
    case RootCause::backend_slow: return "backend_slow";
    case RootCause::name_unknown: return "name_unknown";
    case RootCause::stale_address: return "stale_address";
    case RootCause::loopback_bind: return "loopback_bind";
    case RootCause::ok: return "ok";
    case RootCause::unknown: return "unknown";
  }
  return "unknown";
}

int seed_cause(RootCause c) {
  switch (c) {
    case RootCause::backend_down: return 1;
    case RootCause::wrong_port:
    case RootCause::host_port: return 2;
    case RootCause::no_shared_network: return 3;
    case RootCause::host_network: return 4;
    case RootCause::tls_mismatch: return 5;
    case RootCause::backend_slow: return 6;
    case RootCause::name_unknown:
    case RootCause::stale_address: return 7;
    case RootCause::loopback_bind: return 8;
    case RootCause::ok:
    case RootCause::unknown: return 0;
  }
  return 0;
}

bool Upstream::is_ip() const { return is_ipv4(host) || is_ipv6(host); }

std::string Upstream::host_port() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port ? h + ":" + std::to_string(port) : h;
}

Upstream parse_upstream(std::string_view t) {
  Upstream u;
  while (!t.empty() && (t.front() == ' ' || t.front() == '"')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '"' || t.back() == ';')) t.remove_suffix(1);
  size_t sch = t.find("://");
  if (sch != std::string_view::npos) {
    u.scheme = lower(t.substr(0, sch));
    t.remove_prefix(sch + 3);
  }
  t = t.substr(0, t.find('/'));
  std::string_view port;
  if (!t.empty() && t.front() == '[') {
    size_t close = t.find(']');
    u.host = std::string(t.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
    if (close != std::string_view::npos && close + 1 < t.size() && t[close + 1] == ':') port = t.substr(close + 2);
  } else if (std::count(t.begin(), t.end(), ':') == 1) {
    size_t colon = t.find(':');
    u.host = std::string(t.substr(0, colon));
    port = t.substr(colon + 1);
  } else {
    u.host = std::string(t);  // a bare name, or a bare IPv6 address
  }
  unsigned p = 0;
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) {
    if (c < '0' || c > '9') digits = false;
    else p = p * 10 + unsigned(c - '0');
  }
  if (digits && p > 0 && p < 65536) u.port = uint16_t(p);
  if (!u.port) u.port = u.scheme == "https" || u.scheme == "grpcs" ? 443 : u.scheme.empty() ? 0 : 80;
  return u;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

Probes proc_probes(const std::string& proc_root) {
  Probes p;
  p.listeners = [proc_root](const Container& c, std::vector<Listener>& out, std::string& source, std::string& err) {
    source = proc_root + "/" + std::to_string(c.pid) + "/net/tcp, tcp6 (State.Pid of " + c.name + ")";
    return read_listeners(c.pid, out, err, proc_root);
  };
  return p;
}

// How the proxy reaches container c's `port` directly, in its own terms:
// c's name on a user network they share; c's address on the default bridge
// (no names there); on a network of c's that the proxy joins first.
std::string direct_target(const Snapshot& snap, const Container& proxy, ProxyKind kind, const Upstream& u,
                          const Container& c, uint16_t port) {
  auto is_default = [&](const std::string& n) {
    const Network* net = snap.network(n);
    return net ? net->default_bridge : n == "bridge";
  };
  std::string bridge_ip;
  for (const auto& n : shared_networks(proxy, c)) {
    if (!is_default(n)) return fix_target(kind, u, upstream_with(u, best_name(c), port)) + " (on network " + n + ")";
    if (const Endpoint* e = c.endpoint(n)) bridge_ip = e->ip;
  }
  if (!bridge_ip.empty())
    return fix_target(kind, u, upstream_with(u, bridge_ip, port)) +
           " (both on the default bridge, where names do not resolve; better: a network of your own for both)";
  std::string net;
  for (const auto& e : c.endpoints)
    if (net.empty() && !is_default(e.network)) net = e.network;
  return "docker network connect " + (net.empty() ? std::string("NETWORK") : net) + " " + proxy.name + ", then " +
         fix_target(kind, u, upstream_with(u, best_name(c), port));
}

Finding diagnose(const Snapshot& snap, const Container& proxy, ProxyKind kind, const Failure& fl,
                 const std::vector<Route>& routes, const Probes& probes) {
  Finding f;
  f.site = fl.site;
  f.upstream = fl.upstream;
  f.proxy_container = proxy.name;
  f.log_cause = fl.log_cause;
  f.count = fl.count;
  Context cx{snap, proxy, kind, probes, f};
  Upstream u = parse_upstream(fl.upstream);
  const Route* route = match_route(routes, fl, u);
  if (route && !u.port) {
    u.port = route->upstream.port;
    if (u.port) f.upstream = u.host_port();
  }
  if (route && (f.site.empty() || f.site == "-") && !route->site.empty()) f.site = route->site;
  if (route) f.configured_upstream = route->upstream.host_port();
  if (route && u.scheme.empty()) u.scheme = route->upstream.scheme;
  if (route) cx.fact("the proxy's configuration sends " + (route->site.empty() ? std::string("it") : route->site) +
                         " to " + (route->upstream.scheme.empty() ? "" : route->upstream.scheme + "://") + route->upstream.host_port(),
                     route->where);

  if (!u.port && !u.host.empty()) {
    // `reverse_proxy app`, `server app;` in an upstream block: the default.
    u.port = 80;
    cx.fact("the upstream names no port: the proxy uses 80", "the proxy's default port for http");
  }
  if (proxy.host_network()) cx.fact(proxy.name + " runs in network_mode host", api(proxy, "HostConfig.NetworkMode"));

  // The proxy's own loopback.
  if (is_loopback_host(u.host) && !proxy.host_network()) {
    cx.fact(u.host + " inside " + proxy.name + " is the proxy container's own loopback, not the host's or the app's",
            api(proxy, "HostConfig.NetworkMode"));
    for (const auto& c : snap.containers) {
      if (&c == &proxy) continue;
      if (c.host_network()) {
        std::vector<Listener> ls;
        std::string src, err;
        if (probes.listeners && probes.listeners(c, ls, src, err) &&
            std::any_of(ls.begin(), ls.end(), [&](const Listener& l) { return l.port == u.port; })) {
          f.backend_container = c.name;
          cx.fact(c.name + " runs in network_mode host and listens on port " + std::to_string(u.port), src);
          cx.verdict(RootCause::host_network,
                     c.name + " runs in the host's network; " + u.host + " in the proxy is not the host",
                     fix_target(kind, u, upstream_with(u, "host.docker.internal", u.port)) +
                         " with extra_hosts: host.docker.internal:host-gateway on the proxy (or drop network_mode: host from " + c.name + ")");
          return f;
        }
      }
      for (const auto& m : c.ports)
        if (m.host_port == u.port && m.proto == "tcp") {
          f.backend_container = c.name;
          cx.fact(c.name + " publishes " + std::to_string(m.host_port) + "->" + std::to_string(m.container_port) + "/tcp" +
                      (m.host_ip.empty() ? std::string() : " on " + m.host_ip),
                  api(c, "NetworkSettings.Ports"));
          if (check_down(cx, c, "")) return f;
          cx.verdict(RootCause::host_port,
                     u.host + ":" + std::to_string(u.port) + " is the host side of " + c.name +
                         "'s mapping; from the proxy container use " + best_name(c) + ":" + std::to_string(m.container_port),
                     fix_target(kind, u, upstream_with(u, best_name(c), m.container_port)) +
                         (shared_networks(proxy, c).empty() ? " and put both on one network" : ""));
          return f;
        }
    }
    cx.verdict(RootCause::unknown,
               "the upstream is the proxy container's own loopback and no container publishes or listens on port " +
                   std::to_string(u.port),
               "point the proxy at the app's container name and container port");
    return f;
  }

  // The Docker host (gateway, host.docker.internal).
  if (is_docker_host(snap, proxy, u.host)) {
    if (is_host_name(snap, u.host)) {
      cx.fact(u.host + " is the Docker host's own name", "gethostname() on the Docker host");
      if (fl.log_cause == "dns_failure") {
        // The host's name is in its own /etc/hosts or mDNS, not in Docker's DNS.
        // (its LAN address: an IPv4 one that is no Docker network's gateway)
        std::string addr;
        for (const auto& a : snap.host_addresses) {
          bool gateway = false;
          for (const auto& n : snap.networks) gateway = gateway || std::count(n.gateways.begin(), n.gateways.end(), a);
          if (addr.empty() && is_ipv4(a) && !gateway) addr = a;
        }
        cx.verdict(RootCause::name_unknown,
                   u.host + " is this Docker host's own name, which does not resolve inside containers",
                   fix_target(kind, u, upstream_with(u, "host.docker.internal", u.port)) +
                       " with extra_hosts: host.docker.internal:host-gateway on the proxy" +
                       (addr.empty() ? std::string() : " (or the host's address, " + addr + ")"));
        return f;
      }
    } else if (is_host_address(snap, lower(u.host))) {
      cx.fact(u.host + " is an address of the Docker host's own interfaces", "getifaddrs() on the Docker host");
    } else {
      cx.fact(u.host + " is the Docker host as seen from the containers", "GET /networks IPAM.Config.Gateway, HostConfig.ExtraHosts");
    }
    for (const auto& c : snap.containers) {
      if (&c == &proxy) continue;
      if (c.host_network()) {
        std::vector<Listener> ls;
        std::string src, err;
        if (probes.listeners && probes.listeners(c, ls, src, err)) {
          std::vector<const Listener*> on;
          for (const auto& l : ls)
            if (l.port == u.port) on.push_back(&l);
          if (on.empty()) continue;
          f.backend_container = c.name;
          cx.fact(c.name + " runs in network_mode host and listens on " + listener_text(*on.front()), src);
          if (std::all_of(on.begin(), on.end(), [](const Listener* l) { return l->loopback(); })) {
            cx.verdict(RootCause::loopback_bind, "the container listens on " + listener_text(*on.front()) + " only",
                       "make the app listen on 0.0.0.0:" + std::to_string(u.port) + " (or the bridge gateway's address)");
            return f;
          }
          port_ok(cx, c, u, fl, route);
          return f;
        }
        if (c.name == u.host || c.service() == u.host) {
          f.backend_container = c.name;
          if (check_down(cx, c, "")) return f;
        }
      }
      for (const auto& m : c.ports)
        if (m.host_port == u.port && m.proto == "tcp") {
          f.backend_container = c.name;
          cx.fact(c.name + " publishes " + std::to_string(m.host_port) + "->" + std::to_string(m.container_port) + "/tcp" +
                      (m.host_ip.empty() ? std::string() : " on " + m.host_ip),
                  api(c, "NetworkSettings.Ports"));
          if (check_down(cx, c, "")) return f;
          // ports: "127.0.0.1:8080:80" is the host's loopback only: out of
          // reach from a container through the gateway or the LAN address
          // (a proxy in the host's network reaches it at 127.0.0.1).
          if (is_loopback_host(m.host_ip) &&
              std::none_of(c.ports.begin(), c.ports.end(), [&](const PortMap& o) {
                return o.host_port == u.port && o.proto == "tcp" && !is_loopback_host(o.host_ip);
              })) {
            cx.verdict(RootCause::loopback_bind,
                       c.name + " publishes port " + std::to_string(u.port) + " on the host's " + m.host_ip +
                           " only, which " + proxy.name + " cannot reach at " + u.host,
                       proxy.host_network()
                           ? fix_target(kind, u, upstream_with(u, "127.0.0.1", u.port)) + " (the proxy runs in the host's network)"
                           : direct_target(snap, proxy, kind, u, c, m.container_port) + " (or publish it on 0.0.0.0)");
            return f;
          }
          Upstream inner = u;
          inner.port = m.container_port;
          check_ports(cx, c, inner, fl, route);
          return f;
        }
    }
    if (lower(u.host) == "host.docker.internal" && fl.log_cause == "dns_failure") {
      bool mapped = std::any_of(proxy.extra_hosts.begin(), proxy.extra_hosts.end(),
                                [](const std::string& x) { return starts_with(lower(x), "host.docker.internal:"); });
      if (!mapped) {
        cx.fact(proxy.name + " has no extra_hosts entry for host.docker.internal", api(proxy, "HostConfig.ExtraHosts"));
        cx.verdict(RootCause::name_unknown, "host.docker.internal does not resolve in " + proxy.name + " on Linux",
                   "add extra_hosts: [\"host.docker.internal:host-gateway\"] to the proxy's service");
        return f;
      }
    }
    cx.verdict(RootCause::unknown,
               "the upstream is the Docker host; no container publishes port " + std::to_string(u.port) +
                   " or listens on it in the host's network",
               "check what listens on the host: ss -tlnp | grep :" + std::to_string(u.port));
    return f;
  }

  // A container, by name or by address.
  std::string name = u.is_ip() ? std::string() : u.host;
  if (name.empty() && route && !route->upstream.is_ip()) name = route->upstream.host;
  // Docker's DNS also answers NAME.NETWORK (app.front): the name on that network.
  if (!name.empty() && containers_named(snap, name).empty()) {
    const size_t dot = name.rfind('.');
    if (dot != std::string::npos && dot > 0 && snap.network(name.substr(dot + 1))) {
      cx.fact(name + " is " + name.substr(0, dot) + " on network " + name.substr(dot + 1) + " in Docker's DNS",
              "GET /networks Name");
      name.erase(dot);
    }
  }
  const Container* target = nullptr;
  std::vector<std::string> name_networks;
  if (!name.empty()) {
    auto hits = containers_named(snap, name);
    auto rank = [&](const NameHit& h) {
      int r = 0;
      for (const auto& n : h.networks)
        if (proxy.endpoint(n)) r += 4;
      if (!down(*h.c)) r += 2;
      if (lower(h.c->service()) == lower(name) || lower(h.c->name) == lower(name)) r += 1;
      return r;
    };
    const NameHit* best = nullptr;
    for (const auto& h : hits)
      if (h.c != &proxy && (!best || rank(h) > rank(*best))) best = &h;
    if (best) {
      target = best->c;
      name_networks = best->networks;
    }
  }
  std::string ip_network;
  const Container* holder = u.is_ip() ? holder_of(snap, u.host, &ip_network) : nullptr;

  if (!target && !holder) {
    if (!name.empty()) {
      suggest_name(cx, name, u, fl);
      return f;
    }
    // An address nobody holds now.
    std::string where;
    for (const auto& n : snap.networks)
      for (const auto& s : n.subnets)
        if (in_subnet(u.host, s)) where = n.name;
    const Network* in = where.empty() ? nullptr : snap.network(where);
    const bool lan = in && (in->driver == "macvlan" || in->driver == "ipvlan");
    if (u.is_ip() && (where.empty() || lan)) {
      // Outside Docker: another machine (a NAS, a VM, a service on the LAN;
      // a macvlan network's subnet is the LAN's). Nothing here can be
      // inspected; the log's wording says what to check.
      cx.fact(u.host + (lan ? " is in " + where + "'s subnet (the LAN: driver " + in->driver + "), and no container holds it"
                            : std::string(" is in no Docker network now and is none of this host's addresses")),
              "GET /networks IPAM.Config.Subnet; getifaddrs() on the Docker host");
      outside_docker(cx, u, fl);
      return f;
    }
    cx.fact("no container holds " + u.host + " now" + (where.empty() ? std::string() : " (network " + where + ")"),
            "GET /containers/{id}/json NetworkSettings.Networks.*.IPAddress");
    cx.verdict(RootCause::unknown,
               "no container holds " + u.host + " now" + (where.empty() ? std::string() : " on network " + where) +
                   "; the proxy's configuration for this upstream was not found, so the container it meant is unknown",
               "find which app " + u.host + " was (docker compose ps; docker network inspect " +
                   (where.empty() ? std::string("NETWORK") : where) + ") and use its name in the proxy");
    return f;
  }

  if (target && holder && holder != target) {
    // The proxy uses an address the named container no longer has.
    f.backend_container = target->name;
    const Endpoint* now = nullptr;
    for (const auto& e : target->endpoints)
      if (!e.ip.empty() && proxy.endpoint(e.network)) now = &e;
    if (check_down(cx, *target, "")) {
      cx.fact(u.host + " is now held by " + holder->name + " (network " + ip_network + ")",
              api(*holder, "NetworkSettings.Networks." + ip_network + ".IPAddress"));
      return f;
    }
    cx.fact((name == target->name ? name : name + " is container " + target->name + ",") +
                (now ? " now at " + now->ip + " on network " + now->network : std::string(" now elsewhere")),
            api(*target, "NetworkSettings.Networks"));
    cx.fact(u.host + " is now held by " + holder->name + " (network " + ip_network + ")",
            api(*holder, "NetworkSettings.Networks." + ip_network + ".IPAddress"));
    cx.verdict(RootCause::stale_address,
               "the proxy uses " + u.host + ", an address " + target->name + " no longer has (" + name + " is " +
                   (now ? now->ip : std::string("elsewhere")) + " now; " + u.host + " is " + holder->name + ")",
               kind == ProxyKind::caddy || kind == ProxyKind::traefik
                   ? "restart the proxy"
                   : "reload the proxy (nginx -s reload), and let it re-resolve: resolver 127.0.0.11 valid=10s; set $upstream " +
                         name + "; proxy_pass " + (u.scheme.empty() ? "http" : u.scheme) + "://$upstream:" + std::to_string(u.port) + ";");
    return f;
  }
  if (target && u.is_ip() && !holder) {
    // The name's container has no such address now (stopped, or moved).
    f.backend_container = target->name;
    cx.fact("no container holds " + u.host + " now", "GET /containers/{id}/json NetworkSettings.Networks.*.IPAddress");
    if (check_down(cx, *target, "")) return f;
    const Endpoint* now = nullptr;
    for (const auto& e : target->endpoints)
      if (!e.ip.empty()) now = &e;
    cx.fact(name + " is " + target->name + (now ? ", now at " + now->ip + " on " + now->network : std::string()),
            api(*target, "NetworkSettings.Networks"));
    if (now && proxy.endpoint(now->network)) {
      cx.verdict(RootCause::stale_address,
                 "the proxy uses " + u.host + ", an address " + target->name + " no longer has (it is " + now->ip + " now)",
                 kind == ProxyKind::caddy || kind == ProxyKind::traefik
                     ? "restart the proxy"
                     : "reload the proxy (nginx -s reload); to follow address changes: resolver 127.0.0.11 valid=10s; set $upstream " +
                           name + "; proxy_pass http://$upstream:" + std::to_string(u.port) + ";");
      return f;
    }
  }
  const Container& c = target ? *target : *holder;
  f.backend_container = c.name;
  if (!target) cx.fact(u.host + " is " + c.name + "'s address on network " + ip_network,
                       api(c, "NetworkSettings.Networks." + ip_network + ".IPAddress"));

  // 1. State.
  if (check_down(cx, c, "")) return f;
  state_facts(cx, c);
  // 2. Host networking.
  if (c.host_network() && !proxy.host_network()) {
    cx.fact(c.name + " runs in network_mode host: it is on no Docker network and has no name in Docker's DNS",
            api(c, "HostConfig.NetworkMode"));
    std::string gw;
    for (const auto& e : proxy.endpoints)
      if (!e.gateway.empty()) gw = e.gateway;
    cx.verdict(RootCause::host_network,
               c.name + " uses the host's network, so " + u.host + " is not reachable from " + proxy.name + " by name",
               fix_target(kind, u, upstream_with(u, gw.empty() ? "host.docker.internal" : gw, u.port)) +
                   " (the Docker host" + (gw.empty() ? " with extra_hosts: host.docker.internal:host-gateway" : ", the bridge gateway") +
                   "), or drop network_mode: host from " + c.name);
    return f;
  }
  // 2b. Another container's network (a VPN client's, such as gluetun's):
  // c has no network and no name of its own; its ports are the owner's.
  if (starts_with(c.network_mode, "container:") && !proxy.host_network()) {
    const Container* owner = netns_owner(snap, c);
    cx.fact(c.name + " runs in " + (owner ? owner->name : c.network_mode.substr(10)) +
                "'s network (network_mode container:/service:): it is on no Docker network of its own and has no "
                "name in Docker's DNS",
            api(c, "HostConfig.NetworkMode"));
    if (!owner) {
      cx.verdict(RootCause::no_shared_network,
                 c.name + " uses the network of a container that is gone, so " + u.host + " is reachable from nowhere",
                 "start the container " + c.name + " shares its network with (docker compose up -d), then proxy to "
                 "that container's name and port " + std::to_string(u.port));
      return f;
    }
    if (check_down(cx, *owner, "")) return f;
    const bool same_netns = &proxy == owner || netns_owner(snap, proxy) == owner;
    if (same_netns) {
      cx.verdict(RootCause::no_shared_network,
                 c.name + " has no name on any network; " + proxy.name + " shares " + owner->name +
                     "'s network with it, so the app is on the proxy's own loopback",
                 fix_target(kind, u, upstream_with(u, "127.0.0.1", u.port)));
      return f;
    }
    cx.fact(proxy.name + " is on " + (proxy.endpoints.empty() ? std::string("no network") : join(network_names(proxy))) +
                "; " + owner->name + " is on " +
                (owner->endpoints.empty() ? std::string("no network") : join(network_names(*owner))),
            api(*owner, "NetworkSettings.Networks"));
    cx.verdict(RootCause::no_shared_network,
               c.name + " has no name on any network: it listens inside " + owner->name +
                   "'s network, so the proxy must reach it through " + owner->name,
               direct_target(snap, proxy, kind, u, *owner, u.port) + " (" + c.name + "'s port, through " + owner->name + ")");
    return f;
  }
  // 2c. A proxy in the host's network and an app on macvlan/ipvlan only: the
  // host cannot reach its own macvlan containers (the kernel isolates them).
  if (proxy.host_network() && !c.endpoints.empty() &&
      std::all_of(c.endpoints.begin(), c.endpoints.end(), [&](const Endpoint& e) {
        const Network* n = snap.network(e.network);
        return n && (n->driver == "macvlan" || n->driver == "ipvlan");
      })) {
    const Network* n = snap.network(c.endpoints.front().network);
    cx.fact(c.name + " is only on " + join(network_names(c)) + " (driver " + n->driver + ")",
            "GET /networks Driver; " + api(c, "NetworkSettings.Networks"));
    cx.verdict(RootCause::no_shared_network,
               c.name + " is on a " + n->driver + " network only, and " + proxy.name +
                   " runs in the host's network: the Docker host cannot reach its own " + n->driver +
                   " containers (unless it has a " + n->driver + " interface of its own, a shim)",
               "give " + c.name + " a bridge network the proxy can reach too (networks: [" + n->name +
                   ", proxy]), or run the proxy on a bridge network, or give the host a " + n->driver +
                   " interface of its own (a shim) to reach " + n->name);
    return f;
  }
  // 3. A shared network where the name (or address) works.
  if (!proxy.host_network()) {
    auto shared = shared_networks(proxy, c);
    bool reachable = false;
    if (!name.empty() && !u.is_ip()) {
      for (const auto& n : name_networks)
        if (proxy.endpoint(n)) reachable = true;
    } else {
      reachable = !ip_network.empty() ? proxy.endpoint(ip_network) != nullptr : !shared.empty();
    }
    if (!reachable) {
      cx.fact(proxy.name + " is on " + (proxy.endpoints.empty() ? std::string("no network") : join(network_names(proxy))),
              api(proxy, "NetworkSettings.Networks"));
      cx.fact(c.name + " is on " + (c.endpoints.empty() ? std::string("no network") : join(network_names(c))),
              api(c, "NetworkSettings.Networks"));
      bool both_default = !shared.empty() && std::all_of(shared.begin(), shared.end(), [&](const std::string& n) {
        const Network* net = snap.network(n);
        return net ? net->default_bridge : n == "bridge";
      });
      std::string net = c.endpoints.empty() ? std::string("NETWORK") : c.endpoints.front().network;
      for (const auto& e : c.endpoints) {
        const Network* nn = snap.network(e.network);
        if (!(nn ? nn->default_bridge : e.network == "bridge")) {
          net = e.network;
          break;
        }
      }
      // (the docker provider's doing: the container has Traefik's labels;
      // an address written in the file provider is the user's)
      const bool by_labels = std::any_of(c.labels.begin(), c.labels.end(),
                                         [](const auto& l) { return starts_with(l.first, "traefik."); });
      if (kind == ProxyKind::traefik && by_labels && u.is_ip() && !ip_network.empty() && !shared.empty() && !both_default) {
        // Traefik's docker provider took the address on a network it is not
        // on (the container is on several, and no label says which).
        cx.verdict(RootCause::no_shared_network,
                   "Traefik dials " + u.host + ", " + c.name + "'s address on " + ip_network +
                       ", a network Traefik is not on; they share " + join(shared),
                   "label " + c.name + " with traefik.docker.network=" + shared.front() +
                       " (or the provider's network option)");
      } else if (both_default) {
        cx.verdict(RootCause::no_shared_network,
                   "both containers are on the default bridge, where Docker's DNS does not resolve names; " + u.host +
                       " is unknown to " + proxy.name,
                   "create a network (docker network create proxy) and attach both: docker network connect proxy " +
                       proxy.name + " && docker network connect proxy " + c.name + " (or networks: in compose)");
      } else {
        cx.verdict(RootCause::no_shared_network,
                   proxy.name + " and " + c.name + " share no network where " + u.host + " resolves",
                   "docker network connect " + net + " " + proxy.name +
                       " (or add the network to the proxy's networks: in compose, as external: true)");
      }
      return f;
    }
  }
  // 4. Listeners.
  if (!u.port) {
    cx.verdict(RootCause::unknown, "the upstream names no port", "give the upstream's port explicitly");
    return f;
  }
  check_ports(cx, c, u, fl, route);
  return f;
}

}  // namespace gw502::docker
