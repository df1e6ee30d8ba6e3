#!/usr/bin/env bash
# Starts a release kefu on loopback with a throwaway SQLite database (as common.py's `Kefu`
# does: demo data and KEFU_TRUST_PROXY for the chat runs, an SMTP listener for the mail run),
# runs one LoadGen subcommand against it, and stops it. The server's PID goes to LoadGen for
# its RSS and CPU time.
#
# Usage (from the repository root):
#   swift build -c release --product kefu && cp .build/release/kefu /tmp/kefu-bin/kefu-server
#   swift build -c release --package-path Benchmarks --product LoadGen --scratch-path /tmp/loadgen-build
#   Benchmarks/load/loadgen.sh /tmp/kefu-bin/kefu-server /tmp/loadgen-build/release/LoadGen chat --rate 2000 --seconds 20
#   Benchmarks/load/loadgen.sh … chat --find-max
#   Benchmarks/load/loadgen.sh … idle --sockets 18000
#   Benchmarks/load/loadgen.sh … smtp --senders 20 --seconds 20
# LOADGEN_POSTGRES=postgres://kefu@127.0.0.1:55440 runs Kefu on PostgreSQL (see below).
# Extra arguments go to LoadGen; PERF_SECONDS=10 also records `perf record -g` of kefu for that
# long, starting PERF_DELAY seconds (default 15) into the run, into $PERF_OUT (default /tmp/kefu-perf.data).
set -euo pipefail

server=$1 loadgen=$2 command=$3
shift 3
# Both ends hold a descriptor per socket: take the hard limit (root cannot exceed it here).
ulimit -n "$(ulimit -Hn)"

dir=$(mktemp -d /tmp/kefu-loadgen-XXXXXX)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
smtp_port=$(free_port)

export KEFU_DATA_DIR="$dir/data" KEFU_DATABASE_URL="sqlite://$dir/kefu.sqlite" KEFU_HTTP_PORT="$port" KEFU_LOG_LEVEL=warning
# LOADGEN_POSTGRES=postgres://user@host:port runs Kefu on a fresh database of that server instead
# (created here, dropped afterwards).
if [ -n "${LOADGEN_POSTGRES:-}" ]; then
  database="kefu_load_$$"
  psql -q "$LOADGEN_POSTGRES/postgres" -c "CREATE DATABASE $database"
  export KEFU_DATABASE_URL="$LOADGEN_POSTGRES/$database"
fi
if [ "$command" = smtp ]; then
  KEFU_SMTP_LISTEN="127.0.0.1:$smtp_port" KEFU_SUPPORT_ADDRESS=support@kefu.example "$server" serve >"$dir/kefu.log" 2>&1 &
else
  # Visitors come from many addresses (X-Forwarded-For), as on a site behind a proxy.
  KEFU_TRUST_PROXY=true "$server" serve --demo >"$dir/kefu.log" 2>&1 &
fi
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [ -n "${database:-}" ]; then psql -q "$LOADGEN_POSTGRES/postgres" -c "DROP DATABASE IF EXISTS $database" || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "kefu exited:" >&2; tail -20 "$dir/kefu.log" >&2; exit 1; }
  sleep 0.1
done
echo "kefu pid $pid on port $port (smtp $smtp_port); uptime: $(uptime)"

if [ -n "${PERF_SECONDS:-}" ]; then
  (sleep "${PERF_DELAY:-15}" && perf record -g -o "${PERF_OUT:-/tmp/kefu-perf.data}" -p "$pid" -- sleep "$PERF_SECONDS" >/dev/null 2>&1) &
  perf_pid=$!
fi

status=0
case "$command" in
  smtp) "$loadgen" smtp --url "http://127.0.0.1:$port" --smtp "127.0.0.1:$smtp_port" --server-pid "$pid" "$@" || status=$? ;;
  *) "$loadgen" "$command" --url "http://127.0.0.1:$port" --server-pid "$pid" "$@" || status=$? ;;
esac
if [ -n "${perf_pid:-}" ]; then wait "$perf_pid" || true; fi
echo "uptime after: $(uptime)"
if ! kill -0 "$pid" 2>/dev/null; then
  echo "kefu is no longer running; its log:" >&2
  tail -40 "$dir/kefu.log" >&2
  status=1
fi
exit "$status"
