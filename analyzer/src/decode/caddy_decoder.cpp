#include "decode/caddy_decoder.hpp"

#include "base/strutil.hpp"

#include "decode/go_error.hpp"

namespace gw502 {
namespace {


// The logger of a site's error log is "http.log.error" or "http.log.error.NAME".
bool error_logger(std::string_view l) {
  return l == "http.log.error" || starts_with(l, "http.log.error.");
}

bool access_logger(std::string_view l) {
  return l == "http.log.access" || starts_with(l, "http.log.access.");
}

// A failed proxied request: Caddy's reverse_proxy answers 502 (503 when no
// upstream is available, 504 on timeouts, 499 when the client left).
// FNV-1a over the parts that tell one request from another, NUL-separated.
uint64_t request_hash(std::initializer_list<std::string_view> parts) {
  uint64_t h = 1469598103934665603ull;
  for (std::string_view p : parts) {
    for (unsigned char c : p) h = (h ^ c) * 1099511628211ull;
    h = h * 1099511628211ull;
  }
  return h ? h : 1;
}

bool proxy_status(int status, std::string_view trace) {
  if (status == 499 || status == 502 || status == 503 || status == 504) return true;
  return status >= 500 && starts_with(trace, "reverseproxy.");
}

}  // namespace

Decoded CaddyDecoder::entry(std::string_view text, std::string_view logger, std::string_view msg,
                            Event& ev) {
  Decoded d;
  d.family = LogFamily::caddy;
  double v = 0;
  std::string_view error;
  std::string_view upstream;
  if (error_logger(logger)) {
    error = msg;
    if (json_.num("status", v)) ev.status = static_cast<int>(v);
    if (msg == "error handling handler error") {  // handle_errors failed too
      error = json_.str("first_error", "msg");
      if (json_.num("first_error", "status", v)) ev.status = static_cast<int>(v);
    }
    std::string_view trace = json_.str("err_trace");
    if (trace.empty()) trace = json_.str("first_error", "err_trace");
    if (error.empty() || !proxy_status(ev.status, trace)) return d;
    d.kind = LineKind::error;
  } else if (logger == "http.handlers.reverse_proxy") {
    if (msg == "upstream roundtrip") {
      if (json_.has("error")) d.kind = LineKind::duplicate;
      return d;
    }
    if (msg != "aborting with incomplete response") return d;
    error = json_.str("error");
    upstream = json_.str("upstream");
    if (error.empty()) return d;
    d.kind = LineKind::error;
  } else if (access_logger(logger) || msg == "handled request") {
    if (json_.num("status", v)) ev.status = static_cast<int>(v);
    d.kind = LineKind::access;
    d.match = text;
    d.cause = json_.first_str("resp_headers", "X-Gw502-Cause");
  } else {
    return d;
  }
  ev.host = json_.str("request", "host");
  ev.client = json_.str("request", "remote_ip");
  ev.request = json_.str("request", "uri");
  // Caddy logs a failed request twice when its error and access entries share
  // a stream: the scanner pairs them by this.
  if (!ev.client.empty())
    d.request = request_hash({ev.client, json_.str("request", "remote_port"),
                              json_.str("request", "method"), ev.host, ev.request});
  if (d.kind == LineKind::error) {
    d.match = error;
    ev.message = error;
    bool unix = false;
    if (upstream.empty()) upstream = go_error_upstream(error, unix);
    if (unix) {
      upstream_.assign("unix:").append(upstream);
      upstream = upstream_;
    }
    ev.upstream = upstream;
  }
  return d;
}

Decoded CaddyDecoder::decode_json(std::string_view text, Event& ev) {
  ev = Event{};
  ev.level = json_.str("level");
  double ts = 0;
  if (json_.num("ts", ts)) {
    ev.time_is_utc = go_epoch_time(ts, ev.time);
  } else {
    int64_t t;
    bool utc;
    if (go_log_time(json_.str("ts"), t, utc)) {
      ev.time = t;
      ev.time_is_utc = utc;
    }
  }
  return entry(text, json_.str("logger"), json_.str("msg"), ev);
}

Decoded CaddyDecoder::decode_console(std::string_view text, Event& ev) {
  ev = Event{};
  std::string_view part[5];
  size_t n = 0, pos = 0;
  while (n < 5) {
    size_t tab = text.find('\t', pos);
    if (n == 4 || tab == std::string_view::npos) {
      part[n++] = text.substr(pos);
      break;
    }
    part[n++] = text.substr(pos, tab - pos);
    pos = tab + 1;
  }
  if (n < 3) return {};
  std::string_view fields;
  if (n > 3 && !part[n - 1].empty() && part[n - 1][0] == '{') fields = part[--n];
  std::string_view logger = n >= 4 ? part[2] : std::string_view();
  std::string_view msg = part[n - 1];
  bool utc;
  int64_t t;
  if (go_log_time(part[0], t, utc)) {
    ev.time = t;
    ev.time_is_utc = utc;
  }
  ev.level = part[1];
  // Only the entries that can count need their fields.
  if (!error_logger(logger) && !access_logger(logger) && logger != "http.handlers.reverse_proxy" &&
      msg != "handled request")
    return {};
  Decoded d;
  d.family = LogFamily::caddy;
  if (!json_.parse(fields.empty() ? std::string_view("{}") : fields)) {
    d.kind = LineKind::malformed;
    return d;
  }
  return entry(text, logger, msg, ev);
}

}  // namespace gw502
