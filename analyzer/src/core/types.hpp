// The vocabulary every stage shares: which proxy wrote a log, which dialect
// a rule reads, what a source is, what went wrong reading it, and the counts
// a scan and a follow run keep.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gw502 {

// Which proxy's terms a fix is written in. NPM is nginx with a web UI.
enum class ProxyKind : uint8_t { nginx = 0, npm = 1, traefik = 2, caddy = 3 };
constexpr size_t kProxyKinds = 4;
const char* proxy_name(ProxyKind p);    // "nginx", "npm", "traefik", "caddy"
const char* proxy_title(ProxyKind p);   // "nginx", "Nginx Proxy Manager", ...
bool parse_proxy(std::string_view s, ProxyKind& out);

// Which log dialect a rule reads. NPM writes nginx's dialect.
enum class LogFamily : uint8_t { nginx = 0, traefik = 1, caddy = 2 };
constexpr size_t kLogFamilies = 3;
LogFamily family_of(ProxyKind p);
const char* family_name(LogFamily f);  // "nginx", "traefik", "caddy"

struct SourceInfo {
  std::string name;            // as given on the command line ("-" for stdin)
  ProxyKind proxy = ProxyKind::nginx;
  std::string site;            // NPM: "proxy-host-12", "fallback"; else empty
  bool forced = false;         // --proxy: only that proxy's formats are read
  bool unrecognised = false;   // its first lines hold text, none in a format gw502 reads
  // Its first lines (a regular file's first 16 KiB) are all nginx error-log
  // lines: no access entry among them. A guess about the rest of the file
  // (see Aggregator::set_pairing()).
  bool error_log_head = false;
};

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
  uint64_t match_errors = 0;  // lines the regex engine could not match (out of memory)

  ScanStats& operator+=(const ScanStats& o) {
    bytes += o.bytes;
    lines += o.lines;
    candidates += o.candidates;
    events += o.events;
    ignored += o.ignored;
    filtered += o.filtered;
    malformed += o.malformed;
    match_errors += o.match_errors;
    return *this;
  }
};

// What follow mode saw happen to its files.
struct FollowCounters {
  uint64_t files_opened = 0;
  uint64_t rotations = 0;        // a followed file was renamed away or deleted
  uint64_t truncations = 0;
  uint64_t recovered_bytes = 0;  // read from a copytruncate copy
  uint64_t overflows = 0;        // inotify queue overflows (each followed by a full re-check)
  uint64_t resumed = 0;          // a file read before came back under a followed path: not read again
  // Bytes a truncation (copytruncate) took before they were read: the part
  // of the file not yet read when it was truncated, and rotated copies of
  // generations truncated away unread. A lower bound: see follower.hpp.
  uint64_t lost_bytes = 0;
  // Files created at a followed path and deleted before they could be opened
  // (delete and re-create faster than the follower reacts, or the follower
  // was stopped): their lines are lost and their size unknown. A lower bound.
  uint64_t lost_files = 0;
};

// The texts of input problems, in one place.
std::string overlong_problem(size_t max_line);
constexpr const char* kBinaryProblem = "binary data, not a text log; skipped";

}  // namespace gw502
