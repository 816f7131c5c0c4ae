// The default text report: summary first, explanations once per cause.
#include <algorithm>
#include <map>
#include <set>

#include "aggregate/diagnosis.hpp"
#include "base/local_time.hpp"
#include "base/strutil.hpp"
#include "base/timeparse.hpp"
#include "base/json_writer.hpp"
#include "report/report.hpp"
#include "report/text_wrap.hpp"

namespace gw502 {
namespace {

std::string short_time(int64_t t) {
  std::string s = format_iso(t, true);  // 2026-12-03T07:41:40Z
  return s.substr(5, 5) + " " + s.substr(11, 5);
}

// Failures over [first, last] in 12 slots, by distinct minutes with failures.
std::string sparkline(const Group& g, int64_t first, int64_t last) {
  static const char* const kBars[] = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
                                      "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"};
  constexpr int kSlots = 12;
  if (g.minutes.empty() || last - first < 3600) return "";  // under an hour: first and last say it
  unsigned slot[kSlots] = {};
  const int64_t span = last / 60 - first / 60 + 1;
  for (int64_t m : g.minutes) {
    int64_t i = (m - first / 60) * kSlots / span;
    slot[std::clamp<int64_t>(i, 0, kSlots - 1)]++;
  }
  unsigned top = *std::max_element(slot, slot + kSlots);
  std::string s;
  for (unsigned n : slot) s += n == 0 ? std::string(" ") : kBars[std::min(7u, (n * 8 - 1) / top)];
  return s;
}

void pad(std::string& out, std::string_view s, size_t width, bool right = false) {
  // Width in characters: count UTF-8 lead bytes.
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  if (right && chars < width) out.append(width - chars, ' ');
  out += s;
  if (!right && chars < width) out.append(width - chars, ' ');
}


// What a request-less line says, in a few words: the resolver that does not
// answer, or that nginx did not start.
std::string finding(const Group& g, const Cause& c, const Aggregator& agg) {
  std::string text = g.samples.empty() ? std::string() : agg.sample_text(g.samples[0]);
  std::string out;
  size_t r = text.find("resolver: ");
  if (r != std::string::npos) {
    std::string addr = text.substr(r + 10, text.find_first_of(" ,", r + 10) - r - 10);
    out = "the resolver " + addr + " did not answer nginx (fix its `resolver` directive; in Docker: resolver 127.0.0.11)";
  } else if (text.find("[emerg]") != std::string::npos) {
    size_t m = text.find("] ", text.find("[emerg]"));
    std::string msg = text.substr(m == std::string::npos ? 0 : m + 2);
    size_t pid = msg.find(": ");
    if (pid != std::string::npos && pid < 16 && msg.find('#') < pid) msg = msg.substr(pid + 2);
    out = "nginx did not start: " + msg;
  } else {
    size_t m = text.find("] ");
    out = c.id + ": " + text.substr(m == std::string::npos ? 0 : m + 2);
  }
  return cut_text(out, 160);
}

struct Row {
  const Group* g;
  std::string site;
};

}  // namespace

