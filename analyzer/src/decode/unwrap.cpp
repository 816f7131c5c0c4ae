#include "decode/unwrap.hpp"

#include <cstring>

#include "base/compose_prefix.hpp"

namespace gw502 {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
         c == '.';
}

// RFC 3339 timestamp as docker logs -t prints it: 2024-01-15T10:23:45.123456789Z
// or with an offset, followed by one space.
size_t rfc3339_prefix(std::string_view s) {
  if (s.size() < 21) return 0;
  const char* p = s.data();
  if (!(is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3]) && p[4] == '-' &&
        is_digit(p[5]) && is_digit(p[6]) && p[7] == '-' && is_digit(p[8]) && is_digit(p[9]) &&
        p[10] == 'T' && is_digit(p[11]) && is_digit(p[12]) && p[13] == ':'))
    return 0;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i + 5 < s.size() && (s[i] == '+' || s[i] == '-')) {
    i += (s[i + 3] == ':') ? 6 : 5;
  }
  if (i < s.size() && s[i] == ' ') return i + 1;
  return 0;
}

// "2024-10-04 15:42:56 " (Docker Desktop), "2015-11-28 09:46:25.676384500  "
// (s6 and other loggers): date, a space, time, optional fraction and zone,
// then one or more spaces.
size_t datetime_prefix(std::string_view s) {
  if (s.size() < 21) return 0;
  const char* p = s.data();
  if (!(is_digit(p[0]) && is_digit(p[3]) && p[4] == '-' && is_digit(p[5]) && p[7] == '-' &&
        is_digit(p[9]) && p[10] == ' ' && is_digit(p[11]) && p[13] == ':' && p[16] == ':' && is_digit(p[18])))
    return 0;
  size_t i = 19;
  if (s[i] == '.' || s[i] == ',') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && s[i] == 'Z') ++i;
  if (i >= s.size() || s[i] != ' ') return 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

// Heroku-style "app[web.1]: ", after its timestamp: a word, [instance], ": ".
size_t ident_prefix(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && i < 64 && is_name(s[i])) ++i;
  if (i == 0 || i >= s.size() || s[i] != '[') return 0;
  size_t close = s.find("]: ", i);
  if (close == std::string_view::npos || close - i > 64) return 0;
  return close + 3;
}

// kubectl logs --prefix: "[pod/name/container] ".
size_t kubectl_prefix(std::string_view s) {
  if (s.size() < 8 || s.compare(0, 5, "[pod/") != 0) return 0;
  size_t close = s.find("] ", 5);
  if (close == std::string_view::npos || close > 300) return 0;
  return close + 2;
}

// A name and one space before a JSON entry, as stern and other multi-pod
// log tailers print it: "traefik-7d9f-x2k4 {\"level\":...}", "[traefik-1] {...}".
size_t name_before_json(std::string_view s) {
  size_t i = s.size() > 0 && s[0] == '[' ? 1 : 0;
  const size_t start = i;
  while (i < s.size() && i < 256 && (is_name(s[i]) || s[i] == '/' || s[i] == '@')) ++i;
  if (i == start) return 0;
  if (start == 1) {
    if (i >= s.size() || s[i] != ']') return 0;
    ++i;
  }
  if (i + 2 >= s.size() || s[i] != ' ' || s[i + 1] != '{' || s[i + 2] != '"') return 0;
  return i + 1;
}

// A bracketed process name glued to the timestamp that follows it, as
// multiplexers such as docker-compose v1 with --no-color and goreman print
// it: "[traefik-1]2017-09-26T15:03:55.254Z ".
size_t bracket_name_prefix(std::string_view s) {
  if (s.size() < 4 || s[0] != '[') return 0;
  size_t i = 1;
  while (i < s.size() && i < 128 && is_name(s[i])) ++i;
  if (i == 1 || i + 1 >= s.size() || s[i] != ']' || !is_digit(s[i + 1])) return 0;
  return i + 1;
}

