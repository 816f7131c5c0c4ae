#include "follow_cli.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "classify/classifier.hpp"
#include "follow/follower.hpp"
#include "metrics_server.hpp"
#include "report/events.hpp"
#include "report/html_report.hpp"
#include "report/live_view.hpp"
#include "report/prometheus.hpp"
#include "terminal_text.hpp"

namespace gw502::cli {
namespace {

int64_t mono_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

bool fail(const std::string& msg) {
  print_error(msg);
  return false;
}

void terminal_size(size_t& rows, size_t& cols) {
  winsize ws{};
  rows = 24;
  cols = 80;
  if (::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
    rows = ws.ws_row;
    cols = ws.ws_col;
  }
}

class FollowRun {
 public:
  explicit FollowRun(const RunConfig& cfg)
      : cfg_(cfg), cls_(cfg.catalogue), events_(cfg.catalogue, [this](std::string_view s) {
          std::fwrite(s.data(), 1, s.size(), stdout);
          events_pending_ = true;
        }) {}
  ~FollowRun() {
    if (sig_fd_ >= 0) ::close(sig_fd_);
  }

  int run() {
    if (!setup()) return 2;
    loop();
    return finish();
  }

 private:
  bool setup();
  void loop();
  int finish();

  bool flush_events();
  void show_notes();
  void redraw();
  std::string view(bool screen);
  std::string metrics_text();
  std::string html_page();
  uint64_t lines_read() const;

