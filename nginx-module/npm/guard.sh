#!/bin/sh
# gw502 guard for Nginx Proxy Manager: run as the container's entrypoint in
# front of NPM's own (/init), e.g. in docker-compose.yml
#
#     entrypoint: ["/data/gw502/guard.sh", "/init"]
#
# A dynamic module only loads into the exact nginx it was built for; when NPM
# upgrades its OpenResty, load_module would stop nginx from starting and take
# every proxy host down. So at every container start this script enables the
# module only if it was built for the OpenResty this image runs AND a test
# load of it passes; otherwise it leaves the module out (NPM runs as before,
# without cause tagging) and says so in the container log. Then it execs the
# command it was given.
#
# Files (GW502_DIR, default /data/gw502):
#   ngx_http_gw502_module.so, BUILT_FOR   from the build (npm/Dockerfile)
#   http.conf                             what goes into http{} when enabled
#   active/main.conf, active/http.conf    written here, included by NPM's
#       /data/nginx/custom/root_top.conf: include /data/gw502/active/main[.]conf;
#       /data/nginx/custom/http_top.conf: include /data/gw502/active/http[.]conf;
# ("[.]" makes the include a pattern, which nginx accepts matching nothing.)

dir=${GW502_DIR:-/data/gw502}
nginx=${GW502_NGINX:-nginx}
so=$dir/ngx_http_gw502_module.so
active=$dir/active

say() { echo "gw502-guard: $*" >&2; }

enable() {
    built=$(cat "$dir/BUILT_FOR" 2>/dev/null)
    running=$("$nginx" -v 2>&1 | sed -n 's/^nginx version: //p')
    if [ ! -f "$so" ]; then
        say "no $so: module not enabled"
        return 1
    fi
    if [ -z "$running" ] || [ "$built" != "$running" ]; then
        say "module built for '${built:-unknown}', this container runs '${running:-unknown}':" \
            "NOT enabled (rebuild it for ${running:-this version}, see nginx-module/README.md, \"Nginx Proxy Manager\");" \
            "NPM runs without cause tagging"
        return 1
    fi
    tmp=$(mktemp -d) || return 1
    mkdir -p "$tmp/logs"
    {
        echo "load_module $so;"
        # only a test: no worker starts, but as root nginx checks its default
        # worker user exists (OpenResty's is "nginx", which NPM's image lacks)
        echo "user root root;"
        echo "events {}"
        echo "http {"
        cat "$dir/http.conf" 2>/dev/null || echo "gw502 on;"
        echo "}"
    } > "$tmp/nginx.conf"
    if ! out=$("$nginx" -t -q -p "$tmp/" -c "$tmp/nginx.conf" -e "$tmp/logs/error.log" \
                 -g "pid $tmp/nginx.pid;" 2>&1); then
        say "test load failed, module NOT enabled: $out"
        rm -rf "$tmp"
        return 1
    fi
    rm -rf "$tmp"
    echo "load_module $so;" > "$active/main.conf.tmp" && mv "$active/main.conf.tmp" "$active/main.conf"
    if [ -f "$dir/http.conf" ]; then
        cp "$dir/http.conf" "$active/http.conf.tmp"
    else
        echo "gw502 on;" > "$active/http.conf.tmp"
    fi
    mv "$active/http.conf.tmp" "$active/http.conf"
    say "module enabled for $running"
    return 0
}

mkdir -p "$active" 2>/dev/null
rm -f "$active/main.conf" "$active/http.conf"
enable || rm -f "$active/main.conf" "$active/http.conf"

[ $# -gt 0 ] || exit 0
exec "$@"
