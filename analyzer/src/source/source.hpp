// Sources yield bytes; they know nothing of lines. A source is opened from a
// path ("-" is standard input) and recognises gzip and zstd by their magic
// bytes, not by the file name.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace gw502 {

enum class Compression { none, gzip, zstd };

class Source {
 public:
  virtual ~Source() = default;
  // Reads up to n bytes into dst. Returns the count, 0 at the end, or -1 on
  // error with a one-line reason in err (without the file name).
  virtual long read(char* dst, size_t n, std::string& err) = 0;
  Compression compression() const { return compression_; }
  // Batch mode only: the whole input mapped into memory, when it is a plain
  // regular file (not compressed, not a pipe). Valid while the source lives.
  // Never used for files that may be truncated under us (follow mode).
  // A batch read can still meet a truncation (copytruncate by logrotate):
  // the pages past the file's new end then read as zeros instead of raising
  // SIGBUS, and map_valid_size() says so (D3).
  virtual bool map(std::string_view& out) {
    (void)out;
    return false;
  }
  // How many bytes of the map the file still backs: the map's size until the
  // file shrinks (fstat, and the first page that faulted). Thread-safe, and
  // cheap enough per chunk.
  virtual size_t map_valid_size() { return 0; }
  // A mapped file: the offset just past the first newline at or after
  // `from`, or the map's size when none follows. Found without touching the
  // map (holes skipped with SEEK_DATA, data read in blocks), so that a huge
  // line costs neither memory nor page faults (D1).
  virtual size_t map_skip_line(size_t from) { return from; }
  // A mapped file: a new descriptor of it (close-on-exec, the caller's to
  // close), so that ranges of the file that was scanned can be read after
  // the source has gone, even once the path names another file. -1 if not
  // mapped or when no descriptor is left.
  virtual int dup_map_fd() const { return -1; }

 protected:
  Compression compression_ = Compression::none;
};

// Reads into dst until n bytes, the end of the input, or an error (a pipe
// gives short reads). Returns the bytes read; an error sets `err` and
// `failed`, the bytes before it still counted.
size_t read_up_to(Source& src, char* dst, size_t n, std::string& err, bool& failed);

// Opens path ("-" for stdin). On failure returns null and sets err to a
// one-line reason (without the file name): missing, unreadable, directory.
std::unique_ptr<Source> open_source(const std::string& path, std::string& err);

// Wraps an already-open file descriptor (owned when own_fd is true).
std::unique_ptr<Source> source_from_fd(int fd, bool own_fd, std::string& err);

}  // namespace gw502
