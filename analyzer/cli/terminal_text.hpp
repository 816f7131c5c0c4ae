// Text bound for the terminal that may carry bytes from the input (file
// names, option values, log text): nothing in it may act on the terminal.
#pragma once
#include <string>
#include <string_view>

namespace gw502::cli {

// Replaces each C1 control (U+0080-U+009F, UTF-8 C2 80-C2 9F) and each bidi
// override or isolate (U+202A-U+202E, U+2066-U+2069) by '?'. Everything else,
// the report's own colour sequences included, is kept.
std::string mask_c1_bidi(std::string_view s);

// mask_c1_bidi, and also C0 controls (newline and tab included) and DEL: for
// one-line messages on stderr.
std::string mask_controls(std::string_view s);

}  // namespace gw502::cli
