#include "source/source.hpp"

#include "source/json_document.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

namespace gw502 {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

// Truncation of a mapped file (D3). A page past the file's end raises SIGBUS
// when touched; the handler maps zeros over the rest of the map instead,
// notes the truncation, and returns, so the access that faulted reads zeros
// and the reader carries on to the next check. Faults anywhere else go to
// the handler that was there before (or the default action).
struct MapSlot {
  std::atomic<uintptr_t> begin{0};  // 0: free
  std::atomic<uintptr_t> end{0};
  std::atomic<uintptr_t> fault{UINTPTR_MAX};  // the lowest address that faulted
};
constexpr size_t kMapSlots = 64;
constexpr uintptr_t kClaimed = 1;  // being filled in
MapSlot g_maps[kMapSlots];
struct sigaction g_previous_sigbus;
uintptr_t g_page = 4096;

void on_sigbus(int sig, siginfo_t* si, void* ctx) {
  const auto a = reinterpret_cast<uintptr_t>(si->si_addr);
  for (MapSlot& m : g_maps) {
    const uintptr_t b = m.begin.load(std::memory_order_acquire), e = m.end.load(std::memory_order_acquire);
    if (b == 0 || b == kClaimed || a < b || a >= e) continue;
    const uintptr_t from = a & ~(g_page - 1);
    void* p = ::mmap(reinterpret_cast<void*>(from), e - from, PROT_READ,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p != MAP_FAILED) {
      uintptr_t f = m.fault.load();
      while (from < f && !m.fault.compare_exchange_weak(f, from)) {
      }
      return;
    }
    break;
  }
  const struct sigaction& prev = g_previous_sigbus;
  if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction) {
    prev.sa_sigaction(sig, si, ctx);
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler) {
    prev.sa_handler(sig);
  } else {
    // The default action: returning re-runs the access, which faults again.
    ::signal(SIGBUS, SIG_DFL);
  }
}

MapSlot* guard_map(const void* p, size_t len) {
  static std::once_flag once;
  std::call_once(once, [] {
    g_page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous_sigbus);
  });
  const auto b = reinterpret_cast<uintptr_t>(p);
  for (MapSlot& m : g_maps) {
    uintptr_t free_slot = 0;
    if (!m.begin.compare_exchange_strong(free_slot, kClaimed)) continue;
    m.fault.store(UINTPTR_MAX);
    m.end.store(b + ((len + g_page - 1) & ~(g_page - 1)));
    m.begin.store(b, std::memory_order_release);
    return &m;
  }
  return nullptr;  // all slots taken: the caller reads instead of mapping
}

