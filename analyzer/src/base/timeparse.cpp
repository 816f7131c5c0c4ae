#include "base/timeparse.hpp"

#include <cstdio>
#include <cstring>

namespace gw502 {
namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

bool valid(int mo, int d, int h, int mi, int se) {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && se <= 60;
}

int64_t compose(int y, int mo, int d, int h, int mi, int se) {
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + se;
}

}  // namespace

// Howard Hinnant's well-known civil-date algorithm.
int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool parse_nginx_time(std::string_view s, int64_t& out) {
  int y, mo, d, h, mi, se;
  if (s.size() < 19 || s[4] != '/' || s[7] != '/' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
    return false;
  if (!digits(s, 0, 4, y) || !digits(s, 5, 2, mo) || !digits(s, 8, 2, d) || !digits(s, 11, 2, h) ||
      !digits(s, 14, 2, mi) || !digits(s, 17, 2, se) || !valid(mo, d, h, mi, se))
    return false;
  out = compose(y, mo, d, h, mi, se);
  return true;
}

bool parse_clf_time(std::string_view s, int64_t& out) {
  static const char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  int y, d, h, mi, se, oh = 0, om = 0;
  if (s.size() < 20 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':')
    return false;
  int mo = 0;
  for (int m = 0; m < 12; ++m)
    if (std::memcmp(s.data() + 3, kMonths + 3 * m, 3) == 0) mo = m + 1;
  if (!mo || !digits(s, 0, 2, d) || !digits(s, 7, 4, y) || !digits(s, 12, 2, h) ||
      !digits(s, 15, 2, mi) || !digits(s, 18, 2, se) || !valid(mo, d, h, mi, se))
    return false;
  int64_t t = compose(y, mo, d, h, mi, se);
  if (s.size() >= 26 && s[20] == ' ' && (s[21] == '+' || s[21] == '-') && digits(s, 22, 2, oh) &&
      digits(s, 24, 2, om)) {
    int64_t off = oh * 3600 + om * 60;
    t += s[21] == '+' ? -off : off;
  }
  out = t;
  return true;
}

bool parse_iso_time(std::string_view s, int64_t& out, bool& utc) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  utc = false;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 0, 4, y) || !digits(s, 5, 2, mo) ||
      !digits(s, 8, 2, d))
    return false;
  size_t i = 10;
  if (i < s.size()) {
    if ((s[i] != 'T' && s[i] != ' ') || !digits(s, i + 1, 2, h) || s.size() < i + 6 ||
        s[i + 3] != ':' || !digits(s, i + 4, 2, mi))
      return false;
    i += 6;
    if (i < s.size() && s[i] == ':') {
      if (!digits(s, i + 1, 2, se)) return false;
      i += 3;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    }
  }
  if (!valid(mo, d, h, mi, se)) return false;
  int64_t t = compose(y, mo, d, h, mi, se);
  if (i < s.size()) {
    if (s[i] == 'Z' && i + 1 == s.size()) {
      utc = true;
    } else if (s[i] == '+' || s[i] == '-') {
      int oh, om;
      size_t mpos = (i + 3 < s.size() && s[i + 3] == ':') ? i + 4 : i + 3;
      if (!digits(s, i + 1, 2, oh) || !digits(s, mpos, 2, om) || mpos + 2 != s.size()) return false;
      int64_t off = oh * 3600 + om * 60;
      t += s[i] == '+' ? -off : off;
      utc = true;
    } else {
      return false;
    }
  }
  out = t;
  return true;
}

std::string format_iso(int64_t t, bool utc) {
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  // civil_from_days
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d%s", static_cast<long long>(y), m, d,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60), utc ? "Z" : "");
  return buf;
}

}  // namespace gw502
