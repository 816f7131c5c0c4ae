// Internals of the Follower, shared by follow.cpp (paths, inotify, the
// pump) and follow_read.cpp (the data path of one file). Not a public header.
#pragma once
#include <sys/inotify.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>
#include <deque>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "follow/follower.hpp"
#include "source/framer.hpp"

namespace gw502 {
namespace follow_detail {

constexpr size_t kTail = 128;                 // bytes re-read before the offset to spot truncation
constexpr uint64_t kCountLimit = 1ull << 30;  // existing content counted for line numbers
constexpr size_t kPrint = 1024;               // first bytes that tell files on one inode apart
constexpr size_t kKnownMax = 4096;            // closed files remembered

inline int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

inline int64_t wall_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

inline std::string dir_of(const std::string& p) {
  size_t s = p.rfind('/');
  if (s == std::string::npos) return ".";
  return s == 0 ? "/" : p.substr(0, s);
}

inline std::string base_of(const std::string& p) {
  size_t s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

struct File {
  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  uint32_t source = 0;   // the path it was opened under
  uint64_t offset = 0;   // bytes read
  uint64_t line = 1;     // number of the next line
  std::string partial;   // bytes after the last newline read
  bool skipping = false; // inside an over-long line
  char tail[kTail];      // the last tail_len bytes before offset
  size_t tail_len = 0;
  int wd = -1;
  bool attached = true;  // some followed path names it
  bool dirty = true;     // may have grown: read it on the next pump
  bool is_stdin = false;
  bool ended = false;    // stdin: end of input
  int64_t last_growth = 0;
  uint64_t size_seen = 0;  // the largest size fstat gave before the last good read
  int64_t copies_after = 0; // copytruncate copies up to this mtime (ns) are accounted for
  bool gone_seen = false;   // an inotify event said it left its path (deleted, renamed away)
};

// A file read and closed (retired after rotation, or a copytruncate copy):
// where reading stopped. A file that comes back under a followed path with
// the same device, inode and first bytes resumes there.
struct Known {
  dev_t dev = 0;
  ino_t ino = 0;
  uint64_t print = 0;     // hash of the first print_len bytes
  uint32_t print_len = 0; // min(kPrint, size when it was closed)
  uint64_t offset = 0;
  uint64_t line = 1;
};

// FNV-1a, 64 bits.
inline uint64_t hash_bytes(const char* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
  return h;
}

struct Name {
  std::string path;
  File* file = nullptr;
  int64_t opened = 0;  // wall time (ns) its last file was opened, 0: none yet
};

}  // namespace follow_detail

using follow_detail::File;
using follow_detail::Known;
using follow_detail::Name;

struct Follower::Impl {
  Impl(Classifier& c, Aggregator& a, const ScanOptions& o, const FollowOptions& f, EventSink* e)
      : opt(o), fo(f), scanner(c, a, e, o),
        buf(o.block + o.max_line + Framer::kPadding) {}
  ~Impl() {
    for (auto& f : files)
      if (!f->is_stdin) ::close(f->fd);
    if (ino_fd >= 0) ::close(ino_fd);
  }

  ScanOptions opt;
  FollowOptions fo;
  Scanner scanner;
  std::vector<char> buf;
  char check[follow_detail::kTail];
  char print_buf[follow_detail::kPrint];
  int ino_fd = -1;
  std::vector<std::string> specs;  // paths and globs (not "-")
  bool use_stdin = false;
  std::unordered_map<std::string, int> dir_wd;
  std::unordered_map<int, std::string> wd_dir;
  std::unordered_map<int, File*> wd_file;
  std::vector<std::unique_ptr<File>> files;  // in the order opened: older files are read first
  std::vector<Name> names;                   // index == source index
  std::unordered_map<std::string, uint32_t> name_index;
  std::vector<SourceInfo> sources;
  std::vector<ScanStats> stats;
  std::vector<Problem> problems, warnings;
  std::set<std::tuple<dev_t, ino_t, int64_t>> skipped;  // compressed files (dev, ino, ctime)
  std::set<std::string> unreadable;                     // open() failed: reported once
  std::deque<Known> known;  // newest last, at most kKnownMax
  FollowCounters counters;
  bool recovering = false;
  // Followed paths created (inotify IN_CREATE) and not emptied since: see
  // dir_event() (FollowCounters::lost_files).
  std::set<std::string> created;

  uint32_t name_for(const std::string& path);
  void watch_dirs();
  void resolve(bool initial);
  bool events();
  bool followed_path(const std::string& path) const;
  void dir_event(const std::string& dir, const struct inotify_event& e);
  File* open_file(const std::string& path, uint32_t source, bool initial);
  void position_at_end(File& f, uint64_t size);
  bool read_file(File& f, uint64_t budget);
  void consume(File& f, size_t m);
  void scan(File& f, std::string_view text);
  void flush_partial(File& f);
  void set_tail(File& f);
  void truncated(File& f);
  bool recover_copy(File& f);
  void close_file(File& f);
  bool fingerprint(int fd, uint64_t size, uint64_t& print, uint32_t& len);
  void remember(dev_t dev, ino_t ino, int fd, uint64_t size, uint64_t offset, uint64_t line);
  bool resume(File& f, uint64_t size);
  bool read_before(dev_t dev, ino_t ino, int fd, uint64_t size);
  void lost(File& f, uint64_t bytes, const std::string& why);
  void missed_files(File& f, int64_t since);
  void read_copy(File& f, int fd, dev_t dev, ino_t ino);
  int next_copy(File& f, int64_t& mtime, dev_t& dev, ino_t& ino, uint64_t& own_print, uint32_t& own_len);
  // Every rotated copy beside f's file: a regular file whose name starts with
  // the followed name, not followed, not read before, not gzip or zstd. fn(fd,
  // stat, print, print_len) keeps the open fd by returning true (else it is
  // closed). False when the directory cannot be read.
  template <class Fn>
  bool each_copy(const File& f, Fn&& fn);
  bool is_rotated_copy(const std::string& path) const;
  void warn(const std::string& src, const std::string& msg) { warnings.push_back({src, 0, msg}); }
};

}  // namespace gw502
