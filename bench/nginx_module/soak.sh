#!/usr/bin/env bash
# A longer soak than CTest's (nginx_module_soak: 100 000 requests):
#   bench/nginx_module/soak.sh [REQUESTS] [MODULE.so] [NGINX]
# default 1 000 000 requests through build/nginx-module/ngx_http_gw502_module.so
# and Debian's nginx; prints worker RSS along the way.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
requests=${1:-1000000}
module=${2:-$root/build/nginx-module/ngx_http_gw502_module.so}
nginx=${3:-nginx}
exec python3 "$root/tests/integration/nginx_module/test_soak.py" --module "$module" --nginx "$nginx" \
     --requests "$requests"
