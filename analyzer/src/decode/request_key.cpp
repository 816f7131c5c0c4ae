#include "decode/request_key.hpp"

#include "base/hash.hpp"

namespace gw502 {

uint64_t request_key(std::string_view client, std::string_view request) {
  if (client.empty() || request.empty()) return 0;
  const size_t sp = request.find(' ');
  if (sp != std::string_view::npos) {  // "GET /p HTTP/1.1": the path
    const std::string_view rest = request.substr(sp + 1);
    const size_t proto = rest.rfind(" HTTP/");
    request = proto == std::string_view::npos ? rest : rest.substr(0, proto);
  }
  const uint64_t h = mix64(hash_str(hash_str(0x243F6A8885A308D3ull, client), request));
  return h ? h : 1;
}

}  // namespace gw502
