// A collector's JSON record that carries a log line in one of its fields,
// told by the record's first key: Filebeat, Logstash and Elastic exports
// ({"@timestamp":..., the line in "message"}), `journalctl -o json`
// ({"__CURSOR":..., the line in "MESSAGE"}), Fluent Bit ({"date":..., the
// line in "log"}), Vector's file source ({"file":..., the line in
// "message"}), stern's JSON output ({"message":..., "podName":...}). No
// proxy's own JSON starts with these keys. (docker's
// json-file log is told by its "stream" key instead: kDockerLogKey.)
// Shared by the decoders (decode/line_decoder) and the chunk shape pass,
// which calls a chunk holding such a record mixed: its line may be nginx's.
#pragma once
#include <cstddef>
#include <cstring>
#include <string_view>

namespace gw502 {

// Whether the line that starts at s (avail bytes to the buffer's end) opens
// such a record.
inline bool envelope_head(const char* s, size_t avail) {
  if (avail < 4 || s[0] != '{' || s[1] != '"') return false;
  auto is = [&](std::string_view head) {
    return avail >= head.size() && std::memcmp(s, head.data(), head.size()) == 0;
  };
  switch (s[2]) {
    case '@': return is("{\"@timestamp\":");
    case '_': return is("{\"__");
    case 'd': return is("{\"date\":");
    case 'f': return is("{\"file\":");
    case 'm': return is("{\"message\":");
    default: return false;
  }
}

inline bool envelope_head(std::string_view line) { return envelope_head(line.data(), line.size()); }

}  // namespace gw502
