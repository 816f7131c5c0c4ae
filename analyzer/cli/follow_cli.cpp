#include "follow_cli.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"
#include "classify/classifier.hpp"
#include "follow/follower.hpp"
#include "report/live_view.hpp"
#include "report/prometheus.hpp"
#include "report/events.hpp"
#include "report/report.hpp"

namespace gw502::cli {
namespace {

constexpr const char* kProg = "gw502-logs";

int64_t mono_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", kProg, msg.c_str(), kProg);
  return 2;
}

void print_problem(const Problem& p) {
  if (p.line)
    std::fprintf(stderr, "%s: %s:%llu: %s\n", kProg, p.source.c_str(),
                 static_cast<unsigned long long>(p.line), p.message.c_str());
  else
    std::fprintf(stderr, "%s: %s: %s\n", kProg, p.source.c_str(), p.message.c_str());
}


// A loopback HTTP/1.1 endpoint for Prometheus: GET /metrics, one response
// per connection, non-blocking, served from the follow loop's thread.
class MetricsServer {
 public:
  ~MetricsServer() {
    for (auto& c : conns_) ::close(c.fd);
    if (fd_ >= 0) ::close(fd_);
  }

  // "9502", ":9502" (both 127.0.0.1), "127.0.0.1:9502", "[::1]:9502", "0.0.0.0:9502".
  bool listen(const std::string& spec, std::string& err) {
    std::string host = "127.0.0.1", port = spec;
    size_t colon = spec.rfind(':');
    if (colon != std::string::npos) {
      host = spec.substr(0, colon);
      port = spec.substr(colon + 1);
      if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      if (host.empty()) host = "127.0.0.1";
    }
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos) {
      err = "--metrics: cannot read '" + spec + "' as [ADDRESS:]PORT";
      return false;
    }
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
      err = "--metrics: " + host + ": " + gai_strerror(rc);
      return false;
    }
    fd_ = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    bool ok = fd_ >= 0 && ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
              ::bind(fd_, res->ai_addr, res->ai_addrlen) == 0 && ::listen(fd_, 16) == 0;
    if (!ok) err = "--metrics: cannot listen on " + spec + ": " + std::strerror(errno);
    ::freeaddrinfo(res);
    return ok;
  }

  void add_fds(std::vector<pollfd>& p) const {
    if (fd_ < 0) return;
    p.push_back({fd_, POLLIN, 0});
    for (auto& c : conns_) p.push_back({c.fd, static_cast<short>(c.out.empty() ? POLLIN : POLLOUT), 0});
  }

  void serve(const std::function<std::string()>& metrics, int64_t now) {
    if (fd_ < 0) return;
    for (;;) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) break;
      if (conns_.size() >= 32) {
        ::close(c);
        continue;
      }
      conns_.push_back({c, {}, {}, 0, now + 10000});
    }
    for (size_t i = 0; i < conns_.size();) {
      if (step(conns_[i], metrics) || now > conns_[i].deadline) {
        ::close(conns_[i].fd);
        conns_.erase(conns_.begin() + static_cast<long>(i));
      } else {
        ++i;
      }
    }
  }

 private:
  struct Conn {
    int fd;
    std::string in, out;
    size_t sent;
    int64_t deadline;
  };

  // Returns true when the connection is done.
  static bool step(Conn& c, const std::function<std::string()>& metrics) {
    if (c.out.empty()) {
      char b[4096];
      ssize_t n = ::recv(c.fd, b, sizeof b, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
      if (n > 0) c.in.append(b, static_cast<size_t>(n));
      if (c.in.size() > 16384) return true;
      if (c.in.find("\r\n\r\n") == std::string::npos && c.in.find("\n\n") == std::string::npos) return false;
      std::string method = c.in.substr(0, c.in.find(' '));
      size_t p = c.in.find(' ');
      std::string path = p == std::string::npos ? "" : c.in.substr(p + 1, c.in.find_first_of(" ?\r\n", p + 1) - p - 1);
      std::string status = "200 OK", type = "text/plain; version=0.0.4; charset=utf-8", body;
      if (method != "GET" && method != "HEAD") {
        status = "405 Method Not Allowed";
        body = "GET /metrics\n";
      } else if (path == "/metrics") {
        body = metrics();
      } else if (path == "/") {
        type = "text/plain; charset=utf-8";
        body = "gw502-logs: Prometheus metrics at /metrics\n";
      } else {
        status = "404 Not Found";
        body = "not found; try /metrics\n";
      }
      c.out = "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
              "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
      if (method != "HEAD") c.out += body;
    }
    while (c.sent < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0) return errno != EAGAIN && errno != EINTR;
      c.sent += static_cast<size_t>(n);
    }
    ::shutdown(c.fd, SHUT_WR);
    return true;
  }

  int fd_ = -1;
  std::vector<Conn> conns_;
};

