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
};

struct ReportOptions {
  bool color = false;
};

// Groups in report order: sites by failures (most first), then upstreams,
// then causes, each by count.
std::vector<const Group*> ordered_groups(const Aggregator& agg);

// Failures that count for the exit status (a client that left is not one).
uint64_t upstream_failures(const Aggregator& agg, const Catalogue& cat);

std::string render_text(const Catalogue& cat, const Aggregator& agg, const RunSummary& run,
                        const ReportOptions& opt);
std::string render_json(const Catalogue& cat, const Aggregator& agg, const RunSummary& run);

// One NDJSON line (with its newline) for --events.
void append_event_json(std::string& out, const Catalogue& cat, const SourceInfo& src,
                       uint64_t line, const Event& ev, int rule, int cause,
                       std::string_view host);

std::string render_cause_list(const Catalogue& cat);
// One rule a line: id, cause id ("-" for noise rules), families; tab-separated.
std::string render_rule_list(const Catalogue& cat);
std::string render_explain(const Catalogue& cat, int cause);


}  // namespace gw502
