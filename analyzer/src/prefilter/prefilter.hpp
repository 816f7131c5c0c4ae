// The literal prefilter: finds, in a whole buffer, the lines where any rule's
// literal occurs. False positives are allowed (the rules decide); false
// negatives never. Hyperscan (Teddy/FDR, SIMD) when the build has it,
// RE2 over an alternation of the literals otherwise. One per thread.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gw502 {

// every_line: no prefilter, every line is a candidate (tests: a literal set
// that misses a rule's lines cannot hide behind the prefilter then).
enum class PrefilterEngine { automatic, hyperscan, re2, every_line };

class Prefilter {
 public:
  // Builds a prefilter for the literals (non-empty). On failure returns null
  // with a reason in err. `automatic` picks Hyperscan when available.
  static std::unique_ptr<Prefilter> build(const std::vector<std::string>& literals,
                                          PrefilterEngine engine, std::string& err);
  static bool hyperscan_available();

  virtual ~Prefilter() = default;
  // Every line of buf with a hit: the offset of each such line's end (its
  // '\n', or buf.size() for a last line without one), in ascending order,
  // in `hits` (cleared first).
  virtual void candidates(std::string_view buf, std::vector<size_t>& hits) = 0;
  virtual const char* name() const = 0;
  // Another thread's prefilter: shares this one's compiled database (RE2 or
  // Hyperscan), with its own scratch (D13). Null on failure.
  virtual std::unique_ptr<Prefilter> clone() const = 0;
};

}  // namespace gw502
