// The catalogue rules of a custom access format (--access-format), as one
// catalogue JSON document for Catalogue::load(). A line in the format reaches
// the rules as access_match_text() ("access_format status=502
// upstream_status=502, 200"), so they need no regex per format; their
// literals are the format's own bytes around $status (`" 502 `,
// `status=502,`), so that the prefilter finds the lines that matter.
#pragma once
#include <string>

#include "decode/access_format.hpp"

namespace gw502 {

// access.format_499 (client_closed), access.format_retried (retried_served:
// an upstream try failed with 502/504, the status served is 1xx-4xx; only
// when the format has $upstream_status) and access.format_5xx (unexplained).
std::string access_format_rules(const AccessFormat& f);

}  // namespace gw502
