// --redact: log text fit for a forum post. Client addresses become
// "<client>", query strings "?<query>"; upstream addresses, hosts and
// paths stay (they are what the diagnosis is about).
#pragma once
#include <string>
#include <string_view>

namespace gw502 {

std::string redact(std::string_view text);

}  // namespace gw502
