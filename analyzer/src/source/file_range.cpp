#include "source/file_range.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace gw502 {

FileRanges::~FileRanges() {
  if (fd_ >= 0) ::close(fd_);
}

bool FileRanges::read(const std::string& path, uint64_t offset, size_t len, std::string& out) {
  if (fd_ < 0 || path != path_) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    path_ = fd_ >= 0 ? path : std::string();
    if (fd_ < 0) return false;
  }
  out.resize(len);
  size_t got = 0;
  while (got < len) {
    const ssize_t n = ::pread(fd_, out.data() + got, len - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace gw502
