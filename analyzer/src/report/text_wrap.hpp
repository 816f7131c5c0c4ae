// Word wrapping and colour for the text reports.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "aggregate/aggregator.hpp"
#include "core/types.hpp"

namespace gw502 {

// ANSI colour, or nothing when colour is off.
struct Style {
  bool on;
  const char* bold() const { return on ? "\x1b[1m" : ""; }
  const char* red() const { return on ? "\x1b[1;31m" : ""; }
  const char* dim() const { return on ? "\x1b[2m" : ""; }
  const char* off() const { return on ? "\x1b[0m" : ""; }
};

// text cut to at most max bytes (at a character boundary) with an ellipsis.
std::string cut_text(std::string text, size_t max);

// "INDENTe.g. FILE:LINE: TEXT" and a newline, dimmed: a group's sample line.
// Text from the log is made terminal-safe; redact masks clients and queries;
// max > 0 cuts the text to that many bytes. `text` is the sample's text
// (Aggregator::sample_text()).
void append_sample(std::string& out, std::string_view indent, const Sample& s, std::string text,
                   const std::vector<SourceInfo>& sources, const Style& st, bool redact, size_t max);

// Appends `prefix`, then text wrapped at `width` columns; continuation lines
// are indented to the prefix's width. Text from logs is made safe for a
// terminal (controls masked).
void wrap_text(std::string& out, std::string_view prefix, std::string_view text, size_t width = 78);

}  // namespace gw502
