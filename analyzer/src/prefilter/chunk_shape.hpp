// What kind of lines a chunk holds, told from each line's first bytes in one
// vectorised pass. When every line is of one kind, only the rules that kind
// of line can reach need be sought, and the prefilter scans for fewer
// literals. The tests mirror detect_line_format() exactly: a chunk is only
// called `json`, `nginx_error` or `logfmt` when detect_line_format() would
// say so (or call it another Go proxy's format) of every one of its lines.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace gw502 {

// A chunk whose every line is behind a multiplexer's prefix
// (base/compose_prefix.hpp: `docker compose logs`) has the shape of what
// follows the prefixes.
enum class ChunkShape {
  mixed,        // anything else, or a mix
  json,         // every line a proxy's own JSON by its first key (chunk_shape.cpp: json_head)
  nginx_error,  // every line starts "DDDD/DD/DD DD:DD:DD [lvl" (nginx's error log):
                // detect_line_format() says nginx_error, decode_nginx_access() fails
  logfmt,       // every line starts `time="` (logrus text: Traefik v2), a Go proxy's
};

// Newlines counted per 256 bytes in the same pass, so that a line's number
// costs a count within 256 bytes instead of a second pass over the whole
// chunk (a candidate is one line in four in a Go proxy's log: the count per
// line showed at 3 % with a KiB step).
class NewlineIndex {
 public:
  static constexpr size_t kStep = 256;
  // Newlines in buf[0, pos), pos <= buf.size().
  uint64_t before(size_t pos) const;
  uint64_t total() const { return total_; }

 private:
  friend class NewlineIndexFill;
  const char* base_ = nullptr;
  std::vector<uint32_t> at_;  // newlines before each kStep boundary
  uint64_t total_ = 0;
};

// Lines end at '\n'; an empty chunk is mixed. The last line need not end in
// '\n'. Reads nothing outside buf. With an index, the whole chunk is read
// (its newlines counted) even once the shape is known; without, the look
// stops at the first line of another kind.
ChunkShape chunk_shape(std::string_view buf, NewlineIndex* index = nullptr);

}  // namespace gw502
