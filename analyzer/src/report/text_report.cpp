#include <algorithm>
#include <map>
#include <unordered_map>

#include "base/hash.hpp"
#include "base/strutil.hpp"
#include "aggregate/diagnosis.hpp"
#include "base/json_writer.hpp"
#include "report/report.hpp"
#include "report/text_wrap.hpp"
#include "base/timeparse.hpp"

namespace gw502 {
namespace {

std::string site_title(const Group& g, const Aggregator& agg) {
  std::string_view site = agg.str(g.site);
  std::string_view host = agg.str(g.host);
  std::string t;
  if (g.proxy == ProxyKind::npm) {
    if (site.substr(0, 11) == "proxy-host-") {
      t = "NPM proxy host #" + std::string(site.substr(11));
    } else if (!site.empty()) {
      t = "NPM " + std::string(site);
    } else {
      t = "Nginx Proxy Manager";
    }
  } else {
    t = proxy_title(g.proxy);
  }
  t += " · ";
  safe_text(t, host == "-" ? std::string_view("(no host in the log)") : host);
  return t;
}

std::string when(int64_t t, bool utc) {
  std::string s = format_iso(t, utc);
  s[10] = ' ';
  return s;
}

}  // namespace

std::string site_name(const Group& g, const Aggregator& agg) {
  std::string t;
  std::string_view site = agg.str(g.site);
  if (g.proxy == ProxyKind::npm && site.substr(0, 11) == "proxy-host-")
    t = "NPM #" + std::string(site.substr(11)) + " ";
  else if (g.proxy == ProxyKind::npm && !site.empty())
    t = "NPM " + std::string(site) + " ";
  std::string_view host = agg.str(g.host);
  safe_text(t, host == "-" ? std::string_view("(no host)") : host);
  return t;
}

namespace {
// (proxy, site, host), or that and the upstream: interned ids.
struct PlaceKey {
  int proxy;
  uint32_t site, host, upstream;
  bool operator==(const PlaceKey& o) const {
    return proxy == o.proxy && site == o.site && host == o.host && upstream == o.upstream;
  }
};
struct PlaceHash {
  size_t operator()(const PlaceKey& k) const {
    return static_cast<size_t>(mix64((uint64_t{k.site} << 32 | k.host) ^ (uint64_t{k.upstream} << 17) ^
                                     (uint64_t(uint32_t(k.proxy)) << 61)));
  }
};
}  // namespace

std::vector<const Group*> ordered_groups(const Aggregator& agg) {
  // Totals per (proxy, site, host) and per (proxy, site, host, upstream):
  // hash maps (a flood of hosts gives thousands of each).
  constexpr uint32_t kAny = UINT32_MAX;
  std::unordered_map<PlaceKey, uint64_t, PlaceHash> site_total, up_total;
  site_total.reserve(agg.groups().size());
  up_total.reserve(agg.groups().size());
  auto site_of = [&](const Group& g) { return PlaceKey{static_cast<int>(g.proxy), g.site, g.host, kAny}; };
  auto up_of = [&](const Group& g) { return PlaceKey{static_cast<int>(g.proxy), g.site, g.host, g.upstream}; };
  for (const Group& g : agg.groups()) {
    site_total[site_of(g)] += g.count;
    up_total[up_of(g)] += g.count;
  }
  // Each interned string's place in byte order, so that the sort compares
  // numbers, not texts (a flood of hosts: 8,192 groups whose totals tie).
  std::vector<uint32_t> by_text(agg.string_count());
  for (uint32_t i = 0; i < by_text.size(); ++i) by_text[i] = i;
  std::sort(by_text.begin(), by_text.end(), [&](uint32_t a, uint32_t b) { return agg.str(a) < agg.str(b); });
  std::vector<uint32_t> rank(by_text.size());
  for (uint32_t i = 0; i < by_text.size(); ++i) rank[by_text[i]] = i;
  // Each group's sort keys once (not two map lookups per comparison).
  struct Row {
    const Group* g;
    uint64_t site_total, up_total;
    uint32_t site, host, upstream;  // ranks
  };
  std::vector<Row> rows;
  rows.reserve(agg.groups().size());
  for (const Group& g : agg.groups())
    // Not a group all of whose requests were served after a retry; one with
    // only earlier tries of failed requests stays (JSON and --verbose show it).
    if (g.count || g.tries || g.cut)
      rows.push_back(Row{&g, site_total[site_of(g)], up_total[up_of(g)], rank[g.site], rank[g.host],
                         rank[g.upstream]});
  std::sort(rows.begin(), rows.end(), [&](const Row& ra, const Row& rb) {
    const Group* a = ra.g;
    const Group* b = rb.g;
    if (ra.site_total != rb.site_total) return ra.site_total > rb.site_total;
    if (a->proxy != b->proxy) return a->proxy < b->proxy;
    if (ra.site != rb.site) return ra.site < rb.site;
    if (ra.host != rb.host) return ra.host < rb.host;
    if (ra.up_total != rb.up_total) return ra.up_total > rb.up_total;
    if (ra.upstream != rb.upstream) return ra.upstream < rb.upstream;
    if (a->count != b->count) return a->count > b->count;
    return a->cause < b->cause;
  });
  std::vector<const Group*> v;
  v.reserve(rows.size());
  for (const Row& r : rows) v.push_back(r.g);
  return v;
}

bool selected(const Group& g, const Aggregator& agg, const Catalogue& cat, const ReportOptions& opt) {
  if (!opt.cause.empty()) {
    const Cause& c = cat.causes()[static_cast<size_t>(g.cause)];
    if (c.id != opt.cause && c.family != opt.cause) return false;
  }
  if (!opt.site.empty() && agg.str(g.host).find(opt.site) == std::string_view::npos &&
      agg.str(g.site).find(opt.site) == std::string_view::npos)
    return false;
  return opt.upstream.empty() || agg.str(g.upstream).find(opt.upstream) != std::string_view::npos;
}

uint64_t upstream_failures(const Aggregator& agg, const Catalogue& cat, const ReportOptions& opt) {
  uint64_t n = 0;
  for (const Group& g : agg.groups())
    if (!g.context && cat.causes()[static_cast<size_t>(g.cause)].counts_as_failure && selected(g, agg, cat, opt))
      n += g.count;
  return n;
}

std::string render_text_detail(const Catalogue& cat, const Aggregator& agg, const RunSummary& run,
                               const ReportOptions& opt) {
  Style st{opt.color};
  const HintFinder hints_for(agg, cat);
  std::string out;
  uint64_t lines = 0, malformed = 0, match_errors = 0;
  for (auto& s : run.stats) {
    lines += s.lines;
    malformed += s.malformed;
    match_errors += s.match_errors;
  }
  const uint64_t total = upstream_failures(agg, cat, opt);
  out += st.bold();
  if (total == 0) {
    out += "gw502-logs: no upstream failures";
  } else {
    out += "gw502-logs: " + thousands(total) + (total == 1 ? " upstream failure" : " upstream failures");
  }
  out += st.off();
  out += " in " + thousands(run.sources.size()) + (run.sources.size() == 1 ? " source" : " sources") +
         " (" + thousands(lines) + " lines read" +
         (malformed ? ", " + thousands(malformed) +
                          (malformed == 1 ? " malformed JSON line skipped" : " malformed JSON lines skipped")
                    : "") + ")\n";
  if (run.lost_bytes)
    out += "warning: " + thousands(run.lost_bytes) +
           " bytes of followed files were truncated away before they were read (copytruncate faster than "
           "gw502-logs; see the notes above); their lines are not counted\n";
  if (run.lost_files)
    out += "warning: " + thousands(run.lost_files) +
           (run.lost_files == 1 ? " file was" : " files were") +
           " created at a followed path and deleted before gw502-logs could open it (see the notes above); "
           "their lines are not counted\n";
  if (match_errors)
    out += "warning: " + thousands(match_errors) +
           (match_errors == 1 ? " line" : " lines") +
           " could not be matched (the regex engine ran out of memory); their causes are unknown\n";

  std::string current_site, current_up;
  for (const Group* g : ordered_groups(agg)) {
    if (!selected(*g, agg, cat, opt)) continue;
    const Cause& c = cat.causes()[static_cast<size_t>(g->cause)];
    std::string site = site_title(*g, agg);
    if (site != current_site) {
      current_site = site;
      current_up.clear();
      out += '\n';
      out += st.bold() + site + st.off() + "\n";
    }
    std::string up(agg.str(g->upstream));
    if (up != current_up) {
      current_up = up;
      out += "  upstream ";
      safe_text(out, up == "-" ? std::string_view("(not named in the log)") : std::string_view(up));
      out += '\n';
    }
    out += "    ";
    out += st.red() + c.id + st.off();
    out += "  x" + thousands(g->count);
    if (g->first != INT64_MAX) {
      out += "  " + when(g->first, g->utc);
      if (g->last != g->first) out += " .. " + when(g->last, g->utc);
    }
    out += "\n";
    wrap_text(out, "      ", c.title);
    const size_t shown = c.samples ? g->samples.size() : 1;
    for (size_t i = 0; i < g->samples.size() && i < shown; ++i)
      append_sample(out, "      ", g->samples[i], agg.sample_text(g->samples[i]), run.sources, st, opt.redact, 0);
    if (!c.likely.empty()) {
      out += "      Likely, in order:\n";
      for (size_t i = 0; i < c.likely.size(); ++i)
        wrap_text(out, "        " + std::to_string(i + 1) + ". ", c.likely[i]);
    }
    const auto& fix = c.fix[static_cast<size_t>(g->proxy)];
    if (!fix.empty()) {
      out += "      Fix (" + std::string(proxy_title(g->proxy)) + "):\n";
      for (const auto& step : fix) wrap_text(out, "        - ", step);
    }
    for (const auto& id : hints_for(*g)) {
      const Hint* h = cat.find_hint(id);
      const std::string& text = h->text[static_cast<size_t>(g->proxy)].empty()
                                    ? h->text[static_cast<size_t>(ProxyKind::nginx)]
                                    : h->text[static_cast<size_t>(g->proxy)];
      if (!text.empty()) wrap_text(out, "      Note: ", text);
    }
  }
  return out;
}

std::string render_cause_list(const Catalogue& cat) {
  std::string out;
  size_t w = 0;
  for (auto& c : cat.causes()) w = std::max(w, c.id.size());
  for (auto& c : cat.causes()) {
    out += c.id;
    out.append(w + 2 - c.id.size(), ' ');
    out += c.title;
    out += '\n';
  }
  return out;
}

std::string render_rule_list(const Catalogue& cat) {
  std::string out =
      "# rule<TAB>cause ('-': noise)<TAB>log families, in priority order (the first match wins).\n"
      "# errno.NAME.PHASE rules come from the errno table (patterns/errno.json): one socket error's\n"
      "# numbers on Linux, BSD/macOS and Windows, in one phase of a request (nginx: ' while ACTION';\n"
      "# Go: the syscall op before the error text). Add a number, a wording or a phase with --patterns.\n";
  for (const Rule& r : cat.rules()) {
    out += r.id + '\t' + (r.ignore ? std::string("-") : cat.causes()[static_cast<size_t>(r.cause)].id) + '\t';
    bool first = true;
    for (size_t f = 0; f < kLogFamilies; ++f)
      if (r.families & (1u << f)) {
        if (!first) out += ',';
        out += family_name(static_cast<LogFamily>(f));
        first = false;
      }
    out += '\n';
  }
  return out;
}

std::string render_explain(const Catalogue& cat, int cause, int proxy) {
  const Cause& c = cat.causes()[static_cast<size_t>(cause)];
  std::string out = c.id + ": " + c.title + "\n\n";
  if (!c.explain.empty()) wrap_text(out, "", c.explain);
  if (!c.likely.empty()) {
    out += "\nLikely root causes, most likely first:\n";
    for (size_t i = 0; i < c.likely.size(); ++i)
      wrap_text(out, "  " + std::to_string(i + 1) + ". ", c.likely[i]);
  }
  for (size_t p = 0; p < kProxyKinds; ++p) {
    if (c.fix[p].empty() || (proxy >= 0 && static_cast<size_t>(proxy) != p)) continue;
    out += "\nFix for " + std::string(proxy_title(static_cast<ProxyKind>(p))) + ":\n";
    for (const auto& step : c.fix[p]) wrap_text(out, "  - ", step);
  }
  out += "\nRules:";
  bool any = false;
  for (auto& r : cat.rules())
    if (r.cause == cause) {
      out += (any ? ", " : " ") + r.id;
      any = true;
    }
  out += any ? "\n" : " none\n";
  return out;
}

}  // namespace gw502
