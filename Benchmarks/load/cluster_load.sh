#!/usr/bin/env bash
# Several release kefu instances on one PostgreSQL (docs/deployment.md: one secret key, one
# shared data directory, KEFU_TRUST_PROXY), then one measurement across them:
#   chat       LoadGen chat with visitors and agent feeds spread over the instances in turn, so
#              most messages cross instances (NOTIFY, then a read from the store) to reach a feed;
#   decisions  wrk on POST /api/v1/accounts/{id}/authorizations, one wrk per instance at once
#              (10,000 tier-2 accounts written with SQL first), beside wrk on GET /healthz of one
#              instance in the same run as the baseline.
#
# Usage (from the repository root, a PostgreSQL server at LOADGEN_POSTGRES, fsync on):
#   LOADGEN_POSTGRES=postgres://kefu@127.0.0.1:55440 Benchmarks/load/cluster_load.sh /tmp/kefu-bin/kefu-server \
#       /tmp/loadgen-build/release/LoadGen 3 chat --find-max --start-rate 150 --rate-factor 1.2 --no-baseline
#   LOADGEN_POSTGRES=… Benchmarks/load/cluster_load.sh … 2 decisions [seconds] [connections per instance]
# Without LOADGEN_POSTGRES it runs one instance on SQLite (the figures to compare with).
set -euo pipefail

server=$1 loadgen=$2 count=$3 command=$4
shift 4
ulimit -n "$(ulimit -Hn)"

dir=$(mktemp -d /tmp/kefu-cluster-load-XXXXXX)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
database="kefu_cluster_load_$$"
if [ -n "${LOADGEN_POSTGRES:-}" ]; then
  psql -q "$LOADGEN_POSTGRES/postgres" -c "CREATE DATABASE $database"
  export KEFU_DATABASE_URL="$LOADGEN_POSTGRES/$database"
else
  [ "$count" = 1 ] || { echo "several instances need LOADGEN_POSTGRES" >&2; exit 2; }
  export KEFU_DATABASE_URL="sqlite://$dir/data/kefu.db"
fi
# One statement on the run's database, its rows as lines of |-separated columns.
query() {
  if [ -n "${LOADGEN_POSTGRES:-}" ]; then psql -qtA "$KEFU_DATABASE_URL" -c "$1"
  else python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.create_function("load_id", 1, lambda n: "%08x-0000-4000-8000-%012x" % (n, n))
rows = db.execute(sys.argv[2]).fetchall(); db.commit()
print("\n".join("|".join(str(c) for c in row) for row in rows))' "$dir/data/kefu.db" "$1"; fi
}
export KEFU_DATA_DIR="$dir/data" KEFU_LOG_LEVEL=warning KEFU_TRUST_PROXY=true
KEFU_SECRET_KEY=$(python3 -c 'import os; print(os.urandom(32).hex())')
export KEFU_SECRET_KEY

pids=() ports=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -z "${LOADGEN_POSTGRES:-}" ] || psql -q "$LOADGEN_POSTGRES/postgres" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
  rm -rf "$dir"
}
trap cleanup EXIT

start() {  # start INDEX [--demo]
  local port
  port=$(free_port)
  KEFU_HTTP_PORT=$port "$server" serve "${@:2}" >"$dir/kefu-$1.log" 2>&1 &
  pids+=($!)
  ports+=("$port")
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "instance $1 exited:" >&2; tail -20 "$dir/kefu-$1.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "instance $1 never answered" >&2
  exit 1
}

start 0 --demo
for index in $(seq 1 $((count - 1))); do start "$index"; done
urls=()
for port in "${ports[@]}"; do urls+=("http://127.0.0.1:$port"); done
echo "$count instance(s): ${urls[*]} (pids ${pids[*]}); uptime: $(uptime)"

case "$command" in
  chat)
    spread=$(IFS=,; echo "${urls[*]:1}")
    "$loadgen" chat --url "${urls[0]}" ${spread:+--spread "$spread"} --server-pid "${pids[0]}" "$@"
    ;;
  decisions)
    seconds=${1:-15} connections=${2:-32}
    if [ -n "${LOADGEN_POSTGRES:-}" ]; then
      query "INSERT INTO accounts (id, email, password_hash, tier, totp_enabled, created_at, updated_at, country)
        SELECT md5('load-account-' || n)::uuid::text, 'load' || n || '@example.cn', 'x', 2, false, 0, 0, 'SG'
        FROM generate_series(1, 10000) AS n"
    else
      query "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 10000)
        INSERT INTO accounts (id, email, password_hash, tier, totp_enabled, created_at, updated_at, country)
        SELECT load_id(v), 'load' || v || '@example.cn', 'x', 2, 0, 0, 0, 'SG' FROM n"
    fi
    token=$("$server" admin token --scope risk --name load 2>/dev/null | tail -1)
    concat=$([ -n "${LOADGEN_POSTGRES:-}" ] && echo string_agg || echo group_concat)
    ids=$(query "SELECT $concat('\"' || id || '\"', ',') FROM accounts WHERE email LIKE 'load%'")
    cat >"$dir/decide.lua" <<LUA
local ids = {$ids}
local headers = {["Authorization"] = "Bearer $token", ["Content-Type"] = "application/json"}
local counter = 0
-- Each thread's own prefix (a global, set by setup) keeps idempotency keys apart across threads and wrk processes.
function setup(thread) thread:set("prefix", tostring(math.random(1, 1e9))) end
function init() prefix = prefix or tostring(math.random(1, 1e9)); math.randomseed(os.time() + tonumber(prefix)) end
request = function()
  counter = counter + 1
  local id = ids[math.random(#ids)]
  local body = '{"kind":"withdrawal","asset":"USDT","amount":"1","valueUsd":"1.00","destination":"TQ1load","country":"SG","idempotencyKey":"'
    .. prefix .. '-' .. counter .. '"}'
  return wrk.format("POST", "/api/v1/accounts/" .. id .. "/authorizations", headers, body)
end
LUA
    echo "baseline: GET /healthz on one instance (answers after a SELECT 1)"
    wrk -t2 -c"$connections" -d"${seconds}s" --latency "${urls[0]}/healthz" | grep -E "Requests/sec|  99%|  50%|Non-2xx"
    echo "decisions: $count wrk at once, $connections connections each"
    wrk_pids=()
    for index in "${!urls[@]}"; do
      wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$dir/decide.lua" "${urls[$index]}" >"$dir/wrk-$index.txt" &
      wrk_pids+=($!)
    done
    for pid in "${wrk_pids[@]}"; do wait "$pid" || { echo "a wrk failed" >&2; cat "$dir"/wrk-*.txt >&2; exit 1; }; done
    for index in "${!urls[@]}"; do echo "instance $index:"; grep -E "Requests/sec|  99%|  50%|Non-2xx|Socket errors" "$dir/wrk-$index.txt"; done
    query "SELECT outcome, count(*) FROM authorizations GROUP BY outcome"
    ;;
  *) echo "unknown command $command" >&2; exit 2 ;;
esac
echo "uptime after: $(uptime)"
for index in "${!pids[@]}"; do
  kill -0 "${pids[$index]}" 2>/dev/null || { echo "instance $index died:" >&2; tail -20 "$dir/kefu-$index.log" >&2; exit 1; }
done
