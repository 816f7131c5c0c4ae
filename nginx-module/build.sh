#!/usr/bin/env bash
# Builds ngx_http_gw502_module.so with nginx's own build system, the way
# Debian's dh_nginx does, but in a copy of the nginx source tree inside the
# build directory (nothing is written into the tree itself).
#
#   build.sh --src DIR --build DIR --libs 'LINK LINE' --out FILE
#            [--configure-args '...'] [--cc-opt '...'] [--ld-opt '...']
#            [--include DIR] [-j N]
#
# --src   an nginx source tree: Debian's nginx-dev (/usr/share/nginx/src,
#         headers only, with its conf_flags) or a full one (nginx, OpenResty's
#         bundle/nginx-X). The module must be built with the target nginx's
#         version and its exact ./configure flags (--with-compat and the
#         modules it lists), or nginx refuses to load it.
# --configure-args  the target's flags; default: the tree's conf_flags file.
# --libs  libgw502's link line (CMake computes it; see CMakeLists.txt).
#
# ./configure runs again only when its inputs change; the .so is relinked
# every time (nginx's Makefile does not know about libgw502.a).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src= build= libs= out= cfg_args= have_cfg_args=0 include="$here/../analyzer/include"
cc_opt="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2"
ld_opt="-Wl,-z,relro -Wl,-z,now -fPIC"
jobs=$(nproc 2>/dev/null || echo 2)

while (($#)); do
  case "$1" in
    --src) src=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --libs) libs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --configure-args) cfg_args=$2; have_cfg_args=1; shift 2 ;;
    --cc-opt) cc_opt=$2; shift 2 ;;
    --ld-opt) ld_opt=$2; shift 2 ;;
    --include) include=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for v in src build libs out; do
  [ -n "${!v}" ] || { echo "build.sh: --$v is required" >&2; exit 2; }
done
[ -x "$src/configure" ] && [ -f "$src/src/core/nginx.h" ] ||
  { echo "build.sh: $src is not an nginx source tree (install nginx-dev, or pass another tree)" >&2; exit 1; }

flags=()
if ((have_cfg_args)); then
  # shellcheck disable=SC2206  # word splitting is the point
  flags=($cfg_args)
elif [ -f "$src/conf_flags" ]; then
  # Debian's nginx-dev: NGX_CONF_FLAGS=( ... )
  # shellcheck disable=SC1091
  . "$src/conf_flags"
  flags=("${NGX_CONF_FLAGS[@]}")
else
  echo "build.sh: $src has no conf_flags; pass the target's flags with --configure-args" >&2
  exit 1
fi

mkdir -p "$build"
tree="$build/nginx-src"
stamp="$build/configure.stamp"
want=$(printf '%s\n' "$src" "$cc_opt" "$ld_opt" "$libs" "$include" "${flags[@]}" |
       cat - "$here/config" | sha256sum | cut -d' ' -f1)

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  rm -rf "$tree"
  mkdir -p "$tree"
  # the tree without any earlier build output
  (cd "$src" && tar --exclude=./objs --exclude=./.git --exclude=./Makefile -cf - .) | (cd "$tree" && tar -xf -)
  echo "build.sh: configuring $(grep -m1 'define NGINX_VERSION' "$tree/src/core/nginx.h" | tr -s ' ' | cut -d' ' -f3)" \
       "in $tree" >&2
  (cd "$tree" &&
   GW502_MODULE_LIBS="$libs" GW502_INCLUDE_DIR="$include" \
     ./configure --with-cc-opt="$cc_opt" --with-ld-opt="$ld_opt" "${flags[@]}" \
                 --add-dynamic-module="$here") > "$build/configure.log" 2>&1 ||
    { tail -n 30 "$build/configure.log" >&2; echo "build.sh: ./configure failed; see $build/configure.log" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

rm -f "$tree/objs/ngx_http_gw502_module.so"
make -C "$tree" -f objs/Makefile -j "$jobs" modules > "$build/make.log" 2>&1 ||
  { tail -n 40 "$build/make.log" >&2; echo "build.sh: make modules failed; see $build/make.log" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
cp "$tree/objs/ngx_http_gw502_module.so" "$out.tmp"
mv "$out.tmp" "$out"
