// One decoded log line. Every view points into the line it came from and is
// valid only as long as that line's buffer.
#pragma once
#include <cstdint>
#include <string_view>

namespace gw502 {

constexpr int64_t kNoTime = INT64_MIN;

struct Event {
  int64_t time = kNoTime;      // seconds since the epoch
  bool time_is_utc = false;    // false: the log's local time, zone unknown
  std::string_view level;      // "error", "crit", ...
  int64_t pid = -1;
  int64_t cid = -1;            // nginx connection id (*N), -1 when absent
  std::string_view message;    // what the classifier sees
  int errno_num = 0;           // "(111: Connection refused)" -> 111
  std::string_view errno_text; // -> "Connection refused"
  std::string_view action;     // "connecting to upstream" (after " while ")
  std::string_view client;
  std::string_view server;
  std::string_view request;
  std::string_view upstream;   // normalised address: "172.18.0.5:3000", "unix:/run/app.sock"
  std::string_view scheme;     // "http", "fastcgi", "grpcs", ...
  std::string_view host;
  int status = 0;              // access logs: the status served
  // access logs with $upstream_status ("502, 502, 404"): the tries of the
  // request that failed with 502/504
  uint8_t failed_tries = 0;
  // nginx error log, decoded in two steps: what follows the message (", client:
  // ..."), to be cut into the fields above by finish_nginx_error().
  std::string_view nginx_rest;
  bool nginx_pending = false;
};

}  // namespace gw502
