// The HTML report (--format html, and the page follow mode's --metrics
// listener serves at /): one self-contained page, CSS, JS and SVG inline,
// nothing fetched (its Content-Security-Policy forbids it), readable without
// JS. It holds the summary table, a timeline of failures per site and cause
// (inline SVG), each cause's explanation and fix once per proxy with its
// evidence lines, the input problems, and the JSON report of the same run
// as <script type="application/json" id="gw502-report">.
//
// Every text from a log goes through html_escape (base/html_escape.hpp):
// log lines are client input.
//
// Stable hooks for scripts and tests: summary rows are <tr class="grp"
// data-kind="failure|abort|context">, timeline rows <g class="tl-row"
// data-site data-cause data-count>, each slot with failures in them a
// <rect class="pt" data-start data-end data-minutes>.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "report/report.hpp"

namespace gw502 {

struct HtmlPage {
  int refresh_s = 0;  // > 0: the page reloads itself (follow mode's live page)
  int64_t now = 0;    // > 0: "as of" this wall time (seconds since the epoch)
};

std::string render_html(const Catalogue& cat, const Aggregator& agg, const RunSummary& run,
                        const ReportOptions& opt = ReportOptions{}, const HtmlPage& page = HtmlPage{});

// The page's Content-Security-Policy, for a server to send as a header too.
const char* html_csp();

// The timeline's SVG for these failure groups (html_timeline.cpp): one row
// per (site, cause), at most `top` rows (0: all), over time slots of whole
// minutes across the groups' window.
void append_html_timeline(std::string& out, const Catalogue& cat, const Aggregator& agg,
                          const std::vector<const Group*>& failures, size_t top);

}  // namespace gw502
