// Renderers. They return text; only the command-line layer writes it out.
#pragma once
#include <string>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"
#include "core/event.hpp"
#include "core/types.hpp"

namespace gw502 {

struct RunSummary {
  std::vector<SourceInfo> sources;
  std::vector<ScanStats> stats;  // one per source
  std::vector<Problem> problems;
  uint64_t lost_bytes = 0;  // follow mode: bytes truncated away before they were read
  uint64_t lost_files = 0;  // follow mode: files deleted before they could be opened
};

struct ReportOptions {
  bool color = false;
  bool verbose = false;   // every (site, upstream, cause) with its own explanation, as before
  bool brief = false;     // the summary table only
  size_t top = 20;        // rows of the summary table (0: all)
  bool naive_utc = false; // naive log times were read as UTC (--utc), for the header
  bool redact = false;    // --redact: client addresses and query strings masked in evidence
  // --site, --cause, --upstream: only groups that match (site: the host or NPM
  // site contains it; upstream: contains it; cause: the id or family).
  std::string site, cause, upstream;
};

// Whether a group passes opt's filters.
bool selected(const Group& g, const Aggregator& agg, const Catalogue& cat, const ReportOptions& opt);

// Groups in report order: sites by failures (most first), then upstreams,
// then causes, each by count.
std::vector<const Group*> ordered_groups(const Aggregator& agg);

// A group's site as the summary tables name it: "app.example.com",
// "NPM #12 app.example.com", "(no host)"; control characters masked.
std::string site_name(const Group& g, const Aggregator& agg);

// Failures that count for the exit status (a client that left is not one).
uint64_t upstream_failures(const Aggregator& agg, const Catalogue& cat,
                           const ReportOptions& opt = ReportOptions{});

// The default text report: a header (failed requests, window, zone), one
// summary line per (site, upstream, cause) by count, client aborts and
// request-less findings apart, then each cause's explanation and fix once
// per (cause, proxy) with the sites it applies to. opt.verbose: the detail
// per (site, upstream, cause) instead (render_text_detail).
std::string render_text(const Catalogue& cat, const Aggregator& agg, const RunSummary& run,
                        const ReportOptions& opt);
std::string render_text_detail(const Catalogue& cat, const Aggregator& agg, const RunSummary& run,
                               const ReportOptions& opt);
std::string render_json(const Catalogue& cat, const Aggregator& agg, const RunSummary& run,
                        const ReportOptions& opt = ReportOptions{});

// One NDJSON line (with its newline) for --events.
void append_event_json(std::string& out, const Catalogue& cat, const SourceInfo& src,
                       uint64_t line, const Event& ev, int rule, int cause,
                       std::string_view host);

std::string render_cause_list(const Catalogue& cat);
// One rule a line: id, cause id ("-" for noise rules), families; tab-separated.
std::string render_rule_list(const Catalogue& cat);
// proxy >= 0: only that proxy's fix (a ProxyKind).
std::string render_explain(const Catalogue& cat, int cause, int proxy = -1);


}  // namespace gw502