// Raw bytes from a descriptor; the first few bytes may have been peeked.
class FdSource final : public Source {
 public:
  FdSource(int fd, bool own) : fd_(fd), own_(own) {}
  ~FdSource() override {
    if (map_) {
      ::munmap(map_, map_len_);
      slot_->begin.store(0, std::memory_order_release);
    }
    if (own_) ::close(fd_);
  }
  bool map(std::string_view& out) override {
    struct stat st;
    if (!own_ || map_ || ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return false;
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) return false;
    slot_ = guard_map(p, static_cast<size_t>(st.st_size));
    if (!slot_) {
      ::munmap(p, static_cast<size_t>(st.st_size));
      return false;
    }
    ::madvise(p, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
    map_ = p;
    map_len_ = static_cast<size_t>(st.st_size);
    out = std::string_view(static_cast<const char*>(p), map_len_);
    return true;
  }
  size_t map_skip_line(size_t from) override {
    std::vector<char> buf(256 << 10);
    while (from < map_len_) {
      off_t d = ::lseek(fd_, static_cast<off_t>(from), SEEK_DATA);
      if (d < 0) {
        if (errno == ENXIO) return map_len_;  // only a hole from here on
        d = static_cast<off_t>(from);         // no SEEK_DATA here: read on
      }
      from = static_cast<size_t>(d);
      if (from >= map_len_) return map_len_;
      ssize_t r = ::pread(fd_, buf.data(), std::min(buf.size(), map_len_ - from), d);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return map_len_;  // an error, or the file shrank
      if (const void* nl = std::memchr(buf.data(), '\n', static_cast<size_t>(r)))
        return from + static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) + 1;
      from += static_cast<size_t>(r);
    }
    return map_len_;
  }
  int dup_map_fd() const override { return map_ ? ::fcntl(fd_, F_DUPFD_CLOEXEC, 0) : -1; }
  size_t map_valid_size() override {
    if (!map_) return 0;
    size_t valid = map_len_;
    const uintptr_t f = slot_->fault.load(std::memory_order_acquire);
    if (f != UINTPTR_MAX) valid = std::min(valid, static_cast<size_t>(f - reinterpret_cast<uintptr_t>(map_)));
    struct stat st;
    if (::fstat(fd_, &st) == 0) valid = std::min(valid, static_cast<size_t>(std::max<off_t>(st.st_size, 0)));
    return valid;
  }
  // The next reads give these bytes first (all earlier ones unread or read).
  void unread(const char* p, size_t n) {
    peek_.assign(p, p + n);
    peek_pos_ = 0;
  }
  long read(char* dst, size_t n, std::string& err) override {
    if (peek_pos_ < peek_.size()) {
      size_t k = std::min(n, peek_.size() - peek_pos_);
      std::memcpy(dst, peek_.data() + peek_pos_, k);
      peek_pos_ += k;
      return static_cast<long>(k);
    }
    for (;;) {
      ssize_t r = ::read(fd_, dst, n);
      if (r >= 0) return static_cast<long>(r);
      if (errno == EINTR) continue;
      err = errno_text(errno);
      return -1;
    }
  }

 private:
  int fd_;
  bool own_;
  std::vector<char> peek_;
  size_t peek_pos_ = 0;
  void* map_ = nullptr;
  size_t map_len_ = 0;
  MapSlot* slot_ = nullptr;
};

constexpr size_t kInBlock = 256 * 1024;

class GzipSource final : public Source {
 public:
  explicit GzipSource(std::unique_ptr<Source> raw) : raw_(std::move(raw)), in_(kInBlock) {
    compression_ = Compression::gzip;
    std::memset(&zs_, 0, sizeof zs_);
    ok_ = inflateInit2(&zs_, 15 + 16) == Z_OK;
  }
  ~GzipSource() override { inflateEnd(&zs_); }
  long read(char* dst, size_t n, std::string& err) override {
    if (!ok_) {
      err = "cannot initialise zlib";
      return -1;
    }
    zs_.next_out = reinterpret_cast<Bytef*>(dst);
    zs_.avail_out = static_cast<uInt>(n);
    while (zs_.avail_out == n) {
      if (zs_.avail_in == 0) {
        if (eof_) {
          if (in_member_) {
            err = "truncated gzip data";
            return -1;
          }
          return 0;
        }
        long r = raw_->read(in_.data(), in_.size(), err);
        if (r < 0) return -1;
        if (r == 0) {
          eof_ = true;
          continue;
        }
        zs_.next_in = reinterpret_cast<Bytef*>(in_.data());
        zs_.avail_in = static_cast<uInt>(r);
      }
      if (!in_member_) {
        // A new member (gzip files may be concatenated) must start with the magic.
        if (zs_.avail_in >= 1 && zs_.next_in[0] != 0x1f) {
          // Trailing garbage after a complete member (e.g. zero padding): stop.
          eof_ = true;
          zs_.avail_in = 0;
          continue;
        }
        inflateReset(&zs_);
        in_member_ = true;
      }
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        in_member_ = false;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        err = std::string("corrupt gzip data (") + (zs_.msg ? zs_.msg : "zlib error") + ")";
        return -1;
      }
    }
    return static_cast<long>(n - zs_.avail_out);
  }

 private:
  std::unique_ptr<Source> raw_;
  std::vector<char> in_;
  z_stream zs_;
  bool ok_ = false;
  bool eof_ = false;
  bool in_member_ = false;
};

