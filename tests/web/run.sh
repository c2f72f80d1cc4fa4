#!/usr/bin/env bash
# Browser test of the cockpit: builds a store from the bundled data, starts `zhinao serve` on an
# ephemeral loopback port, and drives Debian's chromium with playwright-core (tests/web/cockpit.mjs).
# usage: run.sh ZHINAO_BINARY SOURCE_DIR [OUTDIR]   (screenshots go to OUTDIR, default ./web-screenshots)
# Exits 77 (skipped) when chromium, node or web/node_modules (npm ci) is missing.
set -euo pipefail
ZN=$1
SRC=$2
OUT=${3:-$PWD/web-screenshots}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
skip() { echo "SKIP: $*"; exit 77; }
[ -x "$CHROMIUM" ] || skip "no $CHROMIUM (apt-get install chromium fonts-droid-fallback; scripts/install-deps)"
command -v node >/dev/null || skip "no node (apt-get install nodejs npm)"
[ -d "$SRC/web/node_modules/playwright-core" ] && [ -f "$SRC/web/node_modules/echarts/dist/echarts.min.js" ] \
  || skip "web/node_modules missing: run npm ci in $SRC/web"
fc-list :lang=zh 2>/dev/null | grep -q . || echo "warning: no CJK font (fonts-droid-fallback): Chinese shows as boxes"

T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
mkdir -p "$OUT"
export ZHINAO_DATA="$SRC/data"
"$ZN" demo --db "$T/z.db" > "$T/demo.out" || { cat "$T/demo.out"; exit 1; }
"$ZN" serve --db "$T/z.db" --listen 127.0.0.1:0 --port-file "$T/port" --web "$SRC/web" --demo > "$T/serve.out" 2>&1 &
PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && grep -q "demo login" "$T/serve.out" && break; sleep 0.1; done
[ -s "$T/port" ] || { cat "$T/serve.out"; echo "FAIL: server did not start"; exit 1; }
PORT=$(cat "$T/port")
PW=$(sed -n 's/^demo login: name demo, password \([^ ]*\) .*/\1/p' "$T/serve.out")
[ -n "$PW" ] || { cat "$T/serve.out"; echo "FAIL: no demo password printed"; exit 1; }
node "$SRC/tests/web/cockpit.mjs" "http://127.0.0.1:$PORT" demo "$PW" "$OUT" "$SRC/web"
echo "screenshots: $OUT"
