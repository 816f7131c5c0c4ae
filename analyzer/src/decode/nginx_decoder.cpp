#include "decode/nginx_decoder.hpp"

#include "base/timeparse.hpp"

#include <cstring>

namespace gw502 {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int64_t parse_uint(std::string_view s, size_t& i) {
  int64_t v = 0;
  size_t start = i;
  while (i < s.size() && is_digit(s[i]) && i - start < 18) v = v * 10 + (s[i++] - '0');
  return i == start ? -1 : v;
}

void cut_message(std::string_view rest, Event& ev, bool whole);

// "pid#tid: " at line[i]: sets ev.pid and moves i past it.
bool take_pid(std::string_view line, size_t& i, Event& ev);
// "*cid " at line[i]: sets ev.cid and moves i past it.
bool take_cid(std::string_view line, size_t& i, Event& ev);

std::string_view trim_eol(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The context nginx appends after the message, in this order
// (ngx_http_log_error and ngx_http_log_error_handler).
struct Marker {
  std::string_view text;
  bool quoted;
};
constexpr Marker kMarkers[] = {
    {", client: ", false},   {", server: ", false}, {", request: \"", true},
    {", subrequest: \"", true}, {", upstream: \"", true}, {", host: \"", true},
    {", referrer: \"", true},
};
constexpr size_t kMarkerCount = sizeof kMarkers / sizeof kMarkers[0];
// parse_context() tells a marker by these letters of its name.
static_assert(kMarkers[0].text[2] == 'c' && kMarkers[1].text[2] == 's' && kMarkers[1].text[3] != 'u' &&
                  kMarkers[2].text[2] == 'r' && kMarkers[2].text[4] != 'f' && kMarkers[3].text[3] == 'u' &&
                  kMarkers[4].text[2] == 'u' && kMarkers[5].text[2] == 'h' && kMarkers[6].text[4] == 'f',
              "kMarkers' order");

void parse_context(std::string_view ctx, Event& ev) {
  // ctx starts with ", client: ". Find each marker in order; a value runs to
  // the next marker found. Quoted values lose their closing quote (a line cut
  // at nginx's 2048-byte limit may not have it).
  size_t starts[kMarkerCount];
  size_t value_at[kMarkerCount];
  // Every marker starts with ", ": one pass over the commas finds where each
  // occurs (a find() per marker read the rest of the line up to seven times).
  // Too many to keep (a request full of them): find() per marker, as before.
  struct Seen {
    size_t at;
    size_t marker;
  };
  constexpr size_t kSeen = 24;
  Seen seen[kSeen];
  size_t n_seen = 0;
  bool all_seen = true;
  for (size_t c = ctx.find(','); c != std::string_view::npos; c = ctx.find(',', c + 1)) {
    if (c + 2 >= ctx.size() || ctx[c + 1] != ' ') continue;
    // Which marker it can be: the names differ in their first letter, or
    // (server/subrequest, request/referrer) in their second or third.
    size_t m = kMarkerCount;
    switch (ctx[c + 2]) {
      case 'c': m = 0; break;
      case 's': m = c + 3 < ctx.size() && ctx[c + 3] == 'u' ? 3 : 1; break;
      case 'r': m = c + 4 < ctx.size() && ctx[c + 4] == 'f' ? 6 : 2; break;
      case 'u': m = 4; break;
      case 'h': m = 5; break;
      default: break;
    }
    if (m == kMarkerCount) continue;
    const std::string_view t = kMarkers[m].text;
    if (ctx.size() - c < t.size() || std::memcmp(ctx.data() + c, t.data(), t.size()) != 0) continue;
    if (n_seen == kSeen) {
      all_seen = false;
      break;
    }
    seen[n_seen++] = Seen{c, m};
  }
  // Each marker in order, at its first place after the one found before it.
  size_t from = 0;
  for (size_t m = 0; m < kMarkerCount; ++m) {
    size_t p = std::string_view::npos;
    if (all_seen) {
      for (size_t k = 0; k < n_seen; ++k)
        if (seen[k].marker == m && seen[k].at >= from) {
          p = seen[k].at;
          break;
        }
    } else {
      p = ctx.find(kMarkers[m].text, from);
    }
    starts[m] = p;
    if (p != std::string_view::npos) {
      value_at[m] = p + kMarkers[m].text.size();
      from = value_at[m];
    }
  }
  std::string_view* fields[kMarkerCount] = {&ev.client, &ev.server,   &ev.request, nullptr,
                                            nullptr,    &ev.host,     nullptr};
  std::string_view upstream_raw;
  for (size_t m = 0; m < kMarkerCount; ++m) {
    if (starts[m] == std::string_view::npos) continue;
    size_t end = ctx.size();
    for (size_t n = m + 1; n < kMarkerCount; ++n)
      if (starts[n] != std::string_view::npos) {
        end = starts[n];
        break;
      }
    std::string_view v = ctx.substr(value_at[m], end - value_at[m]);
    if (kMarkers[m].quoted && !v.empty() && v.back() == '"') v.remove_suffix(1);
    if (m == 4) upstream_raw = v;
    if (fields[m]) *fields[m] = v;
  }
  if (!upstream_raw.empty()) ev.upstream = upstream_address(upstream_raw, ev.scheme);
}

void parse_errno_and_action(Event& ev) {
  std::string_view msg = ev.message;
  // "(111: Connection refused)": the first parenthesised number-colon pair.
  for (size_t p = msg.find('('); p != std::string_view::npos; p = msg.find('(', p + 1)) {
    size_t i = p + 1;
    int64_t n = parse_uint(msg, i);
    if (n < 0 || i + 1 >= msg.size() || msg[i] != ':' || msg[i + 1] != ' ') continue;
    size_t close = msg.find(')', i);
    if (close == std::string_view::npos) break;
    ev.errno_num = static_cast<int>(n);
    ev.errno_text = msg.substr(i + 2, close - i - 2);
    break;
  }
  size_t w = msg.rfind(" while ");
  if (w != std::string_view::npos) ev.action = msg.substr(w + 7);
}

}  // namespace

std::string_view upstream_address(std::string_view url, std::string_view& scheme) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return url;
  scheme = url.substr(0, sep);
  std::string_view rest = url.substr(sep + 3);
  if (rest.compare(0, 5, "unix:") == 0) {
    size_t colon = rest.find(':', 5);
    return colon == std::string_view::npos ? rest : rest.substr(0, colon);
  }
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return rest;
    size_t end = close + 1;
    if (end < rest.size() && rest[end] == ':') {
      ++end;
      while (end < rest.size() && is_digit(rest[end])) ++end;
    }
    return rest.substr(0, end);
  }
  size_t slash = rest.find('/');
  return slash == std::string_view::npos ? rest : rest.substr(0, slash);
}

