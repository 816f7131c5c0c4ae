// Removes the prefixes that log collectors put in front of a proxy's own line:
// `docker compose logs` ("proxy-1  | "), `docker logs -t` timestamps,
// `kubectl logs --prefix` ("[pod/x/c] "), and journald/syslog short output
// ("Jan 15 10:23:45 host nginx[31]: "). Several may be stacked.
#pragma once
#include <string_view>

namespace gw502 {

std::string_view unwrap_line(std::string_view line);

}  // namespace gw502
