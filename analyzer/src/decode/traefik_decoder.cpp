#include "decode/traefik_decoder.hpp"

#include "base/find_quote.hpp"
#include "base/strutil.hpp"

#include <cctype>
#include <cstring>

#include "decode/go_error.hpp"
#include "decode/nginx_decoder.hpp"

namespace gw502 {
namespace {

constexpr size_t npos = std::string_view::npos;

bool digit(char c) { return c >= '0' && c <= '9'; }

int status_at(std::string_view s, size_t i) {
  if (i + 3 > s.size() || !digit(s[i]) || !digit(s[i + 1]) || !digit(s[i + 2])) return -1;
  return (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '|')) s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

// Text logs append fields after the message ("... middlewareName=x@docker
// middlewareType=ForwardAuth"); the message ends where the first known one starts.
std::string_view cut_fields(std::string_view s) {
  size_t end = s.size();
  for (std::string_view k : {" middlewareName=", " middlewareType=", " routerName=", " serviceName=",
                             " entryPointName=", " providerName=", " serverName=", " error="}) {
    size_t p = s.find(k);
    if (p < end) end = p;
  }
  return trim(s.substr(0, end));
}

bool zerolog_level(std::string_view s) {
  if (s.size() != 3) return false;
  for (const char* l : {"TRC", "DBG", "INF", "WRN", "ERR", "FTL", "PNC"})
    if (std::memcmp(s.data(), l, 3) == 0) return true;
  return false;
}

void set_time(std::string_view s, Event& ev) {
  int64_t t;
  bool utc;
  if (!s.empty() && go_log_time(s, t, utc)) {
    ev.time = t;
    ev.time_is_utc = utc;
  }
}

// "http://auth:9091/verify" -> "auth:9091"; a URL without a scheme loses its path.
std::string_view url_address(std::string_view url) {
  std::string_view scheme;
  std::string_view a = upstream_address(url, scheme);
  if (scheme.empty()) a = a.substr(0, a.find('/'));
  return a;
}

// The quote that closes a logfmt value opened before `from`, when inner
// quotes are not escaped: the first one followed by the line's end or by
// " key=". s.size() when none.
size_t closing_quote(std::string_view s, size_t from) {
  for (size_t q = s.find('"', from); q != npos; q = s.find('"', q + 1)) {
    size_t n = q + 1;
    while (n < s.size() && (s[n] == ' ' || s[n] == '\r')) ++n;
    if (n >= s.size()) return q;
    if (n == q + 1) continue;
    size_t k = n;
    while (k < s.size() && (std::isalnum(static_cast<unsigned char>(s[k])) || s[k] == '_' || s[k] == '.')) ++k;
    if (k > n && k < s.size() && s[k] == '=') return q;
  }
  return s.size();
}

}  // namespace

// Traefik v1 logs a failed request twice and names no client: "'502 Bad
// Gateway' caused by: ERR", then "Round trip: URL, code: 502". Both get this
// key; the aggregator pairs them within a few seconds.
static uint64_t v1_echo_key(int status) { return 0x7472616566696b00ull | static_cast<uint64_t>(status); }

Decoded TraefikDecoder::app(std::string_view msg, std::string_view error, Event& ev) {
  Decoded d;
  d.family = LogFamily::traefik;
  std::string_view err, url;
  int status;
  // Go's standard log (v1, and the httputil proxy's own lines): its time and
  // "file.go:N: " come first.
  if (size_t n = go_std_log_prefix(msg)) {
    int64_t t;
    bool utc;
    if (ev.time == kNoTime && go_log_time(msg.substr(0, 19), t, utc)) ev.time = t;
    msg = msg.substr(n);
  }
  size_t dialing = msg.find("Error dialing ");
  if (msg.size() > 5 && msg[0] == '\'' && (status = status_at(msg, 1)) > 0 && msg[4] == ' ') {
    size_t p = msg.find("' caused by: ");
    if (p == npos) return d;
    ev.status = status;
    err = msg.substr(p + 13);
    d.request = v1_echo_key(status);
  } else if (msg.size() > 4 && (status = status_at(msg, 0)) > 0 && msg[3] == ' ') {
    ev.status = status;
    err = error;
  } else if (starts_with(msg, "Error calling ")) {
    std::string_view rest = msg.substr(14);
    size_t c = rest.find(". Cause");
    url = rest.substr(0, c != npos ? c : rest.find(' '));
    if (c != npos) {
      size_t k = c + 7;
      if (k < rest.size() && rest[k] == ':') ++k;
      if (k < rest.size() && rest[k] == ' ') ++k;
      err = rest.substr(k);
    } else {
      err = error;
    }
  } else if (starts_with(msg, "Error while serving UDP: ")) {
    err = msg.substr(25);
  } else if (size_t rt = msg.find("Round trip: "); rt != npos && rt < 40) {
    // v1 (oxy): "Round trip: URL, code: 502, Length: 11, duration: ...": a
    // served status and no cause; the rules see "Round trip: URL, code: N".
    std::string_view rest = msg.substr(rt);
    size_t c = rest.find(", code: ");
    if (c == npos || c + 11 > rest.size()) return d;
    status = status_at(rest, c + 8);
    if (status != 502 && status != 504) return d;
    // The status served, like an access entry: the aggregator pairs it with
    // the "'502 Bad Gateway' caused by" line of the same second, so the
    // request counts once, with that line's cause.
    ev.status = status;
    ev.upstream = url_address(rest.substr(12, c - 12));
    d.kind = LineKind::access;
    d.family = LogFamily::traefik;
    d.match = rest.substr(0, c + 11);
    d.request = v1_echo_key(status);
    ev.message = d.match;
    return d;
  } else if (starts_with(msg, "Error during connection: ")) {  // a TCP router
    err = msg.substr(25);
  } else if (starts_with(msg, "httputil: ReverseProxy ")) {  // "read error during body copy: EOF"
    err = msg.substr(23);
  } else if (starts_with(msg, "http: proxy error: ")) {  // httputil's default error handler
    err = msg.substr(19);
  } else if (dialing != npos && dialing < 64) {  // v1's websocket forwarder: Error dialing "host": ERR
    std::string_view rest = msg.substr(dialing + 14);
    size_t c = rest.find(": ");
    if (c == npos) return d;
    url = rest.substr(0, c);
    while (!url.empty() && (url.front() == '"' || url.front() == '`')) url.remove_prefix(1);
    while (!url.empty() && (url.back() == '"' || url.back() == '`')) url.remove_suffix(1);
    err = rest.substr(c + 2);
  } else if (starts_with(msg, "Error forwarding to ")) {
    std::string_view rest = msg.substr(20);
    size_t c = rest.find(", err: ");
    if (c == npos) return d;
    url = rest.substr(0, c);
    err = rest.substr(c + 7);
  }
  err = trim(err);
  if (err.empty()) return d;
  d.kind = LineKind::error;
  d.match = err;
  ev.message = err;
  if (!url.empty()) {
    ev.upstream = url_address(url);
  } else {
    bool unix = false;
    ev.upstream = go_error_upstream(err, unix);
    if (unix) {
      upstream_.assign("unix:").append(ev.upstream);
      ev.upstream = upstream_;
    }
  }
  return d;
}

Decoded TraefikDecoder::decode_json(std::string_view text, Event& ev) {
  ev = Event{};
  ev.level = json_.str("level");
  double ds = 0, os = 0;
  bool has_ds = json_.num("DownstreamStatus", ds), has_os = json_.num("OriginStatus", os);
  if (!has_ds && !has_os) {
    set_time(json_.str("time"), ev);
    std::string_view msg = json_.str("msg");
    if (msg.empty()) msg = json_.str("message");
    return app(msg, json_.str("error"), ev);
  }
  // An access-log entry.
  Decoded d;
  d.family = LogFamily::traefik;
  // A status that does not fit an int is no status (D8: casting it is UB).
  int down = 0, origin = 0;
  json_.int_num("DownstreamStatus", down);
  json_.int_num("OriginStatus", origin);
  ev.status = (down == 502 || down == 504 || !has_os) ? down : (origin == 502 || origin == 504) ? origin : down;
  std::string_view t = json_.str("StartUTC");
  set_time(t.empty() ? json_.str("time") : t, ev);
  ev.host = json_.str("RequestHost");
  ev.client = json_.str("ClientHost");
  ev.request = json_.str("RequestPath");
  std::string_view router = json_.str("RouterName"), service = json_.str("ServiceName");
  std::string_view url = json_.str("ServiceURL");
  std::string_view addr = json_.str("ServiceAddr");
  if (url.empty() && json_.is_object("ServiceURL")) addr = addr.empty() ? json_.str("ServiceURL", "Host") : addr;
  ev.upstream = !addr.empty() ? addr : url_address(url);
  ev.server = router;
  desc_.clear();
  for (auto [k, v] : {std::pair<std::string_view, std::string_view>{"RouterName=", router},
                      {"ServiceName=", service}, {"ServiceURL=", url.empty() ? addr : url}}) {
    if (v.empty()) continue;
    if (!desc_.empty()) desc_ += ' ';
    desc_.append(k).append(v);
  }
  ev.message = desc_;
  // Traefik versions that log the failure's cause in the access log (OriginError).
  std::string_view origin_error = json_.str("OriginError");
  if (!origin_error.empty()) {
    d.kind = LineKind::error;
    d.match = origin_error;
    ev.message = origin_error;
    return d;
  }
  d.kind = LineKind::access;
  d.match = text;
  return d;
}

Decoded TraefikDecoder::decode_logfmt(std::string_view s, Event& ev) {
  ev = Event{};
  std::string_view msg, error;
  if (s.size() > 5 && s[4] == '[') {  // terminal form: DEBU[2021-06-01T10:00:00Z] message  fields
    size_t close = s.find(']');
    if (close == npos) return {};
    ev.level = s.substr(0, 4);
    set_time(s.substr(5, close - 5), ev);
    msg = cut_fields(s.substr(close + 1));
    return app(msg, error, ev);
  }
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t eq = i;
    while (eq < s.size() && s[eq] != '=' && s[eq] != ' ') ++eq;
    if (eq >= s.size() || s[eq] != '=') {
      i = eq;
      continue;
    }
    std::string_view key = s.substr(i, eq - i);
    size_t v = eq + 1;
    std::string_view value;
    if (v < s.size() && s[v] == '"') {
      size_t end = 0;
      std::string_view rest = s.substr(v);
      if (key == "msg")
        value = go_unquote(rest, end, msg_);
      else if (key == "error")
        value = go_unquote(rest, end, err_);
      else {
        // The closing quote; a backslash escapes the byte after it.
        size_t q = find_quote_or_backslash(s, v + 1);
        while (q < s.size() && s[q] == '\\') q = find_quote_or_backslash(s, q + 2);
        value = s.substr(v + 1, std::min(q, s.size()) - v - 1);
        end = q + 1 - v;
      }
      i = v + end;
      // A pasted line whose inner quotes lost their backslashes
      // (msg="... dialing "dev.cloud": ..."): the value runs to the quote
      // that ends the line or precedes the next key.
      if (i < s.size() && s[i] != ' ' && (key == "msg" || key == "error")) {
        size_t q = closing_quote(s, v + 1);
        value = s.substr(v + 1, q - v - 1);
        i = std::min(q + 1, s.size());
      }
    } else {
      size_t e = s.find(' ', v);
      if (e == npos) e = s.size();
      value = s.substr(v, e - v);
      i = e;
    }
    if (key == "time")
      set_time(value, ev);
    else if (key == "level")
      ev.level = value;
    else if (key == "msg")
      msg = value;
    else if (key == "error")
      error = value;
  }
  return app(msg, error, ev);
}

