// The data path of one followed file: preadv into the shared buffer (with
// the truncation check), the partial last line, complete lines to the
// scanner; truncation and recovery from a copytruncate copy.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "follow/follow_impl.hpp"
#include "base/newlines.hpp"

namespace gw502 {

using namespace follow_detail;

namespace {

}  // namespace

// Starts after the last complete line; counts the lines before it.
void Follower::Impl::position_at_end(File& f, uint64_t size) {
  const uint64_t from = size <= kCountLimit ? 0 : size - std::min<uint64_t>(size, opt.max_line);
  uint64_t lines = 0, last_nl = UINT64_MAX;
  for (uint64_t pos = from; pos < size;) {
    ssize_t n = ::pread(f.fd, buf.data(), std::min<uint64_t>(opt.block, size - pos),
                        static_cast<off_t>(pos));
    if (n <= 0) break;
    lines += count_newlines(buf.data(), static_cast<size_t>(n));
    if (const void* p = memrchr(buf.data(), '\n', static_cast<size_t>(n)))
      last_nl = pos + static_cast<uint64_t>(static_cast<const char*>(p) - buf.data());
    pos += static_cast<uint64_t>(n);
  }
  if (last_nl != UINT64_MAX) {
    f.offset = last_nl + 1;
  } else if (size - from >= opt.max_line) {
    f.offset = size;  // inside an over-long line: skip to its end
    f.skipping = true;
  } else {
    f.offset = from;
  }
  f.line = from == 0 ? lines + 1 : 1;
  set_tail(f);
}

void Follower::Impl::set_tail(File& f) {
  f.tail_len = static_cast<size_t>(std::min<uint64_t>(f.offset, kTail));
  if (f.tail_len == 0) return;
  ssize_t n = ::pread(f.fd, f.tail, f.tail_len, static_cast<off_t>(f.offset - f.tail_len));
  if (n != static_cast<ssize_t>(f.tail_len)) f.tail_len = 0;
}

void Follower::Impl::scan(File& f, std::string_view text) {
  ScanStats& st = stats[f.source];
  uint64_t n = scanner.scan_buffer(text, f.line, sources[f.source], f.source, st, problems);
  f.line += n;
  st.lines += n;
}

// buf[0, m) holds the previous partial line followed by what was just read.
void Follower::Impl::consume(File& f, size_t m) {
  char* data = buf.data();
  size_t start = 0;
  if (f.skipping) {
    const void* nl = std::memchr(data, '\n', m);
    if (!nl) {
      f.partial.clear();
      return;
    }
    start = static_cast<size_t>(static_cast<const char*>(nl) - data) + 1;
    f.skipping = false;
  }
  const void* last = m > start ? memrchr(data + start, '\n', m - start) : nullptr;
  size_t end = last ? static_cast<size_t>(static_cast<const char*>(last) - data) + 1 : start;
  if (end > start) scan(f, std::string_view(data + start, end - start));
  if (m - end >= opt.max_line) {
    problems.push_back({sources[f.source].name, f.line, overlong_problem(opt.max_line)});
    scan(f, std::string_view(data + end, opt.max_line));
    f.skipping = true;
    f.partial.clear();
  } else {
    f.partial.assign(data + end, m - end);
  }
}

// A last line without its newline, when its file will not continue it.
void Follower::Impl::flush_partial(File& f) {
  if (!f.partial.empty() && !f.skipping) {
    std::memcpy(buf.data(), f.partial.data(), f.partial.size());
    scan(f, std::string_view(buf.data(), f.partial.size()));
  }
  f.partial.clear();
  f.skipping = false;
}

// Reads f to its end (or budget bytes). Returns false when the budget ran out.
bool Follower::Impl::read_file(File& f, uint64_t budget) {
  uint64_t got_total = 0;
  bool grew = false;
  // The size now; once a read finds the bytes before the offset unchanged,
  // it is known to be this file's (not a truncated and regrown one's).
  uint64_t stat_size = 0;
  bool have_size = false;
  if (!f.is_stdin && !recovering) {
    struct stat st;
    if (::fstat(f.fd, &st) == 0) {
      stat_size = static_cast<uint64_t>(st.st_size);
      have_size = true;
    }
  }
  while (got_total < budget) {
    const size_t keep = f.partial.size();
    char* data = buf.data();
    if (keep) std::memcpy(data, f.partial.data(), keep);
    const size_t want = opt.block;
    ssize_t n;
    if (f.is_stdin) {
      pollfd p{f.fd, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) break;
      n = ::read(f.fd, data + keep, want);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) break;
      if (n <= 0) {
        if (n < 0) problems.push_back({"-", 0, std::strerror(errno)});
        f.ended = true;
        flush_partial(f);
        break;
      }
    } else {
      iovec iov[2] = {{check, f.tail_len}, {data + keep, want}};
      n = ::preadv(f.fd, iov, 2, static_cast<off_t>(f.offset - f.tail_len));
      if (n < 0) {
        if (errno == EINTR) continue;
        problems.push_back({sources[f.source].name, 0, std::strerror(errno)});
        break;
      }
      if (static_cast<size_t>(n) < f.tail_len || std::memcmp(check, f.tail, f.tail_len) != 0) {
        if (recovering) break;
        have_size = false;
        truncated(f);
        continue;
      }
      if (have_size) {
        f.size_seen = std::max(f.size_seen, stat_size);
        have_size = false;
      }
      n -= static_cast<ssize_t>(f.tail_len);
      if (n == 0) break;
    }
    const auto got = static_cast<size_t>(n);
    f.offset += got;
    got_total += got;
    stats[f.source].bytes += got;
    grew = true;
    // The last kTail bytes before the new offset.
    const size_t m = keep + got;
    if (got >= kTail) {
      std::memcpy(f.tail, data + m - kTail, kTail);
      f.tail_len = kTail;
    } else {
      size_t old = std::min(f.tail_len, kTail - got);
      std::memmove(f.tail, f.tail + f.tail_len - old, old);
      std::memcpy(f.tail + old, data + keep, got);
      f.tail_len = old + got;
    }
    consume(f, m);
    if (!f.is_stdin && got < want) break;  // the end, as far as we know
  }
  if (grew) f.last_growth = now_ms();
  return got_total < budget;
}

