// The live summary of `gw502-logs -f`: a top-like table of upstream failures
// (cause, count, failures in the last minute, when last seen, upstream,
// site and host), redrawn about once a second on a terminal and printed
// every --interval otherwise. Rendering only; the CLI writes it out.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"

namespace gw502 {

// Counts per second over the last minute, per aggregator group (groups are
// only ever appended, so their index is stable) and for lines read.
class RateTracker {
 public:
  // now: monotonic seconds; wall: seconds since the epoch, for last_seen.
  void update(const Aggregator& agg, uint64_t lines, int64_t now, int64_t wall);
  uint64_t per_minute(size_t group) const;  // failures in the last 59..60 s
  int64_t last_seen(size_t group) const;    // wall time of the last new failure; 0: none since start
  uint64_t lines_per_second() const;        // over the last few seconds

 private:
  struct Series {
    std::array<uint64_t, 60> at{};  // value at second s in at[s % 60]
    uint64_t now = 0;
    void step(int64_t from, int64_t to, uint64_t v);
    uint64_t ago(int64_t now_s, int64_t back) const { return at[static_cast<size_t>((now_s - back) % 60)]; }
  };
  std::vector<Series> groups_;
  std::vector<int64_t> last_;
  Series lines_;
  int64_t second_ = -1;
  int64_t first_ = -1;
};

struct LiveView {
  size_t rows = 0;  // terminal rows (0: no limit)
  size_t cols = 0;  // terminal columns (0: no limit)
  bool color = false;
  size_t files = 0;
  uint64_t lines = 0;
  uint64_t problems = 0;
  uint64_t lost_bytes = 0;  // FollowCounters::lost_bytes
  int64_t wall = 0;  // now, seconds since the epoch (local time is shown)
};

std::string render_live(const Catalogue& cat, const Aggregator& agg, const RateTracker& rates,
                        const LiveView& view);

}  // namespace gw502
