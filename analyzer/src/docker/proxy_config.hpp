// The upstreams a proxy container is configured with: nginx / NPM conf files
// (proxy_pass, upstream blocks, NPM's `set $server / $port`), Caddyfile
// reverse_proxy lines, Traefik's Docker labels. Conf files are read on the
// host through the container's mounts (bind mounts and volumes).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/types.hpp"
#include "docker/model.hpp"
#include "docker/verdict.hpp"

namespace gw502::docker {

// Which proxy a container runs, from its image, command and labels; false
// when it does not look like one (nginx, OpenResty, NPM/jc21, Traefik, Caddy).
bool looks_like_proxy(const Container& c, ProxyKind& kind);

std::vector<Route> routes_from_nginx(std::string_view text, const std::string& file);
std::vector<Route> routes_from_caddyfile(std::string_view text, const std::string& file);
// traefik.http.services.S.loadbalancer.server.port/scheme on backend
// containers, with the routers' Host(`...`) rules as sites.
std::vector<Route> routes_from_traefik_labels(const Snapshot& snap);

// A host path for a path inside the container, through its mounts ("" when
// no mount covers it).
std::string host_path(const Container& c, const std::string& container_path);

// Reads the proxy's configuration files through its mounts (bounded: conf
// files and Caddyfiles only, a few hundred at most). `read` gets the
// container paths read.
std::vector<Route> routes_of(const Container& proxy, ProxyKind kind, const Snapshot& snap,
                             std::vector<std::string>& read);

// Host paths of the proxy's error log files kept in its mounts (NPM's
// /data/logs/*_error.log, /var/log/nginx/error.log).
std::vector<std::string> log_files_of(const Container& proxy);

}  // namespace gw502::docker
