#include "docker/engine.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>

#include "base/strutil.hpp"

namespace gw502::docker {
namespace {

constexpr size_t kMaxAnswer = size_t{512} << 20;  // logs of a chatty proxy, bounded

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_hex(std::string_view s, size_t& out) {
  s = trim(s.substr(0, s.find(';')));  // chunk extensions
  if (s.empty() || s.size() > 15) return false;
  out = 0;
  for (char c : s) {
    int v = (c >= '0' && c <= '9') ? c - '0' : (lower(c) >= 'a' && lower(c) <= 'f') ? lower(c) - 'a' + 10 : -1;
    if (v < 0) return false;
    out = out * 16 + size_t(v);
  }
  return true;
}

bool dechunk(std::string_view in, std::string& out, std::string& err) {
  out.clear();
  size_t pos = 0;
  for (;;) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      // Cut before the last chunk: keep what came (the daemon closed early).
      return true;
    }
    size_t n = 0;
    if (!parse_hex(in.substr(pos, eol - pos), n)) {
      err = "malformed chunked answer from the Docker daemon";
      return false;
    }
    pos = eol + 2;
    if (n == 0) return true;
    if (pos + n > in.size()) {
      out.append(in.substr(pos));
      return true;
    }
    out.append(in.substr(pos, n));
    pos += n + 2;
    if (pos > in.size()) return true;
  }
}

// The daemon's {"message":"..."} without a JSON parser (one field).
std::string error_message(std::string_view body) {
  size_t k = body.find("\"message\"");
  if (k == std::string_view::npos) return std::string(trim(body.substr(0, 200)));
  k = body.find('"', body.find(':', k) + 1);
  if (k == std::string_view::npos) return {};
  std::string out;
  for (size_t i = k + 1; i < body.size() && body[i] != '"'; ++i) {
    if (body[i] == '\\' && i + 1 < body.size()) ++i;
    out += body[i];
  }
  return out;
}

std::string url_escape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, int(left));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

}  // namespace

bool parse_http_answer(std::string_view raw, HttpAnswer& out, std::string& err) {
  out = HttpAnswer{};
  size_t head_end = raw.find("\r\n\r\n");
  if (!starts_with(raw, "HTTP/1.") || head_end == std::string_view::npos) {
    err = raw.empty() ? "the Docker daemon closed the connection without an answer"
                      : "not an HTTP answer from the Docker socket";
    return false;
  }
  std::string_view head = raw.substr(0, head_end);
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  size_t sp = status_line.find(' ');
  if (sp == std::string_view::npos || sp + 4 > status_line.size()) {
    err = "malformed HTTP status line from the Docker socket";
    return false;
  }
  out.status = 0;
  for (char c : status_line.substr(sp + 1, 3)) {
    if (c < '0' || c > '9') {
      err = "malformed HTTP status line from the Docker socket";
      return false;
    }
    out.status = out.status * 10 + (c - '0');
  }
  bool chunked = false;
  long length = -1;
  size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string_view::npos) e = head.size();
    std::string_view line = head.substr(pos, e - pos);
    pos = e + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (iequals(name, "transfer-encoding") && value.find("chunked") != std::string_view::npos) chunked = true;
    if (iequals(name, "content-length")) {
      length = 0;
      for (char c : value) {
        if (c < '0' || c > '9') break;
        length = length * 10 + (c - '0');
      }
    }
    if (iequals(name, "content-type")) out.content_type = std::string(value);
  }
  std::string_view body = raw.substr(head_end + 4);
  if (chunked) return dechunk(body, out.body, err);
  if (length >= 0 && size_t(length) < body.size()) body = body.substr(0, size_t(length));
  out.body.assign(body);
  return true;
}

std::string demux_log_stream(std::string_view raw) {
  auto is_header = [&](size_t p) {
    return p + 8 <= raw.size() && (raw[p] == 0 || raw[p] == 1 || raw[p] == 2) && raw[p + 1] == 0 &&
           raw[p + 2] == 0 && raw[p + 3] == 0;
  };
  if (raw.empty() || !is_header(0)) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  size_t pos = 0;
  while (pos < raw.size()) {
    if (!is_header(pos)) {  // out of step: keep the rest as it is
      out.append(raw.substr(pos));
      break;
    }
    auto b = [&](size_t i) { return uint32_t(static_cast<unsigned char>(raw[pos + i])); };
    size_t n = (b(4) << 24) | (b(5) << 16) | (b(6) << 8) | b(7);
    pos += 8;
    out.append(raw.substr(pos, n));
    pos += n;
  }
  return out;
}

bool socket_from_docker_host(const char* docker_host, std::string& path, std::string& err) {
  std::string_view h = docker_host ? std::string_view(docker_host) : std::string_view();
  if (h.empty()) {
    path = "/var/run/docker.sock";
    return true;
  }
  if (starts_with(h, "unix://")) {
    path = std::string(h.substr(7));
    if (path.empty()) {
      err = "DOCKER_HOST=unix:// names no socket";
      return false;
    }
    return true;
  }
  if (h.front() == '/') {  // a bare path, as some setups write it
    path = std::string(h);
    return true;
  }
  err = "DOCKER_HOST=" + std::string(h) +
        ": only unix:// sockets are supported (run on the Docker host, or unset DOCKER_HOST)";
  return false;
}

