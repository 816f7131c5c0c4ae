// Reads byte ranges of the files a batch run mapped: the lines a report
// prints of samples kept by reference (aggregate/aggregator.hpp, Sample),
// read back after the scan. A source's own descriptor, kept from its scan
// (Source::dup_map_fd), reads the file that was scanned even after it was
// renamed, deleted or replaced (logrotate); past kMaxKept sources, or
// without one, the file is opened again by path (the last one stays open).
// A file rewritten or cut in place is the caller's to notice (the sample's
// hash and length).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gw502 {

class FileRanges {
 public:
  // Descriptors kept at most: a glob of thousands of rotated files must not
  // exhaust the process's descriptors.
  static constexpr size_t kMaxKept = 256;

  FileRanges() = default;
  FileRanges(const FileRanges&) = delete;
  FileRanges& operator=(const FileRanges&) = delete;
  ~FileRanges();
  // Keeps fd (owned from now on) for the source's ranges. False, and fd
  // closed, past kMaxKept or for fd < 0: that source is read by path.
  bool keep(uint32_t source, int fd);
  // Reads `len` bytes at `offset` of the source (its kept descriptor, else
  // the file at `path`) into out. False when the file cannot be opened or
  // holds fewer bytes there.
  bool read(uint32_t source, const std::string& path, uint64_t offset, size_t len, std::string& out);

 private:
  std::vector<int> kept_;  // by source index, -1: none
  size_t kept_count_ = 0;
  std::string path_;
  int fd_ = -1;
};

}  // namespace gw502
