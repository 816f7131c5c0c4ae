#include "metrics_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "report/html_report.hpp"

namespace gw502::cli {

bool parse_listen_address(const std::string& spec, ListenAddress& out, std::string& err) {
  out = ListenAddress{};
  std::string port = spec;
  if (!spec.empty() && spec.front() == '[') {  // [IPv6]:PORT
    const size_t close = spec.find("]:");
    if (close == std::string::npos || close == 1) {
      err = "--metrics: cannot read '" + spec + "' as [ADDRESS:]PORT";
      return false;
    }
    out.host = spec.substr(1, close - 1);
    out.host_given = true;
    port = spec.substr(close + 2);
  } else if (const size_t colon = spec.rfind(':'); colon != std::string::npos) {
    if (spec.find(':') != colon) {
      err = "--metrics: write an IPv6 address in brackets, as in [::1]:9502";
      return false;
    }
    if (colon > 0) {
      out.host = spec.substr(0, colon);
      out.host_given = true;
    }
    port = spec.substr(colon + 1);
  }
  const bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
  const long n = digits ? std::stol(port) : 0;
  if (n < 1 || n > 65535) {
    err = "--metrics: '" + spec + "': the port must be a number from 1 to 65535";
    return false;
  }
  out.port = static_cast<uint16_t>(n);
  return true;
}

namespace {

bool is_loopback(const sockaddr* sa) {
  if (sa->sa_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr) >> 24) == 127;
  if (sa->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
  }
  return false;
}

std::string response_for(const std::string& request, const MetricsServer::Pages& pages) {
  const size_t sp = request.find(' ');
  const std::string method = request.substr(0, sp);
  const std::string path =
      sp == std::string::npos ? "" : request.substr(sp + 1, request.find_first_of(" ?\r\n", sp + 1) - sp - 1);
  std::string status = "200 OK", type = "text/plain; version=0.0.4; charset=utf-8", body, extra;
  if (method != "GET" && method != "HEAD") {
    status = "405 Method Not Allowed";
    extra = "Allow: GET, HEAD\r\n";
    body = "GET / or /metrics\n";
  } else if (path == "/metrics") {
    body = pages.metrics();
  } else if (path == "/" && pages.html) {
    // Log text in a page: nothing may load or run but the page's own inline
    // parts, and no browser may guess another type.
    type = "text/html; charset=utf-8";
    extra = "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: " +
            std::string(html_csp()) + "; frame-ancestors 'none'\r\n";
    body = pages.html();
  } else if (path == "/") {
    type = "text/plain; charset=utf-8";
    body = "gw502-logs: Prometheus metrics at /metrics\n";
  } else {
    status = "404 Not Found";
    body = "not found; try / or /metrics\n";
  }
  std::string out = "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "Connection: close\r\n\r\n";
  if (method != "HEAD") out += body;
  return out;
}

}  // namespace

MetricsServer::MetricsServer() : MetricsServer(Limits{}) {}

MetricsServer::MetricsServer(const Limits& limits) : limits_(limits) {}

MetricsServer::~MetricsServer() {
  for (auto& c : conns_) ::close(c.fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool MetricsServer::watch(int fd, uint32_t events, void* tag, int op) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = tag;
  return ::epoll_ctl(epoll_fd_, op, fd, &ev) == 0;
}

bool MetricsServer::listen(const ListenAddress& a, bool& loopback, std::string& err) {
  const std::string where = (a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host) + ":" +
                            std::to_string(a.port);
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  if (int rc = ::getaddrinfo(a.host.c_str(), std::to_string(a.port).c_str(), &hints, &res); rc != 0) {
    err = "--metrics: " + a.host + ": " + gai_strerror(rc);
    return false;
  }
  loopback = is_loopback(res->ai_addr);
  listen_fd_ = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  bool ok = listen_fd_ >= 0 && ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            ::bind(listen_fd_, res->ai_addr, res->ai_addrlen) == 0 && ::listen(listen_fd_, SOMAXCONN) == 0;
  ::freeaddrinfo(res);
  if (ok) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    ok = epoll_fd_ >= 0 && watch(listen_fd_, EPOLLIN, nullptr, EPOLL_CTL_ADD);
  }
  if (!ok) err = "--metrics: cannot listen on " + where + ": " + std::strerror(errno);
  return ok;
}

void MetricsServer::close_conn(Conn& c) {
  ::close(c.fd);  // also leaves the epoll set
  conns_.erase(c.self);
}

bool MetricsServer::evict_oldest_idle() {
  for (auto& c : conns_)
    if (c.out.empty()) {
      close_conn(c);
      return true;
    }
  return false;
}

void MetricsServer::accept_all(int64_t now) {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) && evict_oldest_idle())
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // Out of descriptors with nothing to give back: stop polling the
        // listener for a moment instead of spinning on it.
        watch(listen_fd_, 0, nullptr, EPOLL_CTL_DEL);
        accepting_ = false;
        resume_accept_ = now + 100;
      }
      return;
    }
    if (conns_.size() >= limits_.max_connections && !evict_oldest_idle()) {
      ::close(fd);  // every connection is being answered
      continue;
    }
    Conn& c = conns_.emplace_back();
    c.fd = fd;
    c.deadline = now + limits_.request_ms;
    c.self = std::prev(conns_.end());
    if (!watch(fd, EPOLLIN | EPOLLRDHUP, &c, EPOLL_CTL_ADD)) close_conn(c);
  }
}

bool MetricsServer::step(Conn& c, const Pages& pages, int64_t now) {
  if (c.out.empty()) {
    char b[4096];
    for (;;) {
      ssize_t n = ::recv(c.fd, b, sizeof b, 0);
      if (n == 0) return true;
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return true;
        break;
      }
      c.in.append(b, static_cast<size_t>(n));
      if (c.in.size() > limits_.max_request) return true;
    }
    if (c.in.find("\r\n\r\n") == std::string::npos && c.in.find("\n\n") == std::string::npos) return false;
    c.out = response_for(c.in, pages);
    c.in = std::string();
    c.deadline = now + limits_.response_ms;
    if (!watch(c.fd, EPOLLOUT, &c, EPOLL_CTL_MOD)) return true;
  }
  while (c.sent < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    c.sent += static_cast<size_t>(n);
  }
  ::shutdown(c.fd, SHUT_WR);
  return true;
}

void MetricsServer::serve(const Pages& pages, int64_t now) {
  if (epoll_fd_ < 0) return;
  if (!accepting_ && now >= resume_accept_) {
    accepting_ = watch(listen_fd_, EPOLLIN, nullptr, EPOLL_CTL_ADD);
    if (!accepting_) resume_accept_ = now + 100;
  }
  epoll_event evs[256];
  int n = ::epoll_wait(epoll_fd_, evs, 256, 0);
  bool listener_ready = false;
  for (int i = 0; i < n; ++i) {
    if (!evs[i].data.ptr) {
      listener_ready = true;
      continue;
    }
    Conn& c = *static_cast<Conn*>(evs[i].data.ptr);
    if (step(c, pages, now)) close_conn(c);
  }
  // After the ready connections: a full table evicts the oldest idle ones,
  // not those that just sent their request.
  if (listener_ready && accepting_) accept_all(now);
  if (now >= next_sweep_) {
    next_sweep_ = now + 250;
    for (auto it = conns_.begin(); it != conns_.end();) {
      Conn& c = *it++;
      if (now > c.deadline) close_conn(c);
    }
  }
}

}  // namespace gw502::cli
