#!/usr/bin/env bash
# HTTP load benchmark of `zhinao serve` (issue #5, "Load"): wrk on the field worker's two requests,
#   list:   GET  /api/v1/tasks?open=1&limit=200           (the field page's task list)
#   report: POST /api/v1/tasks/{id}/move {"to":"reported"} (the field page's 反馈 button)
# each for DURATION seconds. Targets: >= 10,000 requests/s on 2 cores, p99 < 20 ms, no errors.
# usage: bench/run-load.sh [BUILD_DIR] [DURATION] [REPORT_TASKS]   (default build, 60, 1500000)
# env: THREADS (server workers, default 4 as `zhinao serve`), WRK_THREADS (default 1), CONNS (default 64),
#      BG_TASKS (background tasks, default 200000), KEEP=1 (keep the temp folder)
# Everything is made in a temp folder (bench_serve_setup: 33,000 grids, REPORT_TASKS received
# tasks in one township for the report run, BG_TASKS background tasks over the province); the
# server listens on 127.0.0.1 on a free port and only that process is stopped at the end.
# Prints a Markdown table (docs/benchmarks.md, "Server load").
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
DUR=${2:-60}
NREP=${3:-1500000}
CORES=$(nproc 2>/dev/null || echo 2)
THREADS=${THREADS:-4}
WRK_THREADS=${WRK_THREADS:-1}
CONNS=${CONNS:-64}
BG=${BG_TASKS:-200000}
case "$BUILD" in /*) B=$BUILD ;; *) B=$SRC/$BUILD ;; esac
ZN=$B/zhinao
SETUP=$B/bench_serve_setup
command -v wrk >/dev/null || { echo "run-load: wrk is missing (apt-get install wrk, or scripts/install-deps)" >&2; exit 1; }
command -v curl >/dev/null || { echo "run-load: curl is missing" >&2; exit 1; }
[ -x "$ZN" ] || { echo "run-load: build first: make build" >&2; exit 1; }
[ -x "$SETUP" ] || cmake --build "$B" --target bench_serve_setup >/dev/null
W=$(mktemp -d /tmp/zn-bench-load.XXXXXX)
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  [ "${KEEP:-0}" = 1 ] && echo "run-load: kept $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT
PW=bench-password-0123

t0=$(date +%s)
read -r FIRST LAST NOPEN < <("$SETUP" --db "$W/z.db" --data "$SRC/data" --tasks "$BG" --report "$NREP" --password "$PW")
echo "run-load: store ready in $(( $(date +%s) - t0 )) s: report tasks $FIRST..$LAST, gw_list sees $NOPEN open tasks" >&2

ZHINAO_LOG=warn ZHINAO_DATA="$SRC/data" ZHINAO_ADMIN_PASSWORD=bench-admin-password-0123 \
  "$ZN" serve --db "$W/z.db" --listen 127.0.0.1:0 --port-file "$W/port" --threads "$THREADS" \
  --web "$SRC/web" >"$W/serve.out" 2>"$W/serve.err" &
PID=$!
for _ in $(seq 100); do [ -s "$W/port" ] && break; sleep 0.1; done
[ -s "$W/port" ] || { echo "run-load: the server did not start:" >&2; cat "$W/serve.err" >&2; exit 1; }
URL="http://127.0.0.1:$(cat "$W/port")"

login() {
  curl -sf -H 'Content-Type: application/json' -d "{\"name\":\"$1\",\"password\":\"$PW\"}" "$URL/api/v1/login" |
    sed -n 's/.*"token": *"\([0-9a-f]\{64\}\)".*/\1/p'
}
TLIST=$(login gw_list)
TREP=$(login gw_report)
[ -n "$TLIST" ] && [ -n "$TREP" ] || { echo "run-load: login failed" >&2; exit 1; }
# sanity: the list answers 200 with the expected count; one report works
n=$(curl -sf -H "Authorization: Bearer $TLIST" "$URL/api/v1/tasks?open=1&limit=200" | grep -o '"id":' | wc -l)
[ "$n" = "$NOPEN" ] || echo "run-load: warning: the list shows $n tasks, the store $NOPEN" >&2

cpu_of() { awk '{print $14 + $15}' "/proc/$PID/stat"; } # server CPU ticks (user + system)
TCK=$(getconf CLK_TCK)
echo "| request | wrk | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors | server CPU (cores) | server CPU µs/request | load avg before |"
echo "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|"
run() { # label, wrk args...
  local label=$1; shift
  local load c0 c1
  load=$(cut -d' ' -f1 /proc/loadavg)
  c0=$(cpu_of)
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DUR}s" --latency -s "$HERE/load/tasks.lua" "$URL" -- "$@" >"$W/wrk.out" 2>&1
  c1=$(cpu_of)
  cat "$W/wrk.out" >&2
  grep -q 'exhausted: 0$' "$W/wrk.out" ||
    echo "run-load: warning: the report tasks ran out (health checks were sent instead): give more REPORT_TASKS" >&2
  local s st cores
  s=$(grep '^summary:' "$W/wrk.out")
  st=$(grep '^statuses:' "$W/wrk.out" | sed 's/^statuses: //')
  cores=$(awk -v a="$c0" -v b="$c1" -v t="$TCK" -v d="$DUR" 'BEGIN{printf "%.2f", (b-a)/t/d}')
  f() { echo "$s" | sed -n "s/.* $1 \([0-9.]*\).*/\1/p"; }
  local us
  us=$(awk -v a="$c0" -v b="$c1" -v t="$TCK" -v n="$(f requests)" 'BEGIN{printf "%.0f", (b-a)/t/n*1e6}')
  echo "| $label | -t$WRK_THREADS -c$CONNS ${DUR}s | $(f rps) | $(f p50_ms) | $(f p90_ms) | $(f p99_ms) | $(f max_ms) | socket errors $(f socket_errors); $st | $cores | $us | $load |"
}
run "GET /api/v1/tasks?open=1&limit=200 ($NOPEN open tasks)" list "$TLIST"
run "POST /api/v1/tasks/{id}/move to=reported" report "$TREP" "$FIRST" "$LAST" "$WRK_THREADS"
# every report request moved a distinct task: count them in the store
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
# the server's own count of task moves and of the transactions that held them (group commit)
sed -n 's/^zhinao serve: \(.*task moves committed.*\)/run-load: \1/p' "$W/serve.out" >&2
if command -v sqlite3 >/dev/null; then
  moved=$(sqlite3 "$W/z.db" "SELECT count(*) FROM loop_task WHERE id BETWEEN $FIRST AND $LAST AND state = 'reported'")
  echo "run-load: the store has $moved report tasks in state reported (>= the 200 answers counted by wrk: it stops counting at the end, while requests are in flight)" >&2
fi
echo "run-load: server $THREADS worker threads on $CORES cores; $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" >&2
