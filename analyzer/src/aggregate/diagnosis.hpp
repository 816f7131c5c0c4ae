// Context that turns a symptom into a diagnosis: where the upstream lives
// (the proxy's own loopback, Docker's host gateway) and how the failures are
// spread in time (steady vs in bursts).
#pragma once
#include <string>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"

namespace gw502 {

// Failures more than this far apart belong to separate bursts.
constexpr int64_t kBurstGapMinutes = 10;

// Number of bursts of failures in the group (0 when no times are known).
unsigned count_bursts(const Group& g);

// Ids of the catalogue hints that apply to the group, most telling first.
std::vector<std::string> hints_for(const Group& g, const Aggregator& agg, const Catalogue& cat);

}  // namespace gw502
