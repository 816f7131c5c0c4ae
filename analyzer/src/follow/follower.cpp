#include "follow/follower.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

#include "follow/follow_impl.hpp"
#include "source/source.hpp"
#include "scan/source_info.hpp"

namespace gw502 {

using namespace follow_detail;

namespace {

constexpr uint32_t kDirMask = IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE |
                              IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

bool has_wildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

std::vector<std::string> glob_paths(const std::string& pattern, int flags) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), flags, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  return out;
}

bool compressed(int fd) {
  unsigned char m[4] = {0, 0, 0, 0};
  ssize_t n = ::pread(fd, m, 4, 0);
  return (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) ||
         (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd);
}

}  // namespace

uint32_t Follower::Impl::name_for(const std::string& path) {
  auto it = name_index.find(path);
  if (it != name_index.end()) return it->second;
  auto id = static_cast<uint32_t>(names.size());
  names.push_back({path, nullptr});
  name_index.emplace(path, id);
  sources.push_back(describe_source(path, fo.force_proxy ? &fo.proxy : nullptr, opt.access_format.get()));
  stats.emplace_back();
  return id;
}

void Follower::Impl::watch_dirs() {
  for (const auto& spec : specs) {
    std::string dir = dir_of(spec);
    std::vector<std::string> dirs =
        has_wildcard(dir) ? glob_paths(dir, GLOB_ONLYDIR) : std::vector<std::string>{dir};
    for (const auto& d : dirs) {
      if (dir_wd.count(d)) continue;
      int wd = ::inotify_add_watch(ino_fd, d.c_str(), kDirMask);
      if (wd < 0) {
        if (errno == ENOSPC) warn(d, "inotify watch limit reached; checked once a second instead");
        continue;  // missing: retried on every tick
      }
      dir_wd[d] = wd;
      wd_dir[wd] = d;
    }
  }
}

// A file named like a rotated copy of a followed file, in the same directory.
bool Follower::Impl::is_rotated_copy(const std::string& path) const {
  const std::string dir = dir_of(path), base = base_of(path);
  for (const Name& n : names) {
    if (!n.file || n.path == path || n.path == "-" || dir_of(n.path) != dir) continue;
    std::string b = base_of(n.path);
    if (base.size() > b.size() + 1 && base.compare(0, b.size(), b) == 0 &&
        (base[b.size()] == '.' || base[b.size()] == '-' || base[b.size()] == '_'))
      return true;
  }
  return false;
}

