#!/usr/bin/env bash
# The shop against the stack it replaces, side by side in one run (see docs/benchmarks.md):
# the same requests, on the same demo catalogue, answered by
#   - shop-host with its response cache off (every request runs the catalog component),
#   - shop-host with the response cache on (the default),
#   - Express 5 answering the same bytes from memory (one Node process, no database work:
#     the bar for the seed stack's whole backend; installed from npm into a temporary
#     directory, never a project dependency),
#   - nginx serving the same bytes as static files;
# and the storefront's pages (shop-web SSR in front of the host) against Express and nginx
# serving the same HTML. Prints req/s, p50, p99 and errors of each, and the ratios.
# Each row also gives the server's CPU time per request (the host's, Express's, nginx's
# processes; for the storefront, shop-web and the host together).
# Needs wrk, nginx, curl and Node.js with npm (wrk, nginx and curl installed from Debian as root).
# BENCH_DURATION (10s), BENCH_WARMUP (2s, unmeasured, before each row) and BENCH_CONNECTIONS (64) set wrk's runs; BENCH_ONLY=api skips the pages.
# BENCH_ROUNDS (1) repeats each group of rows that many times, alternating the servers, and
# prints the median of each round's ratio: on a small shared machine one row moves by a
# third between runs, the same-round ratio far less.
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/need.sh
need wrk wrk
need nginx nginx
need curl curl
command -v npm >/dev/null || { echo "bench: npm is missing; install Node.js with npm" >&2; exit 1; }

DURATION="${BENCH_DURATION:-10s}"
# Each server gets the same warm-up first (a restarted host's instance slots, SQLite's page
# cache and the JIT code are cold; so are Node's).
WARMUP="${BENCH_WARMUP:-2s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
ROUNDS="${BENCH_ROUNDS:-1}"
EXPRESS_VERSION=5.3.0
HOST_PORT=5280
NGINX_PORT=5281
EXPRESS_PORT=5282
WEB_PORT=5283
bench_setup compare

# The catalogue, seeded once; the host is restarted on it with the cache off and on.
start_host "$work" "$HOST_PORT" "$target"
seed_demo "http://127.0.0.1:$HOST_PORT"

PRODUCTS="/api/products?per_page=24"
CATEGORIES="/api/categories"
SEARCH="/api/products?per_page=24&q=%D8%AA%D9%85%D8%B1"   # q=تمر (dates)
API_PATHS=("$PRODUCTS" "$CATEGORIES" "$SEARCH")
PAGES=("/c/coffee-tea" "/")

# The references' bytes: what the host answers, in files named by a hash of their address.
mkdir -p "$work/www" "$work/express"
name_of() { printf '%s' "$1" | sha256sum | cut -c1-16; }
: >"$work/routes.tsv"
save() { # address, content type, fetched from
    local file; file=$(name_of "$1")
    curl -sf "$3$1" >"$work/www/$file"
    printf '%s\t%s\t%s\n' "$1" "$2" "$file" >>"$work/routes.tsv"
}
for path in "${API_PATHS[@]}"; do save "$path" application/json "http://127.0.0.1:$HOST_PORT"; done

if [ "${BENCH_ONLY:-}" != api ]; then
    WEB_ADDR=127.0.0.1:$WEB_PORT API_URL=http://127.0.0.1:$HOST_PORT RUST_LOG=warn "$target/release/shop-web" >/dev/null 2>"$work/web.log" &
    web_pid=$!
    for _ in $(seq 200); do curl -sf "localhost:$WEB_PORT/healthz" >/dev/null && break; sleep 0.05; done
    for page in "${PAGES[@]}"; do save "$page" "text/html; charset=utf-8" "http://127.0.0.1:$WEB_PORT"; done
fi

# nginx: each address mapped to its file (query strings included).
{
    echo 'map $request_uri $bench_file {'
    while IFS=$'\t' read -r address _ file; do printf '    "%s" /%s;\n' "$address" "$file"; done <"$work/routes.tsv"
    echo '}'
} >"$work/map.conf"
static_nginx "$work" "$NGINX_PORT" application/json "location / { try_files \$bench_file =404; }" "include $work/map.conf;"

# Express 5, one process, the same bytes from memory.
npm install --prefix "$work/express" --no-audit --no-fund --ignore-scripts --loglevel=error "express@$EXPRESS_VERSION" >&2
cat >"$work/express/server.js" <<'JS'
const express = require("express");
const fs = require("fs");
const path = require("path");
const [routes, www, port] = process.argv.slice(2);
const answers = new Map();
for (const line of fs.readFileSync(routes, "utf8").trim().split("\n")) {
  const [address, type, file] = line.split("\t");
  answers.set(address, { type, body: fs.readFileSync(path.join(www, file)) });
}
const app = express();
app.use((req, res) => {
  const answer = answers.get(req.originalUrl);
  if (!answer) return res.status(404).end();
  res.type(answer.type).send(answer.body);
});
app.listen(Number(port), "127.0.0.1");
JS
node "$work/express/server.js" "$work/routes.tsv" "$work/www" "$EXPRESS_PORT" &
express_pid=$!
for _ in $(seq 100); do curl -sf "localhost:$EXPRESS_PORT$PRODUCTS" >/dev/null && break; sleep 0.05; done

# Every reference answers the host's bytes.
while IFS=$'\t' read -r address _ file; do
    curl -sf "localhost:$NGINX_PORT$address" | cmp - "$work/www/$file"
    curl -sf "localhost:$EXPRESS_PORT$address" | cmp - "$work/www/$file"
done <"$work/routes.tsv"

