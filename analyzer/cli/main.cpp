// gw502-logs: the command-line layer. The only place that prints or exits.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <algorithm>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"
#include "classify/classifier.hpp"
#include "catalogue/export.hpp"
#include "follow_cli.hpp"
#include "glob.hpp"
#include "options.hpp"
#include "scan/pipeline.hpp"
#include "report/events.hpp"
#include "report/report.hpp"
#include "scan/scanner.hpp"
#include "source/source.hpp"
#include "scan/source_info.hpp"

namespace {

constexpr const char* kProg = "gw502-logs";

void write_out(const std::string& s) {
  if (!s.empty()) std::fwrite(s.data(), 1, s.size(), stdout);
}

// Messages may quote paths, option values and regexes: control characters
// (a newline, an escape sequence) would break the one-line form or the terminal.
std::string clean(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", kProg, clean(msg).c_str(), kProg);
  return 2;
}

// Plain files are memory-mapped; one truncated while it is read (copytruncate
// by logrotate) raises SIGBUS on the missing pages. Say so in one line.
const char* volatile g_reading = nullptr;

void on_sigbus(int) {
  const char* name = g_reading ? g_reading : "input";
  const char* a = "gw502-logs: ";
  const char* b = ": the file shrank while it was read (truncated by log rotation?); run again\n";
  ssize_t r = ::write(2, a, std::strlen(a));
  r = ::write(2, name, std::strlen(name));
  r = ::write(2, b, std::strlen(b));
  (void)r;
  ::_exit(2);
}

}  // namespace

int run_cli(int argc, char** argv) {
  using namespace gw502;
  cli::Options opt;
  std::string err;
  if (!cli::parse_options(argc, argv, opt, err)) return usage_error(err);
  if (opt.help) {
    write_out(cli::usage());
    return 0;
  }
  if (opt.version) {
    std::printf("gw502-logs 0.1.0\n");
    return 0;
  }
  if (opt.follow) return cli::run_follow(opt);

  Catalogue cat;
  if (!cat.load(opt.patterns, err)) {
    std::fprintf(stderr, "%s: %s\n", kProg, clean(err).c_str());
    return 2;
  }
  if (opt.list_causes) {
    write_out(render_cause_list(cat));
    return 0;
  }
  if (!opt.export_patterns.empty()) {
    ProxyKind p;
    if (!parse_proxy(opt.export_patterns, p)) return usage_error("--export-patterns: unknown proxy");
    write_out(export_patterns(cat, family_of(p)));
    return 0;
  }
  if (opt.list_rules) {
    write_out(render_rule_list(cat));
    return 0;
  }
  if (!opt.explain.empty()) {
    int c = cat.find_cause(opt.explain);
    if (c < 0) return usage_error("unknown cause '" + opt.explain + "' (see --list-causes)");
    write_out(render_explain(cat, c));
    return 0;
  }

  ScanOptions scan_opt;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (!opt.since.empty() && !cli::parse_when(opt.since, now, scan_opt.since))
    return usage_error("--since: cannot read '" + opt.since + "' as a time");
  if (!opt.until.empty() && !cli::parse_when(opt.until, now, scan_opt.until))
    return usage_error("--until: cannot read '" + opt.until + "' as a time");
  ProxyKind forced{};
  const bool force = opt.proxy != "auto" && parse_proxy(opt.proxy, forced);

  std::vector<std::string> inputs;
  if (opt.inputs.empty()) {
    if (isatty(0)) return usage_error("no input: name log files, or pipe logs into '-'");
    inputs.emplace_back("-");
  }
  for (const auto& a : opt.inputs)
    for (auto& p : cli::expand_input(a)) inputs.push_back(std::move(p));

  unsigned threads = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  Pipeline pipeline(cat, threads, scan_opt);
  if (!pipeline.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProg, clean(pipeline.error()).c_str());
    return 2;
  }
  Aggregator agg;
  gw502::NdjsonEvents events(cat, [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); });
  RunSummary run;
  for (const auto& path : inputs) {
    std::string why;
    SourceInfo info = describe_source(path, force ? &forced : nullptr);
    auto src = open_source(path, why);
    if (!src) {
      run.problems.push_back({path, 0, why});
      continue;
    }
    auto index = static_cast<uint32_t>(run.sources.size());
    run.sources.push_back(info);
    run.stats.emplace_back();
    g_reading = path.c_str();
    pipeline.scan(*src, run.sources.back(), index, agg, run.stats.back(), run.problems,
                  opt.events ? &events : nullptr);
  }

  for (const auto& p : run.problems) {
    if (p.line)
      std::fprintf(stderr, "%s: %s:%llu: %s\n", kProg, clean(p.source).c_str(),
                   static_cast<unsigned long long>(p.line), clean(p.message).c_str());
    else
      std::fprintf(stderr, "%s: %s: %s\n", kProg, clean(p.source).c_str(), clean(p.message).c_str());
  }
  if (!opt.events) {
    if (opt.format == "json") {
      write_out(render_json(cat, agg, run));
    } else {
      ReportOptions ro;
      const char* term = std::getenv("TERM");
      ro.color = opt.color == "always" ||
                 (opt.color == "auto" && isatty(1) && !std::getenv("NO_COLOR") &&
                  !(term && std::string(term) == "dumb"));
      write_out(render_text(cat, agg, run, ro));
    }
  }
  std::fflush(stdout);
  if (!run.problems.empty()) return 2;
  return upstream_failures(agg, cat) > 0 ? 1 : 0;
}

int main(int argc, char** argv) {
  struct sigaction sa {};
  sa.sa_handler = on_sigbus;
  ::sigaction(SIGBUS, &sa, nullptr);
  try {
    return run_cli(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", kProg, clean(e.what()).c_str());
    return 2;
  }
}
