#include "report/timeline.hpp"

#include <algorithm>
#include <cstdint>
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

// A row's distinct minutes are marked in a bitmap over its span (an O(n)
// pass instead of sorting the groups' minutes together: the timeline was a
// third of a 128 MiB multisite log's report). A span too long for one
// (a stray year in a log) sorts a copy instead.
std::vector<unsigned> slot_minutes(const TimelineRow& r, int64_t first_min, int64_t slot, int64_t slots) {
  std::vector<unsigned> hits(static_cast<size_t>(slots));
  auto count = [&](int64_t m) { ++hits[static_cast<size_t>(std::clamp<int64_t>((m - first_min) / slot, 0, slots - 1))]; };
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (const Group* g : r.groups)
    if (!g->minutes.empty()) lo = std::min<int64_t>(lo, g->minutes.front()), hi = std::max<int64_t>(hi, g->minutes.back());
  if (lo > hi) return hits;
  constexpr uint64_t kMaxBits = uint64_t{1} << 22;  // 512 KiB: eight years of minutes
  if (static_cast<uint64_t>(hi - lo) < kMaxBits) {
    std::vector<uint64_t> seen(static_cast<size_t>((hi - lo) / 64 + 1));
    for (const Group* g : r.groups)
      for (const auto m : g->minutes) {
        const auto at = static_cast<uint64_t>(m - lo);
        seen[at / 64] |= uint64_t{1} << (at % 64);
      }
    for (size_t w = 0; w < seen.size(); ++w)
      for (uint64_t bits = seen[w]; bits; bits &= bits - 1)
        count(lo + static_cast<int64_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits))));
    return hits;
  }
  std::vector<int64_t> minutes;
  for (const Group* g : r.groups) minutes.insert(minutes.end(), g->minutes.begin(), g->minutes.end());
  std::sort(minutes.begin(), minutes.end());
  minutes.erase(std::unique(minutes.begin(), minutes.end()), minutes.end());
  for (int64_t m : minutes) count(m);
  return hits;
}

}  // namespace gw502
