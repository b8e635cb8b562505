#!/usr/bin/env bash
# Checkout throughput on the embedded store (see docs/benchmarks.md), with wrk:
#   1. POST /api/checkout (one line, cash on delivery, a fresh Idempotency-Key per request) at
#      16 and 64 concurrent shoppers, beside POST /api/categories (one insert of a new
#      document through a component and the same store) as the reference in the same run;
#   2. the oversell check: 64 shoppers for 5 s racing for a product of 100 units; every
#      unit sold is one of a placed order's, the stock ends at 0, never below.
# BENCH_DURATION (default 10s) is each wrk run's length; BENCH_NO_BUILD=1 uses what is built.
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/need.sh
need wrk wrk
need curl curl
need jq jq

DURATION="${BENCH_DURATION:-10s}"
HOST_PORT=5190
bench_setup checkout
start_host "$work" "$HOST_PORT" "$target"
base="http://127.0.0.1:$HOST_PORT"
json() { curl -sf -H 'content-type: application/json' "$@"; }
admin=$(json -X POST "$base/api/auth/login" -d "{\"email\": \"bench@example.com\", \"password\": \"$admin_password\"}" | jq -r .access_token)
product() { # slug stock → id
    json -X POST "$base/api/products" -H "authorization: Bearer $admin" -d "{\"slug\": \"$1\", \"name\": {\"en\": \"Bench $1\", \"ar\": \"منتج\"},
        \"description\": {\"en\": \"A thing.\", \"ar\": \"شيء.\"}, \"price\": {\"amount\": 4500, \"currency\": \"SAR\"}, \"stock\": $2, \"status\": \"published\"}" | jq -r .id
}
plenty=$(product plenty 1000000000)
scarce=$(product scarce 100)
json -X POST "$base/api/auth/register" -d '{"email": "shopper@example.com", "password": "correct horse battery"}' >/dev/null
shopper=$(json -X POST "$base/api/auth/login" -d '{"email": "shopper@example.com", "password": "correct horse battery"}' | jq -r .access_token)
# The race's shopper is another, so its orders are listed apart.
json -X POST "$base/api/auth/register" -d '{"email": "racer@example.com", "password": "correct horse battery"}' >/dev/null
racer=$(json -X POST "$base/api/auth/login" -d '{"email": "racer@example.com", "password": "correct horse battery"}' | jq -r .access_token)

# Each wrk thread numbers its requests, so every checkout has a key of its own.
script() { # path method body-file token
    cat <<LUA
local counter = 0
prefix = ""
local body = [[$(cat "$3")]]
local threads = {}
statuses = {}
function setup(thread)
    thread:set("prefix", "$RANDOM$RANDOM-" .. #threads)
    table.insert(threads, thread)
end
function request()
    counter = counter + 1
    local key = prefix .. "-" .. counter
    return wrk.format("$2", "$1", {["content-type"] = "application/json", ["authorization"] = "Bearer $4",
        ["idempotency-key"] = key}, (body:gsub("{key}", key)))
end
function response(status) statuses[status] = (statuses[status] or 0) + 1 end
function done()
    local all = {}
    for _, thread in ipairs(threads) do
        for status, n in pairs(thread:get("statuses")) do all[status] = (all[status] or 0) + n end
    end
    local line = "statuses:"
    for status, n in pairs(all) do line = line .. " " .. status .. "=" .. n end
    print(line)
end
LUA
}
address='{"name": "ليلى", "phone": "+966 55 123 4567", "lines": ["شارع الملك فهد ١٢"], "city": "الرياض", "country": "SA"}'
echo "{\"items\": [{\"product\": \"$plenty\", \"quantity\": 1}], \"shipping_address\": $address, \"payment_method\": \"cash_on_delivery\"}" >"$work/checkout.json"
echo "{\"items\": [{\"product\": \"$scarce\", \"quantity\": 1}], \"shipping_address\": $address, \"payment_method\": \"cash_on_delivery\"}" >"$work/scarce.json"
echo '{"name": {"en": "Category {key}", "ar": "فئة {key}"}}' >"$work/category.json"

row() { # label wrk-output
    local errors
    errors=$(echo "$2" | awk '/Non-2xx/ {print $NF} /Socket errors/ {print "socket:" $0}' | tr '\n' ' ')
    printf '%-46s %10s req/s   p50 %8s ms   p99 %8s ms   errors %s  %s\n' "$1" "$(echo "$2" | parse_rps)" \
        "$(echo "$2" | awk '$1 == "50%" {print $2}' | to_ms)" "$(echo "$2" | parse_p99 | to_ms)" "${errors:-0}" "$(echo "$2" | grep '^statuses:')"
}
for connections in 16 64; do
    echo "== $connections concurrent shoppers, wrk -t2 -c$connections -d$DURATION"
    # Fresh scripts, so no key or name of an earlier run comes back.
    script /api/checkout POST "$work/checkout.json" "$shopper" >"$work/checkout.lua"
    script /api/categories POST "$work/category.json" "$admin" >"$work/category.lua"
    insert=$(wrk -t2 -c"$connections" -d"$DURATION" --latency -s "$work/category.lua" "$base" 2>&1)
    checkout=$(wrk -t2 -c"$connections" -d"$DURATION" --latency -s "$work/checkout.lua" "$base" 2>&1)
    row "POST /api/categories (reference: one insert)" "$insert"
    row "POST /api/checkout (order + stock, 4 writes)" "$checkout"
    awk -v a="$(echo "$checkout" | parse_rps)" -v b="$(echo "$insert" | parse_rps)" 'BEGIN {printf "checkout / one insert: %.2f×\n", a / b}'
done

echo "== oversell: 64 shoppers for 5 s racing for 100 units"
script /api/checkout POST "$work/scarce.json" "$racer" >"$work/scarce.lua"
race=$(wrk -t2 -c64 -d5s --latency -s "$work/scarce.lua" "$base" 2>&1)
row "POST /api/checkout (409 once sold out)" "$race"
stock=$(json "$base/api/products/$scarce" | jq .stock)
sold=0
page=1
while :; do
    listed=$(json "$base/api/orders?scope=all&status=paid&email=racer@example.com&per_page=100&page=$page" -H "authorization: Bearer $admin")
    sold=$((sold + $(echo "$listed" | jq --arg p "$scarce" '[.items[].lines[] | select(.product == $p) | .quantity] | add // 0')))
    [ "$(echo "$listed" | jq '.links.next // empty')" = "" ] && break
    page=$((page + 1))
done
oversold=$((sold > 100 ? sold - 100 : 0))
echo "scarce product: stock $stock, units in placed orders $sold, stock + sold = $((stock + sold)) of 100, oversold $oversold"
[ "$stock" -ge 0 ] && [ $((stock + sold)) -eq 100 ] && [ "$oversold" -eq 0 ] || { echo "STOCK INVARIANT BROKEN" >&2; exit 1; }
