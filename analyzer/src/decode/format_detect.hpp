// Which log format a line is in, and what a decoded line is. Every line is
// recognised on its own (a few byte comparisons), so one stream may mix
// proxies (`docker compose logs` of nginx and Traefik); a source's proxy, for
// the report, is guessed from its first lines with detect_source_proxy().
#pragma once
#include <cstdint>
#include <string_view>

#include "core/types.hpp"

namespace gw502 {

enum class LineFormat : uint8_t {
  unknown,
  json,             // one JSON object: Caddy (zap), Traefik v2 (logrus) or v3 (zerolog), access logs
  nginx_error,      // 2024/01/15 10:23:45 [error] 31#31: ...
  caddy_console,    // 2024/01/15 10:23:45.123<TAB>ERROR<TAB>http.log.error<TAB>msg<TAB>{...}
  traefik_logfmt,   // time="..." level=debug msg="..." (v1, v2), or DEBU[...] msg (v2 on a terminal)
  traefik_console,  // 2024-05-03T10:00:00Z DBG caller > 502 Bad Gateway error="..." (v3)
  clf,              // access log: nginx combined, Traefik common (CLF plus router, URL, duration)
  npm_access,       // [15/Jan/2024:10:23:45 +0000] ... (Nginx Proxy Manager)
};

LineFormat detect_line_format(std::string_view line);

// The proxy whose logs these are, from the first lines of a source (after
// collector prefixes); `fallback` (nginx or npm, from the file name) when
// they look like nginx's or say nothing.
ProxyKind detect_source_proxy(std::string_view head, ProxyKind fallback);

// How many of the first lines of a source (up to 50) are in a format gw502
// reads, and how many are not empty. A source with lines but none recognised
// (a custom log_format, nginx's JSON access log, not a log) must be said so,
// not reported as "no upstream failures".
// Lines in `custom` (--access-format), when given, count as recognised;
// other access-log lines only when a decoder reads them.
class AccessFormat;
void count_recognised(std::string_view head, unsigned& lines, unsigned& recognised,
                      const AccessFormat* custom = nullptr);

// What a decoder made of one line.
enum class LineKind : uint8_t {
  none,       // not an upstream failure (or not a line of a known format)
  error,      // an error-log entry: rules see `match`, the failure's message
  access,     // an access-log entry: rules see `match`, the whole line
  duplicate,  // repeats an entry logged on its own line (Caddy's "upstream roundtrip")
  malformed,  // looked like JSON and was not: counted, skipped
};

struct Decoded {
  LineKind kind = LineKind::none;
  LogFamily family = LogFamily::nginx;
  std::string_view match;
  std::string_view cause;  // a cause id the line names itself (X-Gw502-Cause), or ""
  uint64_t request = 0;    // Caddy: a hash of the request (client, port, method, host, URI), 0 if none
};

constexpr unsigned kAllFamilies = (1u << kLogFamilies) - 1;
constexpr unsigned family_bit(LogFamily f) { return 1u << static_cast<unsigned>(f); }

}  // namespace gw502
