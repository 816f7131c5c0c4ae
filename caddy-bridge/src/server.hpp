// The listener and its connections: HTTP/1.1 (Boost.Beast) on a unix socket
// or a TCP port, one thread, every connection bounded in time and bytes.
#pragma once
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "bridge.hpp"
#include "http.hpp"

namespace gw502::bridge {

struct ServerConfig {
  std::string listen;                    // "unix:/run/gw502/bridge.sock" or "127.0.0.1:PORT"
  unsigned socket_mode = 0660;           // for a unix socket
  bool allow_non_loopback = false;       // TCP on an address outside 127.0.0.0/8 and ::1
  bool metrics_only = false;             // serve /metrics and /healthz only (--metrics-listen)
  size_t max_connections = 512;          // more are closed at once
  std::chrono::milliseconds timeout{10000};  // to receive one request / send one answer
  Limits limits;
};

class Listener;

class Server {
 public:
  Server(boost::asio::io_context& io, Bridge& bridge, ServerConfig cfg);
  ~Server();
  // Binds and starts accepting. On failure returns false with err set.
  bool start(std::string& err);
  // "unix:/path" or "127.0.0.1:PORT" (the real port when 0 was asked).
  std::string address() const;
  // Stops accepting and removes the socket file; open connections finish.
  void stop();

 private:
  boost::asio::io_context& io_;
  Bridge& bridge_;
  ServerConfig cfg_;
  std::shared_ptr<Listener> listener_;
};

}  // namespace gw502::bridge
