#!/usr/bin/env bash
# The soak and fault run (see docs/benchmarks.md, "Soak"): SOAK_SECONDS (default 600) of mixed
# traffic from SOAK_CONNECTIONS (64) keep-alive connections through nginx (the project's
# configuration, TLS) to the storefront and two hosts sharing one store, while faults run:
# host 2 SIGKILLed and restarted every minute, the catalog component hot-swapped every 30 s,
# the uploads directory (a 64 MiB tmpfs) full for 30 s every 3 minutes. Then every write that
# got a 2xx is read back. Prints requests, p50/p99 per route, errors by cause, RSS and open
# files of each process (an SVG plot in the report directory), writes checked and lost; exits
# non-zero on an unexpected error, a lost write or RSS growth of 10 % or more after warm-up.
#   bash bench/soak.sh                    # 10 minutes
#   SOAK_SECONDS=120 BENCH_NO_BUILD=1 bash bench/soak.sh
# The report goes to SOAK_OUT (default /tmp/shop-soak-report). The uploads fault needs root
# (mount); without it the run says so and goes on without that fault.
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/need.sh
need nginx nginx-light
need curl curl
need envsubst gettext-base
need python3 python3
need fallocate util-linux

SECONDS_TOTAL="${SOAK_SECONDS:-600}"
CONNECTIONS="${SOAK_CONNECTIONS:-64}"
OUT="${SOAK_OUT:-/tmp/shop-soak-report}"
HOST_PORTS=(5390 5391)
WEB_PORT=5392
HTTPS_PORT=5393
HTTP_PORT=5394
INTERNAL_PORT=5395
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/shop-soak.XXXXXX)
chmod 755 "$work"
mounted=""
cleanup() {
    [ -f "$work/nginx/nginx.pid" ] && nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -s stop 2>/dev/null || true
    for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
    sleep 0.5
    [ -n "$mounted" ] && umount -l "$work/uploads" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${BENCH_NO_BUILD:-}" ]; then cargo xtask build >&2; fi
target="${CARGO_TARGET_DIR:-$PWD/target}"
# The components are copied: the hot swaps replace the copy, never dist/.
cp -r dist/components "$work/components"
mkdir -p "$work/uploads"
if mount -t tmpfs -o size=64m tmpfs "$work/uploads" 2>/dev/null; then
    mounted=yes
else
    echo "soak: cannot mount a tmpfs (not root?): the uploads-full fault is left out" >&2
fi

secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
admin_password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
# `start_host N`: host N on its port, its pid in $work/host-N.pid, waiting until it is ready.
cat >"$work/start-host.sh" <<SCRIPT
#!/usr/bin/env bash
n=\$1
port=\$([ "\$n" = 1 ] && echo ${HOST_PORTS[0]} || echo ${HOST_PORTS[1]})
SHOP_ADDR=127.0.0.1:\$port SHOP_OPERATOR_ADDR=off SHOP_DATA_DIR="$work/data" SHOP_STORE_SHARED=true \\
    SHOP_UPLOADS_DIR="$work/uploads" SHOP_COMPONENTS_DIR="$work/components" \\
    SHOP_TRUSTED_PROXIES=127.0.0.1 RUST_LOG=warn SHOP_ADMIN_EMAIL=bench@example.com SHOP_ADMIN_PASSWORD="$admin_password" \\
    SPIN_VARIABLE_JWT_SECRET="$secret" setsid "$target/release/shop-host" 2>>"$work/host-\$n.log" &
echo \$! >"$work/host-\$n.pid"
for _ in \$(seq 600); do curl -sf "localhost:\$port/readyz" >/dev/null && exit 0; sleep 0.05; done
echo "soak: host \$n did not become ready" >&2
exit 1
SCRIPT
chmod +x "$work/start-host.sh"
"$work/start-host.sh" 1
echo "$admin_password" | SHOP_ADDR=127.0.0.1:${HOST_PORTS[0]} "$target/release/shop-host" seed-demo --email bench@example.com --password-stdin >&2
"$work/start-host.sh" 2
WEB_ADDR=127.0.0.1:$WEB_PORT API_URL=http://127.0.0.1:$INTERNAL_PORT RUST_LOG=warn "$target/release/shop-web" >/dev/null 2>"$work/web.log" &
echo $! >"$work/web.pid"
nginx/make-cert.sh "$work/certs" >&2
server() { echo "server 127.0.0.1:$1 max_fails=3 fail_timeout=10s;"; }
# The sign-in rate limit is tested on its own; here sign-ins are ordinary traffic.
NGINX_HOST_SERVERS="$(server "${HOST_PORTS[0]}") $(server "${HOST_PORTS[1]}")" NGINX_WEB_SERVERS="server 127.0.0.1:$WEB_PORT;" \
    NGINX_TLS_CERT="$work/certs/cert.pem" NGINX_TLS_KEY="$work/certs/key.pem" \
    NGINX_HTTP_PORT=127.0.0.1:$HTTP_PORT NGINX_HTTPS_PORT=127.0.0.1:$HTTPS_PORT NGINX_HTTPS_PORT_SUFFIX=:$HTTPS_PORT \
    NGINX_INTERNAL_PORT=127.0.0.1:$INTERNAL_PORT NGINX_ACCESS_LOG=/dev/null NGINX_ACME_ROOT="$work/acme" \
    NGINX_AUTH_RATE=10000r/s NGINX_AUTH_BURST=10000 nginx/render.sh "$work/nginx"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>>"$work/nginx-error.log"
for _ in $(seq 100); do curl -skf "https://127.0.0.1:$HTTPS_PORT/api/categories" >/dev/null && break; sleep 0.1; done

config=$(python3 - "$work" <<PY
import json, sys
work = sys.argv[1]
print(json.dumps({
    "host": "127.0.0.1", "port": $HTTPS_PORT, "seconds": $SECONDS_TOTAL, "connections": $CONNECTIONS,
    "out": "$OUT", "jpeg": "fuzz/seeds/media_pipeline/rgb-48x32.jpg",
    "admin_email": "bench@example.com", "admin_password": "$admin_password",
    "pid_files": {"host-1": f"{work}/host-1.pid", "host-2": f"{work}/host-2.pid", "web": f"{work}/web.pid"},
    "nginx_pid": f"{work}/nginx/nginx.pid",
    "restart_host_2": f"{work}/start-host.sh 2",
    "components_dir": f"{work}/components",
    "filler": f"{work}/uploads/.soak-filler" if "$mounted" else "",
    "fill_size": "64M",
    "kill_every": int("${SOAK_KILL_EVERY:-60}"), "swap_every": int("${SOAK_SWAP_EVERY:-30}"), "full_every": int("${SOAK_FULL_EVERY:-180}"),
    "sample_every": 5, "warmup": min(60, $SECONDS_TOTAL // 5),
}))
PY
)
python3 bench/soak/driver.py "$config"
