// The pattern catalogue: causes, hints and rules, loaded from JSON (the
// embedded patterns/*.json, then user files). Loading validates everything,
// regexes included, so a broken catalogue fails here and never at match time.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"

namespace gw502 {


struct Cause {
  std::string id;
  std::string family;
  std::string title;
  std::string explain;
  std::vector<std::string> likely;
  std::array<std::vector<std::string>, kProxyKinds> fix;
  // Policy, so that a --patterns file can state it too:
  bool counts_as_failure = true;  // false: not the backend's fault (client_closed);
                                  // shown apart, never in the exit status
  bool served = false;            // the request was served in the end (a retry
                                  // answered): not a failure, not an abort
  unsigned samples = 0;           // samples kept and shown per group; 0: the default
};

// The context a hint needs (evaluated in aggregate/diagnosis.cpp).
enum class HintWhen : uint8_t {
  never = 0,    // no condition given: the hint is only shown by --explain
  loopback,     // the upstream is the proxy's own loopback (127.x, localhost, ::1)
  docker_host,  // the upstream is Docker's host gateway (172.17.0.1, host.docker.internal)
  steady,       // one unbroken burst of at least `min_count` failures
  bursts,       // two or more bursts, kBurstGapMinutes apart
  address_changed,  // the upstream is an IP, and the same site failed at another IP too
};

struct Hint {
  std::string id;
  std::array<std::string, kProxyKinds> text;
  HintWhen when = HintWhen::never;
  std::vector<std::string> applies_to;  // cause ids or families; empty: every cause
  unsigned min_count = 0;
};

struct Rule {
  std::string id;
  int cause = -1;           // index into causes(); -1 for ignore rules
  bool ignore = false;      // known noise: no event
  uint8_t families = 0;     // bit (1 << LogFamily)
  bool access = false;      // regex sees the whole access-log line
  std::string regex;
  std::vector<std::string> literals;
  std::vector<int> status;  // access rules: statuses that count (empty: any)
  // Matches no line on its own: it names the access entries that only tell
  // what a request with a known error entry was served (scan/served_pass).
  bool pair_only = false;
  std::string origin;       // file it came from
  std::string cause_id;     // as written, resolved at the end of loading
};

struct EmbeddedFile {
  const char* name;
  const char* text;
};
extern const EmbeddedFile kEmbeddedCatalogue[];
extern const size_t kEmbeddedCatalogueCount;

class ErrnoTable;

// A user catalogue file is a regular file of at most this many bytes (D4).
constexpr size_t kMaxCatalogueFile = 4 << 20;
// Reads one user catalogue file into text: refuses FIFOs, devices and files
// over kMaxCatalogueFile without blocking; err is one line naming the file.
bool read_catalogue_file(const std::string& path, std::string& text, std::string& err);

class Catalogue {
 public:
  Catalogue();
  ~Catalogue();
  Catalogue(const Catalogue&);
  Catalogue& operator=(const Catalogue&);
  Catalogue(Catalogue&&) noexcept;
  Catalogue& operator=(Catalogue&&) noexcept;

  // The embedded catalogue, then each user file in order (their new rules
  // take priority over the built-in ones; same ids override). Each file
  // must be a regular file of at most kMaxCatalogueFile bytes. On failure
  // returns false and err holds one line: "FILE: rule ID: reason".
  // `generated`: documents made at start-up (--access-format's rules), read
  // as built-in ones after the embedded files.
  bool load(const std::vector<std::string>& user_files, std::string& err,
            const std::vector<EmbeddedFile>& generated = {});
  // Lower-level: one JSON document. `user` files may override built-in ids.
  bool add_json(const std::string& name, std::string_view json, bool user, std::string& err);
  // Resolves cause references; call once after the last add_json.
  bool finish(std::string& err);

  const std::vector<Cause>& causes() const { return causes_; }
  const std::vector<Rule>& rules() const { return rules_; }
  const std::vector<Hint>& hints() const { return hints_; }
  int find_cause(std::string_view id) const;
  int find_rule(std::string_view id) const;
  const Hint* find_hint(std::string_view id) const;
  int unclassified() const { return unclassified_; }

 private:
  std::vector<Cause> causes_;
  std::vector<Hint> hints_;
  std::vector<Rule> rules_;
  size_t user_rules_ = 0;  // user rules sit at the front, in the order given
  bool user_files_ = false;  // any rules from the user's files (their regexes are checked at load)
  int unclassified_ = -1;
  std::unique_ptr<ErrnoTable> errno_;  // errno numbers and phases, turned into rules by finish()
};

}  // namespace gw502
