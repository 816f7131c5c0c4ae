#include "aggregate/diagnosis.hpp"
#include "report/json_writer.hpp"
#include "report/report.hpp"
#include "base/timeparse.hpp"

namespace gw502 {
namespace {

void key(std::string& out, const char* k) {
  json_string(out, k);
  out += ':';
}

void strings(std::string& out, const std::vector<std::string>& v) {
  out += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    json_string(out, v[i]);
  }
  out += ']';
}

void time_or_null(std::string& out, int64_t t, bool utc, bool known) {
  if (known)
    json_string(out, format_iso(t, utc));
  else
    out += "null";
}

}  // namespace

std::string render_json(const Catalogue& cat, const Aggregator& agg, const RunSummary& run) {
  std::string out = "{";
  key(out, "version");
  out += "1,";
  uint64_t lines = 0, bytes = 0;
  for (auto& s : run.stats) {
    lines += s.lines;
    bytes += s.bytes;
  }
  key(out, "summary");
  out += '{';
  key(out, "failures");
  json_number(out, static_cast<int64_t>(agg.total()));
  out += ',';
  key(out, "upstream_failures");
  json_number(out, static_cast<int64_t>(upstream_failures(agg, cat)));
  out += ',';
  key(out, "sources");
  json_number(out, static_cast<int64_t>(run.sources.size()));
  out += ',';
  key(out, "lines");
  json_number(out, static_cast<int64_t>(lines));
  out += ',';
  key(out, "bytes");
  json_number(out, static_cast<int64_t>(bytes));
  out += ',';
  key(out, "paired");  // access-log entries counted with the error entry of their request
  json_number(out, static_cast<int64_t>(agg.paired()));
  out += "},";

  key(out, "sources");
  out += '[';
  for (size_t i = 0; i < run.sources.size(); ++i) {
    const SourceInfo& s = run.sources[i];
    const ScanStats& st = run.stats[i];
    if (i) out += ',';
    out += '{';
    key(out, "name");
    json_string(out, s.name);
    out += ',';
    key(out, "proxy");
    json_string(out, proxy_name(s.proxy));
    out += ',';
    key(out, "site");
    json_string(out, s.site);
    out += ',';
    key(out, "lines");
    json_number(out, static_cast<int64_t>(st.lines));
    out += ',';
    key(out, "failures");
    json_number(out, static_cast<int64_t>(st.events));
    out += ',';
    key(out, "ignored");
    json_number(out, static_cast<int64_t>(st.ignored));
    out += ',';
    key(out, "malformed");
    json_number(out, static_cast<int64_t>(st.malformed));
    out += ',';
    key(out, "paired");  // Caddy access entries of requests whose error entry counted
    json_number(out, static_cast<int64_t>(st.paired));
    if (st.match_errors) {  // lines the regex engine could not match (out of memory)
      out += ',';
      key(out, "match_errors");
      json_number(out, static_cast<int64_t>(st.match_errors));
    }
    out += '}';
  }
  out += "],";

  key(out, "groups");
  out += '[';
  bool first = true;
  for (const Group* g : ordered_groups(agg)) {
    const Cause& c = cat.causes()[static_cast<size_t>(g->cause)];
    if (!first) out += ',';
    first = false;
    out += '{';
    key(out, "proxy");
    json_string(out, proxy_name(g->proxy));
    out += ',';
    key(out, "site");
    json_string(out, agg.str(g->site));
    out += ',';
    key(out, "host");
    json_string(out, agg.str(g->host));
    out += ',';
    key(out, "upstream");
    json_string(out, agg.str(g->upstream));
    out += ',';
    key(out, "cause");
    json_string(out, c.id);
    out += ',';
    key(out, "family");
    json_string(out, c.family);
    out += ',';
    key(out, "title");
    json_string(out, c.title);
    out += ',';
    key(out, "count");
    json_number(out, static_cast<int64_t>(g->count));
    out += ',';
    bool known = g->first != INT64_MAX;
    key(out, "first");
    time_or_null(out, g->first, g->utc, known);
    out += ',';
    key(out, "last");
    time_or_null(out, g->last, g->utc, known);
    out += ',';
    key(out, "bursts");
    json_number(out, count_bursts(*g));
    out += ',';
    key(out, "context");  // lines without a request (resolver, start-up): not a failure
    out += g->context ? "true," : "false,";
    key(out, "served");   // statuses the request's access-log entries show
    out += '{';
    key(out, "502");
    json_number(out, static_cast<int64_t>(g->served_502));
    out += ',';
    key(out, "504");
    json_number(out, static_cast<int64_t>(g->served_504));
    out += ',';
    key(out, "other");
    json_number(out, static_cast<int64_t>(g->served_other));
    out += "},";
    key(out, "rules");
    out += '{';
    for (size_t i = 0; i < g->rules.size(); ++i) {
      if (i) out += ',';
      json_string(out, cat.rules()[static_cast<size_t>(g->rules[i].first)].id);
      out += ':';
      json_number(out, static_cast<int64_t>(g->rules[i].second));
    }
    out += "},";
    key(out, "samples");
    out += '[';
    for (size_t i = 0; i < g->samples.size(); ++i) {
      const Sample& s = g->samples[i];
      if (i) out += ',';
      out += '{';
      key(out, "source");
      json_string(out, s.source < run.sources.size() ? run.sources[s.source].name : "");
      out += ',';
      key(out, "line");
      json_number(out, static_cast<int64_t>(s.line));
      out += ',';
      key(out, "text");
      json_string(out, s.text);
      out += '}';
    }
    out += "],";
    key(out, "likely");
    strings(out, c.likely);
    out += ',';
    key(out, "fix");
    strings(out, c.fix[static_cast<size_t>(g->proxy)]);
    out += ',';
    key(out, "hints");
    strings(out, hints_for(*g, agg, cat));
    out += '}';
  }
  out += "],";

  key(out, "errors");
  out += '[';
  for (size_t i = 0; i < run.problems.size(); ++i) {
    const Problem& p = run.problems[i];
    if (i) out += ',';
    out += '{';
    key(out, "source");
    json_string(out, p.source);
    out += ',';
    key(out, "line");
    json_number(out, static_cast<int64_t>(p.line));
    out += ',';
    key(out, "message");
    json_string(out, p.message);
    out += '}';
  }
  out += "]}\n";
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
