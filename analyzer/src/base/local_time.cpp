#include "base/local_time.hpp"

#include <cstdio>
#include <ctime>

namespace gw502 {

int64_t LocalZone::to_utc(int64_t naive) {
  if (utc_) return naive;
  const int64_t hour = naive >= 0 ? naive / 3600 : (naive - 3599) / 3600;
  if (hour != cached_hour_) {
    const time_t t = static_cast<time_t>(hour * 3600);
    struct tm tm {};
    if (!gmtime_r(&t, &tm)) return naive;
    tm.tm_isdst = -1;  // let the zone say whether summer time applies
    const time_t local = mktime(&tm);
    if (local == static_cast<time_t>(-1)) return naive;
    cached_hour_ = hour;
    cached_offset_ = hour * 3600 - static_cast<int64_t>(local);
  }
  return naive - cached_offset_;
}

std::string LocalZone::describe(int64_t utc_time) const {
  if (utc_) return "UTC";
  const time_t t = static_cast<time_t>(utc_time);
  struct tm tm {};
  if (!localtime_r(&t, &tm)) return "UTC";
  long off = tm.tm_gmtoff;
  if (off == 0) return "UTC";
  char buf[24];
  const char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  std::snprintf(buf, sizeof buf, "UTC%c%02ld:%02ld", sign, off / 3600, (off % 3600) / 60);
  return buf;
}

}  // namespace gw502