class ZstdSource final : public Source {
 public:
  explicit ZstdSource(std::unique_ptr<Source> raw)
      : raw_(std::move(raw)), in_(ZSTD_DStreamInSize()), dctx_(ZSTD_createDCtx()) {
    compression_ = Compression::zstd;
  }
  ~ZstdSource() override { ZSTD_freeDCtx(dctx_); }
  long read(char* dst, size_t n, std::string& err) override {
    ZSTD_outBuffer out{dst, n, 0};
    for (;;) {
      if (in_buf_.pos == in_buf_.size && !eof_) {
        long r = raw_->read(in_.data(), in_.size(), err);
        if (r < 0) return -1;
        if (r == 0) eof_ = true;
        in_buf_ = ZSTD_inBuffer{in_.data(), static_cast<size_t>(r), 0};
      }
      const size_t in_before = in_buf_.pos;
      size_t rc = ZSTD_decompressStream(dctx_, &out, &in_buf_);
      if (ZSTD_isError(rc)) {
        err = std::string("corrupt zstd data (") + ZSTD_getErrorName(rc) + ")";
        return -1;
      }
      // 0 means a frame just ended; only calls that did work say so.
      if (in_buf_.pos != in_before || out.pos > 0) frame_open_ = rc != 0;
      if (out.pos > 0) return static_cast<long>(out.pos);
      if (eof_ && in_buf_.pos == in_buf_.size) {
        // The last frame wanted more input than the file had.
        if (frame_open_) {
          err = "truncated zstd data";
          return -1;
        }
        return 0;
      }
    }
  }

 private:
  std::unique_ptr<Source> raw_;
  std::vector<char> in_;
  ZSTD_DCtx* dctx_;
  ZSTD_inBuffer in_buf_{nullptr, 0, 0};
  bool eof_ = false;
  bool frame_open_ = false;
};

// Text written as UTF-16 with its byte-order mark, as Windows PowerShell
// 5's `>` and Out-File write `docker logs` output: read as UTF-8, the mark
// dropped. A lone surrogate becomes U+FFFD, an odd last byte an error.
class Utf16Source final : public Source {
 public:
  Utf16Source(std::unique_ptr<Source> raw, bool big_endian)
      : raw_(std::move(raw)), big_endian_(big_endian), in_(kInBlock) {}
  long read(char* dst, size_t n, std::string& err) override {
    if (!failed_.empty() && pending_at_ == pending_len_) {
      err = failed_;
      return -1;
    }
    size_t out = 0;
    while (out < n) {
      if (pending_at_ < pending_len_) {  // a character that did not fit last time
        dst[out++] = pending_[pending_at_++];
        continue;
      }
      uint32_t unit = 0;
      const int got = next_unit(unit, err);
      if (got < 0) {
        if (out == 0 && pending_at_ == pending_len_) return -1;
        failed_ = err;  // what was read comes first, the error next time
        err.clear();
        while (out < n && pending_at_ < pending_len_) dst[out++] = pending_[pending_at_++];
        return static_cast<long>(out);
      }
      if (got == 0) break;
      if (first_) {
        first_ = false;
        if (unit == 0xFEFF) continue;
      }
      uint32_t cp = unit;
      if (high_) {  // the unit after a high surrogate
        const uint32_t high = high_;
        high_ = 0;
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
          cp = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00);
        } else {
          encode(0xFFFD);
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            high_ = unit;
            continue;
          }
        }
      } else if (unit >= 0xD800 && unit <= 0xDBFF) {
        high_ = unit;
        continue;
      } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
        cp = 0xFFFD;
      }
      encode(cp);
    }
    if (out == 0 && high_ && eof_ && pos_ >= len_) {  // a high surrogate at the very end
      high_ = 0;
      encode(0xFFFD);
      while (out < n && pending_at_ < pending_len_) dst[out++] = pending_[pending_at_++];
    }
    return static_cast<long>(out);
  }

 private:
  // 1 with the next 16-bit unit, 0 at the end, -1 on error.
  int next_unit(uint32_t& unit, std::string& err) {
    while (len_ - pos_ < 2) {
      if (eof_) {
        if (len_ - pos_ == 1) {
          err = "UTF-16 text with an odd number of bytes";
          return -1;
        }
        return 0;
      }
      if (pos_ > 0) {  // keep an odd byte, refill behind it
        const size_t keep = len_ - pos_;
        std::memmove(in_.data(), in_.data() + pos_, keep);
        len_ = keep;
        pos_ = 0;
      }
      const long r = raw_->read(in_.data() + len_, in_.size() - len_, err);
      if (r < 0) return -1;
      if (r == 0) eof_ = true;
      len_ += static_cast<size_t>(r);
    }
    const auto a = static_cast<unsigned char>(in_[pos_]), b = static_cast<unsigned char>(in_[pos_ + 1]);
    unit = big_endian_ ? (uint32_t{a} << 8 | b) : (uint32_t{b} << 8 | a);
    pos_ += 2;
    return 1;
  }
  // cp as UTF-8 after what pending_ still holds (at most a U+FFFD before it).
  void encode(uint32_t cp) {
    if (pending_at_ == pending_len_) pending_at_ = pending_len_ = 0;
    char* p = pending_ + pending_len_;
    if (cp < 0x80) {
      *p++ = static_cast<char>(cp);
    } else if (cp < 0x800) {
      *p++ = static_cast<char>(0xC0 | (cp >> 6));
      *p++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *p++ = static_cast<char>(0xE0 | (cp >> 12));
      *p++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *p++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *p++ = static_cast<char>(0xF0 | (cp >> 18));
      *p++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *p++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *p++ = static_cast<char>(0x80 | (cp & 0x3F));
    }
    pending_len_ = static_cast<size_t>(p - pending_);
  }

  std::unique_ptr<Source> raw_;
  bool big_endian_;
  std::vector<char> in_;
  size_t pos_ = 0, len_ = 0;
  bool eof_ = false, first_ = true;
  uint32_t high_ = 0;  // a high surrogate waiting for its low one
  std::string failed_;  // an error met after some text, for the next call
  char pending_[8] = {};
  size_t pending_at_ = 0, pending_len_ = 0;
};

}  // namespace

