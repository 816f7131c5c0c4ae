// Context that turns a symptom into a diagnosis: where the upstream lives
// (the proxy's own loopback, Docker's host gateway) and how the failures are
// spread in time (steady vs in bursts).
#pragma once
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"

namespace gw502 {

// Failures more than this far apart belong to separate bursts.
constexpr int64_t kBurstGapMinutes = 10;

// Number of bursts of failures in the group (0 when no times are known).
unsigned count_bursts(const Group& g);

// The catalogue hints that apply to a report's groups. Built once per
// report: what one group's hints depend on in the others (the IP upstreams
// each site failed at) is indexed up front, not searched per group.
class HintFinder {
 public:
  HintFinder(const Aggregator& agg, const Catalogue& cat);
  // Ids of the hints that apply to g (one of agg's groups), most telling first.
  std::vector<std::string> operator()(const Group& g) const;

 private:
  bool address_changed(const Group& g) const;
  const Aggregator& agg_;
  const Catalogue& cat_;
  // (proxy, site, host) -> the first IP upstream a non-context group of it
  // failed at, and whether it failed at another one too.
  struct Ips {
    uint32_t first;
    bool more;
  };
  std::map<std::tuple<int, uint32_t, uint32_t>, Ips> ips_;
};

}  // namespace gw502
