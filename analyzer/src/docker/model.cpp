#include "docker/model.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/strutil.hpp"

namespace gw502::docker {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// An element that may be absent: simdjson's default element is not safe to
// look into, so absence is carried beside it.
struct J {
  element e;
  bool ok = false;
  J() = default;
  J(element x) : e(x), ok(true) {}  // NOLINT: implicit on purpose
  bool is_object() const { return ok && e.is_object(); }
  template <typename T>
  bool get(T& out) const {
    return ok && e.get(out) == simdjson::SUCCESS;
  }
};

J child(J e, const char* key) {
  element c;
  if (e.is_object() && e.e[key].get(c) == simdjson::SUCCESS) return J(c);
  return J();
}

std::string str(J e, const char* key) {
  std::string_view v;
  if (child(e, key).get(v)) return std::string(v);
  return {};
}

int64_t num(J e, const char* key) {
  J c = child(e, key);
  int64_t i = 0;
  if (c.get(i)) return i;
  double d = 0;
  if (c.get(d)) return int64_t(d);
  return 0;
}

bool boolean(J e, const char* key) {
  bool b = false;
  return child(e, key).get(b) && b;
}

bool has(J e, const char* key) { return child(e, key).ok; }

std::vector<std::string> strings(J e) {
  std::vector<std::string> out;
  array a;
  if (!e.get(a)) return out;
  for (element x : a) {
    std::string_view v;
    if (x.get(v) == simdjson::SUCCESS) out.emplace_back(v);
  }
  return out;
}

// "3000/tcp" -> 3000, proto "tcp".
bool port_key(std::string_view k, uint16_t& port, std::string& proto) {
  size_t slash = k.find('/');
  std::string_view n = k.substr(0, slash);
  proto = slash == std::string_view::npos ? "tcp" : std::string(k.substr(slash + 1));
  unsigned v = 0;
  if (n.empty() || n.size() > 5) return false;
  for (char c : n) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + unsigned(c - '0');
  }
  if (v == 0 || v > 65535) return false;
  port = uint16_t(v);
  return true;
}

uint16_t port_num(std::string_view s) {
  unsigned v = 0;
  if (s.empty() || s.size() > 5) return 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + unsigned(c - '0');
  }
  return v > 65535 ? 0 : uint16_t(v);
}

void read_port_map(J ports, std::vector<PortMap>& out) {
  object o;
  if (!ports.get(o)) return;
  for (auto [key, val] : o) {
    PortMap base;
    if (!port_key(key, base.container_port, base.proto)) continue;
    array a;
    if (val.get(a) != simdjson::SUCCESS || a.size() == 0) {
      out.push_back(base);
      continue;
    }
    for (element b : a) {
      PortMap m = base;
      m.host_ip = str(b, "HostIp");
      m.host_port = port_num(str(b, "HostPort"));
      // Docker lists 0.0.0.0 and :: bindings of one mapping apart: keep one.
      bool dup = std::any_of(out.begin(), out.end(), [&](const PortMap& x) {
        return x.container_port == m.container_port && x.proto == m.proto && x.host_port == m.host_port;
      });
      if (!dup) out.push_back(m);
    }
  }
}

std::string short_id(std::string_view id) { return std::string(id.substr(0, 12)); }

}  // namespace

std::string Container::service() const {
  auto it = labels.find("com.docker.compose.service");
  return it == labels.end() ? std::string() : it->second;
}

std::string Container::project() const {
  auto it = labels.find("com.docker.compose.project");
  return it == labels.end() ? std::string() : it->second;
}

const Endpoint* Container::endpoint(std::string_view network) const {
  for (const auto& e : endpoints)
    if (e.network == network) return &e;
  return nullptr;
}

const Container* Snapshot::by_id(std::string_view id) const {
  if (id.empty()) return nullptr;
  for (const auto& c : containers)
    if (c.id == id || (id.size() >= 12 && starts_with(c.id, id))) return &c;
  return nullptr;
}

const Container* Snapshot::by_name(std::string_view name) const {
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);
  for (const auto& c : containers)
    if (c.name == name) return &c;
  return by_id(name);
}

const Network* Snapshot::network(std::string_view key) const {
  for (const auto& n : networks)
    if (n.name == key || (!key.empty() && n.id == key)) return &n;
  return nullptr;
}

bool parse_version(std::string_view json, VersionInfo& out, std::string& err) {
  simdjson::dom::parser p;
  element root;
  if (p.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    err = "GET /version: not a JSON object";
    return false;
  }
  out.version = str(root, "Version");
  out.api_version = str(root, "ApiVersion");
  return true;
}

bool parse_container_ids(std::string_view json, std::vector<std::string>& ids, std::string& err) {
  simdjson::dom::parser p;
  element root;
  array a;
  if (p.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS || root.get(a) != simdjson::SUCCESS) {
    err = "GET /containers/json: not a JSON array";
    return false;
  }
  for (element c : a) {
    std::string id = str(c, "Id");
    if (!id.empty()) ids.push_back(id);
  }
  return true;
}

