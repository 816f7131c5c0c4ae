#!/usr/bin/env bash
# Builds the Debian packages of gw502 from a CMake build:
#   gw502-logs_VERSION_ARCH.deb               the CLI, its man page, bash/zsh/fish
#                                             completions, gw502-logs-exporter.service
#                                             and /etc/default/gw502-logs
#   libnginx-mod-http-gw502_VERSION_ARCH.deb  the nginx module (nginx-module/debian/build-deb.sh)
#   gw502-caddy-bridge_VERSION_ARCH.deb       the Caddy bridge and its unit
# VERSION is project(VERSION) in CMakeLists.txt.
#
#   package.sh [--build-dir DIR] [--out DIR] [--no-build]
#                                        (defaults: build/, build/deb/)
#
# Configures DIR if needed and builds what the packages hold (--no-build:
# packs what DIR already holds, as the packaging_debs test does). Needs
# dpkg-dev (dpkg-shlibdeps) and, for the module, nginx-dev: scripts/test.sh
# installs both (scripts/deps/test.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$here/build out= do_build=1
while (($#)); do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    -h|--help) sed -n '2,/^set /p' "$0" | sed -n 's/^# \{0,1\}//p'; exit 0 ;;
    *) echo "package.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
build=$(mkdir -p "$build" && cd "$build" && pwd)
out=${out:-$build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# shellcheck source=../packaging/deb-lib.sh
. "$here/packaging/deb-lib.sh"

version=$(sed -n 's/^project(gw502 VERSION \([0-9][0-9.]*\).*/\1/p' "$here/CMakeLists.txt")
[ -n "$version" ] || { echo "package.sh: no project(gw502 VERSION ...) in CMakeLists.txt" >&2; exit 1; }
arch=$(dpkg --print-architecture)
command -v dpkg-shlibdeps >/dev/null || { echo "package.sh: needs dpkg-shlibdeps (apt-get install dpkg-dev)" >&2; exit 1; }

if ((do_build)); then
  [ -f "$build/CMakeCache.txt" ] || cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  targets=(gw502-logs gw502_docs gw502-caddy-bridge)
  if grep -q '^nginx_module:' <(cmake --build "$build" --target help 2>/dev/null | sed -n 's/^\.\.\. \([^ ]*\).*/\1:/p'); then
    targets+=(nginx_module)
  fi
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}" >/dev/null
fi
for f in bin/gw502-logs docs/gw502-logs.1; do
  [ -f "$build/$f" ] || { echo "package.sh: $build/$f is missing (build first, or drop --no-build)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# -- gw502-logs ------------------------------------------------------------
root=$work/gw502-logs
DESTDIR=$root cmake --install "$build" --prefix /usr --component cli >/dev/null
rm -rf "$root/usr/share/doc/gw502"            # LICENSE: in copyright below
strip --strip-unneeded "$root/usr/bin/gw502-logs"
gzip -9n "$root/usr/share/man/man1/gw502-logs.1"
install -D -m 0644 "$here/contrib/systemd/gw502-logs-exporter.service" \
        "$root/lib/systemd/system/gw502-logs-exporter.service"
install -D -m 0644 "$here/contrib/default/gw502-logs" "$root/etc/default/gw502-logs"
install -D -m 0644 "$here/contrib/prometheus/gw502-alerts.yml" \
        "$root/usr/share/doc/gw502-logs/examples/prometheus/gw502-alerts.yml"
deb_copyright "$root/usr/share/doc/gw502-logs/copyright"
mkdir -p "$root/DEBIAN"
echo /etc/default/gw502-logs > "$root/DEBIAN/conffiles"
cat > "$root/DEBIAN/control" <<EOC
Package: gw502-logs
Version: $version
Architecture: $arch
Maintainer: gw502 <gw502@localhost>
Depends: $(deb_shlibs "$root/usr/bin/gw502-logs")
Section: admin
Priority: optional
Description: why does my reverse proxy answer 502 Bad Gateway?
 gw502-logs reads the logs of nginx, Nginx Proxy Manager, Traefik and
 Caddy, finds every upstream failure behind a 502/504, classifies it and
 reports per site and upstream: the cause, how often, when, a sample line,
 the likely root causes and the fix in that proxy's terms.
 .
 gw502-logs-exporter.service (not enabled) follows the logs named in
 /etc/default/gw502-logs and serves Prometheus metrics on 127.0.0.1:9502.
EOC
deb_systemd_scripts "$root" gw502-logs-exporter.service
deb_build "$root" "$out"

# -- gw502-caddy-bridge ----------------------------------------------------
if [ -x "$build/bin/gw502-caddy-bridge" ]; then
  root=$work/gw502-caddy-bridge
  DESTDIR=$root cmake --install "$build" --prefix /usr --component caddy-bridge >/dev/null
  strip --strip-unneeded "$root/usr/bin/gw502-caddy-bridge"
  # Debian's place for units; the paths in it are the package's
  mkdir -p "$root/lib/systemd/system" "$root/usr/share/doc/gw502-caddy-bridge"
  { echo "# gw502-caddy-bridge: the sidecar behind /usr/share/gw502/caddy-bridge/gw502.caddy,"
    echo "# from the gw502-caddy-bridge package (not enabled on installation):"
    echo "#   systemctl enable --now gw502-caddy-bridge"
    echo "# Runs as Debian's caddy user, so Caddy can use the 0660 socket in /run/gw502."
    sed -e '1,/^\[Unit\]/{/^#/d}' \
        -e 's|/usr/local/bin/|/usr/bin/|g' \
        -e 's|file:/usr/local/share/gw502/caddy-bridge/README.md|file:/usr/share/doc/gw502-caddy-bridge/README.md.gz|' \
        "$root/usr/lib/systemd/system/gw502-caddy-bridge.service"
  } > "$root/lib/systemd/system/gw502-caddy-bridge.service"
  rm -rf "$root/usr/lib/systemd"
  rmdir "$root/usr/lib" 2>/dev/null || true
  mv "$root/usr/share/gw502/caddy-bridge/README.md" "$root/usr/share/doc/gw502-caddy-bridge/README.md"
  gzip -9n "$root/usr/share/doc/gw502-caddy-bridge/README.md"
  deb_copyright "$root/usr/share/doc/gw502-caddy-bridge/copyright"
  mkdir -p "$root/DEBIAN"
  cat > "$root/DEBIAN/control" <<EOC
Package: gw502-caddy-bridge
Version: $version
Architecture: $arch
Maintainer: gw502 <gw502@localhost>
Depends: $(deb_shlibs "$root/usr/bin/gw502-caddy-bridge"), caddy
Section: httpd
Priority: optional
Description: gw502 bridge for Caddy: the cause of Caddy's 502/504 answers
 A small sidecar behind Caddy's handle_errors: a reverse_proxy failure gets
 its classified cause (X-Gw502-Cause: connection_refused) and a short page,
 from the same catalogue as gw502-logs; /metrics counts them by cause and
 host. Import /usr/share/gw502/caddy-bridge/gw502.caddy into a site and
 enable gw502-caddy-bridge.service (not enabled on installation).
EOC
  deb_systemd_scripts "$root" gw502-caddy-bridge.service
  deb_build "$root" "$out"
else
  echo "package.sh: no gw502-caddy-bridge in $build/bin (Boost.Beast missing?): its package is NOT built" >&2
fi

# -- the nginx module ------------------------------------------------------
so=$build/nginx-module/ngx_http_gw502_module.so
if [ -f "$so" ]; then
  "$here/nginx-module/debian/build-deb.sh" "$so" "$out" "$version"
else
  echo "package.sh: no $so (nginx-dev missing?): the module's package is NOT built" >&2
fi
