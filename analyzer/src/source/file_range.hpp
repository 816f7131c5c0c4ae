// Reads byte ranges of files by path: the lines a report prints of samples
// kept by reference (aggregate/aggregator.hpp, Sample), read back after
// the scan. Keeps the last file it read open; closed when it goes.
#pragma once
#include <cstdint>
#include <string>

namespace gw502 {

class FileRanges {
 public:
  FileRanges() = default;
  FileRanges(const FileRanges&) = delete;
  FileRanges& operator=(const FileRanges&) = delete;
  ~FileRanges();
  // Reads `len` bytes at `offset` of the file at `path` into out. False when
  // the file cannot be opened or holds fewer bytes there.
  bool read(const std::string& path, uint64_t offset, size_t len, std::string& out);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace gw502