// What the file held when it was truncated and was not read (from it or
// from its copy) is lost: at least what fstat showed beyond that.
void Follower::Impl::truncated(File& f) {
  ++counters.truncations;
  if (!recover_copy(f)) {
    flush_partial(f);
    if (f.size_seen > f.offset)
      lost(f, f.size_seen - f.offset, "truncated before it was read to its end, and not found in a copy beside it");
  }
  f.partial.clear();
  f.skipping = false;
  f.offset = 0;
  f.tail_len = 0;
  f.line = 1;
  f.size_seen = 0;
}

void Follower::Impl::lost(File& f, uint64_t bytes, const std::string& why) {
  counters.lost_bytes += bytes;
  warn(sources[f.source].name, std::to_string(bytes) + " bytes not read: " + why);
}

template <class Fn>
bool Follower::Impl::each_copy(const File& f, Fn&& fn) {
  const std::string& path = names[f.source].path;
  const std::string dir = dir_of(path), base = base_of(path);
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  while (dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if (name.size() <= base.size() || name.compare(0, base.size(), base) != 0) continue;
    std::string p = dir + "/" + std::string(name);
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    for (auto& o : files) ok = ok && (o->is_stdin || o->dev != st.st_dev || o->ino != st.st_ino);
    ok = ok && !read_before(st.st_dev, st.st_ino, fd, static_cast<uint64_t>(st.st_size));
    uint64_t print = 0;
    uint32_t print_len = 0;
    ok = ok && fingerprint(fd, static_cast<uint64_t>(st.st_size), print, print_len);
    const auto* m = reinterpret_cast<const unsigned char*>(print_buf);
    ok = ok && !((print_len >= 2 && m[0] == 0x1f && m[1] == 0x8b) ||
                 (print_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd));
    if (!ok || !fn(fd, st, print, print_len)) ::close(fd);
  }
  ::closedir(d);
  return true;
}

