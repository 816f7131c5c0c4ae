#include "decode/request_key.hpp"

namespace gw502 {

uint64_t request_key(std::string_view client, std::string_view request) {
  if (client.empty() || request.empty()) return 0;
  const size_t sp = request.find(' ');
  if (sp != std::string_view::npos) {  // "GET /p HTTP/1.1": the path
    const std::string_view rest = request.substr(sp + 1);
    const size_t proto = rest.rfind(" HTTP/");
    request = proto == std::string_view::npos ? rest : rest.substr(0, proto);
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a over both parts
  for (std::string_view part : {client, request}) {
    for (unsigned char c : part) h = (h ^ c) * 1099511628211ull;
    h = h * 1099511628211ull;
  }
  return h ? h : 1;
}

}  // namespace gw502