bool parse_container(std::string_view json, Container& c, std::string& err) {
  simdjson::dom::parser p;
  element root;
  if (p.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    err = "GET /containers/{id}/json: not a JSON object";
    return false;
  }
  c = Container{};
  c.id = str(root, "Id");
  c.name = str(root, "Name");
  if (!c.name.empty() && c.name.front() == '/') c.name.erase(0, 1);
  J config = child(root, "Config");
  c.image = str(config, "Image");
  c.hostname = str(config, "Hostname");
  c.tty = boolean(config, "Tty");
  c.env = strings(child(config, "Env"));
  c.command = str(root, "Path");
  for (const auto& a : strings(child(root, "Args"))) c.command += " " + a;
  object labels;
  if (child(config, "Labels").get(labels))
    for (auto [k, v] : labels) {
      std::string_view s;
      if (v.get(s) == simdjson::SUCCESS) c.labels[std::string(k)] = std::string(s);
    }
  object exposed;
  if (child(config, "ExposedPorts").get(exposed))
    for (auto kv : exposed) {
      uint16_t port = 0;
      std::string proto;
      if (port_key(kv.key, port, proto) && proto == "tcp") c.exposed.push_back(port);
    }
  std::sort(c.exposed.begin(), c.exposed.end());

  J state = child(root, "State");
  c.status = str(state, "Status");
  c.running = boolean(state, "Running");
  c.restarting = boolean(state, "Restarting");
  c.oom_killed = boolean(state, "OOMKilled");
  c.dead = boolean(state, "Dead");
  c.exit_code = int(num(state, "ExitCode"));
  c.pid = int(num(state, "Pid"));
  c.error = str(state, "Error");
  c.started_at = str(state, "StartedAt");
  c.finished_at = str(state, "FinishedAt");
  J health = child(state, "Health");
  if (health.is_object()) {
    c.health = str(health, "Status");
    c.health_failing_streak = int(num(health, "FailingStreak"));
    array log;
    if (child(health, "Log").get(log) && log.size() > 0) {
      J last;
      for (element e : log) last = J(e);
      c.health_output = str(last, "Output");
      while (!c.health_output.empty() && (c.health_output.back() == '\n' || c.health_output.back() == '\r'))
        c.health_output.pop_back();
    }
  }
  c.restart_count = int(num(root, "RestartCount"));

  J host = child(root, "HostConfig");
  c.network_mode = str(host, "NetworkMode");
  c.extra_hosts = strings(child(host, "ExtraHosts"));
  c.restart_policy = str(child(host, "RestartPolicy"), "Name");

  J ns = child(root, "NetworkSettings");
  object nets;
  if (child(ns, "Networks").get(nets))
    for (auto [name, v] : nets) {
      Endpoint e;
      e.network = std::string(name);
      e.network_id = str(v, "NetworkID");
      e.ip = str(v, "IPAddress");
      e.ip6 = str(v, "GlobalIPv6Address");
      e.gateway = str(v, "Gateway");
      e.aliases = strings(child(v, "Aliases"));
      e.has_dns_names = has(v, "DNSNames");
      e.dns_names = strings(child(v, "DNSNames"));
      c.endpoints.push_back(std::move(e));
    }
  // Published ports: the live ones while running, else what was asked for.
  read_port_map(child(ns, "Ports"), c.ports);
  if (std::none_of(c.ports.begin(), c.ports.end(), [](const PortMap& m) { return m.host_port != 0; })) {
    std::vector<PortMap> asked;
    read_port_map(child(host, "PortBindings"), asked);
    for (auto& m : asked)
      if (m.host_port != 0) c.ports.push_back(m);
  }

  array mounts;
  if (child(root, "Mounts").get(mounts))
    for (element m : mounts) c.mounts.push_back({str(m, "Type"), str(m, "Source"), str(m, "Destination")});
  return true;
}

bool parse_networks(std::string_view json, std::vector<Network>& out, std::string& err) {
  simdjson::dom::parser p;
  element root;
  array a;
  if (p.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS || root.get(a) != simdjson::SUCCESS) {
    err = "GET /networks: not a JSON array";
    return false;
  }
  for (element n : a) {
    Network net;
    net.id = str(n, "Id");
    net.name = str(n, "Name");
    net.driver = str(n, "Driver");
    net.internal = boolean(n, "Internal");
    array cfg;
    if (child(child(n, "IPAM"), "Config").get(cfg))
      for (element c : cfg) {
        std::string s = str(c, "Subnet"), g = str(c, "Gateway");
        if (!s.empty()) net.subnets.push_back(s);
        if (!g.empty()) net.gateways.push_back(g);
      }
    J opts = child(n, "Options");
    net.default_bridge = str(opts, "com.docker.network.bridge.default_bridge") == "true" ||
                         (net.name == "bridge" && net.driver == "bridge");
    out.push_back(std::move(net));
  }
  return true;
}