bool decode_nginx_error(std::string_view line, Event& ev, bool whole) {
  line = trim_eol(line);
  int64_t t;
  if (line.size() < 24 || line[19] != ' ' || line[20] != '[' || !parse_nginx_time(line, t))
    return false;
  size_t close = line.find(']', 21);
  if (close == std::string_view::npos || close > 28 || close + 1 >= line.size() ||
      line[close + 1] != ' ')
    return false;
  ev = Event{};
  ev.time = t;
  ev.level = line.substr(21, close - 21);
  size_t i = close + 2;
  if (!take_pid(line, i, ev)) return false;
  take_cid(line, i, ev);
  cut_message(line.substr(i), ev, whole);
  return true;
}

namespace {

bool nginx_level(std::string_view s) {
  for (std::string_view l : {"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"})
    if (s == l) return true;
  return false;
}

// A phase of a proxied request as nginx words it: " while connecting to
// upstream", "... from upstream", " while resolving", the stream module's
// " while proxying ...".
bool has_phase(std::string_view msg) {
  for (size_t w = msg.find(" while "); w != std::string_view::npos; w = msg.find(" while ", w + 1)) {
    std::string_view act = msg.substr(w + 7);
    if (act.find("upstream") != std::string_view::npos || act.compare(0, 9, "resolving") == 0 ||
        act.compare(0, 8, "proxying") == 0)
      return true;
  }
  return false;
}

// A bare message in nginx's own words about its upstream: "upstream sent
// invalid header", "upstream timed out (110: ...)", "no live upstreams",
// "app could not be resolved (3: Host not found)", "no resolver defined to
// resolve app".
bool upstream_words(std::string_view msg) {
  // nginx connect()s only to upstreams (and its resolver): "connect() to
  // unix:/run/php.sock failed (13: ...)", "connect() failed (111: ...)".
  for (std::string_view w : {"upstream sent ", "upstream timed out ", "upstream prematurely closed ",
                             "no live upstreams", "upstream SSL certificate ", "connect() to ", "connect() failed (",
                             "no resolver defined to resolve "})
    if (msg.compare(0, w.size(), w) == 0) return true;
  // The resolver's: "backend.docker could not be resolved (110: ...)", a
  // host name (one word) first.
  const size_t r = msg.find(" could not be resolved (");
  return r != std::string_view::npos && r > 0 && msg.substr(0, r).find(' ') == std::string_view::npos;
}

bool take_pid(std::string_view line, size_t& i, Event& ev) {
  size_t j = i;
  const int64_t pid = parse_uint(line, j);
  if (pid < 0 || j >= line.size() || line[j] != '#') return false;
  ++j;
  if (parse_uint(line, j) < 0 || line.compare(j, 2, ": ") != 0) return false;
  ev.pid = pid;
  i = j + 2;
  return true;
}

bool take_cid(std::string_view line, size_t& i, Event& ev) {
  if (i >= line.size() || line[i] != '*') return false;
  size_t j = i + 1;
  const int64_t cid = parse_uint(line, j);
  if (cid < 0 || j >= line.size() || line[j] != ' ') return false;
  ev.cid = cid;
  i = j + 1;
  return true;
}

// Cuts message and context from `rest` into ev, as the strict decoder does.
void cut_message(std::string_view rest, Event& ev, bool whole) {
  size_t ctx = rest.find(", client: ");
  ev.message = rest.substr(0, ctx);
  ev.nginx_rest = ctx == std::string_view::npos ? std::string_view() : rest.substr(ctx);
  ev.nginx_pending = true;
  if (whole) finish_nginx_error(ev);
}

}  // namespace

