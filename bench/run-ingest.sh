#!/usr/bin/env bash
# Ingest benchmark: rows/s of `zhinao ingest` against `sqlite3 .import` and DuckDB `read_csv`
# (from npm, run by node) on the same files. Prints a Markdown table (docs/benchmarks.md).
# usage: bench/run-ingest.sh [BUILD_DIR] [ROWS]     (default build, 1000000)
# Inputs (made here, in a temp folder; nothing is written to the repo):
#   residences: the official Shanghai 2022 case-residence lists (163,710 rows, 3 text columns)
#   stays:      ROWS telecom grid stays (7 columns: mobile, enum, text, 2 times, lon, lat), generated
# zhinao does more per row than the peers: it validates every field against the catalogue (mobile
# numbering plan, enum, time parse, China bounding box, t_end >= t_start, future times), hashes the
# row, keeps lineage and deduplicates on the natural key; the peers only parse and store.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
ROWS=${2:-1000000}
ZN="$SRC/$BUILD/zhinao"
[ -x "$ZN" ] || { echo "build first: make build" >&2; exit 1; }
W=$(mktemp -d /tmp/zn-bench-ingest.XXXXXX)
trap 'rm -rf "$W"' EXIT

zcat "$SRC/data/shanghai-2022/sh_case_addresses_daily_0318_0519.csv.gz" > "$W/residences.csv"
awk -v n="$ROWS" -f "$HERE/ingest/gen_stays.awk" > "$W/stays.csv"

# DuckDB from npm, in the temp folder
HAVE_DUCK=0
if command -v node >/dev/null && command -v npm >/dev/null; then
  cp "$HERE/ingest/package.json" "$HERE/ingest/duckdb.mjs" "$W/"
  (cd "$W" && npm install --silent --no-audit --no-fund >/dev/null 2>&1) && HAVE_DUCK=1
fi

secs() { /usr/bin/env python3 -c 'import sys,time; print(f"{time.time():.6f}")'; }
run() { # label, command...; prints seconds (best of 3)
  local best=""
  for i in 1 2 3; do
    local a b; a=$(secs); "$@" >/dev/null 2>&1; b=$(secs)
    local d; d=$(python3 -c "print(f'{$b-$a:.3f}')")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $d < $best else 1)"; then best=$d; fi
  done
  echo "$best"
}
zn_ingest() { rm -f "$W/z.db"*; ZHINAO_LOG=error "$ZN" ingest --feed "$1" --db "$W/z.db" "$2"; }
sq_import() {
  rm -f "$W/s.db"*
  if [ "$1" = stays ]; then
    sqlite3 "$W/s.db" "CREATE TABLE t(mobile TEXT, carrier TEXT, cell_id TEXT, t_start INTEGER, t_end INTEGER, lon REAL, lat REAL)"
  else
    sqlite3 "$W/s.db" "CREATE TABLE t(date TEXT, district TEXT, address TEXT)"
  fi
  sqlite3 "$W/s.db" -cmd ".mode csv" ".import --skip 1 $2 t"
}
duck() { node "$W/duckdb.mjs" "$2" "$W/d.db" "$1"; }

echo "| input | rows | zhinao ingest (s) | rows/s | sqlite3 .import (s) | rows/s | DuckDB read_csv (s) | rows/s |"
echo "|---|---|---|---|---|---|---|---|"
for kind in residences stays; do
  f="$W/$kind.csv"
  feed=$([ $kind = stays ] && echo telecom_grid_stay || echo case_residence_list)
  n=$(($(wc -l < "$f") - 1))
  tz=$(run zn_ingest "$feed" "$f")
  ts=$(run sq_import "$kind" "$f")
  if [ $HAVE_DUCK = 1 ]; then td=$(run duck "$kind" "$f"); else td=NA; fi
  rate() { [ "$1" = NA ] && echo NA || python3 -c "print(f'{$n/$1:,.0f}')"; }
  echo "| $kind | $n | $tz | $(rate $tz) | $ts | $(rate $ts) | $td | $(rate $td) |"
done
# sanity: every row accepted, none quarantined
rm -f "$W/z.db"*
"$ZN" ingest --feed telecom_grid_stay --db "$W/z.db" --json "$W/stays.csv"
