// Follower: rotation by rename and by copytruncate, deletion, globs, partial
// and over-long lines; the live view's rates; the Prometheus rendering.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "classify/classifier.hpp"
#include "follow/follower.hpp"
#include "report/live_view.hpp"
#include "helpers.hpp"
#include "report/prometheus.hpp"
#include "scan/source_info.hpp"

using namespace gw502;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/gw502_follow_XXXXXX";
    REQUIRE(::mkdtemp(t));
    path = t;
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string operator/(const std::string& n) const { return path + "/" + n; }
};

void append(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::app | std::ios::binary);
  f << text;
}

std::string failure(int id) { return test::refused_line("http://172.18.0.5:3000/", ("h" + std::to_string(id)).c_str()) + "\n"; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void set_mtime(const std::string& path, time_t t) {
  timeval tv[2] = {{t, 0}, {t, 0}};
  REQUIRE(::utimes(path.c_str(), tv) == 0);
}

ino_t inode_of(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

bool warned(const Follower& f, const std::string& text) {
  for (auto& w : f.warnings())
    if (w.message.find(text) != std::string::npos) return true;
  return false;
}

std::string noise(int i) { return "2024/01/15 10:23:45 [notice] 1#1: ordinary line " + std::to_string(i) + "\n"; }

// Collects events: host id ("h12" -> 12) -> times seen, line number and source.
struct Events final : EventSink {
  std::map<int, int> seen;
  std::map<int, uint64_t> line;
  std::map<int, std::string> source;
  void on_event(const SourceInfo& src, uint64_t n, const Event&, int, int, std::string_view host) override {
    REQUIRE(host.size() > 1);
    REQUIRE(host[0] == 'h');
    int id = std::atoi(std::string(host.substr(1)).c_str());
    ++seen[id];
    line[id] = n;
    source[id] = src.name;
  }
  bool once(int from, int to) const {  // every id in [from, to) exactly once
    bool ok = true;
    for (int i = from; i < to; ++i) {
      auto it = seen.find(i);
      if (it == seen.end() || it->second != 1) {
        UNSCOPED_INFO("id " << i << " seen " << (it == seen.end() ? 0 : it->second) << " times");
        ok = false;
      }
    }
    return ok;
  }
};

struct Run {
  Catalogue cat = test::mini_catalogue();
  Classifier cls{cat};
  Aggregator agg;
  Events ev;
  ScanOptions opt;
  FollowOptions fo;
  std::unique_ptr<Follower> f;
  explicit Run(bool from_start = false, size_t max_line = 1 << 20) {
    fo.from_start = from_start;
    fo.retire_ms = 300;
    opt.max_line = max_line;
  }
  void start(std::vector<std::string> specs) {
    f = std::make_unique<Follower>(cls, agg, opt, fo, &ev);
    std::string err;
    REQUIRE(f->start(specs, err));
    pump();
  }
  void pump(bool tick = false) {
    while (f->pump(tick)) {
    }
  }
};

}  // namespace

TEST_CASE("follow starts at the end, counts existing lines, waits for partial lines", "[follow]") {
  TempDir d;
  const std::string log = d / "error.log";
  append(log, failure(1) + noise(2) + failure(3).substr(0, 40));  // a line being written at start
  Run run;
  run.start({log});
  CHECK(run.ev.seen.empty());
  append(log, failure(3).substr(40));
  run.pump();
  CHECK(run.ev.once(3, 4));
  CHECK(run.ev.line[3] == 3);
  append(log, noise(4) + failure(5).substr(0, 10));
  run.pump();
  CHECK(run.ev.seen.count(5) == 0);
  append(log, failure(5).substr(10));
  run.pump();
  CHECK(run.ev.once(3, 4));
  CHECK(run.ev.once(5, 6));
  CHECK(run.ev.line[5] == 5);
  CHECK(run.ev.seen.count(1) == 0);
  CHECK(run.f->stats()[0].lines == 3);
}

TEST_CASE("from_start reads what is there first", "[follow]") {
  TempDir d;
  const std::string log = d / "error.log";
  append(log, failure(1) + noise(2));
  Run run(true);
  run.start({log});
  CHECK(run.ev.once(1, 2));
  append(log, failure(3));
  run.pump();
  CHECK(run.ev.once(3, 4));
  CHECK(run.ev.line[3] == 3);
}

TEST_CASE("rename rotation: the old file is read to its end, the new one from 0", "[follow]") {
  TempDir d;
  const std::string log = d / "error.log";
  append(log, noise(0));
  Run run;
  run.start({log});
  append(log, failure(1));
  int old_fd = ::open(log.c_str(), O_WRONLY | O_APPEND);
  REQUIRE(old_fd >= 0);
  REQUIRE(::rename(log.c_str(), (d / "error.log.1").c_str()) == 0);
  std::string late = failure(2);  // the writer has not reopened yet
  REQUIRE(::write(old_fd, late.data(), late.size()) == static_cast<ssize_t>(late.size()));
  append(log, failure(3) + failure(4));
  run.pump();
  late = failure(5);  // still later, after the new file was picked up
  REQUIRE(::write(old_fd, late.data(), late.size()) == static_cast<ssize_t>(late.size()));
  ::close(old_fd);
  run.pump();
  CHECK(run.ev.once(1, 6));
  CHECK(run.ev.line[3] == 1);  // numbering restarts in the new file
  CHECK(run.ev.line[4] == 2);
  CHECK(run.ev.line[5] == 4);
  CHECK(run.f->counters().rotations == 1);
  CHECK(run.f->open_files() == 2);
  ::usleep(350 * 1000);
  run.pump(true);  // idle for retire_ms: the rotated file is closed
  CHECK(run.f->open_files() == 1);
  append(log, failure(6));
  run.pump();
  CHECK(run.ev.once(1, 7));
}

TEST_CASE("copytruncate: lines not yet read are taken from the copy", "[follow]") {
  TempDir d;
  const std::string log = d / "error.log";
  append(log, noise(0));
  Run run;
  run.start({log});
  append(log, failure(1));
  run.pump();
  append(log, failure(2) + noise(3) + failure(4));  // not read before the rotation
  std::ifstream in(log, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  append(d / "error.log.1", all);
  REQUIRE(::truncate(log.c_str(), 0) == 0);
  append(log, failure(5) + failure(6) + failure(7) + failure(8));  // longer than before: size alone would not tell
  run.pump();
  CHECK(run.ev.once(1, 3));
  CHECK(run.ev.once(4, 9));
  CHECK(run.ev.seen.size() == 7);
  CHECK(run.ev.line[5] == 1);
  CHECK(run.f->counters().truncations == 1);
  CHECK(run.f->counters().recovered_bytes > 0);
}

TEST_CASE("a glob matching rotated names does not read a copytruncate copy twice", "[follow]") {
  TempDir d;
  const std::string log = d / "error.log";
  append(log, noise(0));
  append(d / "error.log.1", noise(0));
  Run run;
  run.start({d / "error.log*"});
  append(log, failure(1));
  run.pump();
  append(log, failure(2));
  std::ifstream in(log, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(::rename((d / "error.log.1").c_str(), (d / "error.log.2").c_str()) == 0);
  append(d / "error.log.1", all);
  REQUIRE(::truncate(log.c_str(), 0) == 0);
  append(log, failure(3));
  run.pump(true);
  CHECK(run.ev.once(1, 4));
  CHECK(run.ev.seen.size() == 3);
}

TEST_CASE("truncation without a copy restarts at 0", "[follow]") {
  TempDir d;
  const std::string log = d / "error.log";
  Run run;
  run.start({log});
  append(log, failure(1) + noise(2));
  run.pump();
  REQUIRE(::truncate(log.c_str(), 0) == 0);
  run.pump();
  append(log, failure(3));
  run.pump();
  CHECK(run.ev.once(1, 2));
  CHECK(run.ev.once(3, 4));
  CHECK(run.ev.line[3] == 1);
}

TEST_CASE("a deleted and re-created file, a missing file, new files of a glob", "[follow]") {
  TempDir d;
  const std::string log = d / "proxy-host-1_error.log";
  append(log, noise(0));
  Run run;
  run.start({d / "proxy-host-*_error.log", d / "later.log"});
  CHECK(run.f->warnings().size() == 1);  // later.log: waiting for it
  append(log, failure(1));
  run.pump();
  REQUIRE(::unlink(log.c_str()) == 0);
  append(log, failure(2));
  append(d / "proxy-host-7_error.log", failure(3));
  append(d / "proxy-host-1_error.log.1", failure(4));  // a rotated name: not followed
  append(d / "later.log", failure(5));
  run.pump();
  CHECK(run.ev.once(1, 4));
  CHECK(run.ev.once(5, 6));
  CHECK(run.ev.seen.count(4) == 0);
  CHECK(run.ev.source[3] == d / "proxy-host-7_error.log");
  bool npm7 = false;
  for (auto& s : run.f->sources()) npm7 = npm7 || (s.site == "proxy-host-7" && s.proxy == ProxyKind::npm);
  CHECK(npm7);
}

TEST_CASE("a directory that appears later is watched on the next tick", "[follow]") {
  TempDir d;
  const std::string log = d / "sub/error.log";
  Run run;
  run.start({log});
  REQUIRE(::mkdir((d / "sub").c_str(), 0755) == 0);
  append(log, failure(1));
  run.pump(true);
  append(log, failure(2));
  run.pump();
  CHECK(run.ev.once(1, 3));
}

TEST_CASE("an over-long line is reported and skipped, the next lines are read", "[follow]") {
  TempDir d;
  const std::string log = d / "error.log";
  Run run(false, 4096);
  run.start({log});
  append(log, failure(1) + std::string(10000, 'x'));
  run.pump();
  append(log, std::string(3000, 'y') + "\n" + failure(2));
  run.pump();
  CHECK(run.ev.once(1, 3));
  CHECK(run.ev.line[2] == 3);
  REQUIRE(run.f->problems().size() == 1);
  CHECK(run.f->problems()[0].line == 2);
}

TEST_CASE("many rotations of both kinds lose and double nothing", "[follow]") {
  TempDir d;
  const std::string log = d / "error.log";
  Run run;
  run.start({log});
  int id = 0, fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  for (int round = 0; round < 20; ++round) {
    for (int k = 0; k < 300; ++k) {
      std::string s = k % 3 ? noise(k) : failure(id++);
      REQUIRE(::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()));
      if (k % 97 == 0) run.pump();
    }
    if (round % 2) {
      REQUIRE(::rename(log.c_str(), (d / "error.log.1").c_str()) == 0);
      std::string s = failure(id++);
      REQUIRE(::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size()));
      ::close(fd);
      fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    } else {
      std::ifstream in(log, std::ios::binary);
      std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      ::unlink((d / "error.log.1").c_str());
      append(d / "error.log.1", all);
      REQUIRE(::ftruncate(fd, 0) == 0);
    }
  }
  ::close(fd);
  run.pump(true);
  CHECK(run.ev.seen.size() == static_cast<size_t>(id));
  CHECK(run.ev.once(0, id));
}

// D5: a rotated file closed after retire_ms that comes back under the
// followed path (renamed back, or a symlink to it) goes on from where
// reading stopped; what it gained while closed is read once.
TEST_CASE("a retired file that comes back is not read again", "[follow][d5]") {
  TempDir d;
  const std::string log = d / "error.log";
  append(log, noise(0));
  Run run;
  run.start({log});
  append(log, failure(1) + failure(2));  // under 1 KiB: the fingerprint is shorter than kPrint
  run.pump();
  REQUIRE(::rename(log.c_str(), (d / "error.log.1").c_str()) == 0);
  append(log, failure(3));
  run.pump();
  ::usleep(350 * 1000);
  run.pump(true);
  REQUIRE(run.f->open_files() == 1);  // error.log.1 was retired (closed)
  append(d / "error.log.1", failure(4) + failure(5) + failure(6) + failure(7));  // grows past 1 KiB while closed
  REQUIRE(::rename((d / "error.log.1").c_str(), log.c_str()) == 0);
  run.pump(true);
  append(log, failure(8));
  run.pump();
  CHECK(run.ev.once(1, 9));
  CHECK(run.ev.seen.size() == 8);
  CHECK(run.ev.line[4] == 4);  // line numbers go on too
  CHECK(run.f->counters().resumed == 1);

  SECTION("and a symlink to it, once retired again") {
    const std::string keep = d / "kept.log";
    REQUIRE(::rename(log.c_str(), keep.c_str()) == 0);
    append(log, failure(9));
    run.pump();
    ::usleep(350 * 1000);
    run.pump(true);
    REQUIRE(run.f->open_files() == 1);
    REQUIRE(::unlink(log.c_str()) == 0);
    REQUIRE(::symlink(keep.c_str(), log.c_str()) == 0);
    run.pump(true);
    append(keep, failure(10));
    run.pump();
    CHECK(run.ev.once(1, 11));
    CHECK(run.f->counters().resumed == 2);
  }
}

// D5, the other way: the same inode with other first bytes (an inode
// reused after a delete, or rewritten in place) is a new file.
TEST_CASE("the same inode with other first bytes is read from the start", "[follow][d5]") {
  TempDir d;
  const std::string log = d / "error.log";
  append(log, noise(0));
  Run run;
  run.start({log});
  append(log, failure(1) + failure(2));
  run.pump();
  REQUIRE(::rename(log.c_str(), (d / "old.log").c_str()) == 0);
  run.pump(true);
  ::usleep(350 * 1000);
  run.pump(true);
  REQUIRE(run.f->open_files() == 0);
  const ino_t ino = inode_of(d / "old.log");
  {  // rewritten in place, longer than what was read: same inode, new content
    std::ofstream f(d / "old.log", std::ios::trunc | std::ios::binary);
    f << failure(10) << failure(11) << failure(12) << failure(13);
  }
  REQUIRE(inode_of(d / "old.log") == ino);
  REQUIRE(::rename((d / "old.log").c_str(), log.c_str()) == 0);
  run.pump(true);
  CHECK(run.ev.once(1, 3));
  CHECK(run.ev.once(10, 14));
  CHECK(run.ev.line[10] == 1);
  CHECK(run.f->counters().resumed == 0);
}

// D6: copytruncate twice before the follower read again. The generation in
// between is in error.log.1 only; it is not read, and its bytes are counted
// and named, not skipped silently.
TEST_CASE("copytruncate faster than the follower: the generation skipped is counted", "[follow][d6]") {
  TempDir d;
  const std::string log = d / "error.log";
  append(log, noise(0));
  append(d / "error.log.3", noise(99));  // an older rotation, from before the start: not part of it
  Run run;
  run.start({log});
  append(log, failure(1));
  run.pump();
  append(log, failure(2));  // not read before the first truncation
  const time_t now = ::time(nullptr);
  append(d / "error.log.1", slurp(log));
  REQUIRE(::truncate(log.c_str(), 0) == 0);
  const std::string skipped = failure(3) + noise(4) + failure(5);  // a whole generation, never seen
  append(log, skipped);
  REQUIRE(::rename((d / "error.log.1").c_str(), (d / "error.log.2").c_str()) == 0);
  append(d / "error.log.1", slurp(log));
  REQUIRE(::truncate(log.c_str(), 0) == 0);
  set_mtime(d / "error.log.2", now + 10);  // copies are ordered by mtime
  set_mtime(d / "error.log.1", now + 20);
  append(log, failure(6));
  run.pump();
  CHECK(run.ev.once(1, 3));
  CHECK(run.ev.once(6, 7));
  CHECK(run.ev.seen.size() == 3);
  CHECK(run.f->counters().truncations == 1);
  CHECK(run.f->counters().lost_bytes == skipped.size());
  CHECK(warned(*run.f, "not read"));
}

// D6: a truncation while the follower was behind in the live file (it read
// max_read_per_pump, more was there) and no copy beside it: what it had not
// read is lost, and counted.
TEST_CASE("a truncation before the file was read to its end counts what was not read", "[follow][d6]") {
  TempDir d;
  const std::string log = d / "error.log";
  append(log, noise(0));
  Run run;
  run.opt.block = 4096;
  run.fo.max_read_per_pump = 4096;
  run.start({log});
  std::string text;
  for (int i = 0; i < 100; ++i) text += failure(i);
  append(log, text);
  const uint64_t before = run.f->stats()[0].bytes;
  CHECK(run.f->pump(false));  // one block read, more pending
  const uint64_t read = run.f->stats()[0].bytes - before;
  REQUIRE(read > 0);
  REQUIRE(read < text.size());
  REQUIRE(::truncate(log.c_str(), 0) == 0);
  append(log, failure(500));
  run.pump();
  CHECK(run.ev.once(500, 501));
  CHECK(run.f->counters().truncations == 1);
  CHECK(run.f->counters().lost_bytes == text.size() - read);
  CHECK(warned(*run.f, "not read"));
}

// Rename rotations faster than the follower reacts: a file that took the
// path and was renamed away before the follower looked is counted, not
// skipped silently (found in the stress run at an unthrottled writer).
TEST_CASE("a file rotated away before it was opened is counted as lost", "[follow][d6]") {
  TempDir d;
  const std::string log = d / "error.log";
  append(log, noise(0));
  append(d / "error.log.9", failure(9));  // from before the start: not counted
  set_mtime(d / "error.log.9", ::time(nullptr) - 100);
  Run run;
  run.start({log});
  append(log, failure(1));
  run.pump();
  const time_t now = ::time(nullptr);
  REQUIRE(::rename(log.c_str(), (d / "error.log.1").c_str()) == 0);
  const std::string missed = failure(2) + failure(3);
  append(log, missed);  // never seen by the follower: renamed away at once
  set_mtime(log, now + 10);  // written after the first file was opened, on any clock granularity
  REQUIRE(::rename((d / "error.log.1").c_str(), (d / "error.log.2").c_str()) == 0);
  REQUIRE(::rename(log.c_str(), (d / "error.log.1").c_str()) == 0);
  append(log, failure(4));
  run.pump();
  CHECK(run.ev.once(1, 2));
  CHECK(run.ev.once(4, 5));
  CHECK(run.ev.seen.size() == 2);
  CHECK(run.f->counters().lost_bytes == missed.size());
  CHECK(warned(*run.f, "rotated away before gw502-logs opened it"));
  ::usleep(350 * 1000);
  run.pump(true);  // the first file retired: nothing more counted
  append(log, failure(5));
  REQUIRE(::rename(log.c_str(), (d / "error.log.0").c_str()) == 0);
  append(log, failure(6));
  run.pump();
  CHECK(run.ev.once(5, 7));
  CHECK(run.ev.seen.size() == 4);
  CHECK(run.f->counters().lost_bytes == missed.size());
}

TEST_CASE("a file created and deleted before it was opened is counted as lost", "[follow][deleted]") {
  TempDir d;
  const std::string log = d / "error.log";
  append(log, noise(0));
  Run run;
  run.start({log, d / "*.err"});
  append(log, failure(1));
  run.pump();
  // Between two pumps: the open file gains a line and is deleted; a new one
  // is created, written and deleted; a third is created. Also through a glob.
  append(log, failure(2));
  REQUIRE(::unlink(log.c_str()) == 0);
  append(log, failure(3) + failure(4));
  REQUIRE(::unlink(log.c_str()) == 0);
  append(log, failure(5));
  append(d / "a.err", failure(6));
  REQUIRE(::unlink((d / "a.err").c_str()) == 0);
  run.pump();
  CHECK(run.ev.once(1, 3));
  CHECK(run.ev.once(5, 6));
  CHECK(run.ev.seen.size() == 3);
  CHECK(run.f->counters().lost_files == 2);
  CHECK(run.f->counters().lost_bytes == 0);
  CHECK(warned(*run.f, "deleted before gw502-logs could open it"));
  // Deleted and re-created while followed, each file opened before it goes:
  // nothing lost, nothing more counted.
  for (int i = 0; i < 5; ++i) {
    REQUIRE(::unlink(log.c_str()) == 0);
    append(log, failure(10 + i));
    run.pump();
  }
  append(d / "b.err", failure(20));
  run.pump();
  REQUIRE(::unlink((d / "b.err").c_str()) == 0);
  run.pump();
  CHECK(run.ev.once(10, 15));
  CHECK(run.ev.once(20, 21));
  CHECK(run.f->counters().lost_files == 2);
}

TEST_CASE("rates per minute and last seen", "[follow]") {
  auto cat = test::mini_catalogue();
  Aggregator agg;
  Hit h{ProxyKind::nginx, "", "a", "1.2.3.4:80", 0, 2, kNoTime, false, 0, 1, "x"};
  agg.add(h);
  RateTracker r;
  r.update(agg, 100, 1000, 5000);
  CHECK(r.per_minute(0) == 0);  // counted before following began
  CHECK(r.last_seen(0) == 0);
  agg.add(h);
  agg.add(h);
  r.update(agg, 300, 1002, 5002);
  CHECK(r.per_minute(0) == 2);
  CHECK(r.last_seen(0) == 5002);
  CHECK(r.lines_per_second() == 100);
  r.update(agg, 300, 1070, 5070);
  CHECK(r.per_minute(0) == 0);
  LiveView v;
  v.wall = 5070;
  v.cols = 60;
  std::string s = render_live(cat, agg, r, v);
  CHECK(s.find("connection_refused") != std::string::npos);
  for (size_t a = 0, b; (b = s.find('\n', a)) != std::string::npos; a = b + 1) CHECK(b - a <= 60);
  CHECK(s.find("lost") == std::string::npos);
  v.cols = 0;
  v.lost_bytes = 2048;  // D6: shown in the head line once some are lost
  CHECK(render_live(cat, agg, r, v).find("  2,048 bytes lost to rotation\n") != std::string::npos);
}

TEST_CASE("Prometheus exposition: counters and escaped labels", "[follow][metrics]") {
  auto cat = test::mini_catalogue();
  Aggregator agg;
  Hit h{ProxyKind::npm, "proxy-host-3", "a\"b\\c\nd\xff", "1.2.3.4:80", 0, 2, kNoTime, false, 0, 1, "x"};
  agg.add(h);
  agg.add(h);
  std::vector<SourceInfo> src{describe_source("/data/logs/proxy-host-3_error.log", nullptr)};
  std::vector<ScanStats> st(1);
  st[0].lines = 42;
  FollowCounters fc;
  fc.truncations = 5;
  MetricsInput in{&src, &st, &fc, 1, 0, 1700000000};
  std::string m = render_prometheus(cat, agg, in);
  CHECK(m.find("# TYPE gw502_upstream_failures_total counter\n") != std::string::npos);
  CHECK(m.find("gw502_upstream_failures_total{proxy=\"npm\",site=\"proxy-host-3\",host=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\","
               "upstream=\"1.2.3.4:80\",cause=\"connection_refused\"} 2\n") != std::string::npos);
  CHECK(m.find("gw502_lines_read_total{source=\"/data/logs/proxy-host-3_error.log\"} 42\n") != std::string::npos);
  CHECK(m.find("gw502_follow_truncations_total 5\n") != std::string::npos);
  fc.lost_bytes = 12345;
  m = render_prometheus(cat, agg, in);
  CHECK(m.find("# TYPE gw502_follow_lost_bytes_total counter\n") != std::string::npos);
  CHECK(m.find("# HELP gw502_follow_lost_bytes_total ") != std::string::npos);
  CHECK(m.find("gw502_follow_lost_bytes_total 12345\n") != std::string::npos);
  CHECK(m.back() == '\n');
}
