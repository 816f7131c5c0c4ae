// What the Engine API says about containers and networks, read from its JSON
// answers (API 1.41 and newer), and the listening sockets of a container
// read from /proc/<pid>/net/tcp and tcp6 of its main process.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gw502::docker {

struct Endpoint {
  std::string network;     // the key in NetworkSettings.Networks
  std::string network_id;
  std::string ip;          // "" when stopped (Docker clears it)
  std::string ip6;
  std::string gateway;
  std::vector<std::string> aliases;
  std::vector<std::string> dns_names;  // API >= 1.44; empty before
  bool has_dns_names = false;
};

struct PortMap {
  uint16_t container_port = 0;
  std::string proto = "tcp";
  std::string host_ip;
  uint16_t host_port = 0;  // 0: exposed only
};

struct Mount {
  std::string type;  // bind, volume
  std::string source;       // on the host
  std::string destination;  // in the container
};

struct Container {
  std::string id;
  std::string name;  // without the leading '/'
  std::string image;
  std::string command;  // Path and Args
  std::map<std::string, std::string> labels;
  std::string hostname;
  bool tty = false;
  // State
  std::string status;  // created, running, paused, restarting, removing, exited, dead
  bool running = false, restarting = false, oom_killed = false, dead = false;
  int exit_code = 0;
  int pid = 0;
  std::string error;
  std::string started_at, finished_at;
  std::string health;            // "", starting, healthy, unhealthy
  std::string health_output;     // the last health check's output
  int health_failing_streak = 0;
  int restart_count = 0;
  std::string restart_policy;
  // Networking
  std::string network_mode;  // HostConfig.NetworkMode: default, bridge, host, none, container:ID, NAME
  std::vector<Endpoint> endpoints;
  std::vector<PortMap> ports;   // published (NetworkSettings.Ports, else HostConfig.PortBindings)
  std::vector<uint16_t> exposed;  // Config.ExposedPorts (tcp)
  std::vector<std::string> extra_hosts;  // "host.docker.internal:host-gateway"
  std::vector<Mount> mounts;
  std::vector<std::string> env;

  std::string service() const;  // com.docker.compose.service, or ""
  std::string project() const;  // com.docker.compose.project, or ""
  bool host_network() const { return network_mode == "host"; }
  const Endpoint* endpoint(std::string_view network) const;
};

struct Network {
  std::string id;
  std::string name;
  std::string driver;
  std::vector<std::string> subnets;
  std::vector<std::string> gateways;
  bool internal = false;
  bool default_bridge = false;  // the "bridge" network: no name resolution
};

struct VersionInfo {
  std::string version;      // "20.10.24+dfsg1"
  std::string api_version;  // "1.41"
};

struct Snapshot {
  VersionInfo version;
  std::vector<Container> containers;
  std::vector<Network> networks;
  // The Docker host's own addresses (its LAN address, say): an upstream
  // there reaches the containers' published ports. Filled by whoever can
  // see the host's interfaces (host_addresses() in engine.hpp).
  std::vector<std::string> host_addresses;
  std::string host_name;  // the Docker host's own name (gethostname), "" when unknown

  const Container* by_id(std::string_view id) const;  // full id or a prefix of 12+
  const Container* by_name(std::string_view name) const;
  const Network* network(std::string_view name_or_id) const;
};

// JSON answers. False with a one-line reason on malformed JSON.
bool parse_version(std::string_view json, VersionInfo& out, std::string& err);
// GET /containers/json: the ids, in the daemon's order.
bool parse_container_ids(std::string_view json, std::vector<std::string>& ids, std::string& err);
// GET /containers/{id}/json.
bool parse_container(std::string_view json, Container& out, std::string& err);
bool parse_networks(std::string_view json, std::vector<Network>& out, std::string& err);

// The names Docker's embedded DNS answers for c on network e: DNSNames when
// the API gives them (1.44+); before, computed as the daemon does: the
// container name, the network aliases (compose puts the service name and
// the short id there), the compose service label and the hostname's short id.
// The default bridge resolves none.
std::vector<std::string> dns_names(const Container& c, const Endpoint& e, const Network* net);

// "1.41" < "1.44".
int compare_api_versions(std::string_view a, std::string_view b);

// A listening TCP socket.
struct Listener {
  std::string address;  // "0.0.0.0", "127.0.0.1", "::", "::1", "10.1.2.3"
  uint16_t port = 0;
  bool v6 = false;
  bool loopback() const;
  bool any() const;  // 0.0.0.0 or ::
};

// The LISTEN (state 0A) rows of a /proc/net/tcp or tcp6 text.
std::vector<Listener> parse_proc_net_tcp(std::string_view text, bool v6);

// Reads /proc/<pid>/net/tcp and tcp6 (proc_root for tests). False when
// neither can be read; err says why (no such process, permission).
bool read_listeners(int pid, std::vector<Listener>& out, std::string& err,
                    const std::string& proc_root = "/proc");

}  // namespace gw502::docker
