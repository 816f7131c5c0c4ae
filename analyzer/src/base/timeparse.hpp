// Timestamps of the log formats, as seconds since the epoch. Times without a
// zone (nginx's error log) are kept as written and treated as UTC for ordering.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace gw502 {

int64_t days_from_civil(int y, unsigned m, unsigned d);
// "2024/01/15 10:23:45" (nginx error log).
bool parse_nginx_time(std::string_view s, int64_t& out);
// "15/Jan/2024:10:23:45 +0100" (access logs); converted to UTC.
bool parse_clf_time(std::string_view s, int64_t& out);
// "2024-01-15", "2024-01-15T10:23:45", "2024-01-15 10:23:45Z", fractional
// seconds and "+01:00" offsets allowed. utc tells whether a zone was given.
bool parse_iso_time(std::string_view s, int64_t& out, bool& utc);
// "2024-01-15T10:23:45" plus "Z" when utc.
std::string format_iso(int64_t t, bool utc);

}  // namespace gw502
