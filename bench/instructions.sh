#!/usr/bin/env bash
# Instructions the host executes per request, counted by valgrind's callgrind (see
# docs/benchmarks.md). A count does not move with whatever else the machine does (two runs
# of one build agree to a few hundredths of a percent), so a change of a few percent in the
# request path can be measured where this machine's wall-clock A/Bs drown in noise (±7 %,
# more in a busy hour). Instructions are not time (a SIMD scan does more per instruction
# than a byte loop): confirm a gain with bench/compare.sh before calling it one.
#
#   bash bench/instructions.sh [COMPONENTS_DIR_B]
#
# Runs the host (cache off) on the demo catalogue under callgrind twice per request path,
# with BENCH_N1 and BENCH_N2 requests (default 50 and 150) on one kept-alive connection
# after a warm-up, and prints (I(N2) − I(N1)) / (N2 − N1): the start-up cancels out. With a
# second components directory (a build to compare), the same for it, and the ratio B / A.
# BENCH_PATHS (space-separated) sets the paths; default the listing and a search.
# BENCH_NO_BUILD=1 uses the binaries and components already built.
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/need.sh
need valgrind valgrind
need curl curl

N1="${BENCH_N1:-50}"
N2="${BENCH_N2:-150}"
read -r -a PATHS <<<"${BENCH_PATHS:-/api/products?per_page=24 /api/products?per_page=24&q=%D8%AA%D9%85%D8%B1}"
HOST_PORT=5290
bench_setup instructions

start_host "$work" "$HOST_PORT" "$target"
seed_demo "http://127.0.0.1:$HOST_PORT"
kill "$host_pid"; wait "$host_pid" 2>/dev/null || true
host_pid=

A="$PWD/dist/components"
B="${1:-}"

# `host_with COMPONENTS [valgrind arguments…]`: the host on the seeded data with these
# components, in the background (sets host_pid). Few instance slots: each reserves address
# space, and valgrind has less than the kernel gives.
host_with() {
    local components=$1
    shift
    SHOP_ADDR=127.0.0.1:$HOST_PORT SHOP_OPERATOR_ADDR=off SHOP_DATA_DIR="$work/data" RUST_LOG=warn \
        SHOP_RESPONSE_CACHE=off SHOP_COMPONENTS_DIR="$components" SHOP_SWAP_POLL_MS=0 SHOP_HOUSEKEEPING_SECS=0 \
        SHOP_MAX_INSTANCES=4 SHOP_MAX_CONCURRENT_REQUESTS=2 \
        SPIN_VARIABLE_JWT_SECRET=0123456789abcdef0123456789abcdef0123456789abcdef \
        "$@" "$target/release/shop-host" 2>>"$work/host.log" &
    host_pid=$!
    for _ in $(seq 1200); do curl -sf "localhost:$HOST_PORT/readyz" >/dev/null && return; sleep 0.1; done
    echo "bench: the host did not start; see $work/host.log" >&2
    exit 1
}

# `requests PATH N`: N requests on one kept-alive connection, each answer read whole.
requests() {
    python3 - "$HOST_PORT" "$1" "$2" <<'PY'
import http.client, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
connection = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    connection.request("GET", path)
    answer = connection.getresponse()
    answer.read()
    if answer.status != 200:
        sys.exit(f"bench: {path} answered {answer.status}")
PY
}

# `count COMPONENTS PATH N`: instructions of a host that served a warm-up and N requests.
count() {
    local log="$work/callgrind.log"
    host_with "$1" valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" --log-file="$log"
    requests "$2" 20
    requests "$2" "$3"
    kill -INT "$host_pid"; wait "$host_pid" 2>/dev/null || true
    host_pid=
    awk '/Collected :/ { gsub(/,/, "", $NF); print $NF }' "$log"
}

# `per_request COMPONENTS PATH`: instructions per request, start-up cancelled.
per_request() {
    local low high
    low=$(count "$1" "$2" "$N1")
    high=$(count "$1" "$2" "$N2")
    awk -v a="$low" -v b="$high" -v n="$((N2 - N1))" 'BEGIN { printf "%.0f", (b - a) / n }'
}

for components in "$A" ${B:+"$B"}; do
    # Compiled once before counting, under valgrind (its CPU lacks some of the real one's
    # features, so it needs code of its own) but without callgrind's slowness.
    host_with "$components" valgrind --tool=none --log-file="$work/valgrind.log"
    kill "$host_pid"; wait "$host_pid" 2>/dev/null || true
    host_pid=
done

printf '%-56s %14s %14s %8s\n' "request (instructions per request)" "A" "${B:+B}" "${B:+B / A}"
for path in "${PATHS[@]}"; do
    a=$(per_request "$A" "$path")
    if [ -n "$B" ]; then
        b=$(per_request "$B" "$path")
        printf '%-56s %14s %14s %8s\n' "$path" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')"
    else
        printf '%-56s %14s\n' "$path" "$a"
    fi
done
