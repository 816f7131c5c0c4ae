#include "aggregate/diagnosis.hpp"

#include "base/strutil.hpp"

#include <algorithm>

namespace gw502 {
namespace {


bool is_loopback(std::string_view up) {
  return starts_with(up, "127.") || starts_with(up, "localhost") || starts_with(up, "[::1]") ||
         up == "::1";
}

bool is_docker_host(std::string_view up) {
  return starts_with(up, "172.17.0.1:") || up == "172.17.0.1" ||
         starts_with(up, "host.docker.internal");
}

}  // namespace

unsigned count_bursts(const Group& g) {
  if (g.minutes.empty()) return 0;
  const std::vector<int64_t>& m = g.minutes;  // sorted, distinct
  unsigned bursts = 1;
  for (size_t i = 1; i < m.size(); ++i)
    if (m[i] - m[i - 1] > kBurstGapMinutes) ++bursts;
  return bursts;
}

std::vector<std::string> hints_for(const Group& g, const Aggregator& agg, const Catalogue& cat) {
  std::vector<std::string> ids;
  std::string_view up = agg.str(g.upstream);
  const std::string& family = cat.causes()[static_cast<size_t>(g.cause)].family;
  bool backend_side = family == "connection_refused" || family == "connect_timeout" ||
                      family == "network_unreachable" || family == "upstream_reset" ||
                      family == "read_timeout";
  if (backend_side && is_loopback(up)) ids.emplace_back("loopback_upstream");
  if (backend_side && is_docker_host(up)) ids.emplace_back("docker_host_gateway");
  unsigned bursts = count_bursts(g);
  if (family == "connection_refused" && bursts == 1 && g.count >= 3)
    ids.emplace_back("steady_refusal");
  if (backend_side && bursts >= 2) ids.emplace_back("intermittent");
  ids.erase(std::remove_if(ids.begin(), ids.end(),
                           [&](const std::string& id) { return cat.find_hint(id) == nullptr; }),
            ids.end());
  return ids;
}

}  // namespace gw502
