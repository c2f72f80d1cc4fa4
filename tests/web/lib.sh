# The prologue shared by the browser tests (tests/web/*.sh), sourced by them after `set -euo pipefail`
# with their own arguments: ZHINAO_BINARY SOURCE_DIR [OUTDIR] (screenshots go to OUTDIR, default
# ./web-screenshots).
# Sets ZN, SRC, OUT (made), CHROMIUM ($CHROMIUM, default /usr/bin/chromium) and T (a temporary
# directory, removed on exit with the server web_serve started); exports ZHINAO_DATA=$SRC/data.
# Exits 77 (skipped) when chromium, node or web/node_modules/playwright-core (npm ci) is missing.
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

# web_user NAME ROLE SCOPE PASSWORD: adds a user to the store $T/z.db.
web_user() {
  echo "$4" | "$ZN" users add "$1" --role "$2" --scope "$3" --password-stdin --db "$T/z.db" > /dev/null
}

# web_serve READY [SERVE_OPTION...]: starts `zhinao serve` on $T/z.db, on an ephemeral loopback port,
# with the cockpit of $SRC/web (output in $T/serve.out), and waits up to 10 s for its port file and,
# unless READY is empty, for a line of its output matching READY (grep). Sets PID and PORT; fails the
# test when the server did not start.
web_serve() {
  local ready=$1
  shift
  "$ZN" serve --db "$T/z.db" --listen 127.0.0.1:0 --port-file "$T/port" --web "$SRC/web" "$@" > "$T/serve.out" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    [ -s "$T/port" ] && { [ -z "$ready" ] || grep -q "$ready" "$T/serve.out"; } && break
    sleep 0.1
  done
  [ -s "$T/port" ] || { cat "$T/serve.out"; echo "FAIL: server did not start"; exit 1; }
  PORT=$(cat "$T/port")
}
