// Scans a source on several threads. A producer cuts the input into
// newline-aligned chunks (slices of a memory map for plain files, the
// framer's own buffers, handed over without a copy, for gzip, zstd and pipes, so decompression runs on
// its own thread); workers classify chunks, each with its own Classifier;
// results are merged strictly in chunk order, so reports, samples, line
// numbers and --events output are the same whatever the thread count.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"
#include "classify/classifier.hpp"
#include "scan/scanner.hpp"
#include "source/source.hpp"

namespace gw502 {

class Pipeline {
 public:
  // threads >= 1. Builds one Classifier per thread (check ok()).
  // chunk_bytes: a plain file's chunks (slices of its map); a stream's are at
  // most kStreamBlock. With events, at most kEventChunk (a chunk's events wait for
  // the ordered merge: their memory grows with the chunk).
  // 1 MiB: half the hand-overs of 512 KiB (a wake-up of the producer, a
  // worker and the merge each) at 2-4 MiB more peak RSS; 128 MB multisite
  // logs, -j2: 2-9 % less wall time and a third less system time on this
  // 2-core machine. 2 MiB took hostflood over 32 MiB.
  static constexpr size_t kChunk = 1 << 20;
  static constexpr size_t kEventChunk = 256 << 10;
  // A stream's chunks: buffers of kStreamBlock + max_line (not zero-filled:
  // the room for an over-long line is resident only once one uses it), up
  // to workers queued plus those in work.
  static constexpr size_t kStreamBlock = 512 << 10;
  Pipeline(const Catalogue& cat, unsigned threads, const ScanOptions& opt,
           size_t chunk_bytes = kChunk);
  ~Pipeline();
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // Scans one source into agg; events (when out is set) reach it in input order,
  // with their line numbers, from the thread that called scan().
  // Returns false when the source could not be read to its end.
  bool scan(Source& src, const SourceInfo& info, uint32_t source_index, Aggregator& agg,
            ScanStats& stats, std::vector<Problem>& problems, EventSink* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string error_;
};

}  // namespace gw502