// Rename rotations faster than the follower reacts: files that took f's
// path after the previous one was opened there (since) and were renamed
// away before the follower looked (named like f plus a suffix, beside it,
// written after since, never opened, uncompressed). Not read (such a name
// may as well be a copy of what was read): counted, and remembered so that
// they are counted once.
void Follower::Impl::missed_files(File& f, int64_t since) {
  uint64_t bytes = 0, n = 0;
  each_copy(f, [&](int fd, const struct stat& st, uint64_t, uint32_t) {
    if (st.st_size > 0 && int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec > since) {
      bytes += static_cast<uint64_t>(st.st_size);
      ++n;
      remember(st.st_dev, st.st_ino, fd, static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_size), 1);
    }
    return false;
  });
  if (bytes)
    lost(f, bytes,
         std::to_string(n) + (n == 1 ? " file took this path and was" : " files took this path and were") +
             " rotated away before gw502-logs opened it (rotations faster than it reacts)");
}

// A closed file read to its end: the same device, inode and first bytes
// (an inode can be reused for another file once the old one is deleted).
bool Follower::Impl::read_before(dev_t dev, ino_t ino, int fd, uint64_t size) {
  for (auto it = known.rbegin(); it != known.rend(); ++it) {
    if (it->dev != dev || it->ino != ino) continue;
    uint64_t print = 0;
    uint32_t len = 0;
    return it->offset >= size && size >= it->print_len && fingerprint(fd, it->print_len, print, len) &&
           print == it->print;
  }
  return false;
}



