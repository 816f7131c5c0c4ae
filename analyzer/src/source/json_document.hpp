// Pretty-printed JSON, as people paste it (`jq .` of Caddy's or Traefik's
// JSON lines) and as cloud command-line tools export it (`gcloud logging
// read --format=json`: an array of entries; `aws logs filter-log-events`:
// {"events": [...]}), read as one record per line, so that the decoders see
// what they would see in the log itself:
// - top-level objects, one after another: each is a record;
// - a top-level array: each object in it is a record;
// - a top-level object whose first member is an array of objects (a tool's
//   answer around its entries): each object in that array is a record, the
//   rest of the answer is dropped.
// Whitespace outside strings goes (JSON strings hold no raw line breaks), so
// a record becomes one line. Streamed: memory does not grow with the input.
// A record's line number in the report is its place among the records.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "source/source.hpp"

namespace gw502 {

// Whether `head`, the input's first bytes, opens pretty-printed JSON: its
// first line with anything on it is `{` or `[` (or `[{`) alone. A JSON line
// (a whole object on its first line) is not: it is read as it is.
bool pretty_json_head(std::string_view head);

// A decoded stream (gzip, zstd, UTF-16) whose first bytes say it is
// pretty-printed JSON is read through a JsonDocumentSource; any other is
// returned as it reads, its first bytes included (a read that fails while
// they are looked at fails after them).
std::unique_ptr<Source> json_document_if_pretty(std::unique_ptr<Source> src);

class JsonDocumentSource final : public Source {
 public:
  explicit JsonDocumentSource(std::unique_ptr<Source> inner);
  long read(char* dst, size_t n, std::string& err) override;

 private:
  // One byte of input: appended to out_ when it belongs to a record.
  void step(char c);
  void emit(char c) { out_.push_back(c); }

  std::unique_ptr<Source> inner_;
  std::string in_;       // a block read from inner_
  std::string out_;      // records' bytes, not yet handed out
  size_t out_at_ = 0;
  bool eof_ = false;
  // The parse state: depth of open objects and arrays, inside a string.
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  // Records are the objects that open at this depth (-1: not known yet).
  int record_depth_ = -1;
  bool in_record_ = false;
  // A top-level object's first member, held until its value shows whether
  // the object is a record or a tool's answer around an array of records.
  std::string held_;
  bool holding_ = false;
  bool after_colon_ = false;
  bool in_array_ = false;  // the first member's value is an array: held until its first value
};

}  // namespace gw502
