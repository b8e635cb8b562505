# Sourced by the bench scripts: `need COMMAND DEBIAN-PACKAGE` installs the package when the
# command is missing and we are root, or stops with what to install; `static_nginx` serves a
# directory as the reference of a comparison; `run_wrk` and the parsers read wrk's report.
need() {
    command -v "$1" >/dev/null 2>&1 && return
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
    else
        echo "bench: $1 is missing; install the Debian package $2" >&2
        exit 1
    fi
}

# `static_nginx WORK PORT DEFAULT-TYPE [SERVER-DIRECTIVES] [HTTP-DIRECTIVES]`: nginx serving $WORK/www on
# 127.0.0.1:PORT, with its pid, logs and temporary files in $WORK (stop it with
# `nginx -c $WORK/nginx.conf -s stop`).
static_nginx() {
    local work=$1 port=$2 type=$3 extra=${4:-} http_extra=${5:-}
    cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    $http_extra
    access_log off;
    sendfile on;
    tcp_nodelay on;
    keepalive_requests 100000;
    client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
    server {
        listen 127.0.0.1:$port;
        root $work/www;
        default_type $type;
        $extra
    }
}
CONF
    mkdir -p "$work/tmp"
    nginx -c "$work/nginx.conf"
}

# wrk with the comparison's connections and duration (CONNECTIONS, DURATION), and its figures.
run_wrk() { wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$1" 2>&1; }
parse_rps() { awk '/Requests\/sec/ {print $2}'; }
parse_p99() { awk '$1 == "99%" {print $2}'; }
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f", v}'; }

# `start_host WORK PORT TARGET`: the host built in TARGET on 127.0.0.1:PORT, data in
# $WORK/data, with a fresh admin bench@example.com (password in $admin_password) and signing
# key; waits until it is ready. Sets host_pid.
start_host() {
    local work=$1 port=$2 target=$3
    admin_password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    SHOP_ADDR=127.0.0.1:$port SHOP_OPERATOR_ADDR=off SHOP_DATA_DIR="$work/data" RUST_LOG=warn \
        SHOP_ADMIN_EMAIL=bench@example.com SHOP_ADMIN_PASSWORD="$admin_password" \
        SPIN_VARIABLE_JWT_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
        "$target/release/shop-host" 2>"$work/host.log" &
    host_pid=$!
    for _ in $(seq 200); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.05; done
}

# `restart_host PORT CACHE`: the host of `start_host` started again on its data (in `$work`)
# with `SHOP_RESPONSE_CACHE=CACHE`; waits until it is ready. Sets host_pid.
restart_host() {
    kill "$host_pid"; wait "$host_pid" 2>/dev/null || true
    SHOP_ADDR=127.0.0.1:$1 SHOP_OPERATOR_ADDR=off SHOP_DATA_DIR="$work/data" RUST_LOG=warn SHOP_RESPONSE_CACHE="$2" \
        SPIN_VARIABLE_JWT_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
        "$target/release/shop-host" 2>>"$work/host.log" &
    host_pid=$!
    for _ in $(seq 200); do curl -sf "localhost:$1/readyz" >/dev/null && break; sleep 0.05; done
}

# `bench_setup NAME`: a scratch directory `$work` (/tmp/shop-NAME.<random>, readable by nginx's
# workers), removed on exit after the processes in `host_pid`, `web_pid`, `express_pid` and
# `spin_pid` (whichever are set) and the nginx of `$work/nginx.conf` are stopped; then
# `cargo xtask build` and `$target`, its output directory. `BENCH_NO_BUILD=1` skips the
# build and uses the binaries and components already there (from a build or a test run).
bench_setup() {
    work=$(mktemp -d "/tmp/shop-$1.XXXXXX")
    chmod 755 "$work"
    trap bench_cleanup EXIT
    if [ -z "${BENCH_NO_BUILD:-}" ]; then cargo xtask build >&2; fi
    target="${CARGO_TARGET_DIR:-$PWD/target}"
}
bench_cleanup() {
    local pid
    for pid in "${host_pid:-}" "${web_pid:-}" "${express_pid:-}" "${spin_pid:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    [ -f "$work/nginx.pid" ] && nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true
    rm -rf "$work"
}

# `seed_demo URL`: the demo catalogue through the API at URL, as the bench admin.
seed_demo() {
    echo "$admin_password" | "$target/release/shop-host" seed-demo --url "$1" --email bench@example.com --password-stdin >&2
}
