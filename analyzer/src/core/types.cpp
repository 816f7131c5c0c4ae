#include "core/types.hpp"

namespace gw502 {
namespace {

const char* const kProxyNames[kProxyKinds] = {"nginx", "npm", "traefik", "caddy"};
const char* const kProxyTitles[kProxyKinds] = {"Nginx", "Nginx Proxy Manager", "Traefik", "Caddy"};
const char* const kFamilyNames[kLogFamilies] = {"nginx", "traefik", "caddy"};

}  // namespace

const char* proxy_name(ProxyKind p) { return kProxyNames[static_cast<size_t>(p)]; }

const char* proxy_title(ProxyKind p) { return kProxyTitles[static_cast<size_t>(p)]; }

bool parse_proxy(std::string_view s, ProxyKind& out) {
  for (size_t p = 0; p < kProxyKinds; ++p)
    if (s == kProxyNames[p]) {
      out = static_cast<ProxyKind>(p);
      return true;
    }
  return false;
}

LogFamily family_of(ProxyKind p) {
  switch (p) {
    case ProxyKind::nginx:
    case ProxyKind::npm:
      return LogFamily::nginx;
    case ProxyKind::traefik:
      return LogFamily::traefik;
    case ProxyKind::caddy:
      return LogFamily::caddy;
  }
  return LogFamily::nginx;
}

const char* family_name(LogFamily f) { return kFamilyNames[static_cast<size_t>(f)]; }

std::string overlong_problem(size_t max_line) {
  return "line longer than " + std::to_string(max_line >> 10) + " KiB; only its start was read";
}

}  // namespace gw502
