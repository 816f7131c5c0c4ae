// HTML escaping for the HTML report. Log lines carry client input: every
// byte of log text goes through html_escape, which makes it inert in element
// content and in quoted attribute values (& < > " ' as references), valid
// UTF-8 (bad bytes become U+FFFD) and free of control characters and bidi
// overrides (shown as '?', so a line cannot reorder what is displayed).
#pragma once
#include <string>
#include <string_view>

namespace gw502 {

void html_escape(std::string& out, std::string_view s);
std::string html_escaped(std::string_view s);

}  // namespace gw502
