#include "options.hpp"

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "base/timeparse.hpp"

#include "gw502_help.hpp"

namespace po = boost::program_options;

namespace gw502::cli {
namespace {

// The options come from the same source as the man page and --help
// (docs/gw502-logs.1.md, through the generated gw502_help.hpp): they cannot
// drift. Every option with a value takes a string, checked below; --patterns
// may be given more than once.
po::options_description visible() {
  po::options_description d("Options");
  for (const auto& o : help::kOptions) {
    if (!o.value_name)
      d.add_options()(o.name, o.text);
    else if (std::string_view(o.name) == "patterns")
      d.add_options()(o.name, po::value<std::vector<std::string>>()->value_name(o.value_name), o.text);
    else
      d.add_options()(o.name, po::value<std::string>()->value_name(o.value_name), o.text);
  }
  return d;
}

// base/timeparse checks the shape of an ISO time and ranges loosely (any
// month has 31 days, any offset is taken). Returns what is impossible in
// the fields it can read, or null.
const char* impossible_iso_time(const std::string& s) {
  auto num = [&](size_t pos, size_t n, int& v) {
    if (pos + n > s.size()) return false;
    v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se = 0;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d)) return nullptr;  // not this shape
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12) return "no such month";
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d < 1 || d > kDays[mo - 1] + (mo == 2 && leap)) return "no such day in that month";
  size_t i = 10;
  if (i == s.size() || (s[i] != 'T' && s[i] != ' ')) return nullptr;
  if (!num(i + 1, 2, h) || i + 3 >= s.size() || s[i + 3] != ':' || !num(i + 4, 2, mi)) return nullptr;
  i += 6;
  if (i < s.size() && s[i] == ':' && !num(i + 1, 2, se)) return nullptr;
  if (h > 23 || mi > 59 || se > 60) return "hour, minute or second out of range";
  i = s.find_first_of("+-", 10);
  if (i == std::string::npos) return nullptr;
  int oh, om;
  const size_t mpos = i + 3 < s.size() && s[i + 3] == ':' ? i + 4 : i + 3;
  if (!num(i + 1, 2, oh) || !num(mpos, 2, om)) return nullptr;
  if (om > 59 || oh * 60 + om > 14 * 60) return "zone offset out of range (at most +-14:00)";
  return nullptr;
}

}  // namespace

std::string usage() { return help::kHelpText; }

bool parse_options(int argc, char** argv, Options& opt, std::string& err) {
  po::options_description all = visible();
  all.add_options()("input", po::value<std::vector<std::string>>(), "");
  po::positional_options_description pos;
  pos.add("input", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    err = e.what();
    return false;
  }
  auto str = [&](const char* k, std::string& out) {
    if (vm.count(k)) out = vm[k].as<std::string>();
  };
  opt.help = vm.count("help") > 0;
  opt.version = vm.count("version") > 0;
  opt.events = vm.count("events") > 0;
  opt.follow = vm.count("follow") > 0;
  opt.list_causes = vm.count("list-causes") > 0;
  opt.list_rules = vm.count("list-rules") > 0;
  str("format", opt.format);
  str("output", opt.output);
  opt.docker = vm.count("docker") > 0, opt.docker_check = vm.count("check") > 0, str("container", opt.container);
  str("proxy", opt.proxy);
  str("color", opt.color);
  if (vm.count("since")) opt.since = vm["since"].as<std::string>();
  if (vm.count("until")) opt.until = vm["until"].as<std::string>();
  str("explain", opt.explain);
  str("export-patterns", opt.export_patterns);
  if (vm.count("patterns")) opt.patterns = vm["patterns"].as<std::vector<std::string>>();
  if (vm.count("access-format")) opt.access_format = vm["access-format"].as<std::string>();
  if (vm.count("input")) opt.inputs = vm["input"].as<std::vector<std::string>>();
  if (vm.count("threads")) {
    const std::string s = vm["threads"].as<std::string>();
    char* end = nullptr;
    errno = 0;
    const unsigned long n = std::strtoul(s.c_str(), &end, 10);
    if (s.empty() || s[0] == '-' || *end || errno || n < 1 || n > 256) {
      err = "-j/--threads: expected a number from 1 to 256, not '" + s + "'";
      return false;
    }
    opt.threads = static_cast<unsigned>(n);
  }
  opt.from_start = vm.count("from-start") > 0;
  opt.verbose = vm.count("verbose") > 0;
  opt.brief = vm.count("brief") > 0;
  opt.utc = vm.count("utc") > 0;
  opt.redact = vm.count("redact") > 0;
  str("site", opt.site);
  str("cause", opt.cause);
  str("upstream", opt.upstream);
  str("tz", opt.tz);
  if (vm.count("top")) {
    const std::string& s = vm["top"].as<std::string>();
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos) {
      err = "--top: expected a number of rows, 0 for all";
      return false;
    }
    opt.top = std::stoi(s);
  }
  if (opt.verbose && opt.brief) {
    err = "--verbose and --brief exclude each other";
    return false;
  }
  str("metrics", opt.metrics);
  if (vm.count("interval")) {
    const std::string s = vm["interval"].as<std::string>();
    int64_t now = 1LL << 40, t = 0;
    const bool bare = !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
    if (!(bare ? parse_when(s + "s", now, t) : parse_when(s, now, t)) || now - t > 86400 * 7) {
      err = "--interval: cannot read '" + s + "' as a number of seconds (30, 30s, 5m)";
      return false;
    }
    opt.interval = static_cast<int>(now - t);
  }
  if (!opt.follow && (opt.from_start || opt.interval >= 0 || !opt.metrics.empty())) {
    err = "--from-start, --interval and --metrics go with --follow";
    return false;
  }
  if (opt.format != "text" && opt.format != "json" && opt.format != "html") {
    err = "--format must be text, json or html, not '" + opt.format + "'";
    return false;
  }
  if (vm.count("output") && opt.output.empty()) {
    err = "-o/--output: empty file name";
    return false;
  }
  if (!opt.output.empty() && opt.events) {
    err = "-o/--output writes the report; --events streams to standard output";
    return false;
  }
  if (opt.docker && opt.format == "html") {
    err = "--docker: --format must be text or json";
    return false;
  }
  if (opt.color != "auto" && opt.color != "always" && opt.color != "never") {
    err = "--color must be auto, always or never";
    return false;
  }
  if (opt.proxy != "auto" && opt.proxy != "nginx" && opt.proxy != "npm" && opt.proxy != "traefik" &&
      opt.proxy != "caddy") {
    err = "--proxy must be auto, nginx, npm, traefik or caddy";
    return false;
  }
  return true;
}

bool parse_when(const std::string& s, int64_t now, int64_t& out, std::string* why) {
  auto fail = [&](const char* reason) {
    if (why) *why = reason;
    return false;
  };
  if (s.empty()) return fail("empty");
  bool utc;
  if (s.size() >= 10 && s[4] == '-' && s[7] == '-') {
    if (const char* bad = impossible_iso_time(s)) return fail(bad);
    if (parse_iso_time(s, out, utc)) return true;
  }
  if (s.size() < 2) return fail("not a time");
  int64_t n = 0;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9' || n > 100000000) return fail("not a time");
    n = n * 10 + (s[i] - '0');
  }
  switch (s.back()) {
    case 's': break;
    case 'm': n *= 60; break;
    case 'h': n *= 3600; break;
    case 'd': n *= 86400; break;
    default: return fail("not a time");
  }
  out = now - n;
  return true;
}

}  // namespace gw502::cli