size_t read_up_to(Source& src, char* dst, size_t n, std::string& err, bool& failed) {
  size_t got = 0;
  failed = false;
  while (got < n) {
    const long r = src.read(dst + got, n - got, err);
    if (r < 0) failed = true;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

std::unique_ptr<Source> source_from_fd(int fd, bool own_fd, std::string& err) {
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (own_fd) ::close(fd);
    err = "is a directory";
    return nullptr;
  }
  auto raw = std::make_unique<FdSource>(fd, own_fd);
  // Peek at the magic bytes.
  char magic[4];
  bool failed = false;
  size_t got = read_up_to(*raw, magic, sizeof magic, err, failed);
  if (failed) return nullptr;
  raw->unread(magic, got);
  const auto* m = reinterpret_cast<const unsigned char*>(magic);
  // Decoded streams are looked at after decoding: pretty-printed JSON may
  // be compressed, or saved as UTF-16 (PowerShell 5's '>').
  if (got >= 2 && m[0] == 0x1f && m[1] == 0x8b)
    return json_document_if_pretty(std::make_unique<GzipSource>(std::move(raw)));
  if (got >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
    return json_document_if_pretty(std::make_unique<ZstdSource>(std::move(raw)));
  if (got >= 2 && ((m[0] == 0xff && m[1] == 0xfe) || (m[0] == 0xfe && m[1] == 0xff)))
    return json_document_if_pretty(std::make_unique<Utf16Source>(std::move(raw), m[0] == 0xfe));
  // Pretty-printed JSON opens with a brace or a bracket alone on its line
  // (after blanks or a UTF-8 mark): a longer look says.
  if (got == sizeof magic && std::memchr("{[ \t\r\n\xEF", magic[0], 7)) {
    char head[64];  // (the magic bytes come back first)
    got = read_up_to(*raw, head, sizeof head, err, failed);
    if (failed) return nullptr;
    raw->unread(head, got);
    if (pretty_json_head(std::string_view(head, got))) return std::make_unique<JsonDocumentSource>(std::move(raw));
  }
  return raw;
}

std::unique_ptr<Source> open_source(const std::string& path, std::string& err) {
  if (path == "-") return source_from_fd(0, false, err);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = errno_text(errno);
    return nullptr;
  }
  return source_from_fd(fd, true, err);
}

}  // namespace gw502
