// Expands a quoted glob ('/data/logs/proxy-host-*_error.log') the shell did
// not expand. A name that exists, or has no wildcard, is kept as it is.
#pragma once
#include <string>
#include <vector>

namespace gw502::cli {

std::vector<std::string> expand_input(const std::string& arg);

}  // namespace gw502::cli
