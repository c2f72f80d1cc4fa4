#!/usr/bin/env bash
# Ingest benchmark: rows/s of `zhinao ingest` against `sqlite3 .import` and DuckDB `read_csv`
# (from npm, run by node) on the same files. Prints a Markdown table (docs/benchmarks.md).
# usage: bench/run-ingest.sh [BUILD_DIR] [ROWS]     (default build, 1000000)
# Inputs (made here, in a temp folder; nothing is written to the repo):
#   residences: the official Shanghai 2022 case-residence lists (163,710 rows, 3 text columns)
#   stays:      ROWS telecom grid stays (7 columns: mobile, enum, text, 2 times, lon, lat), generated
#               in key order (mobile by mobile), as the generator writes them
#   arrivals:   ROWS roaming arrivals (7 columns: mobile, enum, time, division code, 2 texts, enum),
#               generated (bench/ingest/gen_arrivals.awk); the feed has a catalogue index on
#               (arrival_division, arrival_time), which the rows reach in random order
#   stays-shuffled: the same rows in random order (fixed seed): every key insert lands at a random
#               place of the unique index, as in a real feed sorted by time rather than by mobile
# Each cell is the best of 3 wall-clock times; "cpu" is user+sys of that run (all threads, all
# child processes), which the machine's load disturbs less than the wall clock.
# zhinao does more per row than the peers: it validates every field against the catalogue (mobile
# numbering plan, enum, time parse, China bounding box, t_end >= t_start, future times), hashes the
# row, keeps lineage and deduplicates on the natural key; the peers only parse and store.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
BUILD=${1:-build}
ROWS=${2:-1000000}
case $BUILD in /*) ZN="$BUILD/zhinao" ;; *) ZN="$SRC/$BUILD/zhinao" ;; esac
[ -x "$ZN" ] || { echo "build first: make build" >&2; exit 1; }
W=$(mktemp -d /tmp/zn-bench-ingest.XXXXXX)
trap 'rm -rf "$W"' EXIT

zcat "$SRC/data/shanghai-2022/sh_case_addresses_daily_0318_0519.csv.gz" > "$W/residences.csv"
awk -v n="$ROWS" -f "$HERE/ingest/gen_stays.awk" > "$W/stays.csv"
{ head -1 "$W/stays.csv"; tail -n +2 "$W/stays.csv" | shuf --random-source=<(yes); } > "$W/stays-shuffled.csv"
awk -v n="$ROWS" -f "$HERE/ingest/gen_arrivals.awk" > "$W/arrivals.csv"

# DuckDB from npm, in the temp folder
HAVE_DUCK=0
if command -v node >/dev/null && command -v npm >/dev/null; then
  cp "$HERE/ingest/package.json" "$HERE/ingest/duckdb.mjs" "$W/"
  (cd "$W" && npm install --silent --no-audit --no-fund >/dev/null 2>&1) && HAVE_DUCK=1
fi

run() { # label, command...; prints "wall cpu" in seconds (the run with the best wall of 3)
  local best="" bcpu=""
  for i in 1 2 3; do
    local t; t=$(mktemp "$W/time.XXXXXX")
    { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2> "$t"
    local d c u s; read -r d u s < "$t"; rm -f "$t"
    c=$(python3 -c "print(f'{$u+$s:.2f}')")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $d < $best else 1)"; then best=$d; bcpu=$c; fi
  done
  echo "$best $bcpu"
}
zn_ingest() { rm -f "$W/z.db"*; ZHINAO_LOG=error "$ZN" ingest --feed "$1" --db "$W/z.db" "$2"; }
sq_import() {
  rm -f "$W/s.db"*
  if [ "$1" = stays ]; then
    sqlite3 "$W/s.db" "CREATE TABLE t(mobile TEXT, carrier TEXT, cell_id TEXT, t_start INTEGER, t_end INTEGER, lon REAL, lat REAL)"
  elif [ "$1" = arrivals ]; then
    sqlite3 "$W/s.db" "CREATE TABLE t(mobile TEXT, carrier TEXT, arrival_time INTEGER, arrival_division TEXT, origin_province TEXT, origin_city TEXT, risk_area TEXT)"
  else
    sqlite3 "$W/s.db" "CREATE TABLE t(date TEXT, district TEXT, address TEXT)"
  fi
  sqlite3 "$W/s.db" -cmd ".mode csv" ".import --skip 1 $2 t"
}
duck() { node "$W/duckdb.mjs" "$2" "$W/d.db" "$1"; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| input | rows | zhinao ingest (s) | cpu (s) | rows/s | sqlite3 .import (s) | cpu (s) | rows/s | DuckDB read_csv (s) | cpu (s) | rows/s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for kind in residences stays stays-shuffled arrivals; do
  f="$W/$kind.csv"
  case $kind in
    residences) feed=case_residence_list imp=residences ;;
    arrivals) feed=roaming_arrival imp=arrivals ;;
    *) feed=telecom_grid_stay imp=stays ;;
  esac
  n=$(($(wc -l < "$f") - 1))
  read -r tz cz < <(run zn_ingest "$feed" "$f")
  read -r ts cs < <(run sq_import "$imp" "$f")
  if [ $HAVE_DUCK = 1 ]; then read -r td cd < <(run duck "$imp" "$f"); else td=NA; cd=NA; fi
  rate() { [ "$1" = NA ] && echo NA || python3 -c "print(f'{$n/$1:,.0f}')"; }
  echo "| $kind | $n | $tz | $cz | $(rate $tz) | $ts | $cs | $(rate $ts) | $td | $cd | $(rate $td) |"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# sanity: every row accepted, none quarantined
rm -f "$W/z.db"*
"$ZN" ingest --feed telecom_grid_stay --db "$W/z.db" --json "$W/stays.csv"