void terminal_size(size_t& rows, size_t& cols) {
  winsize ws{};
  rows = 24;
  cols = 80;
  if (::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
    rows = ws.ws_row;
    cols = ws.ws_col;
  }
}

}  // namespace

int run_follow(const Options& opt) {
  if (opt.list_causes || opt.list_rules || !opt.explain.empty())
    return usage_error("--follow cannot be combined with --list-causes, --list-rules or --explain");
  std::string err;
  Catalogue cat;
  if (!cat.load(opt.patterns, err)) {
    std::fprintf(stderr, "%s: %s\n", kProg, err.c_str());
    return 2;
  }
  ScanOptions scan_opt;
  const int64_t start_time = static_cast<int64_t>(std::time(nullptr));
  if (!opt.since.empty() && !parse_when(opt.since, start_time, scan_opt.since))
    return usage_error("--since: cannot read '" + opt.since + "' as a time");
  if (!opt.until.empty() && !parse_when(opt.until, start_time, scan_opt.until))
    return usage_error("--until: cannot read '" + opt.until + "' as a time");
  FollowOptions fo;
  fo.from_start = opt.from_start;
  fo.force_proxy = opt.proxy != "auto" && parse_proxy(opt.proxy, fo.proxy);
  std::vector<std::string> inputs = opt.inputs;
  if (inputs.empty()) {
    if (isatty(0)) return usage_error("no input: name log files, or pipe logs into '-'");
    inputs.emplace_back("-");
  }
  Classifier cls(cat);
  if (!cls.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProg, cls.error().c_str());
    return 2;
  }

  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &sigs, nullptr);
  const int sig_fd = ::signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sig_fd < 0) {
    std::fprintf(stderr, "%s: signalfd: %s\n", kProg, std::strerror(errno));
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);

  Aggregator agg;
  bool events_pending = false;
  NdjsonEvents events(cat, [&events_pending](std::string_view s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
    events_pending = true;
  });
  Follower follower(cls, agg, scan_opt, fo, opt.events ? &events : nullptr);
  if (!follower.start(inputs, err)) {
    std::fprintf(stderr, "%s: %s\n", kProg, err.c_str());
    return 2;
  }
  MetricsServer server;
  if (!opt.metrics.empty() && !server.listen(opt.metrics, err)) {
    std::fprintf(stderr, "%s: %s\n", kProg, err.c_str());
    return 2;
  }

  const bool live = !opt.events && isatty(1);
  const int64_t interval_ms = live || opt.events ? 0 : (opt.interval >= 0 ? opt.interval : 60) * int64_t{1000};
  const char* term = std::getenv("TERM");
  const bool color = opt.color == "always" || (opt.color == "auto" && isatty(1) && !std::getenv("NO_COLOR") &&
                                                !(term && std::string(term) == "dumb"));
  auto lines_read = [&] {
    uint64_t n = 0;
    for (auto& s : follower.stats()) n += s.lines;
    return n;
  };
  auto metrics = [&] {
    MetricsInput in;
    in.sources = &follower.sources();
    in.stats = &follower.stats();
    in.counters = &follower.counters();
    in.open_files = follower.open_files();
    in.problems = follower.problems().size();
    in.start_time = start_time;
    return render_prometheus(cat, agg, in);
  };
  RateTracker rates;
  auto view = [&](bool screen) {
    LiveView v;
    if (screen)
      terminal_size(v.rows, v.cols);
    else
      v.rows = 30;  // --interval summaries: the busiest groups; the final report has them all
    v.color = screen && color;
    v.files = follower.open_files();
    v.lines = lines_read();
    v.problems = follower.problems().size();
    v.wall = static_cast<int64_t>(std::time(nullptr));
    return render_live(cat, agg, rates, v);
  };
  size_t problems_shown = 0, warnings_shown = 0;
  auto show_notes = [&] {
    for (; warnings_shown < follower.warnings().size(); ++warnings_shown)
      print_problem(follower.warnings()[warnings_shown]);
    for (; problems_shown < follower.problems().size(); ++problems_shown)
      print_problem(follower.problems()[problems_shown]);
  };
  show_notes();  // "does not exist yet": before the live view hides the terminal's text
  if (live) std::fputs("\x1b[?1049h\x1b[?25l", stdout);  // the alternate screen, no cursor

  auto redraw = [&] {
    const std::string s = view(true);
    std::string screen = "\x1b[H";  // home, each line cleared to its end, the rest cleared
    for (size_t a = 0, b; (b = s.find('\n', a)) != std::string::npos; a = b + 1)
      screen.append(s, a, b - a).append("\x1b[K\n");
    screen += "\x1b[J";
    std::fputs(screen.c_str(), stdout);
    std::fflush(stdout);
  };
  const int64_t t0 = mono_ms();
  int64_t next_tick = t0 + 1000, next_summary = interval_ms ? t0 + interval_ms : INT64_MAX;
  bool more = follower.pump(true), stop = false, broken = false;
  rates.update(agg, lines_read(), t0 / 1000, static_cast<int64_t>(std::time(nullptr)));
  if (live) redraw();
  std::vector<pollfd> pfds;
  while (!stop) {
    if (opt.events && events_pending) {
      events_pending = false;
      if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        broken = true;  // the reader went away
        break;
      }
    }
    if (!live) show_notes();
    if (follower.finished()) break;
    pfds.clear();
    pfds.push_back({sig_fd, POLLIN, 0});
    for (int fd : follower.fds()) pfds.push_back({fd, POLLIN, 0});
    server.add_fds(pfds);
    int64_t now = mono_ms();
    int64_t wake = std::min(next_tick, next_summary);
    ::poll(pfds.data(), pfds.size(), more ? 0 : static_cast<int>(std::max<int64_t>(0, wake - now)));
    signalfd_siginfo si;
    if (::read(sig_fd, &si, sizeof si) > 0) stop = true;
    now = mono_ms();
    const bool tick = now >= next_tick;
    if (tick) {
      next_tick += 1000;
      if (next_tick <= now) next_tick = now + 1000;
    }
    more = follower.pump(tick);
    server.serve(metrics, now);
    if (tick) {
      rates.update(agg, lines_read(), now / 1000, static_cast<int64_t>(std::time(nullptr)));
      if (live) redraw();
    }
    if (now >= next_summary) {
      next_summary += interval_ms;
      if (next_summary <= now) next_summary = now + interval_ms;
      std::string s = opt.format == "json"
                          ? render_json(cat, agg, RunSummary{follower.sources(), follower.stats(), follower.problems()})
                          : view(false) + "\n";
      std::fputs(s.c_str(), stdout);
      if (std::fflush(stdout) != 0) {
        broken = true;
        break;
      }
    }
  }
  // A second signal ends the process at once.
  ::sigprocmask(SIG_UNBLOCK, &sigs, nullptr);
  if (!broken) {  // what was written up to now; bounded, in case a writer outpaces us
    const int64_t until = mono_ms() + 2000;
    while (follower.pump(true) && mono_ms() < until) {
    }
  }
  if (live) std::fputs("\x1b[?25h\x1b[?1049l", stdout);
  std::fflush(stdout);
  if (broken) return 2;
  show_notes();

  RunSummary run{follower.sources(), follower.stats(), follower.problems()};
  if (!opt.events) {
    std::string s;
    if (opt.format == "json") {
      s = render_json(cat, agg, run);
    } else {
      ReportOptions ro;
      ro.color = color;
      s = render_text(cat, agg, run, ro);
    }
    std::fwrite(s.data(), 1, s.size(), stdout);
  }
  std::fflush(stdout);
  if (!run.problems.empty()) return 2;
  return upstream_failures(agg, cat) > 0 ? 1 : 0;
}

}  // namespace gw502::cli
