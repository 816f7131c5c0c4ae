// Word wrapping and colour for the text reports.
#pragma once
#include <string>
#include <string_view>

namespace gw502 {

// ANSI colour, or nothing when colour is off.
struct Style {
  bool on;
  const char* bold() const { return on ? "\x1b[1m" : ""; }
  const char* red() const { return on ? "\x1b[1;31m" : ""; }
  const char* dim() const { return on ? "\x1b[2m" : ""; }
  const char* off() const { return on ? "\x1b[0m" : ""; }
};

// Appends `prefix`, then text wrapped at `width` columns; continuation lines
// are indented to the prefix's width. Text from logs is made safe for a
// terminal (controls masked).
void wrap_text(std::string& out, std::string_view prefix, std::string_view text, size_t width = 78);

}  // namespace gw502
