// Decoders for nginx's (and Nginx Proxy Manager's) logs: the error log and
// the access-log formats combined, NPM "proxy" and NPM "standard". They only
// cut the line into views; nothing is copied.
#pragma once
#include <string_view>

#include "core/event.hpp"

namespace gw502 {

// `YYYY/MM/DD HH:MM:SS [level] pid#tid: [*cid ]message[, client: ...]`.
// Returns false when the line does not have that shape.
// With `whole` false only time, level, pid, cid and the message are cut out
// (all a rule needs); finish_nginx_error() does the rest, for lines that
// turn out to matter. Most candidate lines of a busy log are noise.
bool decode_nginx_error(std::string_view line, Event& ev, bool whole = true);
void finish_nginx_error(Event& ev);

// The same message as users paste it or tools pass it on: without the time
// (`[error] 7#7: *1 connect() failed ...`), cut at its head (`error] 12#0: ...`,
// `*55 connect() ...`, `60380#60380: *3 ...`), behind a prefix no unwrapper
// knows (`app[web.1]: 2019/04/08 ... [crit] ...`, `_CONTENT__:2021/...`),
// nginx's own stderr at start-up (`nginx: [emerg] host not found ...`), or
// the bare message. A line with none of nginx's head must carry nginx's
// context (`, client: `), a phase (` while connecting to upstream`), or open
// with nginx's words for its upstream (`upstream sent invalid header: ...`).
// Time is set only when nginx's timestamp stands right before `[level]`.
bool decode_nginx_error_loose(std::string_view line, Event& ev, bool whole = true);

// Access-log line in one of the formats above, or failing those a custom
// format's line with a quoted request line followed by its status (request
// and status only). Returns false when it is none of them. Fills time, client, request, status and, where the format has them,
// host and upstream.
bool decode_nginx_access(std::string_view line, Event& ev);

// "http://172.18.0.5:3000/api" -> "172.18.0.5:3000" (scheme "http");
// "http://unix:/run/app.sock:/api" -> "unix:/run/app.sock";
// "http://[::1]:8080/" -> "[::1]:8080". A value without "://" is returned whole.
std::string_view upstream_address(std::string_view url, std::string_view& scheme);

}  // namespace gw502
