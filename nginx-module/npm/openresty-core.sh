#!/usr/bin/env bash
# Rebuilds the nginx core of an OpenResty release (nginx's source, patched the
# way OpenResty's util/mirror-tarballs patches it) from two git checkouts, then
# builds that nginx and ngx_http_gw502_module with Nginx Proxy Manager's
# ./configure flags (docker-nginx-full scripts/build-openresty). No download:
# this is how the module was tried on NPM's nginx core without Docker (see
# nginx-module/README.md). OpenResty's bundled Lua modules are not built; they do not
# change the core's structs or the module signature.
#
#   openresty-core.sh NGINX_GIT OPENRESTY_GIT OUT_DIR [OPENRESTY_TAG]
#
# NGINX_GIT: a clone of github.com/nginx/nginx (tags release-X.Y.Z);
# OPENRESTY_GIT: a clone of github.com/openresty/openresty (tags vX.Y.Z.N);
# OPENRESTY_TAG: default v1.27.1.2 (NPM's since 2025-06).
# libgw502 must be built first: GW502_MODULE_LIBS defaults to
# build/nginx-module/module-libs.txt (CMake writes it).
#
# Result: OUT_DIR/nginx-X.Y.Z/objs/nginx and .../objs/ngx_http_gw502_module.so;
# run the integration tests with --nginx and --module pointing at them.
set -euo pipefail

[ $# -ge 3 ] || { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
nginx_git=$(cd "$1" && pwd) or_git=$(cd "$2" && pwd) out=$3 tag=${4:-v1.27.1.2}
here=$(cd "$(dirname "$0")/.." && pwd)
libs_file=${GW502_LIBS_FILE:-$here/../build/nginx-module/module-libs.txt}
[ -n "${GW502_MODULE_LIBS:-}" ] || GW502_MODULE_LIBS=$(cat "$libs_file")
export GW502_MODULE_LIBS

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/or" "$out/bundle"
mkdir -p "$out/or" "$out/bundle"
git -C "$or_git" archive "$tag" | tar -x -C "$out/or"
# shellcheck disable=SC1091
. "$out/or/util/ver" >/dev/null   # main_ver, minor_ver
git -C "$nginx_git" archive --prefix="nginx-$main_ver/" "release-$main_ver" | tar -x -C "$out/bundle"

# OpenResty's own patch sequence for this nginx version: the part of
# util/mirror-tarballs between entering the nginx tree and copying its html.
mt="$out/or/util/mirror-tarballs"
start=$(grep -n '^cd nginx-\$ver' "$mt" | head -1 | cut -d: -f1)
end=$(grep -n '^cp \$root/html/index.html' "$mt" | head -1 | cut -d: -f1)
sed -n "$((start + 1)),$((end - 1))p" "$mt" > "$out/patch-nginx.sh"
(cd "$out/bundle/nginx-$main_ver" &&
 root="$out/or" main_ver=$main_ver minor_ver=$minor_ver ver=$main_ver info_txt="[patch]" \
   bash "$out/patch-nginx.sh") > "$out/patch.log" 2>&1 ||
  { tail -20 "$out/patch.log" >&2; echo "openresty-core.sh: patching failed" >&2; exit 1; }
echo "openresty-core.sh: nginx $main_ver patched as OpenResty $main_ver.$minor_ver ($(grep -c '^patching file' "$out/patch.log") files)" >&2

tree="$out/nginx-$main_ver"
rm -rf "$tree"
mv "$out/bundle/nginx-$main_ver" "$tree"
cd "$tree"
[ -x configure ] || cp auto/configure configure
# NPM's flags (npm/configure-flags) with --user/--group of this machine (the
# tests run as root here and NPM's "nginx" user does not exist); neither
# changes the module ABI. The flags are split into words on purpose.
# shellcheck disable=SC2046
./configure \
  $(sed '/^#/d' "$here/npm/configure-flags") --user=nobody --group=nogroup \
  --add-dynamic-module="$here" > "$out/configure.log" 2>&1 ||
  { tail -30 "$out/configure.log" >&2; echo "openresty-core.sh: configure failed" >&2; exit 1; }
make -j "$(nproc 2>/dev/null || echo 2)" > "$out/make.log" 2>&1 ||
  { tail -30 "$out/make.log" >&2; echo "openresty-core.sh: make failed" >&2; exit 1; }
echo "openresty-core.sh: built $tree/objs/nginx ($("$tree/objs/nginx" -v 2>&1)) and" \
     "$tree/objs/ngx_http_gw502_module.so" >&2
