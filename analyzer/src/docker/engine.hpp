// A small, read-only client of Docker's Engine API: HTTP/1.1 GET requests
// over the daemon's unix socket (DOCKER_HOST=unix://PATH, else
// /var/run/docker.sock), one connection per request. Works with API 1.41
// (Docker 20.10, Debian 12's docker.io) and newer: paths are unversioned,
// so the daemon answers in its own version, and model.hpp reads both.
// Never prints; every failure is a one-line reason in `err`.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gw502::docker {

struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;  // chunked transfer decoded
};

// Cuts one HTTP/1.1 answer (status line, headers, body by Content-Length,
// chunked encoding or the end of the connection). False on a malformed
// answer, with the reason in err.
bool parse_http_answer(std::string_view raw, HttpAnswer& out, std::string& err);

// The frames of a non-TTY container's log stream (8-byte headers: stream
// 1 stdout / 2 stderr, 3 zero bytes, big-endian length) joined in order.
// A stream that does not start with a frame header is returned as it is
// (a TTY container's raw stream). A frame cut at the end is kept as far as
// it goes.
std::string demux_log_stream(std::string_view raw);

// The socket path DOCKER_HOST names (null or empty: the default). False for
// another scheme (tcp://, ssh://): this client speaks to unix sockets only.
bool socket_from_docker_host(const char* docker_host, std::string& path, std::string& err);

// The addresses of this machine's interfaces, loopback aside (IPv4 and
// IPv6, as inet_ntop writes them), those of the default route's interface
// (the LAN's) first: the Docker host's, when the socket is a local one.
// Empty when they cannot be read.
std::vector<std::string> host_addresses();
// This machine's host name ("" when it cannot be read).
std::string host_name();

class Engine {
 public:
  explicit Engine(std::string socket_path, int timeout_ms = 15000)
      : socket_(std::move(socket_path)), timeout_ms_(timeout_ms) {}

  const std::string& socket_path() const { return socket_; }

  // GET path (with its query). A status other than 2xx is an error, with
  // the daemon's "message" in err.
  bool get(std::string_view path, HttpAnswer& out, std::string& err) const;

  // The common calls; the JSON bodies are read by model.hpp.
  bool version(std::string& json, std::string& err) const;
  bool containers(std::string& json, std::string& err) const;  // all=1
  bool inspect(std::string_view id, std::string& json, std::string& err) const;
  bool networks(std::string& json, std::string& err) const;
  // Both streams with timestamps, since a Unix time (0: all), the last
  // `tail` lines (0: all); demultiplexed unless tty.
  bool logs(std::string_view id, int64_t since, unsigned tail, bool tty, std::string& text,
            std::string& err) const;

 private:
  bool get_body(std::string_view path, std::string& body, std::string& err) const;
  std::string socket_;
  int timeout_ms_;
};

}  // namespace gw502::docker