bool decode_nginx_error_loose(std::string_view line, Event& ev, bool whole) {
  line = trim_eol(line);
  ev = Event{};
  size_t i = 0;
  bool head = false;
  // "[level] " in the first bytes, after whatever prefix.
  for (size_t p = line.find('['); p != std::string_view::npos && p < 256; p = line.find('[', p + 1)) {
    size_t q = line.find("] ", p + 1);
    if (q == std::string_view::npos || q - p - 1 > 6 || !nginx_level(line.substr(p + 1, q - p - 1)))
      continue;
    ev.level = line.substr(p + 1, q - p - 1);
    int64_t t;
    if (p >= 20 && line[p - 1] == ' ' && parse_nginx_time(line.substr(p - 20, 19), t)) ev.time = t;
    i = q + 2;
    head = true;
    break;
  }
  if (!head) {  // "error] 12#0: ..." (the line's head cut off)
    size_t q = line.find("] ");
    if (q != std::string_view::npos && q <= 6 && nginx_level(line.substr(0, q))) {
      ev.level = line.substr(0, q);
      i = q + 2;
      head = true;
    }
  }
  while (i < line.size() && line[i] == ' ') ++i;
  if (take_pid(line, i, ev)) head = true;
  if (take_cid(line, i, ev)) head = true;
  std::string_view rest = line.substr(i);
  if (rest.empty()) return false;
  if (!head && rest.find(", client: ") == std::string_view::npos && !has_phase(rest) &&
      !upstream_words(rest))
    return false;
  cut_message(rest, ev, whole);
  return true;
}

void finish_nginx_error(Event& ev) {
  if (!ev.nginx_pending) return;
  ev.nginx_pending = false;
  if (!ev.nginx_rest.empty()) parse_context(ev.nginx_rest, ev);
  parse_errno_and_action(ev);
}

namespace {

// `"... " 502 123 "...` : the status after the quoted request.
bool combined(std::string_view line, Event& ev) {
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp == 0) return false;
  // The time in brackets; ingress-nginx puts the real client address in
  // brackets before it ("- [203.0.113.9] - - [20/Dec/2017:...]"): the first
  // bracket that holds a time.
  size_t rb = std::string_view::npos;
  int64_t t = 0;
  bool timed = false;
  for (size_t lb = line.find(" [", sp); lb != std::string_view::npos && lb <= 512 && !timed;
       lb = line.find(" [", lb + 2)) {
    rb = line.find("] ", lb);
    if (rb == std::string_view::npos) return false;
    timed = rb - lb <= 40 && rb + 2 < line.size() && line[rb + 2] == '"' &&
            parse_clf_time(line.substr(lb + 2, rb - lb - 2), t);
  }
  if (!timed) return false;
  size_t rq = rb + 3;
  // The request ends at the first `" NNN ` after it (a stray quote inside the
  // request is not followed by a status).
  for (size_t q = line.find('"', rq); q != std::string_view::npos; q = line.find('"', q + 1)) {
    if (q + 5 < line.size() && line[q + 1] == ' ' && is_digit(line[q + 2]) &&
        is_digit(line[q + 3]) && is_digit(line[q + 4]) && line[q + 5] == ' ') {
      ev = Event{};
      ev.time = t;
      ev.time_is_utc = true;
      ev.client = line.substr(0, sp);
      ev.request = line.substr(rq, q - rq);
      ev.status = (line[q + 2] - '0') * 100 + (line[q + 3] - '0') * 10 + (line[q + 4] - '0');
      return true;
    }
  }
  return false;
}

