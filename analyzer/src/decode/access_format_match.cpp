// Matching a line against a compiled access format (access_format.hpp).
//
// The literals are walked in order; a variable ends where the next literal
// starts. When a value contains that literal itself (a quote inside a
// request logged with escape=none, an odd user agent), the first choice
// leads to a field that cannot be (a status that is not three digits, a
// time that is no time) and the next occurrence is tried, within a small
// budget so that a hostile line costs a few passes over it at most. The
// last literal is sought from the line's end. Quotes escaped JSON-style
// (\") do not end a value; nginx's default escaping (\x22) never looks like
// one. Values stay escaped (views into the line).
#include <algorithm>
#include <cstring>

#include "base/timeparse.hpp"
#include "decode/access_format.hpp"
#include "decode/go_error.hpp"

namespace gw502 {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

bool all_of(std::string_view v, const char* set) {
  for (char c : v)
    if (!digit(c) && !std::strchr(set, c)) return false;
  return true;
}

// Whether v can be the value of a: the typed variables are checked, so that
// a literal found inside another value is not taken for the field's end.
bool plausible(AccessVar a, std::string_view v) {
  switch (a) {
    case AccessVar::status:
      return v.size() == 3 && v[0] >= '1' && v[0] <= '5' && digit(v[1]) && digit(v[2]);
    case AccessVar::remote_addr:
      if (v.empty()) return false;
      for (char c : v)
        if (!(digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || std::strchr(".:[]%_-", c)))
          return false;
      return true;
    case AccessVar::time_local: {
      int64_t t;
      return parse_clf_time(v, t);
    }
    case AccessVar::time_iso8601: {
      int64_t t;
      bool utc;
      return v.size() >= 19 && parse_iso_time(v, t, utc);
    }
    case AccessVar::msec:
      return !v.empty() && all_of(v, ".");
    case AccessVar::body_bytes_sent:
    case AccessVar::bytes_sent:
    case AccessVar::request_length:
      return !v.empty() && all_of(v, "-");
    case AccessVar::request_time:
    case AccessVar::upstream_response_time:
    case AccessVar::upstream_connect_time:
    case AccessVar::upstream_header_time:
    case AccessVar::upstream_status:
      return !v.empty() && all_of(v, ".-,: ");
    case AccessVar::host:
    case AccessVar::server_name:
    case AccessVar::request_method:
      return v.find(' ') == std::string_view::npos;
    default:
      return true;
  }
}

// How far a variable followed by another variable reaches: digits (and what
// numbers of its kind hold) for the numeric ones, else up to a blank.
size_t run_end(AccessVar a, std::string_view line, size_t pos) {
  const bool numeric = a == AccessVar::status || a == AccessVar::body_bytes_sent ||
                       a == AccessVar::bytes_sent || a == AccessVar::request_length ||
                       a == AccessVar::request_time || a == AccessVar::msec;
  size_t e = pos;
  while (e < line.size() && (numeric ? (digit(line[e]) || line[e] == '.' || line[e] == '-') : line[e] != ' '))
    ++e;
  if (a == AccessVar::status && e > pos + 3) e = pos + 3;
  return e;
}

}  // namespace

struct AccessFormat::Matcher {
  const std::vector<Item>& items;
  std::string_view line;
  AccessFields& out;
  size_t status_item;
  int budget;

  bool set(const Item& it, std::string_view v) {
    if (!plausible(it.id, v)) return false;
    if (it.id != AccessVar::other) out.v[static_cast<size_t>(it.id)] = v;
    return true;
  }

  // The next place lit starts at or after from; a quote escaped with a
  // backslash (escape=json) does not count.
  size_t find(const std::string& lit, size_t from) const {
    for (size_t e = line.find(lit, from); e != std::string_view::npos; e = line.find(lit, e + 1)) {
      if (lit[0] != '"') return e;
      size_t bs = 0;
      while (e - bs > from && line[e - bs - 1] == '\\') ++bs;
      if (bs % 2 == 0) return e;
    }
    return std::string_view::npos;
  }

