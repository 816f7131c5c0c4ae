#include "server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <optional>

namespace gw502::bridge {

namespace asio = boost::asio;
namespace beast = boost::beast;

// ---------------------------------------------------------------------------
// One connection. Every read and write has a deadline (a slow or silent
// client is dropped), the header block and body are bounded, and the buffer
// cannot grow past those bounds.

template <class Protocol>
class Session : public std::enable_shared_from_this<Session<Protocol>> {
 public:
  Session(typename Protocol::socket&& s, Bridge& b, const ServerConfig& cfg)
      : stream_(std::move(s)),
        buffer_(cfg.limits.max_header_bytes + cfg.limits.max_body_bytes + 4096),
        bridge_(b),
        limits_(cfg.limits),
        timeout_(cfg.timeout),
        metrics_only_(cfg.metrics_only) {
    bridge_.metrics().connection_opened();
  }
  ~Session() { bridge_.metrics().connection_closed(); }

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    parser_->body_limit(limits_.max_body_bytes);
    stream_.expires_after(timeout_);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == beast::error::timeout) {
      // A silent keep-alive connection is simply closed; a request that
      // started but did not finish in time is a slow client.
      if (parser_->got_some()) bridge_.metrics().count_reject(Reject::timeout);
      return;  // the stream is closed by the timeout; the session ends
    }
    if (ec) {
      Reject why;
      if (is_parse_error(ec, why)) {
        write(build_response(bridge_.reject(why), 11, false, false), true);
        return;
      }
      close();  // EOF between requests, reset, ...
      return;
    }
    const Request& req = parser_->get();
    Reply r = bridge_.handle(request_info(req), metrics_only_);
    bool keep = req.keep_alive() && !r.close;
    write(build_response(r, req.version(), keep, req.method() == http::verb::head), !keep);
  }

  void write(Response&& res, bool close_after) {
    res_ = std::move(res);
    stream_.expires_after(timeout_);
    http::async_write(stream_, res_,
                      [self = this->shared_from_this(), close_after](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (close_after) return self->linger();
                        self->read();
                      });
  }

  // Half-close, then read and drop what the client still sends for a moment,
  // so a client that is still sending (a huge header) gets our answer
  // instead of a reset.
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(asio::socket_base::shutdown_send, ec);
    if (ec) return close();
    stream_.expires_after(std::chrono::milliseconds(1500));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > (4u << 20)) return self->close();
                              self->drain();
                            });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().close(ec);
  }

  beast::basic_stream<Protocol> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response res_;
  Bridge& bridge_;
  Limits limits_;
  std::chrono::milliseconds timeout_;
  bool metrics_only_;
  std::array<char, 16384> scratch_{};
  std::size_t drained_ = 0;
};

// ---------------------------------------------------------------------------

class Listener {
 public:
  virtual ~Listener() = default;
  virtual void accept() = 0;
  virtual void close() = 0;
  virtual std::string address() const = 0;
};

template <class Protocol>
class BasicListener : public Listener, public std::enable_shared_from_this<BasicListener<Protocol>> {
 public:
  BasicListener(asio::io_context& io, Bridge& b, const ServerConfig& cfg,
                typename Protocol::acceptor&& a, std::string addr, std::string unlink_path)
      : io_(io),
        bridge_(b),
        cfg_(cfg),
        acceptor_(std::move(a)),
        retry_(io),
        address_(std::move(addr)),
        unlink_path_(std::move(unlink_path)) {}

  void accept() override {
    acceptor_.async_accept([self = this->shared_from_this()](beast::error_code ec,
                                                             typename Protocol::socket s) {
      self->on_accept(ec, std::move(s));
    });
  }

  void close() override {
    beast::error_code ec;
    retry_.cancel();
    acceptor_.close(ec);
    if (!unlink_path_.empty()) {
      ::unlink(unlink_path_.c_str());
      unlink_path_.clear();
    }
  }

  std::string address() const override { return address_; }

 private:
  void on_accept(beast::error_code ec, typename Protocol::socket s) {
    if (!acceptor_.is_open()) return;
    if (ec) {
      // EMFILE and the like: back off instead of spinning.
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = this->shared_from_this()](beast::error_code e) {
        if (!e) self->accept();
      });
      return;
    }
    if (bridge_.metrics().open_connections() >= cfg_.max_connections) {
      bridge_.metrics().count_reject(Reject::too_many_connections);
      beast::error_code ignored;
      s.close(ignored);
    } else {
      std::make_shared<Session<Protocol>>(std::move(s), bridge_, cfg_)->start();
    }
    accept();
  }

  asio::io_context& io_;
  Bridge& bridge_;
  ServerConfig cfg_;
  typename Protocol::acceptor acceptor_;
  asio::steady_timer retry_;
  std::string address_;
  std::string unlink_path_;
};

