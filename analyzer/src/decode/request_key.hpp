// A request as both of nginx's logs name it: the client and the path. The
// error log's context has the request line ("GET /p HTTP/1.1"), an access
// log the request line too, NPM's access log the path alone; the key is the
// same for all three. 0: no key (client or request unknown).
#pragma once
#include <cstdint>
#include <string_view>

namespace gw502 {

uint64_t request_key(std::string_view client, std::string_view request);

}  // namespace gw502
