// Caddy 2's logs (zap), JSON and console. What counts:
//  - http.log.error[.NAME] entries of a proxied request that failed (status
//    499, 502, 503, 504, or an err_trace in reverseproxy): the Go error is in
//    msg. Their level is error, or debug when handle_errors handled the error,
//    so the level is not looked at. "error handling handler error" carries the
//    original error in first_error.
//  - http.handlers.reverse_proxy "aborting with incomplete response": the
//    response broke off after its headers; the error is in `error`.
//  - access entries (http.log.access[.NAME], "handled request"): the rules see
//    the whole line and the status; resp_headers X-Gw502-Cause (set by the
//    Caddy bridge) names the cause.
//  - caddy-l4's layer4 loggers' entries with an `error`.
//  - Which side closed: an "aborting with incomplete response" whose error is
//    a write (`write tcp CADDY->CLIENT: write: broken pipe`) or an HTTP/2
//    stream the client cancelled (`stream ID 5; CANCEL`) is the client's
//    (client_closed); `INTERNAL_ERROR; received from peer` is the backend's.
// reverse_proxy's DEBUG "upstream roundtrip" entry repeats the error that the
// http.log.error entry of the same request carries, and "reading from backend"
// the error of the "aborting with incomplete response" that follows it:
// duplicates, not counted.
#pragma once
#include <string>
#include <string_view>

#include "core/event.hpp"
#include "decode/format_detect.hpp"
#include "decode/json_line.hpp"

namespace gw502 {

class CaddyDecoder {
 public:
  explicit CaddyDecoder(JsonLine& json) : json_(json) {}

  // A JSON entry that json has just parsed; text is the line.
  Decoded decode_json(std::string_view text, Event& ev);
  // A console entry: TIME<TAB>LEVEL<TAB>[LOGGER<TAB>]MSG[<TAB>{fields}].
  // Returns malformed when its fields are not valid JSON.
  Decoded decode_console(std::string_view text, Event& ev);
  // The same entry as users paste it: tabs turned into runs of spaces, the
  // time missing or in exponent form (Caddy 2 betas: 1.5868e+09), fields cut
  // off. Recognised by its logger (http.log.error..., http.handlers.reverse_proxy,
  // layer4...). Returns kind none when the line holds no such logger.
  Decoded decode_console_loose(std::string_view text, Event& ev);
  // Whether a line looks like such an entry (for telling a source's format).
  static bool is_console_loose(std::string_view text);
  // Caddy 1's error log: `[DATE ][ERROR 502 /path] dial tcp ...`.
  static Decoded decode_caddy1(std::string_view text, Event& ev);
  static bool is_caddy1(std::string_view text);

 private:
  Decoded entry(std::string_view text, std::string_view logger, std::string_view msg, Event& ev);

  JsonLine& json_;
  std::string upstream_;  // "unix:/run/app.sock"
  bool fields_lost_ = false;  // a pasted console entry without its fields (no status to check)
};

}  // namespace gw502
