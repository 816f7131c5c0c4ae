// Failures over time, per (site, cause), for the HTML timeline and the JSON
// report's time buckets. The aggregator keeps the distinct minutes with
// failures per group (not a count per minute), so a slot's value is how many
// of its minutes had failures. Past a group's last day the aggregator keeps
// 10-minute blocks, then hours and days, one entry each: over a window
// longer than a day, older slots read lower than they were.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "aggregate/aggregator.hpp"

namespace gw502 {

struct TimelineRow {
  std::string site;
  int cause = -1;
  uint64_t count = 0;
  int64_t first = INT64_MAX, last = INT64_MIN;
  std::vector<const Group*> groups;
};

// One row per (site, cause) of these groups, the most failures first.
std::vector<TimelineRow> timeline_rows(const Aggregator& agg, const std::vector<const Group*>& groups);

// Distinct minutes with failures per slot of `slot` minutes, `slots` of
// them from minute `first_min` (minutes outside go to the first or last).
std::vector<unsigned> slot_minutes(const TimelineRow& row, int64_t first_min, int64_t slot, int64_t slots);

}  // namespace gw502
