// The classifier of one thread: a literal prefilter that finds candidate
// lines in whole buffers, one RE2::Set per (log family, error/access) that
// names the matching rules of a candidate, and each rule's own RE2 for field
// extraction on matched lines only.
// Not thread-safe: give every worker its own Classifier. What is compiled
// (the RE2 sets and rules: RE2 matches from many threads at once; the
// prefilters' RE2 or Hyperscan databases) is shared between a classifier and
// those made from it with `share` (D13: memory and start-up do not grow with
// -j times the catalogue); each keeps only scratch of its own: Hyperscan
// scratch, the hits vector, the message cache.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catalogue/catalogue.hpp"
#include "prefilter/chunk_shape.hpp"
#include "prefilter/prefilter.hpp"

namespace re2 {
class RE2;
}

namespace gw502 {

class Classifier {
 public:
  // Compiles the catalogue; check ok(). The catalogue must outlive this.
  explicit Classifier(const Catalogue& cat, PrefilterEngine engine = PrefilterEngine::automatic);
  // Another thread's classifier: shares what first compiled (reference-
  // counted: first may be destroyed before it).
  struct Share {};
  static constexpr Share share{};
  Classifier(const Classifier& first, Share);
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  bool ok() const { return error_.empty(); }
  // Builds every rule set now instead of on first use (a long-lived
  // classifier, such as the nginx module's, built before nginx forks its
  // workers). False, with error(), when one cannot be built.
  bool build_all();

  // Builds the rule sets of one family now (both kinds), which classify()
  // would build on its first line of that family: a second thread can do it
  // while the first compiles the prefilter. A set that cannot be built is
  // reported by classify() as before.
  void prepare(LogFamily family);

  const std::string& error() const { return error_; }
  const Catalogue& catalogue() const { return cat_; }
  // "hyperscan", "re2", or "none" (a rule without literal: every line is a candidate).
  const char* prefilter_name() const;

  // Every candidate line of buf: the offset of each one's end ('\n', or
  // buf.size() for a last line without one), ascending. False
  // positives are allowed; a line that some rule matches is never skipped.
  // The vector is the classifier's own, reused: valid until the next call.
  const std::vector<size_t>& candidates(std::string_view buf);
  // The same, for a chunk whose shape the caller has found already.
  const std::vector<size_t>& candidates(std::string_view buf, ChunkShape shape);
  // Whether one line would be a candidate in a chunk of only JSON lines (the
  // smaller literal set). For counting what such lines give the same way
  // whatever chunk they fall in (D11). Leaves candidates() untouched.
  bool json_candidate(std::string_view line);

  // The first rule (in priority order) of this family and kind that matches
  // text, or kNoRule. For error-log rules text is the message; for access rules
  // the whole line, and `status` must be in the rule's status list.
  // kMatchError: RE2 could not run the match (its DFA ran out of memory, or
  // its family's set could not be built: sets are built on first use);
  // the line is unknown, not "no rule", and the caller must count it.
  static constexpr int kNoRule = -1;
  static constexpr int kMatchError = -2;
  int classify(LogFamily family, bool access, std::string_view text, int status = 0);

  // The named group "upstream" of a rule matched against text, or "".
  std::string_view capture_upstream(int rule, std::string_view text);

 private:
  struct Set;
  struct Compiled;  // the sets and rules, shared
  int match(LogFamily family, bool access, std::string_view text, int status);
  void build_prefilters(PrefilterEngine engine);
  // A prefilter compiled on first use, once for all classifiers that share
  // it; each classifier clones its own scratch from it. Most inputs are
  // chunks of one shape: an nginx error log never needs the JSON set, a
  // Caddy log never the nginx one, and neither needs the set of every
  // rule's literals (the largest, ~20 ms to compile). Compiling the two
  // smaller sets up front was a third of a short run's start-up.
  struct Lazy;
  // This classifier's clone of `shared`'s prefilter (made on first use);
  // null when there is none or it cannot be built.
  Prefilter* lazy(std::shared_ptr<Lazy>& shared, std::unique_ptr<Prefilter>& mine);
  // Every rule's literals; null: none (every line is a candidate). A
  // failure to build it sets error() and makes every line a candidate.
  Prefilter* general();
  const Catalogue& cat_;
  PrefilterEngine engine_;
  std::string error_;
  std::shared_ptr<const Compiled> compiled_;
  std::shared_ptr<Lazy> general_;         // null: every line is a candidate
  std::unique_ptr<Prefilter> prefilter_;  // general_'s, once general() has run
  // For chunks whose every line is JSON (or logrus text), or nginx's error
  // log; null, or not buildable: general()'s.
  std::shared_ptr<Lazy> json_, nginx_;
  std::unique_ptr<Prefilter> json_prefilter_;
  std::unique_ptr<Prefilter> nginx_prefilter_;
  std::vector<int> hits_;  // reused by every classify()
  std::vector<size_t> candidates_;
  std::vector<size_t> line_candidates_;  // scratch of json_candidate()

  // Log messages repeat: the same text gets the same rule. A small
  // direct-mapped cache of recent error-log messages skips RE2::Set for
  // them; fixed slots, no allocation after construction.
  struct Slot {
    size_t hash = 0;
    uint16_t len = 0;
    uint8_t family = 0xff;
    int rule = -1;
    char text[118];
  };
  static constexpr size_t kSlots = 1024;
  std::vector<Slot> cache_;
};

}  // namespace gw502
