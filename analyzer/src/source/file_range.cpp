#include "source/file_range.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace gw502 {
namespace {

bool read_at(int fd, uint64_t offset, size_t len, std::string& out) {
  out.resize(len);
  size_t got = 0;
  while (got < len) {
    const ssize_t n = ::pread(fd, out.data() + got, len - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

FileRanges::~FileRanges() {
  for (int fd : kept_)
    if (fd >= 0) ::close(fd);
  if (fd_ >= 0) ::close(fd_);
}

bool FileRanges::keep(uint32_t source, int fd) {
  if (fd < 0) return false;
  if (kept_count_ >= kMaxKept || (source < kept_.size() && kept_[source] >= 0)) {
    ::close(fd);
    return false;
  }
  if (source >= kept_.size()) kept_.resize(source + 1, -1);
  kept_[source] = fd;
  ++kept_count_;
  return true;
}

bool FileRanges::read(uint32_t source, const std::string& path, uint64_t offset, size_t len, std::string& out) {
  if (source < kept_.size() && kept_[source] >= 0) return read_at(kept_[source], offset, len, out);
  if (fd_ < 0 || path != path_) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    path_ = fd_ >= 0 ? path : std::string();
    if (fd_ < 0) return false;
  }
  return read_at(fd_, offset, len, out);
}

}  // namespace gw502