// Points every followed path at the file it names now; opens new files.
void Follower::Impl::resolve(bool initial) {
  std::set<File*> named;
  std::vector<bool> seen(names.size(), false);
  for (const auto& spec : specs) {
    const bool glob = has_wildcard(spec);
    std::vector<std::string> paths = glob ? glob_paths(spec, 0) : std::vector<std::string>{spec};
    if (initial && paths.empty()) warn(spec, "no file matches yet; waiting for one");
    for (const auto& p : paths) {
      struct stat st;
      if (::stat(p.c_str(), &st) != 0) {
        if (initial) warn(p, std::string(std::strerror(errno)) + "; waiting for it to appear");
        continue;
      }
      if (!S_ISREG(st.st_mode)) {
        if (initial) problems.push_back({p, 0, "not a regular file; not followed"});
        continue;
      }
      if (skipped.count({st.st_dev, st.st_ino, int64_t{st.st_ctim.tv_sec}})) {
        created.erase(p);  // compressed: seen, never followed
        continue;
      }
      File* f = nullptr;
      for (auto& o : files)
        if (!o->is_stdin && o->dev == st.st_dev && o->ino == st.st_ino) f = o.get();
      // A new file named like a rotated copy of a followed one (error.log.1
      // after copytruncate): its lines were read under the original name.
      if (!f && !initial && is_rotated_copy(p)) continue;
      uint32_t src = name_for(p);
      if (seen.size() < names.size()) seen.resize(names.size(), false);
      const bool fresh = !f;
      if (!f) f = open_file(p, src, initial);
      if (!f) continue;
      if (fresh) {  // a new file at this path: were others there in between?
        if (!initial && names[src].opened) missed_files(*f, names[src].opened);
        names[src].opened = wall_ns();
      }
      names[src].file = f;
      seen[src] = true;
      named.insert(f);
    }
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (!seen[i] && names[i].path != "-") names[i].file = nullptr;
  const int64_t now = now_ms();
  for (auto& f : files) {
    if (f->is_stdin) continue;
    bool a = named.count(f.get()) > 0;
    if (f->attached && !a) {  // rotated away or deleted: the idle clock starts
      f->last_growth = now;
      ++counters.rotations;
    }
    f->attached = a;
    f->dirty = true;
  }
}

File* Follower::Impl::open_file(const std::string& path, uint32_t source, bool initial) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {  // said once per path; retried on every tick
    // Deleted between stat() and open(): not an error. Its IN_CREATE and
    // IN_DELETE events count it as a lost file (dir_event).
    if (errno == ENOENT) return nullptr;
    if (unreadable.insert(path).second) problems.push_back({path, 0, std::strerror(errno)});
    return nullptr;
  }
  unreadable.erase(path);
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return nullptr;
  }
  for (auto& o : files)  // replaced between stat and open by a file we follow
    if (!o->is_stdin && o->dev == st.st_dev && o->ino == st.st_ino) {
      ::close(fd);
      return o.get();
    }
  if (compressed(fd)) {
    skipped.insert({st.st_dev, st.st_ino, int64_t{st.st_ctim.tv_sec}});
    if (initial && fo.from_start) {  // an archive: read once, never followed
      std::string err;
      auto src = source_from_fd(fd, true, err);
      if (src) {
        scanner.scan(*src, sources[source], source, stats[source], problems);
        return nullptr;
      }
    }
    ::close(fd);
    return nullptr;
  }
  auto f = std::make_unique<File>();
  f->fd = fd;
  f->dev = st.st_dev;
  f->ino = st.st_ino;
  f->source = source;
  f->last_growth = now_ms();
  f->copies_after = wall_ns();  // copies older than the file's opening are not its generations
  if (initial && !fo.from_start) position_at_end(*f, static_cast<uint64_t>(st.st_size));
  else if (!initial) resume(*f, static_cast<uint64_t>(st.st_size));
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);  // this inode, whatever the path names now
  f->wd = ::inotify_add_watch(ino_fd, proc.c_str(), IN_MODIFY);
  if (f->wd >= 0) wd_file[f->wd] = f.get();
  ++counters.files_opened;
  files.push_back(std::move(f));
  return files.back().get();
}

