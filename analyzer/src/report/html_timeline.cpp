// The HTML report's timeline: inline SVG, one row per (site, cause), a bar
// per time slot that had failures; its height is how many of the slot's
// minutes had failures (report/timeline.hpp says why, and where it reads low).
#include <algorithm>
#include <cstdio>
#include <map>

#include "base/html_escape.hpp"
#include "base/strutil.hpp"
#include "base/timeparse.hpp"
#include "report/html_report.hpp"
#include "report/timeline.hpp"
#include "report/text_wrap.hpp"

namespace gw502 {
namespace {

constexpr int kWidth = 1000, kCauseX = 200, kPlotX = 360, kPlotW = 560, kRowH = 22, kTop = 26;
constexpr int64_t kMaxSlots = 60;

std::string clock(int64_t t) {  // "2026-12-03 07:41" (UTC)
  std::string s = format_iso(t, true);
  return s.substr(0, 10) + " " + s.substr(11, 5);
}

void text(std::string& out, int x, int y, const char* cls, const std::string& s) {
  out += "<text x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y) + "\" class=\"" + cls + "\">";
  html_escape(out, s);
  out += "</text>";
}

}  // namespace

void append_html_timeline(std::string& out, const Catalogue& cat, const Aggregator& agg,
                          const std::vector<const Group*>& failures, size_t top) {
  std::vector<TimelineRow> rows = timeline_rows(agg, failures);
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (auto& r : rows)
    if (r.first != INT64_MAX) first = std::min(first, r.first), last = std::max(last, r.last);
  if (rows.empty()) return;
  if (first == INT64_MAX) {
    out += "<p class=\"note\">No times in these lines: no timeline.</p>\n";
    return;
  }
  const size_t shown = top && rows.size() > top ? top : rows.size();
  // Slots of whole minutes, at most kMaxSlots of them.
  const int64_t first_min = first / 60, span = last / 60 - first_min + 1;
  const int64_t slot = (span + kMaxSlots - 1) / kMaxSlots, slots = (span + slot - 1) / slot;
  std::vector<std::vector<unsigned>> hits(shown);
  unsigned most = 1;
  for (size_t i = 0; i < shown; ++i) {
    hits[i] = slot_minutes(rows[i], first_min, slot, slots);
    most = std::max(most, *std::max_element(hits[i].begin(), hits[i].end()));
  }
  const int height = kTop + kRowH * static_cast<int>(shown) + 4;
  out += "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(kWidth) + " " +
         std::to_string(height) + "\" role=\"img\" aria-label=\"failures over time per site and cause\" data-slot-minutes=\"" +
         std::to_string(slot) + "\">";
  text(out, kPlotX, 14, "axis", clock(first_min * 60) + " UTC");
  text(out, kPlotX + kPlotW / 2, 14, "axis mid", clock((first_min + slots * slot / 2) * 60));
  text(out, kPlotX + kPlotW, 14, "axis end", clock((first_min + slots * slot) * 60));
  text(out, kWidth - 4, 14, "axis end", "failures");
  const double w = static_cast<double>(kPlotW) / static_cast<double>(slots);
  char num[32];
  for (size_t i = 0; i < shown; ++i) {
    const TimelineRow& r = rows[i];
    const std::string& cause = cat.causes()[static_cast<size_t>(r.cause)].id;
    const int y = kTop + kRowH * static_cast<int>(i);
    out += "\n<g class=\"tl-row c" + std::to_string(r.cause % 8) + "\" data-site=\"" + html_escaped(r.site) +
           "\" data-cause=\"" + html_escaped(cause) + "\" data-count=\"" + std::to_string(r.count) + "\">";
    out += "<title>";
    html_escape(out, r.site + " · " + cause + ": " + thousands(r.count) + (r.count == 1 ? " failure" : " failures"));
    out += "</title>";
    out += "<rect class=\"tl-bg\" x=\"" + std::to_string(kPlotX) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
           std::to_string(kPlotW) + "\" height=\"" + std::to_string(kRowH - 4) + "\"/>";
    text(out, 0, y + 13, "label", cut_text(r.site, 28));
    text(out, kCauseX, y + 13, "label cause", cut_text(cause, 22));
    text(out, kWidth - 4, y + 13, "count end", thousands(r.count));
    for (size_t s = 0; s < hits[i].size(); ++s) {
      const unsigned n = hits[i][s];
      if (!n) continue;
      const int h = 4 + static_cast<int>((kRowH - 8) * n / most);
      const int64_t from = (first_min + static_cast<int64_t>(s) * slot) * 60;
      std::snprintf(num, sizeof num, "%.1f", kPlotX + w * static_cast<double>(s));
      out += "<rect class=\"pt\" x=\"" + std::string(num) + "\" y=\"" + std::to_string(y + kRowH - 4 - h) + "\"";
      std::snprintf(num, sizeof num, "%.1f", std::max(1.0, w - 1));
      out += " width=\"" + std::string(num) + "\" height=\"" + std::to_string(h) + "\" data-start=\"" +
             format_iso(from, true) + "\" data-end=\"" + format_iso(from + slot * 60, true) + "\" data-minutes=\"" +
             std::to_string(n) + "\"><title>" + clock(from) + " UTC: " + std::to_string(n) + " of " +
             std::to_string(slot) + (slot == 1 ? " minute" : " minutes") + " with failures</title></rect>";
    }
    out += "</g>";
  }
  out += "\n</svg>\n";
  if (shown < rows.size())
    out += "<p class=\"note\">" + thousands(rows.size() - shown) + " more rows (--top 0 shows all)</p>\n";
}

}  // namespace gw502
