// Naive log times (nginx's error log, Caddy's console without a zone) are the
// writer's local time. LocalZone turns them into UTC with the zone of this
// process (TZ, or /etc/localtime), or with UTC when asked to.
#pragma once
#include <cstdint>
#include <string>

namespace gw502 {

class LocalZone {
 public:
  // utc: naive times are UTC already (--utc).
  explicit LocalZone(bool utc = false) : utc_(utc) {}
  // Seconds since the epoch, read as if naive were UTC -> the real UTC time.
  // Cached per hour of naive time: one mktime() per hour seen.
  int64_t to_utc(int64_t naive);
  // This process's zone as "UTC", "UTC+01:00", ... at the given UTC time.
  std::string describe(int64_t utc_time) const;

 private:
  bool utc_;
  int64_t cached_hour_ = INT64_MIN;
  int64_t cached_offset_ = 0;  // naive - utc, in seconds
};

}  // namespace gw502
