// The scanner drives one source through framer -> prefilter -> decoder ->
// classifier -> aggregator. Only candidate lines (a prefilter hit) are
// decoded and matched; everything else is skipped at buffer speed.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "catalogue/catalogue.hpp"
#include "prefilter/chunk_shape.hpp"
#include "classify/classifier.hpp"
#include "core/event.hpp"
#include "decode/line_decoder.hpp"
#include "source/source.hpp"

namespace gw502 {

struct SourceInfo {
  std::string name;            // as given on the command line ("-" for stdin)
  ProxyKind proxy = ProxyKind::nginx;
  std::string site;            // NPM: "proxy-host-12", "fallback"; else empty
  bool forced = false;         // --proxy: only that proxy's formats are read
};

// Guesses proxy and site from a path: NPM's /data/logs/proxy-host-N_error.log
// and friends are NPM; everything else is nginx unless `forced` is set.
// Unless forced, every line is read in whatever supported format it is in
// (nginx, Caddy, Traefik); the events of Caddy and Traefik lines carry their
// proxy. refine_source() sets the source's proxy from its first bytes.
SourceInfo describe_source(const std::string& path, const ProxyKind* forced);
void refine_source(SourceInfo& info, std::string_view head);

// Random bytes or an executable rather than a log: NUL bytes and many
// control characters in the first 8 KiB (a log with a NUL run after a crash
// is still mostly text).
bool looks_binary(std::string_view head);

struct Problem {
  std::string source;
  uint64_t line = 0;  // 0: the source as a whole
  std::string message;
};

struct ScanStats {
  uint64_t bytes = 0;
  uint64_t lines = 0;
  uint64_t candidates = 0;
  uint64_t events = 0;
  uint64_t ignored = 0;   // lines a noise rule claimed
  uint64_t filtered = 0;  // classified, but outside --since/--until
  uint64_t malformed = 0; // candidate lines that looked like JSON and were not
  uint64_t paired = 0;    // Caddy access entries of a request whose error entry counted
};

// Receives each classified line as it is found (for --events).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const SourceInfo& src, uint64_t line, const Event& ev, int rule,
                        int cause, std::string_view host) = 0;
};

struct ScanOptions {
  int64_t since = kNoTime;
  int64_t until = kNoTime;
  size_t max_line = 1 << 20;
  size_t block = 1 << 20;
};

class Scanner {
 public:
  Scanner(Classifier& cls, Aggregator& agg, EventSink* sink, const ScanOptions& opt)
      : cls_(cls), agg_(agg), sink_(sink), opt_(opt) {}

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
  NewlineIndex newlines_;  // of the buffer being scanned
  SourceInfo as_[kProxyKinds];
  const SourceInfo* as_of_[kProxyKinds] = {};
  // Requests of the last Caddy error entries counted: the access entry of the
  // same request, which Caddy writes after it, is not counted again.
  static constexpr size_t kRecentRequests = 64;
  uint64_t recent_[kRecentRequests] = {};
  size_t recent_next_ = 0;
};

}  // namespace gw502
