// The Prometheus endpoint of gw502-logs -f --metrics: HTTP/1.1, GET /metrics
// (and the live HTML report at /), one response per connection, read-only
// (GET and HEAD). Non-blocking and served from the follow
// loop's thread through one epoll descriptor, so idle or slow clients cost a
// descriptor each and never hold up a scrape: each connection has a deadline
// (the request within request_ms, the response within response_ms), and at
// max_connections the oldest connection still waiting for its request is
// closed to make room.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <string>

namespace gw502::cli {

struct ListenAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  bool host_given = false;  // the address was written, not defaulted
};

// "9502", ":9502" (both 127.0.0.1), "127.0.0.1:9502", "[::1]:9502",
// "0.0.0.0:9502", "localhost:9502". The port is digits only, 1 to 65535.
// On failure err is a one-line reason naming --metrics.
bool parse_listen_address(const std::string& spec, ListenAddress& out, std::string& err);

class MetricsServer {
 public:
  struct Limits {
    size_t max_connections = 1024;
    int64_t request_ms = 5000;    // from accept to a complete request
    int64_t response_ms = 30000;  // from the request to the last byte sent
    size_t max_request = 16384;   // request line and headers
  };

  MetricsServer();
  explicit MetricsServer(const Limits& limits);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and listens. loopback says whether the address bound is a
  // loopback one (127.0.0.0/8, ::1).
  bool listen(const ListenAddress& a, bool& loopback, std::string& err);

  // The descriptor to poll for POLLIN; -1 when not listening.
  int fd() const { return epoll_fd_; }
  size_t connections() const { return conns_.size(); }

  // What is served: the body of /metrics, and of / (an HTML page; when
  // empty, / says where the metrics are).
  struct Pages {
    std::function<std::string()> metrics;
    std::function<std::string()> html;
  };

  // Accepts, reads, answers and closes what is ready, and closes connections
  // past their deadline. Never blocks.
  void serve(const Pages& pages, int64_t now_ms);

 private:
  struct Conn {
    int fd = -1;
    std::string in, out;  // out empty: still reading the request
    size_t sent = 0;
    int64_t deadline = 0;
    std::list<Conn>::iterator self;
  };

  void accept_all(int64_t now);
  bool evict_oldest_idle();
  void close_conn(Conn& c);
  // Returns true when the connection is done.
  bool step(Conn& c, const Pages& pages, int64_t now);
  bool watch(int fd, uint32_t events, void* tag, int op);

  Limits limits_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  bool accepting_ = true;        // false while out of descriptors
  int64_t resume_accept_ = 0;
  int64_t next_sweep_ = 0;
  std::list<Conn> conns_;        // oldest first
};

}  // namespace gw502::cli