std::string_view next_token(std::string_view s, size_t& i) {
  while (i < s.size() && s[i] == ' ') ++i;
  size_t b = i;
  while (i < s.size() && s[i] != ' ') ++i;
  return s.substr(b, i - b);
}

bool status_token(std::string_view t, int& status) {
  if (t.size() != 3 || !is_digit(t[0]) || !is_digit(t[1]) || !is_digit(t[2])) return false;
  status = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
  return true;
}

// The nginx module's NPM format (nginx-module/npm/http.conf, log_format gw502):
// `[time] STATUS UPSTREAM_STATUS HOST "URI" cause=C rule=R upstream=ADDR`.
bool module_format(std::string_view line, size_t i, int64_t t, Event& ev) {
  if (line.find(" cause=", i) == std::string_view::npos) return false;
  int status = 0;
  if (!status_token(next_token(line, i), status)) return false;
  size_t q = line.find(" \"", i);
  if (q == std::string_view::npos) return false;
  size_t host_end = q;
  size_t host_at = line.rfind(' ', host_end - 1);
  if (host_at == std::string_view::npos || host_at < i) return false;
  ev = Event{};
  ev.time = t;
  ev.time_is_utc = true;
  ev.status = status;
  ev.host = line.substr(host_at + 1, host_end - host_at - 1);
  size_t close = line.find('"', q + 2);
  if (close != std::string_view::npos) ev.request = line.substr(q + 2, close - q - 2);
  size_t u = line.find(" upstream=", i);
  if (u != std::string_view::npos) {
    std::string_view up = line.substr(u + 10);
    ev.upstream = up.substr(0, up.find(' '));
    if (ev.upstream == "-") ev.upstream = {};
  }
  return true;
}

// NPM: `[time] STATUS - METHOD SCHEME HOST "URI" [Client A] ...` (standard) or
// `[time] CACHE UPSTREAM_STATUS STATUS - METHOD SCHEME HOST "URI" [Client A] ... [Sent-to S] ...` (proxy).
bool npm(std::string_view line, Event& ev) {
  if (line.size() < 30 || line[0] != '[') return false;
  size_t rb = line.find("] ");
  if (rb == std::string_view::npos || rb > 40) return false;
  int64_t t;
  if (!parse_clf_time(line.substr(1, rb - 1), t)) return false;
  // Tokens up to the lone "-" that separates the statuses from the method.
  size_t i = rb + 2;
  std::string_view prev;
  int status = 0;
  bool found = false;
  uint8_t failed = 0;  // 502/504 tokens before the status: the upstream status list's
  for (int k = 0; k < 24; ++k) {
    std::string_view tok = next_token(line, i);
    if (tok.empty()) break;
    if (tok == "-" && status_token(prev, status)) {
      found = true;
      break;
    }
    if (prev.substr(0, 3) == "502" || prev.substr(0, 3) == "504") ++failed;
    prev = tok;
  }
  if (!found) return module_format(line, rb + 2, t, ev);
  ev = Event{};
  ev.time = t;
  ev.time_is_utc = true;
  ev.status = status;
  ev.failed_tries = failed;
  next_token(line, i);  // method
  next_token(line, i);  // scheme
  ev.host = next_token(line, i);
  size_t q = line.find('"', i);
  size_t c = line.find("[Client ", i);
  if (q != std::string_view::npos && c != std::string_view::npos && c > q + 2)
    ev.request = line.substr(q + 1, c - q - 3);
  if (c != std::string_view::npos) {
    size_t e = line.find(']', c);
    if (e != std::string_view::npos) ev.client = line.substr(c + 8, e - c - 8);
  }
  size_t s = line.find("[Sent-to ", i);
  if (s != std::string_view::npos) {
    size_t e = line.find(']', s);
    if (e != std::string_view::npos) ev.upstream = line.substr(s + 9, e - s - 9);
  }
  return true;
}

}  // namespace

