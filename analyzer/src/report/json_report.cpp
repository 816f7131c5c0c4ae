#include <algorithm>
#include <future>
#include <system_error>

#include "aggregate/diagnosis.hpp"
#include "report/json_object.hpp"
#include "base/json_writer.hpp"
#include "report/redact.hpp"
#include "report/report.hpp"
#include "report/timeline.hpp"
#include "base/timeparse.hpp"

namespace gw502 {
namespace {

// Groups whose samples the JSON report carries (the most failures first).
constexpr size_t kSampledGroups = 100;

// The columns of a group's row (version 3: one array per group, the names
// once: a fleet's thousands of groups no longer repeat them).
constexpr const char* kGroupFields[] = {"proxy", "site",    "host",  "upstream", "cause", "count",
                                        "first", "last",    "utc",   "bursts",   "context", "served",
                                        "tries", "cut",     "rules", "hints",    "samples"};

void group_time(JsonOut& j, const Group& g, int64_t t) {
  if (g.first != INT64_MAX) j.num(t); else j.null();
}

void key(std::string& out, const char* k) {
  json_string(out, k);
  out += ':';
}

void time_or_null(std::string& out, int64_t t, bool utc, bool known) {
  if (known)
    json_string(out, format_iso(t, utc));
  else
    out += "null";
}

}  // namespace

// Groups from which the timeline is rendered on a thread of its own.
constexpr size_t kTimelineThreadGroups = 512;

// Time buckets of the failures (not aborts, not request-less findings), per
// (site, cause): minutes for a window up to 3 hours, hours up to 7 days,
// days up to 1,000 days, then "days": `seconds` long, at most 1,000 buckets. Each row lists its non-empty buckets as [index, minutes with
// failures]; buckets start at `start`, aligned to the bucket size (UTC).
// The timeline object (a value: its key is the caller's).
static void timeline_json(JsonOut& j, const Catalogue& cat, const Aggregator& agg, const std::vector<const Group*>& groups) {
  std::vector<const Group*> failures;
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (const Group* g : groups) {
    if (g->context || !cat.causes()[static_cast<size_t>(g->cause)].counts_as_failure) continue;
    failures.push_back(g);
    if (g->first != INT64_MAX) first = std::min(first, g->first), last = std::max(last, g->last);
  }
  j.open('{');
  const int64_t span = first == INT64_MAX ? 0 : last - first;
  // A window longer than kMaxDays (a stray year-0137 time in a log) gets
  // buckets of several days: at most kMaxDays of them, never millions.
  constexpr int64_t kMaxDays = 1000;
  const int64_t size = span <= 3 * 3600       ? 60
                       : span <= 7 * 86400    ? 3600
                       : span <= kMaxDays * 86400 ? 86400
                                              : (span / 86400 / kMaxDays + 1) * 86400;
  j.key("bucket").str(size == 60 ? "minute" : size == 3600 ? "hour" : size == 86400 ? "day" : "days");
  j.key("seconds").num(size);
  const int64_t start = first == INT64_MAX ? 0 : (first >= 0 ? first / size : -((-first + size - 1) / size)) * size;
  const int64_t count = first == INT64_MAX ? 0 : (last - start) / size + 1;
  j.key("start");
  if (first != INT64_MAX) j.str(format_iso(start, true)); else j.null();
  j.key("buckets").num(count);
  j.key("rows").open('[');
  if (count > 0) {
    for (const TimelineRow& r : timeline_rows(agg, failures)) {
      j.open('{');
      j.key("site").str(r.site);
      j.key("cause").str(cat.causes()[static_cast<size_t>(r.cause)].id);
      j.key("count").num(static_cast<int64_t>(r.count));
      j.key("minutes").open('[');  // one value per bucket
      for (unsigned n : slot_minutes(r, start / 60, size / 60, count)) j.num(n);
      j.close(']');
      j.close('}');
    }
  }
  j.close(']');
  j.close('}');
}

std::string render_json(const Catalogue& cat, const Aggregator& agg, const RunSummary& run,
                        const ReportOptions& opt) {
  std::string out;
  out.reserve(4096);
  JsonOut j(out);
  uint64_t lines = 0, bytes = 0, aborts = 0, retried = 0;
  for (auto& s : run.stats) {
    lines += s.lines;
    bytes += s.bytes;
  }
  int64_t first = INT64_MAX, last = INT64_MIN;
  std::vector<bool> used(cat.causes().size(), false);
  std::vector<const Group*> groups = ordered_groups(agg);
  const HintFinder hints_for(agg, cat);
  groups.erase(std::remove_if(groups.begin(), groups.end(),
                              [&](const Group* g) { return !selected(*g, agg, cat, opt); }),
               groups.end());
  for (const Group* g : groups) {
    used[static_cast<size_t>(g->cause)] = true;
    const Cause& c = cat.causes()[static_cast<size_t>(g->cause)];
    if (!g->context && !c.counts_as_failure) (c.served ? retried : aborts) += g->count;
    if (!g->context && g->first != INT64_MAX) {
      first = std::min(first, g->first);
      last = std::max(last, g->last);
    }
  }
  // The timeline (a third of a large report's rendering, after the scan,
  // on one thread) is rendered on a second thread meanwhile: it only reads
  // the groups, as the rest does. hostflood 128 MB, -j2: from the scan's
  // end to exit 22-29 -> 20-25 ms (strace, 4 runs each). Safe because
  // ordered_groups() above called groups(), whose resolve() is the
  // aggregator's one lazy write: after it its const methods only read.
  std::future<std::string> timeline;
  if (groups.size() >= kTimelineThreadGroups) {
    try {
      timeline = std::async(std::launch::async, [&] {
        std::string t;
        JsonOut tj(t);
        timeline_json(tj, cat, agg, groups);
        return t;
      });
    } catch (const std::system_error&) {
      // No thread to be had (a limit on processes): rendered in turn below.
    }
  }
  j.open('{');
  j.key("version").num(3);
  j.key("summary").open('{');
  const uint64_t upstream = upstream_failures(agg, cat, opt);
  j.key("failures").num(static_cast<int64_t>(upstream + aborts));
  j.key("upstream_failures").num(static_cast<int64_t>(upstream));
  j.key("client_aborts").num(static_cast<int64_t>(aborts));
  j.key("retried_served").num(static_cast<int64_t>(retried));
  j.key("sources").num(static_cast<int64_t>(run.sources.size()));
  j.key("lines").num(static_cast<int64_t>(lines));
  j.key("bytes").num(static_cast<int64_t>(bytes));
  j.key("paired").num(static_cast<int64_t>(agg.paired()));
  if (run.lost_bytes) j.key("lost_bytes").num(static_cast<int64_t>(run.lost_bytes));
  if (run.lost_files) j.key("lost_files").num(static_cast<int64_t>(run.lost_files));
  // Past the group cap: keys and lines counted under "(others)".
  j.key("folded").open('{');
  j.key("keys").num(static_cast<int64_t>(agg.folded_groups()));
  j.key("lines").num(static_cast<int64_t>(agg.folded_count()));
  j.key("cap").num(static_cast<int64_t>(Aggregator::kMaxGroups));
  j.key("heavy_share").num(static_cast<int64_t>(Aggregator::kHeavyShare));
  j.key("heavy_exact").boolean(agg.heavy_exact());
  j.key("heavy_kept").num(static_cast<int64_t>(agg.heavy_kept()));
  j.close('}');
  j.key("window").open('{');
  j.key("first");
  if (first != INT64_MAX) j.str(format_iso(first, true)); else j.null();
  j.key("last");
  if (first != INT64_MAX) j.str(format_iso(last, true)); else j.null();
  j.close('}');
  j.close('}');

  j.key("sources").open('[');
  for (size_t i = 0; i < run.sources.size(); ++i) {
    const SourceInfo& s = run.sources[i];
    const ScanStats& st = run.stats[i];
    j.open('{');
    j.key("name").str(s.name);
    j.key("proxy").str(proxy_name(s.proxy));
    j.key("site").str(s.site);
    j.key("lines").num(static_cast<int64_t>(st.lines));
    j.key("failures").num(static_cast<int64_t>(st.events));
    j.key("ignored").num(static_cast<int64_t>(st.ignored));
    j.key("malformed").num(static_cast<int64_t>(st.malformed));
    j.key("recognised").boolean(!s.unrecognised);
    if (st.match_errors) j.key("match_errors").num(static_cast<int64_t>(st.match_errors));
    j.close('}');
  }
  j.close(']');

  // Each cause's texts once; groups name their cause by id.
  j.key("causes").open('{');
  for (size_t c = 0; c < used.size(); ++c) {
    if (!used[c]) continue;
    const Cause& cause = cat.causes()[c];
    j.key(cause.id).open('{');
    j.key("family").str(cause.family);
    j.key("title").str(cause.title);
    j.key("counts_as_failure").boolean(cause.counts_as_failure);
    j.key("served").boolean(cause.served);
    j.key("likely").strs(cause.likely);
    j.key("fix").open('{');
    for (size_t p = 0; p < kProxyKinds; ++p)
      if (!cause.fix[p].empty()) j.key(proxy_name(static_cast<ProxyKind>(p))).strs(cause.fix[p]);
    j.close('}');
    j.close('}');
  }
  j.close('}');

  // Evidence lines for the groups with the most failures only: with
  // thousands of groups (a fleet, pods whose addresses change) the samples
  // would be most of the document, and the same lines again and again.
  std::vector<const Group*> by_count(groups);
  std::stable_sort(by_count.begin(), by_count.end(),
                   [](const Group* a, const Group* b) { return a->count > b->count; });
  if (by_count.size() > kSampledGroups) by_count.resize(kSampledGroups);
  std::sort(by_count.begin(), by_count.end());

  // The rules the groups name, once; a group's rules are indices into it.
  std::vector<int64_t> rule_index(cat.rules().size(), -1);
  j.key("rules").open('[');
  int64_t used_rules = 0;
  for (const Group* g : groups)
    for (auto& r : g->rules)
      if (rule_index[static_cast<size_t>(r.first)] < 0) {
        rule_index[static_cast<size_t>(r.first)] = used_rules++;
        j.str(cat.rules()[static_cast<size_t>(r.first)].id);
      }
  j.close(']');

  j.key("groups").open('{');
  j.key("fields").open('[');
  for (const char* f : kGroupFields) j.str(f);
  j.close(']');
  j.key("rows").open('[');
  for (const Group* g : groups) {
    const bool sampled = std::binary_search(by_count.begin(), by_count.end(), g);
    j.open('[');
    j.str(proxy_name(g->proxy));
    j.str(agg.str(g->site));
    j.str(agg.str(g->host));
    j.str(agg.str(g->upstream));
    j.str(cat.causes()[static_cast<size_t>(g->cause)].id);
    j.num(static_cast<int64_t>(g->count));
    group_time(j, *g, g->first);  // seconds since 1970, UTC when `utc`, else the log's clock
    group_time(j, *g, g->last);
    j.boolean(g->utc);
    j.num(count_bursts(*g));
    j.boolean(g->context);  // lines without a request (resolver, start-up): not a failure
    j.open('[');            // statuses the request's access-log entries show: 502, 504, other
    j.num(static_cast<int64_t>(g->served_502));
    j.num(static_cast<int64_t>(g->served_504));
    j.num(static_cast<int64_t>(g->served_other));
    j.close(']');
    j.num(static_cast<int64_t>(g->tries));  // earlier tries of requests counted elsewhere
    j.num(static_cast<int64_t>(g->cut));    // broken off after the header: not 502/504
    j.open('[');  // [index in "rules", lines it matched]
    for (auto& [rule, n] : g->rules)
      j.open('[').num(rule_index[static_cast<size_t>(rule)]).num(static_cast<int64_t>(n)).close(']');
    j.close(']');
    j.strs(hints_for(*g));
    j.open('[');  // [source index, line, text]
    for (const Sample& smp : g->samples) {
      if (!sampled) break;
      j.open('[');
      j.num(static_cast<int64_t>(smp.source));
      j.num(static_cast<int64_t>(smp.line));
      const std::string text = agg.sample_text(smp);
      j.str(opt.redact ? redact(text) : text);
      j.close(']');
    }
    j.close(']');
    j.close(']');
  }
  j.close(']');
  j.close('}');
  j.key("timeline");
  if (timeline.valid()) {
    j.raw(timeline.get());
  } else {
    timeline_json(j, cat, agg, groups);
  }

  j.key("errors").open('[');
  for (const Problem& p : run.problems) {
    j.open('{');
    j.key("source").str(p.source);
    j.key("line").num(static_cast<int64_t>(p.line));
    j.key("message").str(p.message);
    j.close('}');
  }
  j.close(']');
  j.close('}');
  out += '\n';
  return out;
}

void append_event_json(std::string& out, const Catalogue& cat, const SourceInfo& src,
                       uint64_t line, const Event& ev, int rule, int cause,
                       std::string_view host) {
  out += '{';
  key(out, "source");
  json_string(out, src.name);
  out += ',';
  key(out, "line");
  json_number(out, static_cast<int64_t>(line));
  out += ',';
  key(out, "proxy");
  json_string(out, proxy_name(src.proxy));
  out += ',';
  key(out, "site");
  json_string(out, src.site);
  out += ',';
  key(out, "cause");
  json_string(out, cat.causes()[static_cast<size_t>(cause)].id);
  out += ',';
  key(out, "rule");
  json_string(out, cat.rules()[static_cast<size_t>(rule)].id);
  out += ',';
  key(out, "upstream");
  json_string(out, ev.upstream);
  out += ',';
  key(out, "host");
  json_string(out, host);
  out += ',';
  key(out, "time");
  time_or_null(out, ev.time, ev.time_is_utc, ev.time != kNoTime);
  out += ',';
  key(out, "level");
  json_string(out, ev.level);
  out += ',';
  key(out, "status");
  if (ev.status)
    json_number(out, ev.status);
  else
    out += "null";
  out += ',';
  key(out, "message");
  json_string(out, ev.message);
  out += ',';
  key(out, "client");
  json_string(out, ev.client);
  out += ',';
  key(out, "request");
  json_string(out, ev.request);
  out += "}\n";
}

}  // namespace gw502
