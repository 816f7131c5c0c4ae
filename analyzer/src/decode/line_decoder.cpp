#include "decode/line_decoder.hpp"

#include <cstring>
#include <string>

#include "base/strutil.hpp"
#include "base/timeparse.hpp"
#include "decode/caddy_decoder.hpp"
#include "decode/go_error.hpp"
#include "decode/json_line.hpp"
#include "decode/nginx_decoder.hpp"
#include "decode/traefik_decoder.hpp"
#include "decode/unwrap.hpp"

namespace gw502 {
namespace {

constexpr unsigned kGoFamilies = family_bit(LogFamily::caddy) | family_bit(LogFamily::traefik);

bool go_only(LineFormat f) {
  return f == LineFormat::json || f == LineFormat::caddy_console ||
         f == LineFormat::traefik_logfmt || f == LineFormat::traefik_console;
}

}  // namespace

struct LineDecoder::Go {
  JsonLine json;
  CaddyDecoder caddy{json};
  TraefikDecoder traefik{json};
  std::string ansi;        // the line without colour codes
  std::string inner;       // docker json-file: the line inside "log"
  std::string nested;      // a record's nested object as a JSON line (Cloud Logging's "jsonPayload")
  std::string outer_time;  // docker json-file: its "time"
};

LineDecoder::LineDecoder() = default;
LineDecoder::~LineDecoder() = default;

Decoded LineDecoder::decode(std::string_view raw, std::string_view text, unsigned families,
                            Event& ev) {
  if (format_ && (families & family_bit(LogFamily::nginx))) {
    Decoded d = custom_access(text, ev);
    if (d.kind != LineKind::none) return d;
  }
  if ((families & kGoFamilies) && std::memchr(text.data(), '\x1b', text.size())) {
    if (!go_) go_ = std::make_unique<Go>();
    text = raw = strip_ansi(text, go_->ansi);
  }
  const LineFormat f = detect_line_format(text);
  if (go_only(f)) {
    const bool nginx_json = f == LineFormat::json && (families & family_bit(LogFamily::nginx));
    if (!(families & kGoFamilies) && !nginx_json) return {};
    if (!go_) go_ = std::make_unique<Go>();
    return decode_go(raw, text, f, families, ev, 0);
  }
  if (f == LineFormat::clf && (families & family_bit(LogFamily::traefik))) {
    if (!go_) go_ = std::make_unique<Go>();
    // Traefik's common format; plain CLF too when only Traefik is asked for.
    Decoded d = go_->traefik.decode_clf(text, families == family_bit(LogFamily::traefik), ev);
    if (d.kind != LineKind::none) return d;
  }
  if (f == LineFormat::unknown || f == LineFormat::clf || f == LineFormat::npm_access) {
    Decoded g = decode_pasted_go(text, families, ev);
    if (g.kind != LineKind::none) return g;
  }
  Decoded d;
  if (!(families & family_bit(LogFamily::nginx))) return d;
  if (decode_nginx_error(text, ev, false)) {  // the scanner finishes it if a rule counts it
    d.kind = LineKind::error;
    d.match = ev.message;
  } else if (decode_nginx_access(text, ev)) {
    d.kind = LineKind::access;
    d.match = text;
    // The nginx module's access-log formats name the cause it saw: cause=ID.
    size_t c = text.find(" cause=");
    if (c != std::string_view::npos) {
      std::string_view id = text.substr(c + 7);
      id = id.substr(0, id.find(' '));
      if (id != "-") d.cause = id;
    }
  } else if ((f == LineFormat::unknown || f == LineFormat::npm_access || f == LineFormat::nginx_error) &&
             decode_nginx_error_loose(text, ev, false)) {
    // (nginx_error: a whole head whose "pid#tid: " was cut out of a paste.)
    d.kind = LineKind::error;
    d.match = ev.message;
  }
  return d;
}

// A line in the user's --access-format: its fields, and for the rules the
// statuses only (access_match_text).
Decoded LineDecoder::custom_access(std::string_view text, Event& ev) {
  if (!format_->match(text, fields_)) return {};
  access_event(fields_, ev);
  access_match_text(fields_, format_match_);
  Decoded d;
  d.kind = LineKind::access;
  d.family = LogFamily::nginx;
  d.match = format_match_;
  std::string_view cause = fields_[AccessVar::gw502_cause];  // the nginx module's $gw502_cause
  if (cause != "-") d.cause = cause;
  return d;
}

// nginx's access log as JSON (log_format escape=json) with the usual
// variable names: status, remote_addr, request or request_method and
// request_uri, host or http_host, upstream_addr, time_iso8601 or time_local.
Decoded LineDecoder::nginx_json_access(std::string_view text, Event& ev) {
  JsonLine& j = go_->json;
  ev = Event{};
  Decoded d;
  d.family = LogFamily::nginx;
  int status = 0;
  if (!j.int_num("status", status)) {
    std::string_view s = j.str("status");
    if (s.size() != 3 || s[0] < '1' || s[0] > '5') return d;
    status = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
  }
  ev.status = status;
  ev.client = j.str("remote_addr");
  ev.request = j.str("request");
  if (ev.request.empty()) ev.request = j.str("request_uri");
  ev.host = j.str("host");
  if (ev.host.empty()) ev.host = j.str("http_host");
  if (ev.host.empty()) ev.host = j.str("server_name");
  std::string_view up = j.str("upstream_addr");
  if (up != "-") ev.upstream = up.substr(0, up.find(','));
  int64_t t;
  bool utc;
  if (go_log_time(j.str("time_iso8601"), t, utc)) {
    ev.time = t;
    ev.time_is_utc = utc;
  } else if (parse_clf_time(j.str("time_local"), t)) {
    ev.time = t;
    ev.time_is_utc = true;
  }
  d.kind = LineKind::access;
  d.match = text;
  return d;
}

// Go proxies' lines in forms no format detector claims: Caddy 1's error log,
// Caddy 2's console entries as pasted (spaces for tabs, no time), Traefik
// builds that log "[E] [handler.go:48] '502 Bad Gateway' caused by: ...", and
// lines of Go's standard log package.
Decoded LineDecoder::decode_pasted_go(std::string_view text, unsigned families, Event& ev) {
  if (!(families & kGoFamilies)) return {};
  if (!go_) go_ = std::make_unique<Go>();
  if (families & family_bit(LogFamily::caddy)) {
    if (CaddyDecoder::is_caddy1(text)) return CaddyDecoder::decode_caddy1(text, ev);
    Decoded d = go_->caddy.decode_console_loose(text, ev);
    if (d.kind != LineKind::none) return d;
  }
  if (families & family_bit(LogFamily::traefik)) {
    size_t p = text.find("' caused by: ");
    if (p != std::string_view::npos && p >= 4 && p < 300) {
      size_t q = text.rfind('\'', p - 1);
      if (q != std::string_view::npos) {
        ev = Event{};
        return go_->traefik.app(text.substr(q), {}, ev);
      }
    }
    // Go's standard log: Traefik v1's own lines and the httputil proxy's
    // ("2018/12/19 09:16:54 reverseproxy.go:395: httputil: ReverseProxy ...").
    if (go_std_log_prefix(text)) {
      ev = Event{};
      Decoded d = go_->traefik.app(text, {}, ev);
      if (d.kind != LineKind::none) return d;
    }
  }
  return {};
}

namespace {

// A record whose collector merged the proxy's own JSON into it (Filebeat's
// keys_under_root, Vector's merge of parse_json): its "message" is the
// proxy's, not a line, and the record is read as the proxy's entry.
// docker's json-file record ({"log":..,"stream":..}), or Vector's of a
// container (the line in "message").
bool docker_record(const JsonLine& j) { return j.has("stream") && (j.has("log") || j.has("message")); }

// (A "level" that is a number is a collector's: GELF's syslog level.)
// Of the record itself, or (obj given) of an object member of it.
bool own_fields(const JsonLine& j, std::string_view obj = {}) {
  const auto str = [&](std::string_view key) { return obj.empty() ? j.str(key) : j.str(obj, key); };
  if (!str("level").empty()) return true;  // most lines: Caddy's, Traefik's
  for (std::string_view key : {"logger", "ts", "msg", "status", "DownstreamStatus", "OriginStatus"})
    if (obj.empty() ? j.has(key) : j.has(obj, key)) return true;
  return false;
}

// Where a collector's record (not a proxy's own JSON: own_fields) keeps the
// line it carries: the first of these string members (Filebeat, Vector,
// stern, CloudWatch: "message"; journald: "MESSAGE"; Fluent Bit: "log";
// Cloud Logging: "textPayload"; Loki: "line"; Azure Monitor: "LogEntry",
// "LogMessage"; GELF: "short_message"; Splunk's HEC: "event"), else the
// same in an object it nests (an Elasticsearch hit's "_source", Cloud
// Logging's "jsonPayload", ECS's "event" with "original", Datadog's
// "content"). A nested object with none of them is the proxy's own JSON
// (Cloud Logging parses a container's JSON lines into "jsonPayload"): it is
// written out again into `nested` and carried as a line. Empty: none.
std::string_view carried_line(const JsonLine& j, std::string& nested) {
  std::string_view line;
  for (std::string_view key : {"message", "MESSAGE", "log", "textPayload", "line", "LogEntry", "LogMessage",
                               "short_message", "full_message", "event"})
    if (!(line = j.str(key)).empty()) return line;
  for (std::string_view obj : {"_source", "jsonPayload", "event", "content"}) {
    if (!j.is_object(obj)) continue;
    // The proxy's own entry nested whole (Traefik's "message" is not its line).
    if (obj != "event" && own_fields(j, obj) && j.object_text(obj, nested)) return nested;
    for (std::string_view key : {"message", "log", "line", "original"})
      if (!(line = j.str(obj, key)).empty()) return line;
    if (obj != "event" && j.object_text(obj, nested)) return nested;
  }
  return {};
}

// The record's own time, for a carried line that has none.
std::string_view record_time(const JsonLine& j) {
  std::string_view t;
  for (std::string_view key : {"@timestamp", "timestamp", "time", "TimeGenerated", "receiveTimestamp"})
    if (!(t = j.str(key)).empty()) return t;
  return j.str("_source", "@timestamp");
}

}  // namespace

Decoded LineDecoder::decode_go(std::string_view raw, std::string_view text, LineFormat f,
                               unsigned families, Event& ev, int depth) {
  Go& g = *go_;
  const bool caddy = families & family_bit(LogFamily::caddy);
  const bool traefik = families & family_bit(LogFamily::traefik);
  switch (f) {
    case LineFormat::json: {
      if (!g.json.parse(text)) {
        // Cut off (pasted, or a line longer than a terminal): what it still
        // says may be enough; otherwise it is malformed.
        if (g.json.parse_cut(text) && depth == 0 && !docker_record(g.json)) {
          Decoded d = (caddy && (g.json.has("logger") || g.json.has("ts"))) ? g.caddy.decode_json(text, ev)
                      : traefik ? g.traefik.decode_json(text, ev) : Decoded{};
          if (d.kind != LineKind::none) return d;
        }
        Decoded d;
        d.kind = LineKind::malformed;
        d.family = caddy ? LogFamily::caddy : LogFamily::traefik;
        return d;
      }
      // A line inside a collector's record: docker's json-file log driver
      // ({"log":"<the proxy's line>\n","stream":"stderr","time":".."}), or
      // any other JSON that is not a proxy's own (carried_line()).
      std::string_view carried, carried_time;
      const bool docker = depth == 0 && docker_record(g.json);
      if (docker) {
        carried = g.json.str("log");
        if (carried.empty()) carried = g.json.str("message");
        carried_time = g.json.str("time");
      } else if (depth == 0 && !starts_with(text, "{\"level\":\"") && !own_fields(g.json)) {
        carried = carried_line(g.json, g.nested);
      }
      if (docker || !carried.empty()) {
        if (carried_time.empty()) carried_time = record_time(g.json);
        g.inner.assign(carried);
        g.outer_time.assign(carried_time);
        while (!g.inner.empty() && (g.inner.back() == '\n' || g.inner.back() == '\r')) g.inner.pop_back();
        std::string_view inner = unwrap_line(g.inner);
        LineFormat fi = detect_line_format(inner);
        // Another JSON line goes no deeper; a line of text is read as one
        // (a record again only behind colour codes: decode() strips them
        // into its own buffer, and that record's line is read the same way).
        Decoded d = go_only(fi) ? decode_go(g.inner, inner, fi, families, ev, depth + 1)
                                : decode(g.inner, inner, families, ev);
        int64_t t;
        bool utc;
        if (d.kind != LineKind::none && ev.time == kNoTime && go_log_time(g.outer_time, t, utc)) {
          ev.time = t;
          ev.time_is_utc = utc;
        }
        return d;
      }
      if (caddy && (g.json.has("logger") || g.json.has("ts"))) return g.caddy.decode_json(text, ev);
      // (the keys the chunk shape pass looks for: kAddrKey)
      if ((families & family_bit(LogFamily::nginx)) && g.json.has("status") &&
          (g.json.has("remote_addr") || g.json.has("upstream_addr")))
        return nginx_json_access(text, ev);
      if (traefik) return g.traefik.decode_json(text, ev);
      if (caddy) return g.caddy.decode_json(text, ev);
      return {};
    }
    case LineFormat::caddy_console:
      return caddy ? g.caddy.decode_console(text, ev) : Decoded{};
    case LineFormat::traefik_logfmt:
      return traefik ? g.traefik.decode_logfmt(text, ev) : Decoded{};
    case LineFormat::traefik_console: {
      if (!traefik) return {};
      std::string_view before;
      if (text.data() > raw.data() && text.data() <= raw.data() + raw.size())
        before = raw.substr(0, static_cast<size_t>(text.data() - raw.data()));
      return g.traefik.decode_console(text, before, ev);
    }
    default:
      return {};
  }
}

}  // namespace gw502
