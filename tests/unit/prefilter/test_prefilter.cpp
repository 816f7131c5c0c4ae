// Both prefilter engines name the same candidate lines: each line holding a
// literal once, in order, whether its hit lies at its start, in its middle
// or right before its end (where the Hyperscan scan reads on instead of
// starting anew at the next line).
#include <random>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "prefilter/prefilter.hpp"

using namespace gw502;

namespace {

std::vector<size_t> candidates(PrefilterEngine engine, const std::vector<std::string>& literals,
                               std::string_view buf) {
  std::string err;
  auto p = Prefilter::build(literals, engine, err);
  REQUIRE(p);
  std::vector<size_t> hits;
  p->candidates(buf, hits);
  return hits;
}

// Each line's end offset when it holds a literal: the expected answer.
std::vector<size_t> by_hand(const std::vector<std::string>& literals, std::string_view buf) {
  std::vector<size_t> out;
  size_t start = 0;
  while (start < buf.size()) {
    size_t end = buf.find('\n', start);
    if (end == std::string_view::npos) end = buf.size();
    const std::string_view line = buf.substr(start, end - start);
    for (const auto& l : literals)
      if (line.find(l) != std::string_view::npos) {
        out.push_back(end);
        break;
      }
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("hits at a line's start, middle and end each take the line once", "[prefilter]") {
  const std::vector<std::string> lits = {"Bad Gateway", "upstream", "EOF"};
  const std::string buf =
      "{\"level\":\"debug\",\"message\":\"502 Bad Gateway\"}\n"  // hit 2 bytes before the end
      "{\"message\":\"502 Bad Gateway\"}\n"                    // the next line too
      "quiet line\n"
      "upstream timed out while reading upstream, upstream: \"http://a\"\n"  // three hits
      "EOF\n"                                                                // the whole line
      "Bad Gateway Bad Gateway EOF upstream\n"
      "last line, no newline: EOF";
  const auto want = by_hand(lits, buf);
  REQUIRE(want.size() == 6);
  CHECK(candidates(PrefilterEngine::re2, lits, buf) == want);
  if (Prefilter::hyperscan_available()) CHECK(candidates(PrefilterEngine::hyperscan, lits, buf) == want);
}

TEST_CASE("random lines: both engines agree with a line-by-line search", "[prefilter]") {
  const std::vector<std::string> lits = {"Bad Gateway", "dial tcp", "EOF", "\"status\":502"};
  std::mt19937 rng(20261204);
  const std::vector<std::string> words = {"a", "Bad", "Gateway", "Bad Gateway", "EOF", "dial", "tcp",
                                          "dial tcp", "x", "\"status\":502", "\"status\":", "502", " "};
  for (int round = 0; round < 50; ++round) {
    std::string buf;
    const int lines = 1 + static_cast<int>(rng() % 60);
    for (int l = 0; l < lines; ++l) {
      const int n = static_cast<int>(rng() % 12);
      for (int w = 0; w < n; ++w) buf += words[rng() % words.size()];
      if (l + 1 < lines || rng() % 2) buf += '\n';
    }
    const auto want = by_hand(lits, buf);
    INFO(buf);
    CHECK(candidates(PrefilterEngine::re2, lits, buf) == want);
    if (Prefilter::hyperscan_available()) CHECK(candidates(PrefilterEngine::hyperscan, lits, buf) == want);
  }
}