bool Engine::get(std::string_view path, HttpAnswer& out, std::string& err) const {
  sockaddr_un addr{};
  if (socket_.size() >= sizeof(addr.sun_path)) {
    err = socket_ + ": socket path too long";
    return false;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_.c_str(), socket_.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    err = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int e = errno;
    if (e == ENOENT)
      err = "cannot reach the Docker daemon: " + socket_ +
            " does not exist (is dockerd running? DOCKER_HOST=unix://PATH names another socket)";
    else if (e == EACCES || e == EPERM)
      err = "permission denied on " + socket_ + ": run as root or as a member of the docker group";
    else if (e == ECONNREFUSED)
      err = "cannot reach the Docker daemon: nothing accepts connections on " + socket_ +
            " (dockerd stopped?)";
    else if (e == ENOTSOCK)
      err = socket_ + " is not a socket";
    else
      err = "cannot reach the Docker daemon at " + socket_ + ": " + std::strerror(e);
    return false;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
  std::string req = "GET " + std::string(path) +
                    " HTTP/1.1\r\nHost: docker\r\nUser-Agent: gw502-logs\r\nAccept: */*\r\n"
                    "Connection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < req.size()) {
    if (!wait_for(fd.get(), POLLOUT, deadline)) {
      err = "the Docker daemon did not take the request in time";
      return false;
    }
    ssize_t n = ::send(fd.get(), req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      err = std::string("writing to the Docker socket: ") + std::strerror(errno);
      return false;
    }
    sent += size_t(n);
  }
  std::string raw;
  char buf[65536];
  for (;;) {
    if (!wait_for(fd.get(), POLLIN, deadline)) {
      err = "the Docker daemon did not answer GET " + std::string(path.substr(0, path.find('?'))) +
            " in time";
      return false;
    }
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      err = std::string("reading from the Docker socket: ") + std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    raw.append(buf, size_t(n));
    if (raw.size() > kMaxAnswer) {
      err = "the Docker daemon's answer is over 512 MiB";
      return false;
    }
  }
  if (!parse_http_answer(raw, out, err)) return false;
  if (out.status < 200 || out.status > 299) {
    std::string msg = error_message(out.body);
    err = "Docker daemon: GET " + std::string(path.substr(0, path.find('?'))) + ": " +
          std::to_string(out.status) + (msg.empty() ? "" : " " + msg);
    return false;
  }
  return true;
}

bool Engine::get_body(std::string_view path, std::string& body, std::string& err) const {
  HttpAnswer a;
  if (!get(path, a, err)) return false;
  body = std::move(a.body);
  return true;
}

bool Engine::version(std::string& json, std::string& err) const { return get_body("/version", json, err); }

bool Engine::containers(std::string& json, std::string& err) const {
  return get_body("/containers/json?all=1", json, err);
}

bool Engine::inspect(std::string_view id, std::string& json, std::string& err) const {
  return get_body("/containers/" + url_escape(id) + "/json", json, err);
}

bool Engine::networks(std::string& json, std::string& err) const { return get_body("/networks", json, err); }

bool Engine::logs(std::string_view id, int64_t since, unsigned tail, bool tty, std::string& text,
                  std::string& err) const {
  std::string path = "/containers/" + url_escape(id) + "/logs?stdout=1&stderr=1&timestamps=1";
  if (since > 0) path += "&since=" + std::to_string(since);
  if (tail > 0) path += "&tail=" + std::to_string(tail);
  HttpAnswer a;
  if (!get(path, a, err)) return false;
  bool raw_stream = tty || a.content_type.find("raw-stream") != std::string::npos;
  text = raw_stream ? std::move(a.body) : demux_log_stream(a.body);
  return true;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

// The interface of the IPv4 default route (/proc/net/route), "" when none.
std::string default_route_interface() {
  FILE* f = std::fopen("/proc/net/route", "r");
  if (!f) return {};
  char line[512];
  std::string out;
  while (out.empty() && std::fgets(line, sizeof line, f)) {
    char iface[64], dest[16];
    if (std::sscanf(line, "%63s %15s", iface, dest) == 2 && std::strcmp(dest, "00000000") == 0) out = iface;
  }
  std::fclose(f);
  return out;
}

std::vector<std::string> host_addresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  const std::string lan = default_route_interface();
  size_t first = 0;  // the default route's interface's addresses go first: the LAN's
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
      ::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) continue;
      ::inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    } else {
      continue;
    }
    if (!lan.empty() && a->ifa_name && lan == a->ifa_name)
      out.insert(out.begin() + static_cast<long>(first++), buf);
    else
      out.emplace_back(buf);
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace gw502::docker
