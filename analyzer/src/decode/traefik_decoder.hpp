// Traefik's logs in every form its versions write:
//  - v1/v2 (logrus) text: time="..." level=debug msg="'502 Bad Gateway' caused by: <error>",
//    the same on a terminal (DEBU[...] ...), and as JSON ({"level":..,"msg":..,"time":..});
//    v1 also "Error forwarding to <url>, err: <error>";
//  - v3 (zerolog) console: TIME DBG caller > 502 Bad Gateway error="<error>", and as JSON
//    ({"level":..,"error":..,"message":"502 Bad Gateway"});
//  - forward-auth failures: "Error calling <url>. Cause: <error>" (v2, early v3) or
//    "Error calling <url>" with error=... (v3): the auth service is the upstream;
//  - access logs, JSON (DownstreamStatus, OriginStatus, RouterName, ServiceName,
//    ServiceURL) and common format (CLF + count "router" "url" Nms).
// Traefik answers 500 for TLS verification and malformed responses, 504 for
// timeouts, 499 for cancelled clients: the rules look at the error, not the code.
#pragma once
#include <string>
#include <string_view>

#include "core/event.hpp"
#include "decode/format_detect.hpp"
#include "decode/json_line.hpp"

namespace gw502 {

class TraefikDecoder {
 public:
  explicit TraefikDecoder(JsonLine& json) : json_(json) {}

  // A JSON entry that json has just parsed; text is the line.
  Decoded decode_json(std::string_view text, Event& ev);
  // logrus text: key=value pairs, or the terminal form LEVL[time] message.
  Decoded decode_logfmt(std::string_view text, Event& ev);
  // zerolog console. `before` is what precedes text in the raw line (a
  // collector prefix may have taken Traefik's own timestamp with it).
  Decoded decode_console(std::string_view text, std::string_view before, Event& ev);
  // Common log format with Traefik's tail ("router" "url" Nms); with
  // generic = true also plain CLF (accesslog.format=genericCLF).
  Decoded decode_clf(std::string_view text, bool generic, Event& ev);

  // One application message: "'502 Bad Gateway' caused by: ERR", "502 Bad
  // Gateway" with the error in `error`, "Error calling URL. Cause: ERR",
  // "Error forwarding to URL, err: ERR", "Error while serving UDP: ERR",
  // v1's "Round trip: URL, code: 502, ..." (a 502 served, no cause).
  Decoded app(std::string_view msg, std::string_view error, Event& ev);

 private:
  // The semantic part shared by all forms: msg and the error field.

  JsonLine& json_;
  std::string msg_, err_, desc_, upstream_;

};

}  // namespace gw502