  // Items i.. against line[pos..]. Fields are set on the way back, so only
  // the path that matched leaves any.
  bool step(size_t i, size_t pos) {
    if (i == items.size()) return pos == line.size();
    const Item& it = items[i];
    const bool after_status = i > status_item;
    if (!it.var) {
      if (line.compare(pos, it.lit.size(), it.lit) == 0) return step(i + 1, pos + it.lit.size());
      // Cut short inside or before this literal, once the status is read.
      std::string_view rest = line.substr(pos);
      return after_status && rest.size() < it.lit.size() && it.lit.compare(0, rest.size(), rest) == 0;
    }
    if (i + 1 == items.size()) return set(it, line.substr(pos));
    const Item& next = items[i + 1];
    if (next.var) {
      size_t e = run_end(it.id, line, pos);
      return step(i + 1, e) && set(it, line.substr(pos, e - pos));
    }
    if (i + 2 == items.size() && line.size() >= pos + next.lit.size() &&
        line.compare(line.size() - next.lit.size(), next.lit.size(), next.lit) == 0)
      return set(it, line.substr(pos, line.size() - next.lit.size() - pos));
    size_t e = find(next.lit, pos);
    if (e == std::string_view::npos) {  // the line ends in this value
      if (i == status_item) return set(it, line.substr(pos));
      if (!after_status) return false;
      set(it, line.substr(pos));  // a value cut short may not look whole; the line counts
      return true;
    }
    for (; e != std::string_view::npos && budget > 0; e = find(next.lit, e + 1)) {
      --budget;
      std::string_view v = line.substr(pos, e - pos);
      if (!plausible(it.id, v)) continue;
      if (step(i + 2, e + next.lit.size())) return set(it, v);
    }
    return false;
  }
};

bool AccessFormat::match(std::string_view line, AccessFields& out) const {
  if (items_.empty()) return false;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' '))
    line.remove_suffix(1);
  // Most lines of other formats fail on the first literal.
  if (!items_[0].var && line.compare(0, items_[0].lit.size(), items_[0].lit) != 0) return false;
  for (auto& v : out.v) v = {};
  Matcher m{items_, line, out, status_item_, static_cast<int>(items_.size()) * 2 + 16};
  return m.step(0, 0) && !out[AccessVar::status].empty();
}

namespace {

std::string_view value(const AccessFields& f, AccessVar a) {
  std::string_view v = f[a];
  return v == "-" ? std::string_view() : v;
}

// "a, b : c" -> its n-th entry (nginx separates tries with ", " and
// internal redirects with " : "; addresses hold ':' but never those).
std::string_view nth_entry(std::string_view list, size_t n) {
  size_t b = 0;
  for (size_t k = 0;; ++k) {
    const size_t c = list.find(", ", b), r = list.find(" : ", b), e = std::min(c, r);
    if (k == n) return list.substr(b, (e == std::string_view::npos ? list.size() : e) - b);
    if (e == std::string_view::npos) return {};
    b = e + (e == c ? 2 : 3);
  }
}

}  // namespace

void access_match_text(const AccessFields& f, std::string& out) {
  out.assign(kAccessMatchPrefix);
  out.append(f[AccessVar::status]);
  out.append(" upstream_status=");
  std::string_view us = f[AccessVar::upstream_status];
  out.append(us.empty() ? std::string_view("-") : us.substr(0, 512));
}

void access_event(const AccessFields& f, Event& ev) {
  ev = Event{};
  std::string_view s = f[AccessVar::status];
  ev.status = s.size() == 3 ? (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0') : 0;
  ev.client = value(f, AccessVar::remote_addr);
  ev.request = value(f, AccessVar::request);
  if (ev.request.empty()) ev.request = value(f, AccessVar::request_uri);
  if (ev.request.empty()) ev.request = value(f, AccessVar::uri);
  for (AccessVar h : {AccessVar::host, AccessVar::http_host, AccessVar::server_name})
    if (ev.host.empty()) ev.host = value(f, h);
  for (size_t n = 0; n < 64; ++n) {  // the tries that failed with 502/504
    std::string_view e = nth_entry(f[AccessVar::upstream_status], n);
    if (e.empty()) break;
    if ((e == "502" || e == "504") && ev.failed_tries < 255) ++ev.failed_tries;
  }
  std::string_view up = value(f, AccessVar::upstream_addr);
  if (!up.empty()) {
    size_t pick = 0;  // the try that failed with a 502/504, else the first
    std::string_view st = f[AccessVar::upstream_status];
    for (size_t n = 0; n < 16; ++n) {
      std::string_view e = nth_entry(st, n);
      if (e.empty()) break;
      if (e == "502" || e == "504") {
        pick = n;
        break;
      }
    }
    ev.upstream = nth_entry(up, pick);
    if (ev.upstream.empty()) ev.upstream = nth_entry(up, 0);
    if (ev.upstream == "-") ev.upstream = {};
  }
  int64_t t;
  bool utc;
  if (parse_clf_time(f[AccessVar::time_local], t)) {
    ev.time = t;
    ev.time_is_utc = true;
  } else if (go_log_time(f[AccessVar::time_iso8601], t, utc)) {
    ev.time = t;
    ev.time_is_utc = utc;
  } else if (!f[AccessVar::msec].empty()) {
    std::string_view m = f[AccessVar::msec];
    int64_t secs = 0;
    size_t i = 0;
    for (; i < m.size() && digit(m[i]) && i < 12; ++i) secs = secs * 10 + (m[i] - '0');
    if (i > 0) {
      ev.time = secs;
      ev.time_is_utc = true;
    }
  }
}

}  // namespace gw502
