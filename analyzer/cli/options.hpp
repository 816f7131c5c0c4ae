// Command-line options of gw502-logs.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gw502::cli {

struct Options {
  std::vector<std::string> inputs;
  std::vector<std::string> patterns;
  std::optional<std::string> access_format;  // --access-format: nginx log_format string or name
  std::string format = "text";
  std::string output;  // -o/--output: the report into this file
  std::string proxy = "auto";
  std::string color = "auto";
  std::optional<std::string> since, until;  // given, even empty
  std::string explain;
  std::string export_patterns;  // a proxy name
  bool events = false;
  bool follow = false;
  bool from_start = false;  // --follow: read what files hold first
  int interval = -1;        // --follow: seconds between summaries (-1: default, 0: none)
  std::string metrics;      // --follow: [ADDRESS:]PORT for Prometheus
  bool list_causes = false;
  bool list_rules = false;
  bool help = false;
  bool version = false;
  unsigned threads = 0;
  // The text report: --verbose (detail per site), --brief (summary only), --top N.
  bool verbose = false;
  bool brief = false;
  int top = -1;             // -1: the default (20); 0: all
  // Times without a zone (nginx's error log): --utc, or --tz ZONE; default this machine's zone.
  bool utc = false;
  std::string tz;
  bool redact = false;      // client addresses and query strings masked
  std::string site, cause, upstream;  // report filters
  bool docker = false, docker_check = false; std::string container;  // --docker [--check] [--container NAME]
};

// Parses argv. On a usage error returns false with a one-line reason.
bool parse_options(int argc, char** argv, Options& opt, std::string& err);
std::string usage();

// "2024-01-15", "2024-01-15T10:00:00Z", "2024-01-15 10:00+02:00", or a
// duration back from now: "90s", "30m", "2h", "7d". Returns false when it is
// none of them, or names no real time (2024-02-30, 25:00, an offset beyond
// 14:00); why (when given) then says what is wrong.
bool parse_when(const std::string& s, int64_t now, int64_t& out, std::string* why = nullptr);

}  // namespace gw502::cli