std::string render_text(const Catalogue& cat, const Aggregator& agg, const RunSummary& run,
                        const ReportOptions& opt) {
  if (opt.verbose) return render_text_detail(cat, agg, run, opt);
  Style st{opt.color};
  const HintFinder hints_for(agg, cat);
  uint64_t lines = 0, malformed = 0, match_errors = 0;
  for (auto& s : run.stats) {
    lines += s.lines;
    malformed += s.malformed;
    match_errors += s.match_errors;
  }
  std::vector<Row> failures, aborts, context;
  int64_t first = INT64_MAX, last = INT64_MIN;
  uint64_t n_fail = 0, n_abort = 0, s502 = 0, s504 = 0, tries = 0, cut = 0;
  for (const Group* g : ordered_groups(agg)) {
    if (!selected(*g, agg, cat, opt)) continue;
    tries += g->tries;
    cut += g->cut;
    if (!g->count) continue;  // only earlier tries of requests counted in other groups
    const Cause& c = cat.causes()[static_cast<size_t>(g->cause)];
    Row row{g, site_name(*g, agg)};
    if (g->context) {
      context.push_back(row);
      continue;
    }
    if (g->first != INT64_MAX) {
      first = std::min(first, g->first);
      last = std::max(last, g->last);
    }
    if (!c.counts_as_failure) {
      aborts.push_back(row);
      n_abort += g->count;
      continue;
    }
    failures.push_back(row);
    n_fail += g->count;
    s502 += g->served_502;
    s504 += g->served_504;
  }
  std::stable_sort(failures.begin(), failures.end(),
                   [](const Row& a, const Row& b) { return a.g->count > b.g->count; });

  std::string out = st.bold();
  out += "gw502-logs: ";
  const size_t problems = run.problems.size();
  out += n_fail != 0 ? thousands(n_fail) + (n_fail == 1 ? " failed request" : " failed requests")
         : problems  ? "no upstream failures found, but with " + thousands(problems) +
                          (problems == 1 ? " input problem (see the error)" : " input problems (see the errors)")
                     : std::string("no upstream failures");
  out += st.off();
  out += " in " + thousands(run.sources.size()) + (run.sources.size() == 1 ? " source" : " sources") + " (" +
         thousands(lines) + " lines read" +
         (malformed ? ", " + thousands(malformed) + " malformed JSON " + (malformed == 1 ? "line" : "lines") + " skipped" : "") +
         ")\n";
  if (first != INT64_MAX) {
    out += "window: " + format_iso(first, true) + " .. " + format_iso(last, true) +
           "; times without a zone read as " + LocalZone(opt.naive_utc).describe(last) + "\n";
  }
  if (s502 || s504)
    out += "served: " + (s502 ? thousands(s502) + " x 502" : std::string()) + (s502 && s504 ? ", " : "") +
           (s504 ? thousands(s504) + " x 504" : std::string()) +
           " (their access-log lines are counted with the error line that explains them)\n";
  if (cut)
    out += "cut: " + thousands(cut) + (cut == 1 ? " response was" : " responses were") +
           " broken off by the backend after nginx had sent its status (\"while reading upstream\": a cut body, not a"
           " 502/504; not counted above; --verbose or JSON lists them)\n";
  if (tries)
    out += "tries: " + thousands(tries) + (tries == 1 ? " earlier try" : " earlier tries") +
           " of these requests failed on another server of the pool too (nginx then tried the next one;"
           " each request is counted once, under its last try)\n";
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
    out += "warning: " + thousands(match_errors) + (match_errors == 1 ? " line" : " lines") +
           " could not be matched (the regex engine ran out of memory); their causes are unknown\n";
  if (const uint64_t folded = agg.folded_groups())
    out += "note: more (site, host, upstream, cause) combinations than the " + thousands(Aggregator::kMaxGroups) +
           " kept apart: about " + thousands(folded) + " of them, " + thousands(agg.folded_count()) +
           " lines, are counted under \"(others)\" per site and cause; " +
           (agg.heavy_exact()
                ? "every combination with more than 1/" + thousands(Aggregator::kHeavyShare) +
                      " of the lines has its own exact row" +
                      (agg.heavy_kept() ? " (" + thousands(agg.heavy_kept()) + " made exact by reading the input twice)"
                                        : std::string())
                : agg.second_pass()
                      ? std::string("frequent ones have their own rows, but the requests of ") +
                            thousands(agg.heavy_served_folded()) +
                            " of them that nginx retried and served elsewhere are counted under \"(others)\""
                      : std::string("frequent ones may be among them (the input could not be read a second time: "
                                    "standard input, a pipe, or a file that changed)")) +
           "\n";

  if (!failures.empty()) {
    const size_t show = opt.top && failures.size() > opt.top ? opt.top : failures.size();
    out += "\n";
    out += st.dim();
    out += "  COUNT  CAUSE                      SITE                          UPSTREAM               FIRST .. LAST\n";
    out += st.off();
    for (size_t i = 0; i < show; ++i) {
      const Group& g = *failures[i].g;
      std::string up;
      safe_text(up, agg.str(g.upstream) == "-" ? std::string_view("(not in the log)") : agg.str(g.upstream));
      std::string line = "  ";
      pad(line, thousands(g.count), 5, true);
      line += "  ";
      line += st.red();
      pad(line, cat.causes()[static_cast<size_t>(g.cause)].id, 25);
      line += st.off();
      line += "  ";
      pad(line, cut_text(failures[i].site, 28), 28);
      line += "  ";
      pad(line, cut_text(up, 21), 21);
      if (g.first != INT64_MAX) {
        line += "  " + short_time(g.first);
        if (g.last != g.first) line += " .. " + short_time(g.last);
        std::string spark = sparkline(g, first, last);
        if (!spark.empty()) line += "  " + spark;
      }
      out += line + "\n";
    }
    if (show < failures.size())
      out += "  ... " + thousands(failures.size() - show) + " more (--top 0 shows all)\n";
  }
  if (!aborts.empty()) {
    out += "\nNot failures a client saw: " + thousands(n_abort) + " (";
    std::set<std::string> causes;
    for (auto& r : aborts) causes.insert(cat.causes()[static_cast<size_t>(r.g->cause)].id);
    bool firstc = true;
    for (auto& c : causes) {
      out += (firstc ? "" : ", ") + c;
      firstc = false;
    }
    out += "), most on ";
    std::map<std::string, uint64_t> by_site;
    for (auto& r : aborts) by_site[r.site] += r.g->count;
    auto most = std::max_element(by_site.begin(), by_site.end(),
                                 [](auto& a, auto& b) { return a.second < b.second; });
    out += most->first + "\n";
  }
  if (!context.empty()) {
    out += "\nNot tied to a request:\n";
    for (auto& r : context) {
      const Cause& c = cat.causes()[static_cast<size_t>(r.g->cause)];
      out += "  " + thousands(r.g->count) + " x  ";
      safe_text(out, finding(*r.g, c, agg));
      out += "\n";
    }
  }
  if (opt.brief || failures.empty()) return out;

  // Each (cause, proxy) once, in the order of the summary.
  std::vector<std::pair<int, ProxyKind>> order;
  for (auto& r : failures) {
    auto k = std::make_pair(r.g->cause, r.g->proxy);
    if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
  }
  for (auto& [cause, proxy] : order) {
    const Cause& c = cat.causes()[static_cast<size_t>(cause)];
    out += "\n";
    out += st.bold();
    out += c.id + " (" + proxy_title(proxy) + "): " + c.title;
    out += st.off();
    out += "\n";
    std::string sites;
    uint64_t count = 0;
    const Group* sample = nullptr;
    std::vector<std::pair<std::string, std::string>> notes;  // hint id, where
    for (auto& r : failures) {
      if (r.g->cause != cause || r.g->proxy != proxy) continue;
      if (!sample) sample = r.g;
      count += r.g->count;
      if (!sites.empty()) sites += ", ";
      sites += r.site + " (" + thousands(r.g->count) + ")";
      for (const auto& id : hints_for(*r.g)) {
        auto at = std::find_if(notes.begin(), notes.end(), [&](auto& n) { return n.first == id; });
        if (at == notes.end())
          notes.emplace_back(id, r.site);
        else if (at->second.size() < 200)
          at->second += ", " + r.site;
      }
    }
    wrap_text(out, "  Sites: ", cut_text(sites, 600));
    const size_t shown = c.samples ? sample->samples.size() : 1;
    for (size_t i = 0; i < sample->samples.size() && i < shown; ++i)
      append_sample(out, "  ", sample->samples[i], agg.sample_text(sample->samples[i]), run.sources, st, opt.redact, 400);
    if (!c.likely.empty()) {
      out += "  Likely, in order:\n";
      for (size_t i = 0; i < c.likely.size(); ++i)
        wrap_text(out, "    " + std::to_string(i + 1) + ". ", c.likely[i]);
    }
    const auto& fix = c.fix[static_cast<size_t>(proxy)];
    if (!fix.empty()) {
      out += "  Fix (" + std::string(proxy_title(proxy)) + "):\n";
      for (const auto& step : fix) wrap_text(out, "    - ", step);
    }
    for (auto& [id, where] : notes) {
      const Hint* h = cat.find_hint(id);
      const std::string& text = h->text[static_cast<size_t>(proxy)].empty()
                                    ? h->text[static_cast<size_t>(ProxyKind::nginx)]
                                    : h->text[static_cast<size_t>(proxy)];
      if (text.empty()) continue;
      out += "  Note (";
      safe_text(out, cut_text(where, 70));
      out += "):\n";
      wrap_text(out, "    ", text);
    }
  }
  return out;
}

}  // namespace gw502
