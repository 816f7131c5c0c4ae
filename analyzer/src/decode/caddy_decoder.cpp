#include "decode/caddy_decoder.hpp"

#include "base/strutil.hpp"

#include "base/timeparse.hpp"
#include "decode/go_error.hpp"

#include <cstdlib>
#include <cstring>

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

// Which side broke a response off: Caddy writes the body to the client and
// reads it from the backend, so a failed write while copying it is the
// client's; so is an HTTP/2 stream cancelled from this side. A stream reset
// "received from peer" is the backend's.
// `upstream` is the backend's address when the entry names it: a failed
// write to any other address (`write tcp CADDY:443->CLIENT: broken pipe`)
// was a write to the client.
bool client_side(std::string_view error, bool copying_body, std::string_view upstream) {
  if (error.find("received from peer") != std::string_view::npos) return false;
  if (error.size() >= 8 && error.substr(error.size() - 8) == "; CANCEL") return true;
  if (copying_body && (starts_with(error, "writing: ") || error.find("http2: stream closed") != std::string_view::npos))
    return true;
  if (!starts_with(error, "write tcp ")) return false;
  size_t arrow = error.find("->");
  size_t colon = error.find(": ", arrow == std::string_view::npos ? 0 : arrow);
  if (arrow == std::string_view::npos || colon == std::string_view::npos) return copying_body;
  std::string_view peer = error.substr(arrow + 2, colon - arrow - 2);
  if (upstream.empty()) return copying_body;
  return peer != upstream;
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
  std::string_view error;
  std::string_view upstream;
  if (error_logger(logger)) {
    error = msg;
    json_.int_num("status", ev.status);
    if (msg == "error handling handler error") {  // handle_errors failed too
      error = json_.str("first_error", "msg");
      json_.int_num("first_error", "status", ev.status);
    }
    std::string_view trace = json_.str("err_trace");
    if (trace.empty()) trace = json_.str("first_error", "err_trace");
    // A pasted entry cut before its status is taken as the proxy's: people
    // paste the lines of the failure they are asking about.
    // So is an entry without a status at all (Caddy writes one with every
    // error it logs; forward-proxy plugins and edited pastes do not).
    const bool status_lost = !json_.has("status");
    if (error.empty() || !(proxy_status(ev.status, trace) || status_lost)) return d;
    d.kind = LineKind::error;
  } else if (logger == "http.handlers.reverse_proxy") {
    // "upstream roundtrip" repeats the error of the request's http.log.error
    // entry; "reading from backend" the one of its "aborting with incomplete
    // response" entry, which follows it.
    if (msg == "upstream roundtrip" || msg == "reading from backend") {
      if (json_.has("error")) d.kind = LineKind::duplicate;
      return d;
    }
    const bool aborted = msg == "aborting with incomplete response";
    if (!aborted) return d;
    error = json_.str("error");
    upstream = json_.str("upstream");
    if (error.empty()) return d;
    d.kind = LineKind::error;
    if (client_side(error, aborted, upstream)) d.cause = "client_closed";
  } else if (starts_with(logger, "layer4")) {  // caddy-l4: TCP/UDP proxying
    error = json_.str("error");
    upstream = json_.str("upstream");
    if (upstream.empty()) upstream = json_.str("remote_address");
    if (error.empty()) return d;
    d.kind = LineKind::error;
    if (client_side(error, false, upstream)) d.cause = "client_closed";
  } else if (access_logger(logger) || msg == "handled request") {
    json_.int_num("status", ev.status);
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

bool CaddyDecoder::is_caddy1(std::string_view text) {
  size_t p = text.find("[ERROR ");
  return p != std::string_view::npos && p <= 32 && p + 11 < text.size() &&
         text[p + 7] >= '1' && text[p + 7] <= '5' && text[p + 10] == ' ';
}

Decoded CaddyDecoder::decode_caddy1(std::string_view text, Event& ev) {
  ev = Event{};
  Decoded d;
  d.family = LogFamily::caddy;
  size_t p = text.find("[ERROR ");
  if (p == std::string_view::npos) return d;
  if (p > 1) {  // "29/Jan/2016:15:17:52 +0100 ", or Go's log time "2022/12/17 16:00:08 "
    int64_t t;
    bool utc = false;
    if (parse_clf_time(text.substr(0, p - 1), t)) {
      ev.time = t;
      ev.time_is_utc = true;
    } else if (go_std_log_prefix(text) == p && go_log_time(text.substr(0, 19), t, utc)) {
      ev.time = t;
      ev.time_is_utc = utc;
    }
  }
  ev.level = "error";
  std::string_view rest = text.substr(p + 7);
  ev.status = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
  size_t close = rest.find("] ", 4);
  if (close == std::string_view::npos) return d;
  ev.request = rest.substr(4, close - 4);
  ev.message = rest.substr(close + 2);
  while (!ev.message.empty() && (ev.message.back() == '\r' || ev.message.back() == ' '))
    ev.message.remove_suffix(1);
  if (ev.message.empty()) return d;
  bool unix = false;
  ev.upstream = go_error_upstream(ev.message, unix);
  d.kind = LineKind::error;
  d.match = ev.message;
  return d;
}

namespace {

// Where the logger of a console entry starts ("http.log.error.log0",
// "http.handlers.reverse_proxy", "layer4..."), after a space or tab and
// within the first 200 bytes; npos when there is none.
size_t console_logger_at(std::string_view text) {
  size_t at = std::string_view::npos;
  for (std::string_view l : {"http.log.error", "http.log.access", "http.handlers.reverse_proxy", "layer4."}) {
    size_t p = text.find(l);
    while (p != std::string_view::npos && p > 0 && text[p - 1] != ' ' && text[p - 1] != '\t')
      p = text.find(l, p + 1);
    if (p < at) at = p;
  }
  return at <= 200 ? at : std::string_view::npos;
}

}  // namespace

bool CaddyDecoder::is_console_loose(std::string_view text) {
  const size_t at = console_logger_at(text);
  return at != std::string_view::npos && at > 0;  // a level (and maybe a time) before it
}

Decoded CaddyDecoder::decode_console_loose(std::string_view text, Event& ev) {
  const size_t at = console_logger_at(text);
  if (at == std::string_view::npos) return {};
  auto space = [](char c) { return c == ' ' || c == '\t'; };
  size_t e = at;
  while (e < text.size() && !space(text[e])) ++e;
  std::string_view logger = text.substr(at, e - at);
  // Before the logger: [TIME] LEVEL.
  size_t b = at;
  while (b > 0 && space(text[b - 1])) --b;
  size_t lv = b;
  while (lv > 0 && !space(text[lv - 1])) --lv;
  std::string_view level = text.substr(lv, b - lv);
  std::string_view time = text.substr(0, lv);
  while (!time.empty() && space(time.back())) time.remove_suffix(1);
  // After it: MSG [{fields}].
  while (e < text.size() && space(text[e])) ++e;
  std::string_view rest = text.substr(e);
  size_t brace = rest.find('{');
  while (brace != std::string_view::npos && brace > 0 && !space(rest[brace - 1])) brace = rest.find('{', brace + 1);
  std::string_view msg = rest.substr(0, brace);
  while (!msg.empty() && space(msg.back())) msg.remove_suffix(1);
  std::string_view fields = brace == std::string_view::npos ? std::string_view() : rest.substr(brace);
  ev = Event{};
  ev.level = level;
  int64_t t;
  bool utc;
  if (go_log_time(time, t, utc)) {
    ev.time = t;
    ev.time_is_utc = utc;
  } else if (!time.empty()) {
    char buf[32];
    if (time.size() < sizeof buf) {
      std::memcpy(buf, time.data(), time.size());
      buf[time.size()] = 0;
      char* end = nullptr;
      double v = std::strtod(buf, &end);
      if (end == buf + time.size() && v > 0) ev.time_is_utc = go_epoch_time(v, ev.time);
    }
  }
  if (msg.empty()) return {};
  fields_lost_ = fields.empty() || !(json_.parse(fields) || json_.parse_cut(fields));
  if (fields_lost_ && !json_.parse("{}")) return {};
  Decoded d = entry(text, logger, msg, ev);
  fields_lost_ = false;
  return d;
}

}  // namespace gw502
