// The HTML report: see html_report.hpp. Walks the aggregate as the text
// summary does (failures by count, client aborts and request-less findings
// apart, each cause's fix once per proxy).
#include "report/html_report.hpp"

#include <algorithm>

#include "aggregate/diagnosis.hpp"
#include "base/html_escape.hpp"
#include "base/local_time.hpp"
#include "base/strutil.hpp"
#include "base/timeparse.hpp"
#include "report/html_assets.hpp"
#include "report/redact.hpp"
#include "report/text_wrap.hpp"

namespace gw502 {
namespace {

struct Parts {
  std::vector<const Group*> failures, aborts, context;
  uint64_t n_fail = 0;
  int64_t first = INT64_MAX, last = INT64_MIN;
};

Parts split(const Catalogue& cat, const Aggregator& agg, const ReportOptions& opt) {
  Parts p;
  for (const Group* g : ordered_groups(agg)) {
    if (!selected(*g, agg, cat, opt) || !g->count) continue;  // (only earlier tries: JSON has them)
    if (g->context) {
      p.context.push_back(g);
      continue;
    }
    if (g->first != INT64_MAX) p.first = std::min(p.first, g->first), p.last = std::max(p.last, g->last);
    if (cat.causes()[static_cast<size_t>(g->cause)].counts_as_failure) {
      p.failures.push_back(g);
      p.n_fail += g->count;
    } else {
      p.aborts.push_back(g);
    }
  }
  std::stable_sort(p.failures.begin(), p.failures.end(),
                   [](const Group* a, const Group* b) { return a->count > b->count; });
  return p;
}

void esc(std::string& out, std::string_view s) { html_escape(out, s); }

std::string anchor(const Cause& c, ProxyKind p) { return "cause-" + html_escaped(c.id) + "-" + proxy_name(p); }

void time_cell(std::string& out, int64_t t) {
  if (t == INT64_MAX || t == INT64_MIN) {
    out += "<td class=\"t\" data-v=\"0\">&ndash;</td>";
    return;
  }
  std::string s = format_iso(t, true);
  out += "<td class=\"t\" data-v=\"" + std::to_string(t) + "\">" + s.substr(0, 10) + " " + s.substr(11, 8) + "</td>";
}

void header(std::string& out, const Aggregator& agg, const RunSummary& run, const ReportOptions& opt,
            const Parts& p, const HtmlPage& page) {
  uint64_t lines = 0;
  for (auto& s : run.stats) lines += s.lines;
  out += "<h1>gw502-logs: ";
  out += p.n_fail ? thousands(p.n_fail) + (p.n_fail == 1 ? " failed request" : " failed requests")
                  : std::string("no upstream failures");
  out += "</h1>\n<p class=\"meta\">" + thousands(run.sources.size()) + (run.sources.size() == 1 ? " source, " : " sources, ") +
         thousands(lines) + " lines read";
  if (!run.problems.empty()) out += ", <a href=\"#problems\">" + thousands(run.problems.size()) + " input problems</a>";
  out += "</p>\n";
  if (p.first != INT64_MAX) {
    out += "<p class=\"meta\">Window: " + format_iso(p.first, true) + " .. " + format_iso(p.last, true) +
           "; times shown in UTC; log times without a zone read as ";
    esc(out, LocalZone(opt.naive_utc).describe(p.last));
    out += "</p>\n";
  }
  if (!opt.site.empty() || !opt.cause.empty() || !opt.upstream.empty()) {
    out += "<p class=\"meta\">Only";
    if (!opt.site.empty()) out += " sites containing &ldquo;" + html_escaped(opt.site) + "&rdquo;";
    if (!opt.cause.empty()) out += " cause " + html_escaped(opt.cause);
    if (!opt.upstream.empty()) out += " upstreams containing &ldquo;" + html_escaped(opt.upstream) + "&rdquo;";
    out += "</p>\n";
  }
  if (agg.folded_groups())
    out += "<p class=\"note\">About " + thousands(agg.folded_groups()) +
           " (site, host, upstream, cause) combinations past the group cap are counted under &ldquo;(others)&rdquo;" +
           (agg.heavy_exact() ? "; every combination with more than 1/" + thousands(Aggregator::kHeavyShare) +
                                    " of the lines has its own exact row.</p>\n"
                              : agg.second_pass()
                                    ? std::string("; frequent ones have their own rows, but some of their requests "
                                                  "that nginx retried and served are counted under "
                                                  "&ldquo;(others)&rdquo;.</p>\n")
                                    : std::string("; frequent ones may be among them (the input could not be read a "
                                                  "second time).</p>\n"));
  if (page.now > 0)
    out += "<p class=\"note\">Live: as of " + format_iso(page.now, true) + ", reloads every " +
           std::to_string(page.refresh_s) + " s.</p>\n";
}

void summary_table(std::string& out, const Catalogue& cat, const Aggregator& agg, const Parts& p, size_t top) {
  out += "<h2 id=\"summary\">Summary</h2>\n";
  if (p.failures.empty()) {
    out += "<p>No upstream failures.</p>\n";
    return;
  }
  out += "<input id=\"filter\" type=\"search\" placeholder=\"filter rows\" hidden>\n"
         "<table class=\"sortable\" id=\"groups\"><thead><tr><th>Count</th><th>Cause</th><th>Site</th>"
         "<th>Upstream</th><th>First</th><th>Last</th><th>Served 502/504</th></tr></thead><tbody>\n";
  const size_t shown = top && p.failures.size() > top ? top : p.failures.size();
  for (size_t i = 0; i < shown; ++i) {
    const Group& g = *p.failures[i];
    const Cause& c = cat.causes()[static_cast<size_t>(g.cause)];
    std::string_view up = agg.str(g.upstream);
    out += "<tr class=\"grp\" data-kind=\"failure\" data-proxy=\"" + std::string(proxy_name(g.proxy)) + "\">";
    out += "<td class=\"n\" data-v=\"" + std::to_string(g.count) + "\">" + thousands(g.count) + "</td>";
    out += "<td><a class=\"cause\" href=\"#" + anchor(c, g.proxy) + "\">" + html_escaped(c.id) + "</a></td><td class=\"w\">";
    esc(out, site_name(g, agg));
    out += "</td><td class=\"w\">";
    esc(out, up == "-" ? std::string_view("(not in the log)") : up);
    out += "</td>";
    time_cell(out, g.first);
    time_cell(out, g.last);
    out += "<td class=\"n\" data-v=\"" + std::to_string(g.served_502 + g.served_504) + "\">" +
           thousands(g.served_502) + " / " + thousands(g.served_504) + "</td></tr>\n";
  }
  out += "</tbody></table>\n";
  if (shown < p.failures.size())
    out += "<p class=\"note\">" + thousands(p.failures.size() - shown) + " more rows (--top 0 shows all)</p>\n";
}

void sample_line(std::string& out, const Sample& s, std::string text, const RunSummary& run, bool redact_it) {
  out += "<div class=\"ev\"><span class=\"src\">";
  esc(out, s.source < run.sources.size() ? std::string_view(run.sources[s.source].name) : "?");
  out += ":" + std::to_string(s.line) + ":</span> ";
  esc(out, cut_text(redact_it ? redact(text) : std::move(text), 1000));
  out += "</div>\n";
}

// Client aborts and request-less findings: shown, never counted.
void other_table(std::string& out, const Catalogue& cat, const Aggregator& agg, const RunSummary& run,
                 const std::vector<const Group*>& groups, const char* kind, const char* title, bool redact_it) {
  if (groups.empty()) return;
  out += std::string("<h2>") + title + "</h2>\n<table><thead><tr><th>Count</th><th>Cause</th><th>Site</th>"
         "<th>Upstream</th><th>Evidence</th></tr></thead><tbody>\n";
  for (const Group* g : groups) {
    out += std::string("<tr class=\"grp\" data-kind=\"") + kind + "\"><td class=\"n\">" + thousands(g->count) +
           "</td><td>" + html_escaped(cat.causes()[static_cast<size_t>(g->cause)].id) + "</td><td class=\"w\">";
    esc(out, site_name(*g, agg));
    out += "</td><td class=\"w\">";
    esc(out, agg.str(g->upstream));
    out += "</td><td>";
    if (!g->samples.empty()) sample_line(out, g->samples[0], agg.sample_text(g->samples[0]), run, redact_it);
    out += "</td></tr>\n";
  }
  out += "</tbody></table>\n";
}

void list(std::string& out, const char* tag, const std::vector<std::string>& items) {
  out += std::string("<") + tag + ">";
  for (auto& s : items) out += "<li>" + html_escaped(s) + "</li>";
  out += std::string("</") + tag + ">\n";
}

// Each (cause, proxy) once, in the order of the summary: sites, evidence,
// likely causes, the fix, the notes that apply.
void causes(std::string& out, const Catalogue& cat, const Aggregator& agg, const RunSummary& run,
            const Parts& p, bool redact_it) {
  const HintFinder hints_for(agg, cat);
  std::vector<std::pair<int, ProxyKind>> order;
  for (const Group* g : p.failures)
    if (std::find(order.begin(), order.end(), std::make_pair(g->cause, g->proxy)) == order.end())
      order.emplace_back(g->cause, g->proxy);
  if (!order.empty()) out += "<h2 id=\"causes\">Causes and fixes</h2>\n";
  for (auto& [cause, proxy] : order) {
    const Cause& c = cat.causes()[static_cast<size_t>(cause)];
    out += "<section class=\"fix\" id=\"" + anchor(c, proxy) + "\"><h3><span class=\"cause\">" + html_escaped(c.id) +
           "</span> (" + proxy_title(proxy) + "): " + html_escaped(c.title) + "</h3>\n";
    std::string sites, evidence;
    std::vector<std::string> hints;
    size_t groups = 0, lines = 0;
    for (const Group* g : p.failures) {
      if (g->cause != cause || g->proxy != proxy) continue;
      if (groups++ < 50) sites += (sites.empty() ? "" : ", ") + site_name(*g, agg) + " (" + thousands(g->count) + ")";
      for (size_t i = 0; i < g->samples.size() && i < (c.samples ? c.samples : 1) && lines < 8; ++i, ++lines)
        sample_line(evidence, g->samples[i], agg.sample_text(g->samples[i]), run, redact_it);
      for (auto& id : hints_for(*g))
        if (std::find(hints.begin(), hints.end(), id) == hints.end()) hints.push_back(id);
    }
    out += "<p><b>Sites:</b> " + html_escaped(cut_text(sites, 2000)) + "</p>\n<p><b>Evidence:</b></p>\n" + evidence;
    if (!c.likely.empty()) out += "<p><b>Likely, in order:</b></p>", list(out, "ol", c.likely);
    const auto& fix = c.fix[static_cast<size_t>(proxy)];
    if (!fix.empty()) out += std::string("<p><b>Fix (") + proxy_title(proxy) + "):</b></p>", list(out, "ul", fix);
    for (auto& id : hints) {
      const Hint* h = cat.find_hint(id);
      const std::string& text = h->text[static_cast<size_t>(proxy)].empty()
                                    ? h->text[static_cast<size_t>(ProxyKind::nginx)]
                                    : h->text[static_cast<size_t>(proxy)];
      if (!text.empty()) out += "<p class=\"note\"><b>Note:</b> " + html_escaped(text) + "</p>\n";
    }
    out += "</section>\n";
  }
}

void inputs(std::string& out, const RunSummary& run) {
  if (!run.problems.empty()) {
    out += "<h2 id=\"problems\">Input problems</h2>\n<ul>";
    for (const Problem& pr : run.problems) {
      out += "<li>";
      esc(out, pr.source + (pr.line ? ":" + std::to_string(pr.line) : "") + ": " + pr.message);
      out += "</li>";
    }
    out += "</ul>\n";
  }
  out += "<h2 id=\"sources\">Sources</h2>\n<table><thead><tr><th>File</th><th>Proxy</th><th>Lines</th>"
         "<th>Failure lines</th></tr></thead><tbody>\n";
  for (size_t i = 0; i < run.sources.size() && i < run.stats.size(); ++i) {
    out += "<tr><td class=\"w\">";
    esc(out, run.sources[i].name);
    out += std::string("</td><td>") + proxy_title(run.sources[i].proxy) + "</td><td class=\"n\">" +
           thousands(run.stats[i].lines) + "</td><td class=\"n\">" + thousands(run.stats[i].events) + "</td></tr>\n";
  }
  out += "</tbody></table>\n";
}

}  // namespace

const char* html_csp() { return html_assets::kCsp; }

std::string render_html(const Catalogue& cat, const Aggregator& agg, const RunSummary& run,
                        const ReportOptions& opt, const HtmlPage& page) {
  const Parts p = split(cat, agg, opt);
  std::string out;
  out.reserve(16384);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"" + std::string(html_assets::kCsp) + "\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  if (page.refresh_s > 0) out += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(page.refresh_s) + "\">\n";
  out += "<title>gw502-logs: " + (p.n_fail ? thousands(p.n_fail) + " failed requests" : std::string("no upstream failures")) +
         "</title>\n<style>" + html_assets::kCss + "</style>\n</head><body>\n";
  header(out, agg, run, opt, p, page);
  summary_table(out, cat, agg, p, opt.top);
  if (!p.failures.empty()) {
    out += "<h2 id=\"timeline\">Timeline</h2>\n<p class=\"note\">Per site and cause; a bar is a time slot, its "
           "height how many of the slot's minutes had failures.</p>\n";
    append_html_timeline(out, cat, agg, p.failures, opt.top);
  }
  other_table(out, cat, agg, run, p.aborts, "abort", "Not failures a client saw", opt.redact);
  other_table(out, cat, agg, run, p.context, "context", "Not tied to a request", opt.redact);
  if (!opt.brief) causes(out, cat, agg, run, p, opt.redact);
  inputs(out, run);
  // The same run as the JSON report, for scripts; '<' only occurs in its
  // strings, where \u003c means the same and cannot end the element.
  std::string json = render_json(cat, agg, run, opt);
  out += "<script type=\"application/json\" id=\"gw502-report\">";
  for (char ch : json) ch == '<' ? out += "\\u003c" : out += ch;
  out += "</script>\n<script>" + std::string(html_assets::kJs) + "</script>\n</body></html>\n";
  return out;
}

}  // namespace gw502
