#!/usr/bin/env bash
# Benchmarks of the storefront (see docs/benchmarks.md):
#   1. a server-rendered category page (24 products of the demo catalogue) through shop-web →
#      host → catalog component, against nginx serving the same HTML as a static file, both
#      with wrk -c64, in this one run (ratio);
#   2. the client bundle's size, raw and gzipped;
#   3. time to interactive of a product page, from headless Chromium traces (bench/tti.mjs).
# Needs wrk, nginx and chromium (installed from Debian when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/need.sh
need wrk wrk
need nginx nginx
need curl curl
need chromium chromium

DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
HOST_PORT=5190
WEB_PORT=5191
NGINX_PORT=5192
bench_setup web-bench

start_host "$work" "$HOST_PORT" "$target"
seed_demo "http://127.0.0.1:$HOST_PORT"
WEB_ADDR=127.0.0.1:$WEB_PORT API_URL=http://127.0.0.1:$HOST_PORT RUST_LOG=warn "$target/release/shop-web" >/dev/null 2>"$work/web.log" &
web_pid=$!
for _ in $(seq 200); do curl -sf "localhost:$WEB_PORT/healthz" >/dev/null && break; sleep 0.05; done

PAGE=/c/coffee-tea
mkdir -p "$work/www/c"
curl -sf "localhost:$WEB_PORT$PAGE" >"$work/www/c/coffee-tea.html"
cards=$(grep -o 'class="card"' "$work/www/c/coffee-tea.html" | wc -l)
bytes=$(wc -c <"$work/www/c/coffee-tea.html")

static_nginx "$work" "$NGINX_PORT" text/html "location = $PAGE { try_files $PAGE.html =404; }"
curl -sf "localhost:$NGINX_PORT$PAGE" | cmp - "$work/www/c/coffee-tea.html"


echo "== GET $PAGE ($cards products, $bytes bytes of HTML), wrk -t2 -c$CONNECTIONS -d$DURATION"
web_out=$(run_wrk "http://127.0.0.1:$WEB_PORT$PAGE")
nginx_out=$(run_wrk "http://127.0.0.1:$NGINX_PORT$PAGE")
web_rps=$(echo "$web_out" | parse_rps); nginx_rps=$(echo "$nginx_out" | parse_rps)
printf '%-52s %12s req/s   p99 %8s ms\n' "shop-web SSR → host → catalog component → SQLite" "$web_rps" "$(echo "$web_out" | parse_p99 | to_ms)"
printf '%-52s %12s req/s   p99 %8s ms\n' "nginx, the same HTML as a static file" "$nginx_rps" "$(echo "$nginx_out" | parse_p99 | to_ms)"
awk -v h="$web_rps" -v n="$nginx_rps" 'BEGIN { printf "SSR / nginx throughput ratio: %.3f\n", h / n }'
errors=$(echo "$web_out" | awk '/Non-2xx|Socket errors/')
[ -z "$errors" ] || echo "shop-web errors: $errors"

echo
echo "== the client bundle (dist/web/pkg)"
for f in dist/web/pkg/*.wasm dist/web/pkg/*.js dist/web/pkg/*.css; do
    printf '%-40s %9s bytes   gzip -9: %8s bytes\n' "$(basename "$f")" "$(wc -c <"$f")" "$(wc -c <"$f.gz")"
done

echo
product=$(grep -o 'href="/p/[^"]*"' "$work/www/c/coffee-tea.html" | head -1 | sed 's/href="//; s/"//')
echo "== time to interactive of $product (headless Chromium, 360×740, cache off, served by shop-web with gzip)"
node bench/tti.mjs "http://127.0.0.1:$WEB_PORT$product" "${BENCH_TTI_RUNS:-5}"
