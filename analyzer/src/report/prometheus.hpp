// Prometheus text exposition (format 0.0.4) of what a run has counted, for
// `gw502-logs -f --metrics`. Rendering only: the listener is the CLI's.
//
//   gw502_upstream_failures_total{proxy,site,host,upstream,cause}  counter
//   gw502_lines_read_total{source}, gw502_bytes_read_total{source}  counter
//   gw502_input_problems_total                                     counter
//   gw502_follow_files_open                                        gauge
//   gw502_follow_rotations_total, _truncations_total,
//   _recovered_bytes_total, _inotify_overflows_total,
//   _resumed_total, _lost_bytes_total, _lost_files_total            counter
//   gw502_start_time_seconds                                       gauge
//
// `site` is NPM's proxy host ("proxy-host-12"), empty for plain nginx; it
// keeps two NPM hosts with the same Host header apart. Label values are
// escaped (\\, \", \n), invalid UTF-8 becomes U+FFFD and control
// characters '?'. Host comes from the client: its cardinality is what the
// log holds (see the README's note on --metrics).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"
#include "core/types.hpp"

namespace gw502 {

struct MetricsInput {
  const std::vector<SourceInfo>* sources = nullptr;
  const std::vector<ScanStats>* stats = nullptr;
  const FollowCounters* counters = nullptr;  // null: no follow metrics
  size_t open_files = 0;
  uint64_t problems = 0;
  int64_t start_time = 0;  // seconds since the epoch
};

std::string render_prometheus(const Catalogue& cat, const Aggregator& agg, const MetricsInput& in);

// Appends s as a label value, without the quotes.
void prometheus_label(std::string& out, std::string_view s);

}  // namespace gw502
