// Internals of the Follower, shared by follow.cpp (paths, inotify, the
// pump) and follow_read.cpp (the data path of one file). Not a public header.
#pragma once
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>
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

inline int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
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
};

struct Name {
  std::string path;
  File* file = nullptr;
};

}  // namespace follow_detail

using follow_detail::File;
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
  FollowCounters counters;
  bool recovering = false;

  uint32_t name_for(const std::string& path);
  void watch_dirs();
  void resolve(bool initial);
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
  bool is_rotated_copy(const std::string& path) const;
  void warn(const std::string& src, const std::string& msg) { warnings.push_back({src, 0, msg}); }
};

}  // namespace gw502
