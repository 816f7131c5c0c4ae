#include "decode/format_detect.hpp"

#include "base/strutil.hpp"

#include <cstring>
#include <string>

#include "core/event.hpp"
#include "decode/access_format.hpp"
#include "decode/caddy_decoder.hpp"
#include "decode/go_error.hpp"
#include "decode/nginx_decoder.hpp"
#include "decode/unwrap.hpp"

namespace gw502 {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }


// "2024/01/15 10:23:45" (nginx, Caddy's console default).
bool slash_time(std::string_view s) {
  return s.size() >= 19 && digit(s[0]) && digit(s[3]) && s[4] == '/' && s[7] == '/' &&
         s[10] == ' ' && s[13] == ':' && s[16] == ':';
}

// "2024-01-15T10:23:45" up to the seconds.
bool iso_time(std::string_view s) {
  return s.size() >= 19 && digit(s[0]) && digit(s[3]) && s[4] == '-' && s[7] == '-' &&
         s[10] == 'T' && s[13] == ':' && s[16] == ':';
}

bool zap_level(std::string_view s) {
  for (std::string_view l : {"DEBUG", "INFO", "WARN", "ERROR", "DPANIC", "PANIC", "FATAL", "debug",
                             "info", "warn", "error", "dpanic", "panic", "fatal"})
    if (s == l) return true;
  return false;
}

bool zerolog_level(std::string_view s) {
  if (s.size() != 3) return false;
  for (const char* l : {"TRC", "DBG", "INF", "WRN", "ERR", "FTL", "PNC"})
    if (std::memcmp(s.data(), l, 3) == 0) return true;
  return false;
}

// logrus on a terminal: "DEBU[0000]" or "DEBU[2021-06-01T10:00:00Z]".
bool logrus_tty(std::string_view s) {
  if (s.size() < 6 || s[4] != '[') return false;
  for (const char* l : {"TRAC", "DEBU", "INFO", "WARN", "ERRO", "FATA", "PANI"})
    if (std::memcmp(s.data(), l, 4) == 0) return true;
  return false;
}

}  // namespace

LineFormat detect_line_format(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.empty()) return LineFormat::unknown;
  if (s.front() == '{') return LineFormat::json;
  if (s.front() == '[') return LineFormat::npm_access;
  if (slash_time(s)) {
    // nginx's levels are lower case; "[ERROR 502 /path]" is Caddy 1 with Go's log time.
    if (s.size() > 21 && s[19] == ' ' && s[20] == '[' && s[21] >= 'a' && s[21] <= 'z')
      return LineFormat::nginx_error;
  }
  // Caddy's console encoder: TIME<TAB>LEVEL<TAB>...
  size_t tab = s.find('\t');
  if (tab != std::string_view::npos && tab > 0 && tab < 40) {
    size_t tab2 = s.find('\t', tab + 1);
    std::string_view level = s.substr(tab + 1, (tab2 == std::string_view::npos ? s.size() : tab2) - tab - 1);
    if (zap_level(level)) return LineFormat::caddy_console;
  }
  if (starts_with(s, "time=\"") || starts_with(s, "level=") || logrus_tty(s))
    return LineFormat::traefik_logfmt;
  // zerolog's console writer: [TIME ]LVL ...
  size_t sp = s.find(' ');
  if (sp != std::string_view::npos) {
    if (zerolog_level(s.substr(0, sp))) return LineFormat::traefik_console;
    if (sp >= 19 && iso_time(s)) {
      size_t sp2 = s.find(' ', sp + 1);
      std::string_view lvl = s.substr(sp + 1, (sp2 == std::string_view::npos ? s.size() : sp2) - sp - 1);
      if (zerolog_level(lvl)) return LineFormat::traefik_console;
    }
  }
  size_t lb = s.find(" [");
  if (lb != std::string_view::npos && lb < 512 && lb + 14 < s.size() && digit(s[lb + 2]) &&
      s[lb + 4] == '/' && s[lb + 8] == '/')
    return LineFormat::clf;
  return LineFormat::unknown;
}

void count_recognised(std::string_view head, unsigned& lines, unsigned& recognised,
                      const AccessFormat* custom) {
  lines = recognised = 0;
  std::string plain;
  AccessFields fields;
  size_t pos = 0;
  while (lines < 50 && pos < head.size()) {
    size_t nl = head.find('\n', pos);
    if (nl == std::string_view::npos) break;  // the head may end inside a line
    std::string_view line = head.substr(pos, nl - pos);
    pos = nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    ++lines;
    if (line.find('\x1b') != std::string_view::npos) line = strip_ansi(line, plain);
    line = unwrap_line(line);
    if (custom && custom->match(line, fields)) {
      ++recognised;
      continue;
    }
    const LineFormat f = detect_line_format(line);
    Event ev;
    bool known = f != LineFormat::unknown && f != LineFormat::json;
    // An access line counts only when a decoder reads it: a custom
    // log_format that merely looks like CLF (`$host $remote_addr [..]`, a
    // wrong --access-format) is not read, and must be said so.
    if (f == LineFormat::clf || f == LineFormat::npm_access) known = decode_nginx_access(line, ev);
    if (f == LineFormat::json)
      for (std::string_view k : {"\"logger\":", "\"ts\":", "\"level\":", "\"DownstreamStatus\":",
                                 "\"RouterName\":", "\"stream\":", "\"remote_addr\":", "\"upstream_addr\":"})
        known = known || line.find(k) != std::string_view::npos;
    if (!known)
      known = decode_nginx_error_loose(line, ev, false) || CaddyDecoder::is_caddy1(line) ||
              CaddyDecoder::is_console_loose(line) || go_std_log_prefix(line) > 20;
    if (known) ++recognised;
  }
}

ProxyKind detect_source_proxy(std::string_view head, ProxyKind fallback) {
  std::string plain;  // a line without colour codes (Caddy's console, logrus on a terminal)
  size_t pos = 0;
  for (int n = 0; n < 50 && pos < head.size(); ++n) {
    size_t nl = head.find('\n', pos);
    std::string_view line = head.substr(pos, (nl == std::string_view::npos ? head.size() : nl) - pos);
    pos = nl == std::string_view::npos ? head.size() : nl + 1;
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\x1b') != std::string_view::npos) line = strip_ansi(line, plain);
    line = unwrap_line(line);
    switch (detect_line_format(line)) {
      case LineFormat::json:
        if (line.find("\"logger\":") != std::string_view::npos ||
            line.find("\"ts\":") != std::string_view::npos)
          return ProxyKind::caddy;
        if (line.find("\"level\":") != std::string_view::npos ||
            line.find("\"DownstreamStatus\":") != std::string_view::npos ||
            line.find("\"RouterName\":") != std::string_view::npos)
          return ProxyKind::traefik;
        break;
      case LineFormat::caddy_console:
        return ProxyKind::caddy;
      case LineFormat::traefik_logfmt:
      case LineFormat::traefik_console:
        return ProxyKind::traefik;
      case LineFormat::clf:
        // Traefik's common format ends in: "router" "url" 12ms
        if (line.size() > 2 && line.substr(line.size() - 2) == "ms" && line.find("\" \"") != std::string_view::npos &&
            digit(line[line.size() - 3]))
          return ProxyKind::traefik;
        return fallback;
      case LineFormat::nginx_error:
      case LineFormat::npm_access:
        return fallback;
      case LineFormat::unknown:
        break;
    }
  }
  return fallback;
}

}  // namespace gw502
