// The structural tables of the catalogue: socket errors by number on each
// platform (and by the text Go prints for them), and the phases of a proxied
// request as nginx and Go name them. Each (errno, phase) pair with a cause
// becomes an ordinary rule, so RE2 stays the one definition of a match and
// `--list-rules` shows them; a --patterns file can add a platform's number,
// a Go wording or a phase.
#pragma once
#include <simdjson.h>

#include <string>
#include <utility>
#include <vector>

#include "catalogue/catalogue.hpp"

namespace gw502 {

struct ErrnoEntry {
  std::string name;                  // "ECONNREFUSED"
  std::vector<int> numbers;          // 111 (Linux), 61 (BSD, macOS), 10061 (Windows)
  std::vector<std::string> go;       // "connection refused", the Windows wording, ...
  std::vector<std::pair<std::string, std::string>> causes;  // phase id -> cause id
  std::string origin;
};

struct Phase {
  std::string id;                    // "connect", "read", ...
  std::vector<std::string> nginx;    // "connecting to upstream" (after " while ")
  // What the prefilter seeks for those texts (empty: the texts themselves):
  // pieces of them whose last bytes are rare in logs scan faster (Hyperscan
  // hashes a literal's end). Each text holds one of them.
  std::vector<std::string> nginx_literals;
  std::vector<std::string> go;       // Go's syscall ops: "dial", "connect", "connectex"
  // nginx calls that belong to the phase whatever follows: "connect()" (a line
  // cut before its " while ..." still names the failed connect).
  std::vector<std::string> nginx_calls;
};

class ErrnoTable {
 public:
  // Reads the optional "errno" and "phases" arrays of one catalogue file.
  // An entry with a known name or id replaces the earlier one.
  bool add(simdjson::dom::object root, const std::string& file, std::string& err);
  // The generated rules (cause ids unresolved, as parsed rules are), in
  // table order; errors name the entry ("FILE: errno NAME: reason").
  bool rules(std::vector<Rule>& out, std::string& err) const;

 private:
  std::vector<ErrnoEntry> errnos_;
  std::vector<Phase> phases_;
};

}  // namespace gw502
