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
  unsigned bursts = 1;
  int64_t prev = g.minutes.front();
  for (const int64_t m : g.minutes) {  // ascending, distinct
    if (m - prev > kBurstGapMinutes) ++bursts;
    prev = m;
  }
  return bursts;
}

namespace {

// "172.18.0.5:3000", "[fd00::5]:80": an address, not a name.
bool is_ip(std::string_view up) {
  if (up.empty()) return false;
  if (up[0] == '[') return true;
  for (char c : up)
    if (!((c >= '0' && c <= '9') || c == '.' || c == ':')) return false;
  return up.find('.') != std::string_view::npos;
}

bool applies(const Hint& h, const Cause& c) {
  if (h.applies_to.empty()) return true;
  for (auto& a : h.applies_to)
    if (a == c.id || a == c.family) return true;
  return false;
}

}  // namespace

HintFinder::HintFinder(const Aggregator& agg, const Catalogue& cat) : agg_(agg), cat_(cat) {
  for (const Group& o : agg.groups()) {
    if (o.context || !is_ip(agg.str(o.upstream))) continue;
    auto [it, fresh] = ips_.try_emplace({static_cast<int>(o.proxy), o.site, o.host}, Ips{o.upstream, false});
    if (!fresh && it->second.first != o.upstream) it->second.more = true;
  }
}

// The same site (proxy, site, host) failed at another IP upstream too: a
// backend that came back with another address (a recreated container) while
// the proxy kept the one it resolved at start.
bool HintFinder::address_changed(const Group& g) const {
  if (!is_ip(agg_.str(g.upstream)) || agg_.str(g.host) == "-") return false;
  auto it = ips_.find({static_cast<int>(g.proxy), g.site, g.host});
  return it != ips_.end() && (it->second.more || it->second.first != g.upstream);
}

std::vector<std::string> HintFinder::operator()(const Group& g) const {
  std::vector<std::string> ids;
  std::string_view up = agg_.str(g.upstream);
  const Cause& cause = cat_.causes()[static_cast<size_t>(g.cause)];
  const unsigned bursts = count_bursts(g);
  for (const Hint& h : cat_.hints()) {
    if (!applies(h, cause) || g.count < h.min_count) continue;
    bool holds = false;
    switch (h.when) {
      case HintWhen::never: break;
      case HintWhen::loopback: holds = is_loopback(up); break;
      case HintWhen::docker_host: holds = is_docker_host(up); break;
      case HintWhen::steady: holds = bursts == 1; break;
      case HintWhen::bursts: holds = bursts >= 2; break;
      case HintWhen::address_changed: holds = address_changed(g); break;
    }
    if (holds) ids.push_back(h.id);
  }
  return ids;
}

}  // namespace gw502
