#!/usr/bin/env bash
# Benchmarks of the foundation (see docs/benchmarks.md):
#   1. GET /api/categories (28 categories, with product counts) through host + catalog component, against nginx
#      serving the same bytes as a static file, both with wrk -c64, in this one run;
#   2. GET /api/products?per_page=24 on the demo catalogue (200 products), plain and with an
#      Arabic search, against nginx serving the same bytes;
#   3. POST /api/auth/login with wrk (8 accounts, 8 connections): logins/s on this machine;
#   4. cargo bench -p shop-host: per-request instance overhead, find, one login against a
#      native argon2id hash, verify-token calls/s against the same work natively, cold start.
# Needs wrk and nginx (installed from Debian when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/need.sh
need wrk wrk
need nginx nginx
need curl curl

DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
HOST_PORT=5180
NGINX_PORT=5181
work=$(mktemp -d /tmp/shop-bench.XXXXXX)
# nginx workers drop root: they must be able to read the files.
chmod 755 "$work"
cleanup() {
    [ -n "${host_pid:-}" ] && kill "$host_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cargo xtask build --fixtures >&2
target="${CARGO_TARGET_DIR:-$PWD/target}"

start_host "$work" "$HOST_PORT" "$target"
token=$(curl -sf -X POST "localhost:$HOST_PORT/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\": \"bench@example.com\", \"password\": \"$admin_password\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
for i in $(seq 1 20); do
    curl -sf -X POST "localhost:$HOST_PORT/api/categories" -H 'content-type: application/json' -H "authorization: Bearer $token" \
        -d "{\"name\": {\"en\": \"Category $i\", \"ar\": \"الفئة $i\"}, \"sort_order\": $i}" >/dev/null
done
# The demo catalogue (its 8 categories come on top of the 20 above).
seed_demo "http://127.0.0.1:$HOST_PORT"
mkdir -p "$work/www/api"
curl -sf "localhost:$HOST_PORT/api/categories" >"$work/www/api/categories"
bytes=$(wc -c <"$work/www/api/categories")
PRODUCTS_PATH="/api/products?per_page=24"
SEARCH_PATH="/api/products?per_page=24&q=%D8%AA%D9%85%D8%B1"   # q=تمر (dates)
curl -sf "localhost:$HOST_PORT$PRODUCTS_PATH" >"$work/www/products-24.json"
curl -sf "localhost:$HOST_PORT$SEARCH_PATH" >"$work/www/search-24.json"

static_nginx "$work" "$NGINX_PORT" application/json
curl -sf "localhost:$NGINX_PORT/api/categories" | cmp - "$work/www/api/categories"


echo "== GET /api/categories (28 categories with product counts, $bytes bytes), wrk -t2 -c$CONNECTIONS -d$DURATION"
host_out=$(run_wrk "http://127.0.0.1:$HOST_PORT/api/categories")
nginx_out=$(run_wrk "http://127.0.0.1:$NGINX_PORT/api/categories")
host_rps=$(echo "$host_out" | parse_rps); nginx_rps=$(echo "$nginx_out" | parse_rps)
host_p99=$(echo "$host_out" | parse_p99 | to_ms); nginx_p99=$(echo "$nginx_out" | parse_p99 | to_ms)
errors=$(echo "$host_out" | awk '/Non-2xx|Socket errors/')
printf '%-44s %12s req/s   p99 %8s ms\n' "shop-host → catalog component → SQLite" "$host_rps" "$host_p99"
printf '%-44s %12s req/s   p99 %8s ms\n' "nginx, same bytes as a static file" "$nginx_rps" "$nginx_p99"
awk -v h="$host_rps" -v n="$nginx_rps" 'BEGIN { printf "host / nginx throughput ratio: %.2f\n", h / n }'
[ -z "$errors" ] || echo "host errors: $errors"

compare() { # title, host path, nginx path, bytes
    echo
    echo "== $1 ($4 bytes), wrk -t2 -c$CONNECTIONS -d$DURATION"
    local h n
    h=$(run_wrk "http://127.0.0.1:$HOST_PORT$2")
    n=$(run_wrk "http://127.0.0.1:$NGINX_PORT$3")
    printf '%-44s %12s req/s   p99 %8s ms\n' "shop-host → catalog component → SQLite" "$(echo "$h" | parse_rps)" "$(echo "$h" | parse_p99 | to_ms)"
    printf '%-44s %12s req/s   p99 %8s ms\n' "nginx, same bytes as a static file" "$(echo "$n" | parse_rps)" "$(echo "$n" | parse_p99 | to_ms)"
    awk -v h="$(echo "$h" | parse_rps)" -v n="$(echo "$n" | parse_rps)" 'BEGIN { printf "host / nginx throughput ratio: %.3f\n", h / n }'
    local e; e=$(echo "$h" | awk '/Non-2xx|Socket errors/')
    [ -z "$e" ] || echo "host errors: $e"
}
compare "GET $PRODUCTS_PATH (demo catalogue)" "$PRODUCTS_PATH" "/products-24.json" "$(wc -c <"$work/www/products-24.json")"
compare "GET $SEARCH_PATH (search: تمر)" "$SEARCH_PATH" "/search-24.json" "$(wc -c <"$work/www/search-24.json")"

# Sign-in: argon2id dominates. Eight accounts, one per connection, so no account's
# throttle is contended.
for n in $(seq 0 7); do
    curl -sf -X POST "localhost:$HOST_PORT/api/auth/register" -H 'content-type: application/json' \
        -d "{\"email\": \"shopper$n@example.com\", \"password\": \"correct horse battery\"}" >/dev/null
done
cat >"$work/login.lua" <<'LUA'
local n = 0
request = function()
    n = n + 1
    local body = string.format('{"email": "shopper%d@example.com", "password": "correct horse battery"}', n % 8)
    return wrk.format("POST", "/api/auth/login", {["content-type"] = "application/json"}, body)
end
LUA
echo
echo "== POST /api/auth/login (8 accounts), wrk -t2 -c8 -d$DURATION"
login_out=$(wrk -t2 -c8 -d"$DURATION" --latency -s "$work/login.lua" "http://127.0.0.1:$HOST_PORT" 2>&1)
printf '%-44s %12s req/s   p99 %8s ms\n' "shop-host → auth component (argon2id)" "$(echo "$login_out" | parse_rps)" "$(echo "$login_out" | parse_p99 | to_ms)"
login_errors=$(echo "$login_out" | awk '/Non-2xx|Socket errors/')
[ -z "$login_errors" ] || echo "login errors: $login_errors"

kill "$host_pid"; wait "$host_pid" 2>/dev/null || true; host_pid=
[ -n "${BENCH_HTTP_ONLY:-}" ] && exit 0
cargo bench -p shop-host --bench host 2>/dev/null
