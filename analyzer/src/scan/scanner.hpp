// The scanner drives one source through framer -> prefilter -> decoder ->
// classifier -> aggregator. Only candidate lines (a prefilter hit) are
// decoded and matched; everything else is skipped at buffer speed.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"
#include "prefilter/chunk_shape.hpp"
#include "classify/classifier.hpp"
#include "base/local_time.hpp"
#include "core/event.hpp"
#include "core/event_sink.hpp"
#include "core/types.hpp"
#include "decode/line_decoder.hpp"
#include "source/source.hpp"

namespace gw502 {

struct ScanOptions {
  int64_t since = kNoTime;  // UTC
  int64_t until = kNoTime;
  bool naive_utc = false;   // naive log times are UTC (--utc); else this process's zone
  PrefilterEngine prefilter = PrefilterEngine::automatic;  // the pipeline's classifiers
  size_t max_line = 1 << 20;
  size_t block = 1 << 20;
  // --access-format: access lines in this nginx log_format are read too
  // (compiled once, shared by every scanner; its rules must be in the
  // catalogue: scan/access_format_rules.hpp).
  std::shared_ptr<const AccessFormat> access_format;
  // Pipeline: samples of a mapped file are kept by reference (Sample), not
  // as text; whoever reads the report must give the Aggregator a reader.
  bool sample_refs = false;
};

class Scanner {
 public:
  Scanner(Classifier& cls, Aggregator& agg, EventSink* sink, const ScanOptions& opt)
      : cls_(cls), agg_(agg), sink_(sink), opt_(opt) {
    decoder_.set_access_format(opt_.access_format.get());
  }

  // Reads the whole source. Problems (over-long lines, binary data, read
  // errors) are appended; what could be read is counted all the same.
  // Returns false when the source could not be read to its end.
  bool scan(Source& src, const SourceInfo& info, uint32_t source_index, ScanStats& stats,
            std::vector<Problem>& problems);

  // One newline-aligned buffer whose first line is number first_line.
  // Returns the number of lines in it. Lines longer than max_line are
  // reported in problems and only their first max_line bytes are read.
  uint64_t scan_buffer(std::string_view buf, uint64_t first_line, const SourceInfo& info,
                       uint32_t source_index, ScanStats& stats, std::vector<Problem>& problems);

 private:
  void report_overlong(std::string_view buf, uint64_t first_line, const SourceInfo& info,
                       std::vector<Problem>& problems) const;
  void line(std::string_view raw, uint64_t number, const SourceInfo& info, uint32_t source_index,
            ScanStats& stats);

  // The source as events of `proxy` report it (a Caddy line in a file taken for nginx).
  const SourceInfo& source_as(const SourceInfo& info, ProxyKind proxy);

  Classifier& cls_;
  Aggregator& agg_;
  EventSink* sink_;
  ScanOptions opt_;
  LineDecoder decoder_;
  LocalZone zone_{opt_.naive_utc};
  NewlineIndex newlines_;  // of the buffer being scanned
  ChunkShape shape_ = ChunkShape::mixed;  // of the buffer being scanned
  SourceInfo as_[kProxyKinds];
  const SourceInfo* as_of_[kProxyKinds] = {};
};

}  // namespace gw502
