// One run of gw502-logs, typed: what the options ask for, checked once, and
// what both the batch flow (batch.cpp) and follow mode (follow_cli.cpp)
// share to report at the end: problem lines, the final report, the exit
// status.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"
#include "core/types.hpp"
#include "metrics_server.hpp"
#include "options.hpp"
#include "report/report.hpp"
#include "scan/scanner.hpp"

namespace gw502::cli {

constexpr const char* kProg = "gw502-logs";

enum class Mode { report, follow, list_causes, list_rules, explain, export_patterns };
enum class Format { text, json, html };

struct RunConfig {
  Mode mode = Mode::report;
  Catalogue catalogue;                 // built in, plus --patterns
  Format format = Format::text;
  std::string output;                  // -o: the report into this file; empty or "-": stdout
  bool events = false;                 // --events: NDJSON instead of a report
  bool color = false;                  // --color, a terminal, NO_COLOR, TERM=dumb
  std::optional<ProxyKind> proxy;      // --proxy other than auto
  ScanOptions scan;                    // --since, --until
  int64_t start_time = 0;              // wall clock; "2h" counts back from it
  std::vector<std::string> inputs;     // as given, or "-" for standard input
  unsigned threads = 1;                // batch: -j, or the cores
  int explain_cause = -1;              // Mode::explain
  ProxyKind export_proxy{};            // Mode::export_patterns
  bool from_start = false;             // follow: --from-start
  int interval_s = -1;                 // follow: --interval (-1: default)
  std::optional<ListenAddress> metrics;  // follow: --metrics
  ReportOptions report;                // --verbose, --brief, --top, --utc
  std::optional<ProxyKind> explain_proxy;  // --explain CAUSE --proxy P: P's fix only
};

struct ConfigError {
  std::string message;
  bool usage = false;  // add "Try --help"
};

// Checks opt and loads the catalogue. Only what the mode needs is read (the
// list, explain and export modes need no input and no time).
bool make_run_config(const Options& opt, RunConfig& cfg, ConfigError& err);

// Messages on stderr, one line each, control characters masked. Both return 2.
int print_error(const std::string& msg);
int usage_error(const std::string& msg);
int config_error(const ConfigError& e);
// "gw502-logs: FILE[:LINE]: reason"
void print_problem(const Problem& p);

void write_out(std::string_view s);
// The report, to -o's file or else to stdout. False (the error printed) when
// the file cannot be written.
bool write_report(const RunConfig& cfg, std::string_view s);

// The report printed at the end: none with --events, JSON, HTML, or text
// (C1 and bidi controls from the logs masked).
std::string final_report(const RunConfig& cfg, const Aggregator& agg, const RunSummary& run);

// 2 on any input problem, else 1 when an upstream failure was found, else 0.
int exit_status(const RunConfig& cfg, const Aggregator& agg, const std::vector<Problem>& problems);

}  // namespace gw502::cli
