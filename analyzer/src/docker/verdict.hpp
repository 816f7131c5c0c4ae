// Root-cause verdicts for a failing (site, upstream) behind a proxy
// container: the upstream, as the log or the proxy's configuration has it,
// is resolved to a container, the Docker host, the proxy's own loopback, or
// nothing; then Docker's state decides first (down, host network, no shared
// network, stale address, listeners) and the log's wording second (slow,
// TLS). Every verdict carries its evidence, each fact with its source (an
// Engine API field or a /proc file), and a fix in the proxy's terms.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"
#include "docker/model.hpp"

namespace gw502::docker {

enum class RootCause : uint8_t {
  backend_down,
  wrong_port,
  host_port,
  no_shared_network,
  host_network,
  tls_mismatch,
  backend_slow,
  name_unknown,
  stale_address,
  loopback_bind,
  ok,
  unknown,
};
const char* root_cause_id(RootCause c);
// The field guide's cause number (1-8); 0 for ok and unknown.
int seed_cause(RootCause c);

struct Upstream {
  std::string scheme;  // "http", "https", "" when not given
  std::string host;    // name or address, without brackets
  uint16_t port = 0;   // 0 when not given and no scheme default
  bool is_ip() const;
  std::string host_port() const;  // "app:3000", "[::1]:80"
};
// "http://app:3000/x", "app:3000", "172.18.0.5:3000", "[fd00::5]:80", "app".
Upstream parse_upstream(std::string_view text);

// One upstream a proxy is configured with.
struct Route {
  std::string site;        // server_name / site address / router rule host; "" for any
  std::vector<std::string> sites;  // every name of the server block
  Upstream upstream;
  std::string where;       // "FILE:LINE" or "label NAME"
  std::string read_timeout;  // "proxy_read_timeout 5s" as written, "" when default
  bool resolved_at_start = false;  // nginx: a literal name, resolved once at start
};

// One failing site and upstream from the proxy's log, or (--check) one route.
struct Failure {
  std::string site;       // the Host or server name; "" or "-" when unknown
  std::string upstream;   // as the log has it
  std::string log_cause;  // classifier's cause id; "" in --check
  uint64_t count = 0;
  std::string sample;     // one line, for the record
  // When the failures were seen (seconds since 1970, UTC), INT64_MIN when
  // unknown: a container (re)started after them was not serving then.
  int64_t first = INT64_MIN, last = INT64_MIN;
};

struct Fact {
  std::string fact;
  std::string source;  // "GET /containers/app/json State.Status", "/proc/123/net/tcp"
};

struct Finding {
  std::string site;
  std::string upstream;             // as the log has it
  std::string configured_upstream;  // as the proxy's configuration has it ("" when not found)
  std::string proxy_container;
  std::string backend_container;  // "" when none
  RootCause cause = RootCause::unknown;
  std::string summary;  // "the container listens on 127.0.0.1:2283 only"
  std::string fix;
  std::vector<Fact> evidence;
  std::string log_cause;
  uint64_t count = 0;
};

// What the verdicts read beyond the snapshot; tests pass recorded answers.
struct Probes {
  // Listening sockets of a running container (its main process's netns).
  std::function<bool(const Container&, std::vector<Listener>&, std::string& source, std::string& err)>
      listeners;
  // The container's last log line ("" when none or unreadable).
  std::function<std::string(const Container&)> last_log_line;
};

// Probes on this machine: /proc/<State.Pid>/net/tcp{,6}; no log lines.
Probes proc_probes(const std::string& proc_root = "/proc");

Finding diagnose(const Snapshot& snap, const Container& proxy, ProxyKind kind, const Failure& failure,
                 const std::vector<Route>& routes, const Probes& probes);

// Edit distance (Levenshtein), for name suggestions.
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace gw502::docker
