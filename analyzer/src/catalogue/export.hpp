// Exports the catalogue's cause rules as one regex per line for grep -E and
// rg (-f FILE), so benchmarks run peers on the same patterns. Anchors are
// dropped (a rule's ^ and $ mean the message's start and end, which a
// whole-line tool cannot see) and RE2-only syntax is rewritten: named and
// non-capturing groups become plain groups, \d becomes [0-9], \S [^ ],
// \s [[:space:]], \" a plain quote.
#pragma once
#include <string>

#include "catalogue/catalogue.hpp"

namespace gw502 {

std::string export_patterns(const Catalogue& cat, LogFamily family);

}  // namespace gw502
