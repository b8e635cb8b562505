#!/usr/bin/env bash
# The same catalogue reads under `spin up` (Spin 4.0.2, the composed components of
# dist/spin) and on shop-host (response cache off, then on), in one run: both seeded with the
# demo catalogue through their API, then wrk on each (see docs/benchmarks.md).
# Needs wrk and curl (installed from Debian as root) and a Spin CLI: SPIN_BIN, `spin` on PATH,
# or ../shared/tools/spin/install.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/need.sh
need wrk wrk
need curl curl

DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
HOST_PORT=5380
SPIN_PORT=5381
spin=${SPIN_BIN:-$(command -v spin || true)}
if [ -z "$spin" ] && [ -x ../shared/tools/spin/install.sh ]; then
    spin=$(../shared/tools/spin/install.sh "$HOME/.cache/shop/spin-4.0.2" | tail -n 1)
fi
[ -n "$spin" ] || { echo "bench: no Spin CLI: set SPIN_BIN or put spin on PATH" >&2; exit 1; }
bench_setup spin-bench

start_host "$work" "$HOST_PORT" "$target"
seed_demo "http://127.0.0.1:$HOST_PORT"

SPIN_VARIABLE_JWT_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" SPIN_VARIABLE_ADMIN_EMAIL=bench@example.com \
    SPIN_VARIABLE_ADMIN_PASSWORD="$admin_password" "$spin" up --from spin.toml --listen "127.0.0.1:$SPIN_PORT" --state-dir "$work/spin" >"$work/spin.log" 2>&1 &
spin_pid=$!
for _ in $(seq 600); do curl -sf "localhost:$SPIN_PORT/api/categories" >/dev/null && break; sleep 0.1; done
seed_demo "http://127.0.0.1:$SPIN_PORT"

row() { # label, url
    local out; out=$(run_wrk "$2")
    printf '  %-36s %10s req/s  p99 %8s ms  %s\n' "$1" "$(echo "$out" | parse_rps)" "$(echo "$out" | parse_p99 | to_ms)" "$(echo "$out" | awk '/Non-2xx|Socket errors/ {printf "%s ", $0}')"
}

echo "wrk -t2 -c$CONNECTIONS -d$DURATION on $(nproc) cores; $("$spin" --version | head -1)"
for path in "/api/products?per_page=24" "/api/categories"; do
    echo
    echo "== GET $path"
    restart_host "$HOST_PORT" off
    row "shop-host, response cache off" "http://127.0.0.1:$HOST_PORT$path"
    restart_host "$HOST_PORT" on
    curl -sf "localhost:$HOST_PORT$path" >/dev/null
    row "shop-host, response cache on" "http://127.0.0.1:$HOST_PORT$path"
    row "spin up (composed components)" "http://127.0.0.1:$SPIN_PORT$path"
done
if grep -E "panicked at|wasm trap" "$work/spin.log" "$work"/spin/logs/* 2>/dev/null; then
    echo "Spin reported guest failures (above)"
    exit 1
fi
