#!/usr/bin/env bash
# Browser test of the command page (/command, 指令下达): a county command post issues an
# instruction to a township of its county and sees it in its list and on the field page; a
# target outside its county is refused. chromium + playwright-core (tests/web/command.mjs).
# usage: command.sh ZHINAO_BINARY SOURCE_DIR [OUTDIR]   (screenshots go to OUTDIR)
# Exits 77 (skipped) when chromium, node or web/node_modules (npm ci) is missing.
set -euo pipefail
ZN=$1
SRC=$2
OUT=${3:-$PWD/web-screenshots}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
skip() { echo "SKIP: $*"; exit 77; }
[ -x "$CHROMIUM" ] || skip "no $CHROMIUM (apt-get install chromium fonts-droid-fallback; scripts/install-deps)"
command -v node >/dev/null || skip "no node (apt-get install nodejs npm)"
[ -d "$SRC/web/node_modules/playwright-core" ] || skip "web/node_modules missing: run npm ci in $SRC/web"

T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
mkdir -p "$OUT"
export ZHINAO_DATA="$SRC/data"
"$ZN" divisions load --db "$T/z.db" > /dev/null
echo "command page password" | "$ZN" users add pudong --role county --scope 310115 --password-stdin \
  --db "$T/z.db" > /dev/null
"$ZN" serve --db "$T/z.db" --listen 127.0.0.1:0 --port-file "$T/port" --web "$SRC/web" > "$T/serve.out" 2>&1 &
PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { cat "$T/serve.out"; echo "FAIL: server did not start"; exit 1; }
node "$SRC/tests/web/command.mjs" "http://127.0.0.1:$(cat "$T/port")" pudong "command page password" "$OUT" "$SRC/web"
# what the page did is in the store: one instruction by pudong, its task routed to 张江镇
[ "$(sqlite3 "$T/z.db" "SELECT issuer || ' ' || COALESCE(issuer_unit, '') FROM loop_instruction")" = "pudong 310115000000" ] \
  || { echo "FAIL: instruction not stored as expected"; exit 1; }
[ "$(sqlite3 "$T/z.db" "SELECT template_id || ' ' || division_code || ' ' || state FROM loop_task")" \
  = "epi.seal_unit 310115125000 issued" ] || { echo "FAIL: task not stored as expected"; exit 1; }
echo "command: ok (screenshots: $OUT)"