// Hashes the first min(kPrint, size) bytes of fd.
bool Follower::Impl::fingerprint(int fd, uint64_t size, uint64_t& print, uint32_t& len) {
  len = static_cast<uint32_t>(std::min<uint64_t>(size, kPrint));
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(fd, print_buf + got, len - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  print = hash_bytes(print_buf, len);
  return true;
}

// A file read up to offset is closed: if it comes back, reading resumes there.
void Follower::Impl::remember(dev_t dev, ino_t ino, int fd, uint64_t size, uint64_t offset,
                              uint64_t line) {
  Known k;
  k.dev = dev;
  k.ino = ino;
  k.offset = offset;
  k.line = line;
  if (!fingerprint(fd, size, k.print, k.print_len)) return;
  for (auto it = known.begin(); it != known.end(); ++it)
    if (it->dev == dev && it->ino == ino) {
      known.erase(it);
      break;
    }
  if (known.size() >= kKnownMax) known.pop_front();
  known.push_back(k);
}

// A file that appeared at a followed path: one read before (same device,
// inode and first bytes, at least as long as what was read) resumes where
// reading stopped; anything else (a new inode, or an inode reused for other
// content) is read from its beginning.
bool Follower::Impl::resume(File& f, uint64_t size) {
  for (auto it = known.rbegin(); it != known.rend(); ++it) {
    if (it->dev != f.dev || it->ino != f.ino) continue;
    const Known k = *it;
    known.erase(std::next(it).base());
    uint64_t print = 0;
    uint32_t len = 0;
    if (size < k.offset || size < k.print_len || !fingerprint(f.fd, k.print_len, print, len) ||
        print != k.print)
      return false;
    f.offset = k.offset;
    f.line = k.line;
    set_tail(f);
    ++counters.resumed;
    return true;
  }
  return false;
}

void Follower::Impl::close_file(File& f) {
  flush_partial(f);
  struct stat st;
  if (::fstat(f.fd, &st) == 0)
    remember(f.dev, f.ino, f.fd, static_cast<uint64_t>(st.st_size), f.offset, f.line);
  if (f.wd >= 0) {
    ::inotify_rm_watch(ino_fd, f.wd);
    wd_file.erase(f.wd);
  }
  ::close(f.fd);
}

Follower::Follower(Classifier& cls, Aggregator& agg, const ScanOptions& opt,
                   const FollowOptions& fo, EventSink* out)
    : impl_(new Impl(cls, agg, opt, fo, out)) {}

Follower::~Follower() = default;

bool Follower::start(const std::vector<std::string>& specs, std::string& err) {
  Impl& im = *impl_;
  im.ino_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (im.ino_fd < 0) {
    err = std::string("inotify: ") + std::strerror(errno);
    return false;
  }
  for (const auto& s : specs) {
    if (s != "-") {
      im.specs.push_back(s);
    } else if (!im.use_stdin) {
      im.use_stdin = true;
      uint32_t src = im.name_for("-");
      auto f = std::make_unique<File>();
      f->fd = 0;
      f->is_stdin = true;
      f->source = src;
      im.names[src].file = f.get();
      im.files.push_back(std::move(f));
    }
  }
  im.watch_dirs();
  im.resolve(true);
  return true;
}

std::vector<int> Follower::fds() const {
  std::vector<int> v{impl_->ino_fd};
  for (auto& f : impl_->files)
    if (f->is_stdin && !f->ended) v.push_back(f->fd);
  return v;
}

// A path a spec names: the spec itself, or a match of a glob spec; not a
// rotated copy of a followed file.
bool Follower::Impl::followed_path(const std::string& path) const {
  for (const auto& s : specs)
    if (s == path || (has_wildcard(s) && ::fnmatch(s.c_str(), path.c_str(), FNM_PATHNAME) == 0))
      return !is_rotated_copy(path);
  return false;
}

// A named event in a watched directory. Files are known by inode, events by
// name: a followed path's entry that goes (deleted or renamed away) is taken
// to be the oldest file opened under that path that is no longer there and
// whose going was not seen yet. None: the entry was never opened. If it was
// created (IN_CREATE) since the path was last emptied and is now deleted,
// its lines are lost for good and counted (lost_files); renamed away, it is
// missed_files()' (counted in bytes when the next file takes the path).
void Follower::Impl::dir_event(const std::string& dir, const inotify_event& e) {
  if (e.len == 0 || (e.mask & IN_ISDIR) || !(e.mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM))) return;
  const std::string name(e.name);
  const std::string path = dir == "." ? name : dir == "/" ? "/" + name : dir + "/" + name;
  if (e.mask & IN_CREATE) {
    if (created.size() < 65536 && followed_path(path)) created.insert(path);
    return;
  }
  const bool was_created = created.erase(path) > 0;
  auto n = name_index.find(path);
  if (n != name_index.end()) {
    struct stat st;
    const bool there = ::stat(path.c_str(), &st) == 0;
    for (auto& f : files)
      if (!f->is_stdin && f->source == n->second && !f->gone_seen &&
          !(there && st.st_dev == f->dev && st.st_ino == f->ino)) {
        f->gone_seen = true;  // this event is its going: it is open, nothing lost
        return;
      }
  }
  if (was_created && (e.mask & IN_DELETE)) {
    ++counters.lost_files;
    warn(path,
         "a file created at this path was deleted before gw502-logs could open it (deleted and re-created "
         "faster than it reacts, or it was stopped); its lines were not read and are not counted");
  }
}