std::vector<std::string> dns_names(const Container& c, const Endpoint& e, const Network* net) {
  std::vector<std::string> out;
  bool default_bridge = net ? net->default_bridge : e.network == "bridge";
  if (default_bridge) return out;
  auto add = [&](std::string s) {
    if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  };
  if (e.has_dns_names) {
    for (const auto& n : e.dns_names) add(n);
    return out;
  }
  add(c.name);
  for (const auto& a : e.aliases) add(a);
  // Compose (v2 with API < 1.44 and v1) puts the service name in Aliases;
  // a setup that lost it (docker network connect without --alias) still
  // answers to it on the project's networks, so it counts.
  add(c.service());
  if (c.hostname == short_id(c.id)) add(c.hostname);
  return out;
}

int compare_api_versions(std::string_view a, std::string_view b) {
  auto parts = [](std::string_view s) {
    std::vector<int> v;
    int cur = 0;
    bool any = false;
    for (char ch : s) {
      if (ch >= '0' && ch <= '9') {
        cur = cur * 10 + (ch - '0');
        any = true;
      } else if (ch == '.') {
        v.push_back(cur);
        cur = 0;
        any = false;
      } else {
        break;
      }
    }
    if (any) v.push_back(cur);
    return v;
  };
  auto x = parts(a), y = parts(b);
  for (size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
    int p = i < x.size() ? x[i] : 0, q = i < y.size() ? y[i] : 0;
    if (p != q) return p < q ? -1 : 1;
  }
  return 0;
}

bool Listener::loopback() const {
  return v6 ? (address == "::1" || starts_with(address, "::ffff:127.")) : starts_with(address, "127.");
}

bool Listener::any() const { return address == "0.0.0.0" || address == "::"; }

namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool hex_bytes(std::string_view h, std::vector<uint8_t>& out) {
  out.clear();
  if (h.size() % 2) return false;
  for (size_t i = 0; i < h.size(); i += 2) {
    int a = hexval(h[i]), b = hexval(h[i + 1]);
    if (a < 0 || b < 0) return false;
    out.push_back(uint8_t(a * 16 + b));
  }
  return true;
}

// /proc/net/tcp writes each 32-bit word of the address in host byte order
// (little-endian here): "0100007F" is 127.0.0.1.
std::string proc_address(std::string_view h, bool v6) {
  std::vector<uint8_t> b;
  if (!hex_bytes(h, b) || b.size() != (v6 ? 16u : 4u)) return {};
  std::vector<uint8_t> a(b.size());
  for (size_t w = 0; w < b.size(); w += 4)
    for (size_t i = 0; i < 4; ++i) a[w + i] = b[w + 3 - i];
  char buf[64];
  if (!v6) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return buf;
  }
  // IPv4-mapped (::ffff:a.b.c.d)
  bool mapped = std::all_of(a.begin(), a.begin() + 10, [](uint8_t x) { return x == 0; }) && a[10] == 0xff &&
                a[11] == 0xff;
  if (mapped) {
    std::snprintf(buf, sizeof buf, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
    return buf;
  }
  // Shortest form: the longest run of zero groups becomes "::".
  uint16_t g[8];
  for (int i = 0; i < 8; ++i) g[i] = uint16_t(a[2 * i] << 8 | a[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len && j - i > 1) best = i, best_len = j - i;
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", g[i]);
    out += buf;
  }
  return out;
}

}  // namespace

std::vector<Listener> parse_proc_net_tcp(std::string_view text, bool v6) {
  std::vector<Listener> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    // "  0: 0100007F:0BB8 00000000:0000 0A ..."
    std::vector<std::string_view> f;
    size_t i = 0;
    while (i < line.size() && f.size() < 4) {
      while (i < line.size() && line[i] == ' ') ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ') ++j;
      if (j > i) f.push_back(line.substr(i, j - i));
      i = j;
    }
    if (f.size() < 4 || f[3] != "0A") continue;
    size_t colon = f[1].find(':');
    if (colon == std::string_view::npos) continue;
    std::vector<uint8_t> pb;
    if (!hex_bytes(f[1].substr(colon + 1), pb) || pb.size() != 2) continue;
    Listener l;
    l.v6 = v6;
    l.address = proc_address(f[1].substr(0, colon), v6);
    l.port = uint16_t(pb[0] << 8 | pb[1]);
    if (l.address.empty()) continue;
    bool dup = std::any_of(out.begin(), out.end(),
                           [&](const Listener& x) { return x.address == l.address && x.port == l.port; });
    if (!dup) out.push_back(std::move(l));
  }
  return out;
}

bool read_listeners(int pid, std::vector<Listener>& out, std::string& err, const std::string& proc_root) {
  out.clear();
  if (pid <= 0) {
    err = "no main process (State.Pid is 0)";
    return false;
  }
  bool any = false;
  for (bool v6 : {false, true}) {
    std::string path = proc_root + "/" + std::to_string(pid) + "/net/" + (v6 ? "tcp6" : "tcp");
    std::ifstream in(path);
    if (!in) {
      if (err.empty()) err = "cannot read " + path + " (run as root, or the process is gone)";
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto l = parse_proc_net_tcp(ss.str(), v6);
    out.insert(out.end(), l.begin(), l.end());
    any = true;
  }
  if (any) err.clear();
  return any;
}

}  // namespace gw502::docker
