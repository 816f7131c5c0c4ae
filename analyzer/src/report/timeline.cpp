#include "report/timeline.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "report/report.hpp"

namespace gw502 {

std::vector<TimelineRow> timeline_rows(const Aggregator& agg, const std::vector<const Group*>& failures) {
  std::vector<TimelineRow> rows;
  // Rows by (site name, cause): a hash index (a flood of hosts gives
  // thousands); the rows keep the order they were met in.
  std::unordered_map<std::string, size_t> index;
  index.reserve(failures.size());
  std::string key;
  for (const Group* g : failures) {
    std::string site = site_name(*g, agg);
    key.assign(site);
    key += '\0';
    key += std::to_string(g->cause);
    auto [it, added] = index.emplace(key, rows.size());
    if (added) rows.push_back(TimelineRow{std::move(site), g->cause, 0, INT64_MAX, INT64_MIN, {}});
    TimelineRow& r = rows[it->second];
    r.count += g->count;
    r.first = std::min(r.first, g->first);
    r.last = std::max(r.last, g->last);
    r.groups.push_back(g);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const TimelineRow& a, const TimelineRow& b) { return a.count > b.count; });
  return rows;
}

// One row's minutes are copied at a time: never more than the aggregator
// holds for it.
std::vector<unsigned> slot_minutes(const TimelineRow& r, int64_t first_min, int64_t slot, int64_t slots) {
  std::vector<int64_t> minutes;
  for (const Group* g : r.groups) minutes.insert(minutes.end(), g->minutes.begin(), g->minutes.end());
  std::sort(minutes.begin(), minutes.end());
  minutes.erase(std::unique(minutes.begin(), minutes.end()), minutes.end());
  std::vector<unsigned> hits(static_cast<size_t>(slots));
  for (int64_t m : minutes) ++hits[static_cast<size_t>(std::clamp<int64_t>((m - first_min) / slot, 0, slots - 1))];
  return hits;
}

}  // namespace gw502
