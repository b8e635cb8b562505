#!/usr/bin/env bash
# The deployment through nginx (see docs/benchmarks.md): requests/s and p99 for a product
# page (storefront SSR → nginx → host) and for GET /api/products, with two host instances
# sharing one store behind nginx against one, at 64 and 1000 connections, all in this one
# run (ratio). nginx runs the project's configuration (nginx/render.sh), with TLS.
# Needs wrk, nginx and curl (installed from Debian when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/need.sh
need wrk wrk
need nginx nginx-light
need curl curl
need envsubst gettext-base
need python3 python3

DURATION="${BENCH_DURATION:-10s}"
HOST_PORTS=(5290 5291)
WEB_PORT=5292
HTTPS_PORT=5293
HTTP_PORT=5294
INTERNAL_PORT=5295
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/shop-deploy-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for conf in one two; do [ -f "$work/$conf/nginx.pid" ] && nginx -p "$work/$conf" -c "$work/$conf/nginx.conf" -s stop 2>/dev/null || true; done
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

cargo xtask build >&2
target="${CARGO_TARGET_DIR:-$PWD/target}"
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
admin_password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
for i in 0 1; do
    SHOP_ADDR=127.0.0.1:${HOST_PORTS[$i]} SHOP_OPERATOR_ADDR=off SHOP_DATA_DIR="$work/data" SHOP_STORE_SHARED=true \
        SHOP_TRUSTED_PROXIES=127.0.0.1 RUST_LOG=warn SHOP_ADMIN_EMAIL=bench@example.com SHOP_ADMIN_PASSWORD="$admin_password" \
        SPIN_VARIABLE_JWT_SECRET="$secret" "$target/release/shop-host" 2>"$work/host-$i.log" &
    pids+=($!)
    for _ in $(seq 300); do curl -sf "localhost:${HOST_PORTS[$i]}/readyz" >/dev/null && break; sleep 0.05; done
    [ "$i" = 0 ] && echo "$admin_password" | SHOP_ADDR=127.0.0.1:${HOST_PORTS[0]} "$target/release/shop-host" seed-demo --email bench@example.com --password-stdin >&2
done
WEB_ADDR=127.0.0.1:$WEB_PORT API_URL=http://127.0.0.1:$INTERNAL_PORT RUST_LOG=warn "$target/release/shop-web" >/dev/null 2>"$work/web.log" &
pids+=($!)
nginx/make-cert.sh "$work/certs" >&2

render() {
    NGINX_HOST_SERVERS="$1" NGINX_WEB_SERVERS="server 127.0.0.1:$WEB_PORT;" \
        NGINX_TLS_CERT="$work/certs/cert.pem" NGINX_TLS_KEY="$work/certs/key.pem" \
        NGINX_HTTP_PORT=127.0.0.1:$HTTP_PORT NGINX_HTTPS_PORT=127.0.0.1:$HTTPS_PORT NGINX_HTTPS_PORT_SUFFIX=:$HTTPS_PORT \
        NGINX_INTERNAL_PORT=127.0.0.1:$INTERNAL_PORT NGINX_ACCESS_LOG="$work/access.log" NGINX_ACME_ROOT="$work/acme" \
        nginx/render.sh "$2"
}
server() { echo "server 127.0.0.1:$1 max_fails=3 fail_timeout=10s;"; }
render "$(server "${HOST_PORTS[0]}") $(server "${HOST_PORTS[1]}")" "$work/two"
render "$(server "${HOST_PORTS[0]}")" "$work/one"

BASE=https://127.0.0.1:$HTTPS_PORT
# req/s counts every answer; 2xx/s only the successful ones (a refusal is fast and cheap).
printf '%-6s %-26s %6s %10s %10s %10s %8s\n' hosts request conns req/s 2xx/s p99_ms errors
declare -A rps
for conf in two one; do
    nginx -p "$work/$conf" -c "$work/$conf/nginx.conf"
    for _ in $(seq 100); do curl -skf "$BASE/api/categories" >/dev/null && break; sleep 0.1; done
    product=$(curl -skf "$BASE/api/products?per_page=1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["slug"])')
    for path in "/p/$product" "/api/products?per_page=24"; do
        curl -sk -o /dev/null -w "warm-up $path: %{http_code}\n" "$BASE$path" >&2
        for CONNECTIONS in 64 1000; do
            out=$(run_wrk "$BASE$path")
            r=$(echo "$out" | parse_rps)
            errors=$(echo "$out" | awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",", ""); n+=$4+$6+$8+$10} END {print n+0}')
            ok=$(echo "$out" | awk '/requests in/ {total=$1; secs=$4; sub(/s,?$/, "", secs)} /Non-2xx/ {bad=$NF} END {printf "%.2f", (total-bad)/secs}')
            label=$path; [ "${path#/p/}" != "$path" ] && label="/p/<product>"
            rps["$conf $label $CONNECTIONS"]=$ok
            printf '%-6s %-26s %6s %10s %10s %10s %8s\n' "$conf" "$label" "$CONNECTIONS" "$r" "$ok" "$(echo "$out" | parse_p99 | to_ms)" "$errors"
        done
    done
    nginx -p "$work/$conf" -c "$work/$conf/nginx.conf" -s stop
    sleep 1
done
echo
for key in "${!rps[@]}"; do
    case $key in two\ *) rest=${key#two }; awk -v a="${rps[$key]}" -v b="${rps["one $rest"]}" -v k="$rest" 'BEGIN { printf "2xx/s, two hosts / one: %-40s %.2f\n", k, a / b }' ;; esac
done | sort
