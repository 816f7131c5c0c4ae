// A custom nginx access-log format (--access-format): the log_format string,
// compiled once into literals and variables, and a matcher that cuts a line
// written in it into views of the line. No regex and no allocation per line.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"

namespace gw502 {

// The variables whose values are read; any other $var is a field skipped.
enum class AccessVar : uint8_t {
  other, remote_addr, remote_user, time_local, time_iso8601, msec, request, request_method,
  request_uri, uri, args, status, host, http_host, server_name, upstream_addr, upstream_status,
  upstream_response_time, upstream_connect_time, upstream_header_time, request_time,
  body_bytes_sent, bytes_sent, request_length, http_referer, http_user_agent, gw502_cause,
  count_  // not a variable
};
constexpr size_t kAccessVars = static_cast<size_t>(AccessVar::count_);

// What one line holds, by variable: views into the line, empty when the
// format lacks the variable or the line was cut before it.
struct AccessFields {
  std::string_view v[kAccessVars];
  std::string_view operator[](AccessVar a) const { return v[static_cast<size_t>(a)]; }
};

class AccessFormat {
 public:
  // spec is one of:
  //  - a log_format string: '$remote_addr - $remote_user [$time_local] "$request" $status ...'
  //  - the directive as nginx.conf has it: log_format NAME [escape=..] '...' '...';
  //  - a name: combined, main (nginx.org's sample), npm (NPM's proxy hosts), npm_standard;
  //  - GoAccess's --log-format for nginx: %h %^[%d:%t %^] "%r" %s %b "%R" "%u" (or COMBINED).
  // False with a one-line reason when it cannot be read or has no $status.
  bool compile(std::string_view spec, std::string& err);

  // Cuts line (without its line end) into fields. True when the line is in
  // the format: every literal in place and $status three digits; a line cut
  // short after $status still counts (the fields it lacks are empty).
  bool match(std::string_view line, AccessFields& out) const;

  bool has(AccessVar a) const;
  const std::string& text() const { return text_; }  // the format string as read

  // The bytes a line shows around `value` of variable `a`: the end of the
  // literal before it, value, the start of the literal after it (what a
  // prefilter can seek: `" 502 ` for combined). Empty when `a` is absent.
  std::vector<std::string> literals_around(AccessVar a, std::string_view value) const;

 private:
  struct Item {
    bool var = false;
    AccessVar id = AccessVar::other;
    std::string lit;  // a literal's bytes, or a variable's name
  };
  struct Matcher;
  bool parse(std::string_view s, std::string& err);
  std::vector<Item> items_;
  std::string text_;
  size_t status_item_ = 0;
};

// What the catalogue's rules see of a matched line (scan/access_format_rules):
// "access_format status=502 upstream_status=502, 200" (no $upstream_status: "-").
constexpr std::string_view kAccessMatchPrefix = "access_format status=";
void access_match_text(const AccessFields& f, std::string& out);

// An access event from a matched line: time, client, request, status, host,
// upstream (of $upstream_addr, the server whose status in $upstream_status
// was a 502/504, else the first).
void access_event(const AccessFields& f, Event& ev);

}  // namespace gw502