// ---------------------------------------------------------------------------

namespace {

bool listen_unix(asio::io_context& io, Bridge& b, const ServerConfig& cfg, const std::string& path,
                 std::shared_ptr<Listener>& out, std::string& err) {
  using local = asio::local::stream_protocol;
  if (path.empty() || path[0] != '/') {
    err = "the unix socket path must be absolute: unix:/run/gw502/bridge.sock";
    return false;
  }
  if (path.size() >= 108) {
    err = "unix socket path too long (107 bytes at most): " + path;
    return false;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      err = path + " exists and is not a socket";
      return false;
    }
    // A socket file: in use by a live bridge, or left over from a crash.
    local::socket probe(io);
    beast::error_code ec;
    probe.connect(local::endpoint(path), ec);
    if (!ec) {
      err = "another process already listens on " + path;
      return false;
    }
    ::unlink(path.c_str());
  }
  local::acceptor a(io);
  beast::error_code ec;
  a.open(local::endpoint(path).protocol(), ec);
  if (!ec) a.bind(local::endpoint(path), ec);
  if (ec) {
    err = "cannot bind " + path + ": " + ec.message();
    return false;
  }
  if (::chmod(path.c_str(), static_cast<mode_t>(cfg.socket_mode)) != 0) {
    err = "cannot chmod " + path;
    ::unlink(path.c_str());
    return false;
  }
  a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    err = "cannot listen on " + path + ": " + ec.message();
    ::unlink(path.c_str());
    return false;
  }
  out = std::make_shared<BasicListener<local>>(io, b, cfg, std::move(a), "unix:" + path, path);
  return true;
}

bool listen_tcp(asio::io_context& io, Bridge& b, const ServerConfig& cfg, const std::string& spec,
                std::shared_ptr<Listener>& out, std::string& err) {
  using tcp = asio::ip::tcp;
  std::string host, port;
  if (!spec.empty() && spec[0] == '[') {
    size_t close = spec.find(']');
    if (close == std::string::npos || close + 1 >= spec.size() || spec[close + 1] != ':') {
      err = "bad --listen address: " + spec;
      return false;
    }
    host = spec.substr(1, close - 1);
    port = spec.substr(close + 2);
  } else {
    size_t colon = spec.rfind(':');
    if (colon == std::string::npos) {
      err = "bad --listen address (want unix:/path or HOST:PORT): " + spec;
      return false;
    }
    host = spec.substr(0, colon);
    port = spec.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  asio::ip::address addr = asio::ip::make_address(host, ec);
  if (ec) {
    err = "bad --listen address (a numeric IP is needed): " + spec;
    return false;
  }
  if (!addr.is_loopback() && !cfg.allow_non_loopback) {
    err = "refusing to listen on " + host +
          ", which is not loopback (the bridge's pages and /metrics are for Caddy and your "
          "scraper; use --allow-non-loopback to insist)";
    return false;
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    err = "bad port in --listen: " + spec;
    return false;
  }
  tcp::endpoint ep(addr, static_cast<unsigned short>(std::stoul(port)));
  tcp::acceptor a(io);
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    err = "cannot listen on " + spec + ": " + ec.message();
    return false;
  }
  tcp::endpoint real = a.local_endpoint(ec);
  std::string shown = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  shown += ":" + std::to_string(real.port());
  out = std::make_shared<BasicListener<tcp>>(io, b, cfg, std::move(a), shown, "");
  return true;
}

}  // namespace

Server::Server(asio::io_context& io, Bridge& bridge, ServerConfig cfg)
    : io_(io), bridge_(bridge), cfg_(std::move(cfg)) {}

Server::~Server() { stop(); }

bool Server::start(std::string& err) {
  bool ok = cfg_.listen.rfind("unix:", 0) == 0
                ? listen_unix(io_, bridge_, cfg_, cfg_.listen.substr(5), listener_, err)
                : listen_tcp(io_, bridge_, cfg_, cfg_.listen, listener_, err);
  if (ok) listener_->accept();
  return ok;
}

std::string Server::address() const { return listener_ ? listener_->address() : std::string(); }

void Server::stop() {
  if (listener_) {
    listener_->close();
    listener_.reset();
  }
}

}  // namespace gw502::bridge
