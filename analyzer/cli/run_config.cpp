#include "run_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <thread>

#include "base/strutil.hpp"
#include "report/html_report.hpp"
#include "scan/access_format_rules.hpp"
#include "terminal_text.hpp"

namespace gw502::cli {
namespace {

bool want_color(const std::string& when) {
  if (when == "always") return true;
  if (when != "auto" || !isatty(1) || std::getenv("NO_COLOR")) return false;
  const char* term = std::getenv("TERM");
  return !(term && std::string(term) == "dumb");
}

// One line, no "Try --help": the message names the forms that are read.
bool read_when(const char* name, const std::optional<std::string>& value, int64_t now, int64_t& out,
               ConfigError& err) {
  if (!value) return true;
  std::string why;
  if (parse_when(*value, now, out, &why)) return true;
  const std::string forms = "2024-01-15, 2024-01-15T10:00:00Z, or 30m/2h/7d back from now";
  if (value->empty())
    err.message = std::string(name) + ": empty; give a time: " + forms;
  else if (why == "not a time")
    err.message = std::string(name) + ": cannot read '" + *value + "' as a time (" + forms + ")";
  else
    err.message = std::string(name) + ": '" + *value + "' is not a real time: " + why;
  return false;
}

}  // namespace

bool make_run_config(const Options& opt, RunConfig& cfg, ConfigError& err) {
  if (opt.follow && (opt.list_causes || opt.list_rules || !opt.explain.empty())) {
    err = {"--follow cannot be combined with --list-causes, --list-rules or --explain", true};
    return false;
  }
  // --access-format: compiled once; its rules join the catalogue.
  std::string format_rules;
  std::vector<EmbeddedFile> generated;
  if (opt.access_format) {
    auto f = std::make_shared<AccessFormat>();
    std::string why;
    if (!f->compile(*opt.access_format, why)) {
      err = {"--access-format: " + why, false};
      return false;
    }
    format_rules = access_format_rules(*f);
    if (opt.export_patterns.empty()) generated.push_back({"--access-format", format_rules.c_str()});
    cfg.scan.access_format = std::move(f);
  }
  if (!cfg.catalogue.load(opt.patterns, err.message, generated)) return false;
  const Catalogue& cat = cfg.catalogue;
  if (opt.follow) cfg.mode = Mode::follow;
  else if (opt.list_causes) cfg.mode = Mode::list_causes;
  else if (!opt.export_patterns.empty()) cfg.mode = Mode::export_patterns;
  else if (opt.list_rules) cfg.mode = Mode::list_rules;
  else if (!opt.explain.empty()) cfg.mode = Mode::explain;

  // -o's folder must take a file: found now, not after a long scan.
  if (!opt.output.empty() && opt.output != "-" && access(path_dirname(opt.output).c_str(), W_OK) != 0) {
    err = {"-o " + opt.output + ": cannot write in " + path_dirname(opt.output) + ": " + std::strerror(errno)};
    return false;
  }
  cfg.output = opt.output;
  if (cfg.mode == Mode::export_patterns && !parse_proxy(opt.export_patterns, cfg.export_proxy)) {
    err = {"--export-patterns: unknown proxy", true};
    return false;
  }
  if (cfg.mode == Mode::explain && (cfg.explain_cause = cat.find_cause(opt.explain)) < 0) {
    err = {"unknown cause '" + opt.explain + "' (see --list-causes)", true};
    return false;
  }
  ProxyKind ep;
  if (cfg.mode == Mode::explain && opt.proxy != "auto" && parse_proxy(opt.proxy, ep)) cfg.explain_proxy = ep;
  if (cfg.mode != Mode::report && cfg.mode != Mode::follow) return true;

  cfg.report.verbose = opt.verbose;
  cfg.report.redact = opt.redact;
  cfg.report.site = opt.site;
  cfg.report.upstream = opt.upstream;
  cfg.report.cause = opt.cause;
  if (!opt.cause.empty() && cat.find_cause(opt.cause) < 0) {
    bool family = false;
    for (auto& c : cat.causes()) family = family || c.family == opt.cause;
    if (!family) {
      err = {"--cause: unknown cause '" + opt.cause + "' (see --list-causes)", true};
      return false;
    }
  }
  cfg.report.brief = opt.brief;
  if (opt.top >= 0) cfg.report.top = static_cast<size_t>(opt.top);
  if (!opt.tz.empty()) {
    // A zone name from the tz database, or UTC; set for this process so that
    // naive times are read in it.
    const bool known = opt.tz == "UTC" || (opt.tz.find("..") == std::string::npos && opt.tz[0] != '/' &&
                                           access(("/usr/share/zoneinfo/" + opt.tz).c_str(), R_OK) == 0);
    if (!known) {
      err = {"--tz: unknown time zone '" + opt.tz + "' (a name like Europe/Berlin, or UTC)", true};
      return false;
    }
    setenv("TZ", opt.tz.c_str(), 1);
    tzset();
  }
  cfg.scan.naive_utc = opt.utc;
  cfg.report.naive_utc = opt.utc;

  cfg.format = opt.format == "json" ? Format::json : opt.format == "html" ? Format::html : Format::text;
  cfg.events = opt.events;
  cfg.color = want_color(opt.color);
  ProxyKind p;
  if (opt.proxy != "auto" && parse_proxy(opt.proxy, p)) cfg.proxy = p;
  cfg.start_time = static_cast<int64_t>(std::time(nullptr));
  if (!read_when("--since", opt.since, cfg.start_time, cfg.scan.since, err) ||
      !read_when("--until", opt.until, cfg.start_time, cfg.scan.until, err))
    return false;
  cfg.from_start = opt.from_start;
  cfg.interval_s = opt.interval;
  if (!opt.metrics.empty()) {
    ListenAddress a;
    if (!parse_listen_address(opt.metrics, a, err.message)) return false;
    cfg.metrics = a;
  }
  cfg.inputs = opt.inputs;
  if (cfg.inputs.empty()) {
    if (isatty(0)) {
      err = {"no input: name log files, or pipe logs into '-'", true};
      return false;
    }
    cfg.inputs.emplace_back("-");
  }
  cfg.threads = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  return true;
}

int print_error(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", kProg, mask_controls(msg).c_str());
  return 2;
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", kProg, mask_controls(msg).c_str(), kProg);
  return 2;
}

int config_error(const ConfigError& e) { return e.usage ? usage_error(e.message) : print_error(e.message); }

void print_problem(const Problem& p) {
  if (p.line)
    std::fprintf(stderr, "%s: %s:%llu: %s\n", kProg, mask_controls(p.source).c_str(),
                 static_cast<unsigned long long>(p.line), mask_controls(p.message).c_str());
  else
    std::fprintf(stderr, "%s: %s: %s\n", kProg, mask_controls(p.source).c_str(), mask_controls(p.message).c_str());
}

void write_out(std::string_view s) {
  if (!s.empty()) std::fwrite(s.data(), 1, s.size(), stdout);
}

bool write_report(const RunConfig& cfg, std::string_view s) {
  if (cfg.output.empty() || cfg.output == "-") {
    write_out(s);
    return true;
  }
  FILE* f = std::fopen(cfg.output.c_str(), "wb");
  if (!f) return print_error("-o " + cfg.output + ": " + std::strerror(errno)) == 0;
  bool ok = std::fwrite(s.data(), 1, s.size(), f) == s.size();
  int e = errno;
  if (std::fclose(f) != 0 && ok) ok = false, e = errno;
  if (!ok) print_error("-o " + cfg.output + ": " + std::strerror(e));
  return ok;
}

std::string final_report(const RunConfig& cfg, const Aggregator& agg, const RunSummary& run) {
  if (cfg.events) return {};
  if (cfg.format == Format::json) return render_json(cfg.catalogue, agg, run, cfg.report);
  if (cfg.format == Format::html) return render_html(cfg.catalogue, agg, run, cfg.report);
  ReportOptions ro = cfg.report;
  ro.color = cfg.color;
  return mask_c1_bidi(render_text(cfg.catalogue, agg, run, ro));
}

int exit_status(const RunConfig& cfg, const Aggregator& agg, const std::vector<Problem>& problems) {
  if (!problems.empty()) return 2;
  return upstream_failures(agg, cfg.catalogue, cfg.report) > 0 ? 1 : 0;
}

}  // namespace gw502::cli