// Handles the pending inotify events. True when a directory changed (a
// resolve() is due).
bool Follower::Impl::events() {
  bool rescan = false;
  alignas(inotify_event) char ev[64 * 1024];
  for (;;) {
    ssize_t n = ::read(ino_fd, ev, sizeof ev);
    if (n <= 0) break;
    for (char* p = ev; p < ev + n;) {
      auto* e = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + e->len;
      if (e->mask & IN_Q_OVERFLOW) {
        ++counters.overflows;
        rescan = true;
        continue;
      }
      auto d = wd_dir.find(e->wd);
      if (d != wd_dir.end()) {
        rescan = true;
        dir_event(d->second, *e);
        if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
          if (!(e->mask & IN_IGNORED)) ::inotify_rm_watch(ino_fd, e->wd);
          dir_wd.erase(d->second);
          wd_dir.erase(d);
        }
        continue;
      }
      auto f = wd_file.find(e->wd);
      if (f == wd_file.end()) continue;
      if (e->mask & IN_IGNORED) {
        f->second->wd = -1;
        wd_file.erase(f);
      } else {
        f->second->dirty = true;
      }
    }
    if (static_cast<size_t>(n) < sizeof ev - 4096) break;
  }
  return rescan;
}

bool Follower::pump(bool tick) {
  Impl& im = *impl_;
  bool rescan = im.events() || tick;
  if (tick) im.watch_dirs();
  if (rescan) im.resolve(false);
  bool more = false;
  // By index: resolve() below may open files (appended).
  for (size_t i = 0; i < im.files.size(); ++i) {
    File& f = *im.files[i];
    if (!f.dirty && !f.is_stdin && !tick) continue;
    f.dirty = false;
    if (f.is_stdin && f.ended) continue;
    // Read a block at a time: reading a busy file takes a while, and a file
    // created at a followed path meanwhile is opened between blocks, before
    // it can be deleted or renamed away unread (delete and re-create: lost
    // for good).
    const uint64_t slice = std::max<uint64_t>(1, std::min<uint64_t>(im.fo.max_read_per_pump, im.opt.block));
    bool done = false;
    for (uint64_t got = 0; !done && got < im.fo.max_read_per_pump; got += slice) {
      done = im.read_file(f, slice);
      pollfd p{im.ino_fd, POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) {
        // The events taken here (a file grew, resolve() marked every file
        // dirty) are no longer in the queue to wake the caller: call again.
        more = true;
        if (im.events()) im.resolve(false);
      }
    }
    if (!done) {
      f.dirty = true;
      more = true;
    }
  }
  // Close rotated-away files that stopped growing.
  const int64_t now = now_ms();
  for (size_t i = 0; i < im.files.size();) {
    File& f = *im.files[i];
    if (!f.is_stdin && !f.attached && !f.dirty && now - f.last_growth >= im.fo.retire_ms) {
      im.read_file(f, UINT64_MAX);
      im.close_file(f);
      im.files.erase(im.files.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  return more;
}

bool Follower::finished() const {
  if (!impl_->specs.empty()) return false;
  for (auto& f : impl_->files)
    if (f->is_stdin && !f->ended) return false;
  return true;
}

size_t Follower::open_files() const {
  size_t n = 0;
  for (auto& f : impl_->files) n += f->is_stdin ? !f->ended : 1;
  return n;
}

const std::vector<SourceInfo>& Follower::sources() const { return impl_->sources; }
const std::vector<ScanStats>& Follower::stats() const { return impl_->stats; }
const FollowCounters& Follower::counters() const { return impl_->counters; }
const std::vector<Problem>& Follower::problems() const { return impl_->problems; }
const std::vector<Problem>& Follower::warnings() const { return impl_->warnings; }

}  // namespace gw502
