#include "report/prometheus.hpp"

#include "base/json_writer.hpp"

namespace gw502 {
namespace {

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void value(std::string& out, uint64_t v) {
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}

void counter(std::string& out, const char* name, const char* help, uint64_t v) {
  header(out, name, "counter", help);
  out += name;
  value(out, v);
}

}  // namespace

void prometheus_label(std::string& out, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += '?';
    } else if (size_t n = utf8_len(s, i); n > 1) {
      out.append(s.data() + i, n);
      i += n;
      continue;
    } else if (n == 0) {
      out += "\xef\xbf\xbd";
    } else {
      out += c;
    }
    ++i;
  }
}

std::string render_prometheus(const Catalogue& cat, const Aggregator& agg, const MetricsInput& in) {
  std::string out;
  header(out, "gw502_upstream_failures_total", "counter",
         "Upstream failures classified from proxy logs, by proxy, site, host, upstream and cause.");
  for (const Group& g : agg.groups()) {
    out += "gw502_upstream_failures_total{proxy=\"";
    out += proxy_name(g.proxy);
    out += "\",site=\"";
    prometheus_label(out, agg.str(g.site));
    out += "\",host=\"";
    prometheus_label(out, agg.str(g.host));
    out += "\",upstream=\"";
    prometheus_label(out, agg.str(g.upstream));
    out += "\",cause=\"";
    prometheus_label(out, cat.causes()[static_cast<size_t>(g.cause)].id);
    out += "\"}";
    value(out, g.count);
  }
  if (in.sources && in.stats) {
    for (int pass = 0; pass < 2; ++pass) {
      const char* name = pass ? "gw502_bytes_read_total" : "gw502_lines_read_total";
      header(out, name, "counter", pass ? "Bytes read, per source." : "Complete lines read, per source.");
      for (size_t i = 0; i < in.sources->size() && i < in.stats->size(); ++i) {
        out += name;
        out += "{source=\"";
        prometheus_label(out, (*in.sources)[i].name);
        out += "\"}";
        value(out, pass ? (*in.stats)[i].bytes : (*in.stats)[i].lines);
      }
    }
  }
  counter(out, "gw502_input_problems_total", "Input problems (over-long lines, read errors).",
          in.problems);
  if (in.counters) {
    header(out, "gw502_follow_files_open", "gauge", "Files (and standard input) being followed.");
    out += "gw502_follow_files_open";
    value(out, in.open_files);
    counter(out, "gw502_follow_rotations_total", "Followed files renamed away or deleted.",
            in.counters->rotations);
    counter(out, "gw502_follow_truncations_total", "Followed files truncated (copytruncate).",
            in.counters->truncations);
    counter(out, "gw502_follow_recovered_bytes_total",
            "Bytes read from a copytruncate copy after the truncation.", in.counters->recovered_bytes);
    counter(out, "gw502_follow_inotify_overflows_total", "inotify queue overflows.",
            in.counters->overflows);
    counter(out, "gw502_follow_resumed_total",
            "Files read before that came back under a followed path, read on from where reading stopped.",
            in.counters->resumed);
    counter(out, "gw502_follow_lost_bytes_total",
            "Bytes of followed files truncated away before they were read (at least this many).",
            in.counters->lost_bytes);
    counter(out, "gw502_follow_lost_files_total",
            "Files created at a followed path and deleted before they could be opened (at least this many).",
            in.counters->lost_files);
  }
  header(out, "gw502_start_time_seconds", "gauge", "When gw502-logs started, in seconds since the epoch.");
  out += "gw502_start_time_seconds";
  value(out, static_cast<uint64_t>(in.start_time));
  return out;
}

}  // namespace gw502