Decoded TraefikDecoder::decode_console(std::string_view s, std::string_view before, Event& ev) {
  ev = Event{};
  size_t sp = s.find(' ');
  if (sp == npos) return {};
  if (!zerolog_level(s.substr(0, sp))) {
    set_time(s.substr(0, sp), ev);
    s.remove_prefix(sp + 1);
    sp = s.find(' ');
    if (sp == npos) return {};
  } else {
    // A collector prefix (docker logs -t) may have been taken off together
    // with Traefik's own timestamp, the last word before the level.
    before = trim(before);
    set_time(before.substr(before.rfind(' ') == npos ? 0 : before.rfind(' ') + 1), ev);
  }
  ev.level = s.substr(0, sp);
  s.remove_prefix(sp + 1);
  size_t gt = s.find("> ");
  if (gt != npos && gt < 256) s.remove_prefix(gt + 2);
  if (!(s.size() > 4 && status_at(s, 0) > 0 && s[3] == ' ') && !starts_with(s, "Error calling "))
    return {};
  size_t p = s.find(" error=");
  std::string_view msg, error;
  if (p == npos) {
    msg = cut_fields(s);
  } else {
    msg = trim(s.substr(0, p));
    std::string_view v = s.substr(p + 7);
    size_t end = 0;
    error = (!v.empty() && v[0] == '"') ? go_unquote(v, end, err_) : cut_fields(v);
  }
  return app(msg, error, ev);
}