// journalctl's short time in the reader's locale: a month name of any
// script ("Dec", "Dez", "déc.", "12月", "дек"), the day (padded or not),
// "HH:MM:SS ". 0 when it is not one.
size_t local_syslog_time(std::string_view s) {
  size_t i = 0;
  for (; i < s.size() && s[i] != ' '; ++i)
    if (i == 16 || s[i] == ':' || s[i] == '[' || s[i] == '{' || s[i] == '"' || s[i] == '/') return 0;
  if (i == 0 || i >= s.size() || s[i] != ' ') return 0;
  while (i < s.size() && s[i] == ' ' && i < 20) ++i;
  const size_t day = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == day || i - day > 2 || i + 10 > s.size() || s[i] != ' ') return 0;
  ++i;
  if (!is_digit(s[i]) || !is_digit(s[i + 1]) || s[i + 2] != ':' || !is_digit(s[i + 3]) || !is_digit(s[i + 4]) ||
      s[i + 5] != ':' || !is_digit(s[i + 6]) || !is_digit(s[i + 7]) || s[i + 8] != ' ')
    return 0;
  return i + 9;
}

// journald/syslog short: "Jan 15 10:23:45 host ident[pid]: " (the month in
// any locale's words) or short-iso "2024-01-15T10:23:45+0000 host ident[pid]: ".
size_t syslog_prefix(std::string_view s) {
  size_t i = 0;
  if (size_t t = local_syslog_time(s)) {
    i = t;
  } else if (size_t r = rfc3339_prefix(s)) {
    i = r;
  } else {
    return 0;
  }
  // host
  size_t h = i;
  while (i < s.size() && s[i] != ' ' && s[i] != ':' && i - h < 256) ++i;
  if (i == h || i >= s.size() || s[i] != ' ') return 0;
  ++i;
  // ident[pid]: or ident:
  size_t id = i;
  while (i < s.size() && s[i] != ' ' && s[i] != ':' && s[i] != '[' && i - id < 128) ++i;
  if (i == id || i >= s.size()) return 0;
  if (s[i] == '[') {
    while (i < s.size() && s[i] != ']') ++i;
    if (i >= s.size()) return 0;
    ++i;
  }
  if (i + 1 < s.size() && s[i] == ':' && s[i + 1] == ' ') return i + 2;
  return 0;
}

// Loki's label set, as logcli and Grafana print it after the time:
// `{container="nginx", job="docker"} ` or `{} `, padded or not. A JSON object never opens
// with a name and '=' (its keys are quoted).
size_t label_set_prefix(std::string_view s) {
  if (s.size() < 3 || s[0] != '{') return 0;
  size_t i = 1;
  while (i < s.size() && s[i] != '}') {
    const size_t name = i;
    while (i < s.size() && is_name(s[i])) ++i;
    if (i == name || i + 1 >= s.size() || s[i] != '=' || s[i + 1] != '"') return 0;
    for (i += 2; i < s.size() && s[i] != '"'; ++i)
      if (s[i] == '\\') ++i;  // an escaped quote or backslash
    if (i >= s.size() || i > 2048) return 0;
    ++i;  // the closing quote
    if (i + 1 < s.size() && s[i] == ',' && s[i + 1] == ' ') i += 2;
    else if (i < s.size() && s[i] == ',') ++i;
  }
  // logcli pads every label set with spaces to the widest one it prints.
  if (i + 1 >= s.size() || s[i + 1] != ' ') return 0;
  for (i += 1; i < s.size() && s[i] == ' ';) ++i;
  return i;
}

// Lines no wrapper's prefix can start like: nginx's error log
// ("2024/01/15 10:23:45 [error] ...": no prefix above takes a '/' at [4]),
// a bare JSON object and logrus text (Traefik v2: `time="...`: no prefix
// takes an '=' after a word).
bool bare(std::string_view s) {
  if (!s.empty() && s[0] == '{') return true;
  if (s.size() > 6 && std::memcmp(s.data(), "time=\"", 6) == 0) return true;
  return s.size() > 20 && is_digit(s[0]) && is_digit(s[3]) && s[4] == '/' && s[7] == '/' && s[10] == ' ';
}

}  // namespace

std::string_view unwrap_line(std::string_view line) {
  if (bare(line)) return line;
  for (int layer = 0; layer < 4; ++layer) {
    size_t n = compose_prefix(line);
    if (!n) n = kubectl_prefix(line);
    if (!n) n = syslog_prefix(line);
    if (!n) n = rfc3339_prefix(line);
    if (!n) n = datetime_prefix(line);
    if (!n) n = name_before_json(line);
    if (!n) n = bracket_name_prefix(line);
    if (!n && layer > 0) n = ident_prefix(line);  // only behind a timestamp
    if (!n && layer > 0) n = label_set_prefix(line);
    if (!n) break;
    line.remove_prefix(n);
  }
  return line;
}

}  // namespace gw502
