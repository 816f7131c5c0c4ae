// Word wrapping for the text reports.
#pragma once
#include <string>
#include <string_view>

namespace gw502 {

// Appends `prefix`, then text wrapped at `width` columns; continuation lines
// are indented to the prefix's width. Text from logs is made safe for a
// terminal (controls masked).
void wrap_text(std::string& out, std::string_view prefix, std::string_view text, size_t width = 78);

}  // namespace gw502
