// Helpers for the Go proxies (Traefik, Caddy): their failures are Go network
// errors ("dial tcp 172.18.0.5:3000: connect: connection refused"), and their
// text logs quote values the way Go's strconv.Quote does.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace gw502 {

// The upstream a Go error names, as a view into err:
//   "dial tcp 172.18.0.5:3000: ..."          -> "172.18.0.5:3000"
//   "dial unix /run/app.sock: ..."           -> "/run/app.sock" (unix = true)
//   "dial tcp: lookup app on 127.0.0.11:53"  -> "app"
//   "read tcp 10.0.0.2:4711->10.0.0.5:80: .."-> "10.0.0.5:80"
//   "Get \"http://auth:9091/verify\": ..."   -> "auth:9091"
//   "x509: cannot validate certificate for 10.0.0.5 because ..." -> "10.0.0.5"
// "" when the error names none (EOF, context canceled).
std::string_view go_error_upstream(std::string_view err, bool& unix);

// A Go-quoted value ("a \"b\"\n", as strconv.Quote, logrus and zerolog write
// it) without its quotes and escapes. s starts at the opening quote; end is
// set to the index just past the closing quote (s.size() when it is missing).
// Without escapes the result is a view into s; otherwise the text is written
// to out (cleared first) and the result views out. A Go error that itself quotes
// bytes ("malformed HTTP response \"\\x15\\x03\"") comes out as Go printed
// it: malformed HTTP response "\x15\x03".
std::string_view go_unquote(std::string_view s, size_t& end, std::string& out);

// s without ANSI colour sequences (ESC [ ... letter), written to out.
std::string_view strip_ansi(std::string_view s, std::string& out);

// A timestamp as the Go proxies write it: RFC 3339 / ISO 8601 (any
// fraction, Z or offset), Caddy's wall formats ("2024/01/15 10:23:45.123",
// local time), or a Unix time in seconds, milli-, micro- or nanoseconds.
bool go_log_time(std::string_view s, int64_t& out, bool& utc);
bool go_epoch_time(double v, int64_t& out);

// The prefix Go's standard `log` package writes: "2018/12/19 09:16:54 ",
// optionally with microseconds, then optionally "file.go:123: ". Its length,
// or 0 when s does not start with one. Traefik v1 and the httputil reverse
// proxy log through it, and Traefik v3 passes such lines on in "message".
size_t go_std_log_prefix(std::string_view s);

}  // namespace gw502
