#!/usr/bin/env bash
# Packs a built ngx_http_gw502_module.so the way Debian packages nginx
# modules (dh_nginx): libnginx-mod-http-gw502_VERSION_ARCH.deb with
#   /usr/lib/nginx/modules/ngx_http_gw502_module.so
#   /usr/share/nginx/modules-available/mod-http-gw502.conf   (load_module ...)
# and maintainer scripts that link it as
#   /etc/nginx/modules-enabled/50-mod-http-gw502.conf
# on installation (and move the link aside on removal), as Debian's own
# libnginx-mod-* packages do. It depends on the nginx ABI it was built for
# (nginx-abi-1.22.1-7 on Debian 12, from nginx-dev) and on the packages of
# the shared libraries the .so needs.
#
#   build-deb.sh MODULE.so OUT_DIR [VERSION]
set -euo pipefail

so=${1:?usage: build-deb.sh MODULE.so OUT_DIR [VERSION]} out=${2:?usage: build-deb.sh MODULE.so OUT_DIR [VERSION]}
version=${3:-0.1.0}
here=$(cd "$(dirname "$0")" && pwd)
abi_file=${NGINX_ABI_FILE:-/usr/share/nginx/src/debian/libnginx-mod.abisubstvars}
abi=$(sed -n 's/^nginx:abi=//p' "$abi_file" 2>/dev/null || true)
[ -n "$abi" ] || { echo "build-deb.sh: no nginx ABI in $abi_file (install nginx-dev)" >&2; exit 1; }
arch=$(dpkg --print-architecture)
pkg=libnginx-mod-http-gw502

# the packages of the shared libraries the module needs
deps=("$abi")
for lib in $(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  # no early exit in awk: ldconfig would die of SIGPIPE and, with pipefail, so would this script
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !found { print $NF; found = 1 }')
  if [ -z "$path" ]; then continue; fi
  owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1 || true)
  if [ -z "$owner" ]; then owner=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1 || true); fi
  if [ -n "$owner" ]; then deps+=("$owner"); fi
done
depends=$(printf '%s\n' "${deps[@]}" | awk '!seen[$0]++' | paste -sd, | sed 's/,/, /g')

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
install -D -m 0644 "$so" "$root/usr/lib/nginx/modules/ngx_http_gw502_module.so"
strip --strip-unneeded "$root/usr/lib/nginx/modules/ngx_http_gw502_module.so"
install -D -m 0644 "$here/mod-http-gw502.conf" "$root/usr/share/nginx/modules-available/mod-http-gw502.conf"
install -D -m 0644 "$here/gw502-http.conf" "$root/usr/share/nginx/gw502/http.conf"
# the project's licence (packaging/deb-lib.sh), and what the .so links in statically
# shellcheck source=../../packaging/deb-lib.sh
. "$here/../../packaging/deb-lib.sh"
static="libgw502"
for a in libhs libzstd libz; do
  if ! readelf -d "$so" | grep -q "NEEDED.*\[$a\.so"; then static="$static, $a"; fi
done
deb_copyright "$root/usr/share/doc/$pkg/copyright" \
  "The module links in statically: $static (Hyperscan: BSD-3-Clause, Intel; zstd: BSD-3-Clause, Meta; zlib: Zlib, Gailly and Adler; when built from Debian's static archives) and libstdc++ (GPL-3+ with the GCC Runtime Library Exception). Their licences: /usr/share/doc/libhyperscan5, libzstd1, zlib1g and libstdc++6 on Debian."
mkdir -p "$root/DEBIAN"
size=$(du -sk "$root/usr" | cut -f1)
cat > "$root/DEBIAN/control" <<EOF
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: gw502 <gw502@localhost>
Installed-Size: $size
Depends: $depends
Section: httpd
Priority: optional
Description: gw502 module for nginx: the cause of every 502/504
 A 502 or 504 that nginx generates for an upstream failure carries its
 classified cause (X-Gw502-Cause: connection_refused, \$gw502_cause for
 log_format), from the same catalogue as gw502-logs. Enable with
 "include /usr/share/nginx/gw502/http[.]conf;" in http (the header for
 internal clients only; the glob keeps nginx starting once the package is
 removed), or with "gw502 on;" in http, server or location.
EOF
names="mod-http-gw502.conf:50-mod-http-gw502.conf"
cat > "$root/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
for confpair in $names ; do
	from=\$(echo \$confpair | cut -d: -f1)
	to=\$(echo \$confpair | cut -d: -f2)
	if [ -L /etc/nginx/modules-enabled/\$to.removed ]; then
		rm /etc/nginx/modules-enabled/\$to.removed
		removed_link=true
	else
		removed_link=false
	fi
	if [ -z "\$2" -o "\$removed_link" = "true" ]; then
		mkdir -p /etc/nginx/modules-enabled
		ln -sf /usr/share/nginx/modules-available/\$from /etc/nginx/modules-enabled/\$to
	fi
done
if [ "\$1" = "configure" ] && which dpkg-trigger >/dev/null 2>&1; then
	dpkg-trigger --no-await nginx-reload
fi
EOF
cat > "$root/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
if [ "\$1" = "remove" ] || [ "\$1" = "deconfigure" ]; then
	for confpair in $names ; do
		to=\$(echo \$confpair | cut -d: -f2)
		if [ -L /etc/nginx/modules-enabled/\$to ]; then
			mv /etc/nginx/modules-enabled/\$to /etc/nginx/modules-enabled/\$to.removed
		fi
	done
fi
EOF
cat > "$root/DEBIAN/postrm" <<EOF
#!/bin/sh
set -e
if [ "\$1" = "purge" ]; then
	for confpair in $names ; do
		to=\$(echo \$confpair | cut -d: -f2)
		rm -f /etc/nginx/modules-enabled/\$to /etc/nginx/modules-enabled/\$to.removed
	done
fi
if [ "\$1" = "remove" ] && which dpkg-trigger >/dev/null 2>&1; then
	dpkg-trigger --no-await nginx-reload
fi
EOF
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
mkdir -p "$out"
deb="$out/${pkg}_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