parse_p50() { awk '$1 == "50%" {print $2}'; }
errors_of() { awk '/Non-2xx|Socket errors/ {sub(/^ +/, ""); printf "%s ", $0}'; }
declare -A RPS
# CPU seconds used so far by the processes given (utime + stime of every thread).
cpu_of() { local total=0 pid; for pid in "$@"; do total=$(awk -v t="$total" -v hz="$(getconf CLK_TCK)" '{ printf "%.6f", t + ($14 + $15) / hz }' "/proc/$pid/stat" 2>/dev/null || echo "$total"); done; echo "$total"; }
declare -A CPU
measure() { # label, url, server pids → one row after a warm-up; req/s kept as RPS[label], server CPU µs per request as CPU[label]
    wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" "$2" >/dev/null 2>&1
    local pids=$3 before after out
    # shellcheck disable=SC2086 # pids is a list
    before=$(cpu_of $pids)
    out=$(run_wrk "$2")
    # shellcheck disable=SC2086
    after=$(cpu_of $pids)
    RPS[$1]=$(echo "$out" | parse_rps)
    CPU[$1]=$(awk -v a="$before" -v b="$after" -v n="$(echo "$out" | awk '/requests in/ {print $1}')" 'BEGIN { printf "%.0f", (b - a) * 1e6 / n }')
    printf '  %-34s %10s req/s  p50 %8s ms  p99 %8s ms  cpu %5s us/req  %s\n' "$1" "${RPS[$1]}" "$(echo "$out" | parse_p50 | to_ms)" "$(echo "$out" | parse_p99 | to_ms)" "${CPU[$1]}" "$(echo "$out" | errors_of)"
}
nginx_pids() { pgrep -f "nginx: (master|worker) process.*" | tr '\n' ' '; }
ratio() { awk -v a="$2" -v b="$3" -v l="$1" 'BEGIN { printf "  %-44s %6.2f\n", l, a / b }'; }
declare -A RATIOS
# Prints a ratio and keeps it for the group's median: label, numerator, denominator.
keep_ratio() {
    ratio "$1" "$2" "$3"
    RATIOS[$1]="${RATIOS[$1]:-} $(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", a / b }')"
}
# After the rounds of a group: each ratio's median and the rounds' values.
medians() {
    [ "$ROUNDS" -gt 1 ] || { RATIOS=(); return 0; }
    echo "  median of $ROUNDS rounds:"
    for label in "$@"; do
        # shellcheck disable=SC2086 # the kept values are space-separated numbers
        printf '%s\n' ${RATIOS[$label]} | sort -n | awk -v l="$label" '{ v[NR] = $1; all = all " " $1 }
            END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "  %-44s %6.2f  (rounds:%s)\n", l, m, all }'
    done
    RATIOS=()
}

echo "wrk -t2 -c$CONNECTIONS -d$DURATION on $(nproc) cores, $ROUNDS round(s); Express $EXPRESS_VERSION on Node $(node --version), nginx $(nginx -v 2>&1 | sed 's/.*\///')"
for path in "${API_PATHS[@]}"; do
    bytes=$(wc -c <"$work/www/$(name_of "$path")")
    echo
    echo "== GET $path ($bytes bytes)"
    for round in $(seq "$ROUNDS"); do
        [ "$ROUNDS" -eq 1 ] || echo "  round $round"
        restart_host "$HOST_PORT" off
        measure "shop-host, response cache off" "http://127.0.0.1:$HOST_PORT$path" "$host_pid"
        restart_host "$HOST_PORT" on
        curl -sf "localhost:$HOST_PORT$path" >/dev/null
        measure "shop-host, response cache on" "http://127.0.0.1:$HOST_PORT$path" "$host_pid"
        measure "Express 5, same bytes from memory" "http://127.0.0.1:$EXPRESS_PORT$path" "$express_pid"
        measure "nginx, same bytes as a file" "http://127.0.0.1:$NGINX_PORT$path" "$(nginx_pids)"
        keep_ratio "uncached / Express" "${RPS[shop-host, response cache off]}" "${RPS[Express 5, same bytes from memory]}"
        keep_ratio "cached / Express" "${RPS[shop-host, response cache on]}" "${RPS[Express 5, same bytes from memory]}"
        keep_ratio "cached / nginx" "${RPS[shop-host, response cache on]}" "${RPS[nginx, same bytes as a file]}"
        # Server CPU per request, Express's over the host's (above 1: the host does the
        # request with less CPU): steadier than req/s, which depends on how the two cores
        # are shared between the server and wrk.
        keep_ratio "CPU per request, Express / uncached" "${CPU[Express 5, same bytes from memory]}" "${CPU[shop-host, response cache off]}"
    done
    medians "uncached / Express" "cached / Express" "cached / nginx" "CPU per request, Express / uncached"
done

if [ "${BENCH_ONLY:-}" != api ]; then
    for page in "${PAGES[@]}"; do
        bytes=$(wc -c <"$work/www/$(name_of "$page")")
        echo
        echo "== storefront GET $page ($bytes bytes of HTML; the host's cache on)"
        for round in $(seq "$ROUNDS"); do
            [ "$ROUNDS" -eq 1 ] || echo "  round $round"
            measure "shop-web SSR → host" "http://127.0.0.1:$WEB_PORT$page" "$web_pid $host_pid"
            measure "Express 5, same HTML from memory" "http://127.0.0.1:$EXPRESS_PORT$page" "$express_pid"
            measure "nginx, same HTML as a file" "http://127.0.0.1:$NGINX_PORT$page" "$(nginx_pids)"
            keep_ratio "SSR / Express" "${RPS[shop-web SSR → host]}" "${RPS[Express 5, same HTML from memory]}"
            keep_ratio "SSR / nginx" "${RPS[shop-web SSR → host]}" "${RPS[nginx, same HTML as a file]}"
        done
        medians "SSR / Express" "SSR / nginx"
    done
fi