  const RunConfig& cfg_;
  Classifier cls_;
  Aggregator agg_;
  NdjsonEvents events_;
  std::unique_ptr<Follower> follower_;
  MetricsServer server_;
  RateTracker rates_;
  sigset_t sigs_{};
  int sig_fd_ = -1;
  bool live_ = false;          // the live table on a terminal
  int64_t interval_ms_ = 0;    // summaries; 0: none
  bool events_pending_ = false;
  bool broken_ = false;        // stdout's reader went away
  size_t problems_shown_ = 0, warnings_shown_ = 0;
};

// Classifier, signals, the metrics socket (before the files take the
// descriptors), then the follower.
bool FollowRun::setup() {
  if (!cls_.ok()) return fail(cls_.error());
  sigemptyset(&sigs_);
  sigaddset(&sigs_, SIGINT);
  sigaddset(&sigs_, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &sigs_, nullptr);
  sig_fd_ = ::signalfd(-1, &sigs_, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sig_fd_ < 0) return fail(std::string("signalfd: ") + std::strerror(errno));
  ::signal(SIGPIPE, SIG_IGN);

  std::string err;
  if (cfg_.metrics) {
    bool loopback = true;
    if (!server_.listen(*cfg_.metrics, loopback, err)) return fail(err);
    if (!loopback)
      print_error("--metrics: serving on " + cfg_.metrics->host + ":" + std::to_string(cfg_.metrics->port) +
                  ", reachable from other hosts (the metrics name hosts, upstreams and files; the page at / shows log lines too)");
  }
  FollowOptions fo;
  fo.from_start = cfg_.from_start;
  fo.force_proxy = cfg_.proxy.has_value();
  if (cfg_.proxy) fo.proxy = *cfg_.proxy;
  follower_ = std::make_unique<Follower>(cls_, agg_, cfg_.scan, fo, cfg_.events ? &events_ : nullptr);
  if (!follower_->start(cfg_.inputs, err)) return fail(err);

  live_ = !cfg_.events && isatty(1);
  interval_ms_ = live_ || cfg_.events ? 0 : (cfg_.interval_s >= 0 ? cfg_.interval_s : 60) * int64_t{1000};
  show_notes();  // "does not exist yet": before the live view hides the terminal's text
  if (live_) std::fputs("\x1b[?1049h\x1b[?25l", stdout);  // the alternate screen, no cursor
  return true;
}

// Until a signal, the end of followed stdin, or a reader that went away.
void FollowRun::loop() {
  const int64_t t0 = mono_ms();
  int64_t next_tick = t0 + 1000, next_summary = interval_ms_ ? t0 + interval_ms_ : INT64_MAX;
  bool more = follower_->pump(true);
  rates_.update(agg_, lines_read(), t0 / 1000, static_cast<int64_t>(std::time(nullptr)));
  if (live_) redraw();
  std::vector<pollfd> pfds;
  for (;;) {
    if (!flush_events()) return;
    if (!live_) show_notes();
    if (follower_->finished()) return;
    pfds.clear();
    pfds.push_back({sig_fd_, POLLIN, 0});
    for (int fd : follower_->fds()) pfds.push_back({fd, POLLIN, 0});
    if (server_.fd() >= 0) pfds.push_back({server_.fd(), POLLIN, 0});
    int64_t now = mono_ms();
    const int64_t wake = std::min(next_tick, next_summary);
    ::poll(pfds.data(), pfds.size(), more ? 0 : static_cast<int>(std::max<int64_t>(0, wake - now)));
    signalfd_siginfo si;
    const bool stop = ::read(sig_fd_, &si, sizeof si) > 0;
    now = mono_ms();
    const bool tick = now >= next_tick;
    if (tick) {
      next_tick += 1000;
      if (next_tick <= now) next_tick = now + 1000;
    }
    more = follower_->pump(tick);
    server_.serve({[this] { return metrics_text(); }, [this] { return html_page(); }}, now);
    if (tick) {
      rates_.update(agg_, lines_read(), now / 1000, static_cast<int64_t>(std::time(nullptr)));
      if (live_) redraw();
    }
    if (now >= next_summary) {
      next_summary += interval_ms_;
      if (next_summary <= now) next_summary = now + interval_ms_;
      const std::string s =
          cfg_.format == Format::json
              ? render_json(cfg_.catalogue, agg_,
                            RunSummary{follower_->sources(), follower_->stats(), follower_->problems(),
                                       follower_->counters().lost_bytes, follower_->counters().lost_files})
              : view(false) + "\n";
      std::fputs(s.c_str(), stdout);
      if (std::fflush(stdout) != 0) {
        broken_ = true;
        return;
      }
    }
    if (stop) return;
  }
}

// What was written up to the stop, the notes, the final report, the status.
int FollowRun::finish() {
  // A second signal ends the process at once.
  ::sigprocmask(SIG_UNBLOCK, &sigs_, nullptr);
  if (!broken_) {  // bounded, in case a writer outpaces us
    const int64_t until = mono_ms() + 2000;
    while (follower_->pump(true) && mono_ms() < until) {
    }
  }
  if (live_) std::fputs("\x1b[?25h\x1b[?1049l", stdout);
  std::fflush(stdout);
  if (broken_) return 2;
  show_notes();
  RunSummary run{follower_->sources(), follower_->stats(), follower_->problems(),
                 follower_->counters().lost_bytes, follower_->counters().lost_files};
  if (!write_report(cfg_, final_report(cfg_, agg_, run))) return 2;
  std::fflush(stdout);
  return exit_status(cfg_, agg_, run.problems);
}

bool FollowRun::flush_events() {
  if (!cfg_.events || !events_pending_) return true;
  events_pending_ = false;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) broken_ = true;
  return !broken_;
}

void FollowRun::show_notes() {
  for (; warnings_shown_ < follower_->warnings().size(); ++warnings_shown_)
    print_problem(follower_->warnings()[warnings_shown_]);
  for (; problems_shown_ < follower_->problems().size(); ++problems_shown_)
    print_problem(follower_->problems()[problems_shown_]);
}

uint64_t FollowRun::lines_read() const {
  uint64_t n = 0;
  for (auto& s : follower_->stats()) n += s.lines;
  return n;
}

std::string FollowRun::metrics_text() {
  MetricsInput in;
  in.sources = &follower_->sources();
  in.stats = &follower_->stats();
  in.counters = &follower_->counters();
  in.open_files = follower_->open_files();
  in.problems = follower_->problems().size();
  in.start_time = cfg_.start_time;
  return render_prometheus(cfg_.catalogue, agg_, in);
}

// The live page at / : the HTML report of what was counted so far.
std::string FollowRun::html_page() {
  HtmlPage page;
  page.refresh_s = 5;
  page.now = static_cast<int64_t>(std::time(nullptr));
  return render_html(cfg_.catalogue, agg_, RunSummary{follower_->sources(), follower_->stats(), follower_->problems()},
                     cfg_.report, page);
}

std::string FollowRun::view(bool screen) {
  LiveView v;
  if (screen)
    terminal_size(v.rows, v.cols);
  else
    v.rows = 30;  // --interval summaries: the busiest groups; the final report has them all
  v.color = screen && cfg_.color;
  v.files = follower_->open_files();
  v.lines = lines_read();
  v.problems = follower_->problems().size();
  v.lost_bytes = follower_->counters().lost_bytes;
  v.wall = static_cast<int64_t>(std::time(nullptr));
  return mask_c1_bidi(render_live(cfg_.catalogue, agg_, rates_, v));
}

void FollowRun::redraw() {
  const std::string s = view(true);
  std::string screen = "\x1b[H";  // home, each line cleared to its end, the rest cleared
  for (size_t a = 0, b; (b = s.find('\n', a)) != std::string::npos; a = b + 1)
    screen.append(s, a, b - a).append("\x1b[K\n");
  screen += "\x1b[J";
  std::fputs(screen.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

int run_follow(const RunConfig& cfg) {
  FollowRun r(cfg);
  return r.run();
}

}  // namespace gw502::cli
