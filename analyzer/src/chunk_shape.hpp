// What kind of lines a chunk holds, told from each line's first bytes in one
// vectorised pass. When every line is of one kind, only the rules that kind
// of line can reach need be sought, and the prefilter scans for fewer
// literals. The tests mirror detect_line_format() exactly: a chunk is only
// called `json`, `nginx_error` or `logfmt` when detect_line_format() would
// say so (or call it another Go proxy's format) of every one of its lines.
#pragma once
#include <string_view>

namespace gw502 {

enum class ChunkShape {
  mixed,        // anything else, or a mix
  json,         // every line starts with '{'
  nginx_error,  // every line starts "DDDD/DD/DD DD:DD:DD [lvl" (nginx's error log):
                // detect_line_format() says nginx_error, decode_nginx_access() fails
  logfmt,       // every line starts `time="` (logrus text: Traefik v2), a Go proxy's
};

// Lines end at '\n'; an empty chunk is mixed. The last line need not end in
// '\n'. Reads nothing outside buf.
ChunkShape chunk_shape(std::string_view buf);

}  // namespace gw502