// A custom log_format read without --access-format: a request line
// ("POST /api HTTP/1.1"), quoted or a field of its own between separators,
// followed, after separators (|, ;, ,, tabs, with spaces around), by a
// three-digit status. Taken: the request, the status, and a CLF time
// ("10/Jan/2017:03:58:24 +0800") where a field has one.
namespace {

bool is_sep(char c) { return c == '|' || c == ';' || c == ',' || c == '\t'; }

// The status after the request's end at `i`: separators, not a lone space.
bool status_after(std::string_view line, size_t i, int& status) {
  bool marked = false;
  for (; i < line.size() && (line[i] == ' ' || is_sep(line[i])); ++i) marked = marked || line[i] != ' ';
  if (i + 3 > line.size() || !marked) return false;
  status = 0;
  for (size_t k = i; k < i + 3; ++k) {
    if (line[k] < '0' || line[k] > '9') return false;
    status = status * 10 + (line[k] - '0');
  }
  if (i + 3 < line.size() && line[i + 3] >= '0' && line[i + 3] <= '9') return false;
  return status >= 100;
}

// "GET " at the start of `r`: up to 9 capital letters, then a space.
bool starts_with_method(std::string_view r) {
  size_t sp = r.substr(0, 10).find(' ');
  if (sp == std::string_view::npos || sp == 0) return false;
  for (size_t i = 0; i < sp; ++i)
    if (r[i] < 'A' || r[i] > 'Z') return false;
  return true;
}

void loose_time(std::string_view line, Event& ev) {
  // dd/Mon/yyyy:HH:MM:SS +zzzz: '/' at 2 and 6, ':' at 11.
  for (size_t i = 0; i + 26 <= line.size(); ++i) {
    if (line[i + 2] != '/' || line[i + 6] != '/' || line[i + 11] != ':') continue;
    int64_t t;
    if (parse_clf_time(line.substr(i, 26), t)) {
      ev.time = t;
      ev.time_is_utc = true;
      return;
    }
  }
}

bool quoted_request(std::string_view line, std::string_view& request, int& status) {
  for (size_t q = line.find('"'); q != std::string_view::npos && q + 1 < line.size(); q = line.find('"', q + 1)) {
    // (a bounded look for the method, so that a line of many quotes stays linear)
    if (!starts_with_method(line.substr(q + 1))) continue;
    size_t end = line.find('"', q + 1);
    if (end == std::string_view::npos) return false;
    request = line.substr(q + 1, end - q - 1);
    if (request.find(" HTTP/") == std::string_view::npos) {
      q = end;
      continue;
    }
    // Not a lone space: a format that only looks like combined is not read
    // without --access-format (and its source is said to be unrecognised).
    return status_after(line, end + 1, status);
  }
  return false;
}

// `| POST /api HTTP/1.1 | 502 |`: the request is the whole field.
bool bare_request(std::string_view line, std::string_view& request, int& status) {
  for (size_t h = line.find(" HTTP/"); h != std::string_view::npos; h = line.find(" HTTP/", h + 1)) {
    size_t end = h + 6;
    while (end < line.size() && ((line[end] >= '0' && line[end] <= '9') || line[end] == '.')) ++end;
    if (end == h + 6 || (end < line.size() && line[end] != ' ' && !is_sep(line[end]))) continue;
    size_t start = h;
    while (start > 0 && !is_sep(line[start - 1]) && line[start - 1] != '"') --start;
    if (start == 0 || line[start - 1] == '"') continue;  // no separator before it (or a quoted one)
    while (start < h && line[start] == ' ') ++start;
    std::string_view r = line.substr(start, end - start);
    if (!starts_with_method(r) || !status_after(line, end, status)) continue;
    request = r;
    return true;
  }
  return false;
}

}  // namespace

static bool access_loose(std::string_view line, Event& ev) {
  std::string_view request;
  int status = 0;
  if (!quoted_request(line, request, status) && !bare_request(line, request, status)) return false;
  ev = Event{};
  ev.request = request;
  ev.status = status;
  loose_time(line, ev);
  return true;
}

bool decode_nginx_access(std::string_view line, Event& ev) {
  line = trim_eol(line);
  if (!line.empty() && line[0] == '[' && npm(line, ev)) return true;
  return combined(line, ev) || access_loose(line, ev);
}

}  // namespace gw502