Decoded TraefikDecoder::decode_clf(std::string_view s, bool generic, Event& ev) {
  // From the end: ... "user-agent" COUNT "router" "url" 12ms
  std::string_view router, url;
  bool tail = false;
  size_t i = s.size();
  if (i > 2 && s.substr(i - 2) == "ms") {
    i -= 2;
    size_t e = i;
    while (i > 0 && digit(s[i - 1])) --i;
    if (i < e && i > 2 && s[i - 1] == ' ' && s[i - 2] == '"') {
      size_t uq = s.rfind('"', i - 3);
      if (uq != npos && uq > 2 && s[uq - 1] == ' ' && s[uq - 2] == '"') {
        url = s.substr(uq + 1, i - 2 - uq - 1);
        size_t rq = s.rfind('"', uq - 3);
        if (rq != npos) {
          router = s.substr(rq + 1, uq - 2 - rq - 1);
          tail = true;
        }
      }
    }
  }
  if (!tail && !generic) return {};
  if (!decode_nginx_access(s, ev)) return {};
  Decoded d;
  d.family = LogFamily::traefik;
  d.kind = LineKind::access;
  d.match = s;
  if (router == "-") router = {};
  if (url == "-") url = {};
  ev.server = router;
  ev.upstream = url_address(url);
  desc_.clear();
  if (!router.empty()) desc_.append("RouterName=").append(router);
  if (!url.empty()) desc_.append(desc_.empty() ? "" : " ").append("ServiceURL=").append(url);
  ev.message = desc_;
  return d;
}

}  // namespace gw502