// copytruncate: reads what f gained before it was truncated from the copy,
// found in f's directory by name (f's name followed by anything) and
// confirmed by the bytes before the offset.
//
// Generations truncated away before any of them was read are only in other
// copies. Copies are ordered by mtime (the time of the copy, or of the last
// write before it); f.copies_after is the mtime of the last copy accounted
// for (at first, when f was opened). Those already there when the truncation
// is found (the follower was stopped, or fell behind by whole generations)
// are not read but counted as lost: the copies between the last one
// accounted for and the one that continues f, and newer ones whose first
// bytes (up to 1 KiB) are not the live file's (a copy whose are is the live
// generation's, to be truncated next: not lost). Those made while the copy
// is read are read after it (see the loop below). Compressed copies are left
// out (compressing an old copy also makes a new file), and so are copies
// read before (known by device, inode and first bytes).
bool Follower::Impl::recover_copy(File& f) {
  if (f.tail_len == 0) return false;
  struct Copy {
    int64_t mtime;
    uint64_t size;
    uint64_t print;      // hash of its first print_len bytes
    uint32_t print_len;  // min(kPrint, size)
  };
  std::vector<Copy> copies;  // uncompressed, not followed, not read before
  int match = -1;
  Copy matched{};
  dev_t match_dev = 0;
  ino_t match_ino = 0;
  const bool listed = each_copy(f, [&](int fd, const struct stat& st, uint64_t print, uint32_t print_len) {
    Copy c{int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec, static_cast<uint64_t>(st.st_size),
           print, print_len};
    if (match < 0 && c.size >= f.offset &&
        ::pread(fd, check, f.tail_len, static_cast<off_t>(f.offset - f.tail_len)) ==
            static_cast<ssize_t>(f.tail_len) &&
        std::memcmp(check, f.tail, f.tail_len) == 0) {
      match = fd;
      matched = c;
      match_dev = st.st_dev;
      match_ino = st.st_ino;
      return true;
    }
    copies.push_back(c);
    return false;
  });
  if (!listed) return false;
  if (match < 0) {
    // Where f went is not known: the copies seen now are not counted later.
    for (const Copy& c : copies) f.copies_after = std::max(f.copies_after, c.mtime);
    return false;
  }
  // Generations skipped: decided before the copy is read (reading it takes
  // time, during which the live file may be truncated again: those copies
  // are counted at the next truncation).
  uint64_t skipped = 0, n = 0;
  int64_t after = std::max(f.copies_after, matched.mtime);
  for (const Copy& c : copies) {
    if (c.mtime <= f.copies_after) continue;  // accounted for before
    uint64_t print = 0;
    uint32_t len = 0;
    if (c.mtime > matched.mtime && fingerprint(f.fd, c.print_len, print, len) && print == c.print)
      continue;  // the live file's generation: it is read next
    skipped += c.size;
    ++n;
    after = std::max(after, c.mtime);
  }
  f.copies_after = after;

  read_copy(f, match, match_dev, match_ino);
  if (f.size_seen > f.offset) {  // the file grew after the copy was made
    lost(f, f.size_seen - f.offset, "written after the copytruncate copy was made, before the truncation");
    f.size_seen = f.offset;
  }
  if (skipped)
    lost(f, skipped,
         "truncated away unread (copytruncate faster than gw502-logs reads): " +
             (n == 1 ? std::string("a whole copy") : std::to_string(n) + " whole copies") + " beside it not read");
  // Reading the copy took time: generations live meanwhile may have been
  // truncated too. Their copies, oldest first, are read as well, until the
  // next one is the live file's own (not truncated yet) or there is none.
  for (int round = 0; round < 64; ++round) {
    int64_t mtime = 0;
    dev_t dev = 0;
    ino_t ino = 0;
    uint64_t print = 0;
    uint32_t len = 0;
    const int fd = next_copy(f, mtime, dev, ino, print, len);
    if (fd < 0) break;
    uint64_t p = 0;
    uint32_t l = 0;
    if (fingerprint(f.fd, len, p, l) && p == print) {  // the live generation's own copy: not truncated yet
      ::close(fd);
      break;
    }
    ++counters.truncations;
    f.size_seen = 0;
    f.partial.clear();
    f.skipping = false;
    f.offset = 0;
    f.tail_len = 0;
    f.line = 1;
    read_copy(f, fd, dev, ino);
    f.copies_after = std::max(f.copies_after, mtime);
  }
  return true;
}

// Reads a copy of f (fd, closed here) from f's offset to its end, as f.
void Follower::Impl::read_copy(File& f, int fd, dev_t dev, ino_t ino) {
  const uint64_t before = f.offset;
  const int live = f.fd;
  f.fd = fd;
  recovering = true;
  read_file(f, UINT64_MAX);
  recovering = false;
  f.fd = live;
  counters.recovered_bytes += f.offset - before;
  flush_partial(f);
  // Known: if it ever comes back under a followed path, it is not read again.
  remember(dev, ino, fd, f.offset, f.offset, f.line);
  ::close(fd);
}

// The oldest copy of f made after f.copies_after (uncompressed, not read
// before): the next generation, truncated since (or about to be: the caller
// compares it with the live file). Also gives its mtime and fingerprint.
int Follower::Impl::next_copy(File& f, int64_t& mtime, dev_t& dev, ino_t& ino, uint64_t& own_print,
                              uint32_t& own_len) {
  int found = -1;
  const bool listed = each_copy(f, [&](int fd, const struct stat& st, uint64_t print, uint32_t print_len) {
    const int64_t t = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    if (t <= f.copies_after || (found >= 0 && t >= mtime)) return false;
    if (found >= 0) ::close(found);
    found = fd;
    mtime = t;
    dev = st.st_dev;
    ino = st.st_ino;
    own_print = print;
    own_len = print_len;
    return true;
  });
  return listed ? found : -1;
}

}  // namespace gw502
