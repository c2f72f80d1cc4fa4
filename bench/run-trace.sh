#!/bin/bash
# The contact-tracing benchmark (../shared/bench/SPEC.md): zhinao trace on sizes S/M/L, checked
# byte for byte against the reference sha256 of SPEC.md, timed per phase, optionally beside the
# peers (SQLite, PostgreSQL, DuckDB, pandas) run by ../shared/bench/run-peers.sh.
#
# usage: bench/run-trace.sh [--build DIR] [--sizes "S M"] [--threads N] [--reps K]
#                           [--peers [--peer-list "duckdb pandas"]]
#   --build DIR   build folder holding zhinao and bench_trace (default: build; `make bench` or
#                 `cmake --build build --target bench_trace` builds bench_trace)
#   --sizes       sizes to run (default "S M"); data is generated with gen.py into
#                 $DATA_ROOT/SIZE (default /tmp/bench-data) when missing, never into the repo
#   --threads N   threads for zhinao (default 0 = one per CPU)
#   --reps K      runs of zhinao per size; the table shows the fastest (default 3)
#   --peers       also run the peers: copies ../shared/bench to $PEER_DIR (default /tmp/zn-bench),
#                 `npm install` in peers/duckdb there, then run-peers.sh SIZE
# Output: a markdown table on stdout and in $OUT_ROOT/trace-results.md (default /tmp/zn-trace-bench).
# Exit status 1 when an output differs from the reference.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
SHARED=$(cd "$SRC/../shared/bench" 2>/dev/null && pwd || true)
BUILD=$SRC/build
SIZES="S M"
THREADS=0
REPS=3
PEERS=0
PEER_LIST=""
while [ $# -gt 0 ]; do
  case $1 in
    --build) BUILD=$(cd "$2" && pwd); shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --peers) PEERS=1; shift ;;
    --peer-list) PEER_LIST=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
DATA_ROOT=${DATA_ROOT:-/tmp/bench-data}
OUT_ROOT=${OUT_ROOT:-/tmp/zn-trace-bench}
PEER_DIR=${PEER_DIR:-/tmp/zn-bench}
ZN=$BUILD/zhinao
BT=$BUILD/bench_trace
[ -x "$ZN" ] || { echo "no $ZN: build first (make build)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "install GNU time: apt-get install time" >&2; exit 2; }
mkdir -p "$OUT_ROOT"

# Reference values, SPEC.md sections 3 and 4 (inputs and outputs, seed 1, D = 600).
declare -A GEN_ARGS=([S]="--persons 10000 --index 10" [M]="--persons 200000 --index 40" [L]="--persons 1000000 --index 200")
declare -A IN_STAYS=([S]=6f7ae326b7e07f1914906b7e950deaa8c4f344b1c3b24d52405d486f5096b92a
                     [M]=6c69889759bb9104b4d940a451ab23fe6c7815f77c2006d0b33fce925882fcf8
                     [L]=9fd51f3da3dab4bc2d1a375fe56ba234bcce9e23277694525a22f95ba0273779)
declare -A OUT_CLOSE=([S]=5b4d9cf9a0243f62412c529171ed1b565354e5b71016f0931d71b08750b5b895
                      [M]=886dd37e45af3d843ffddbb1cb32d47615baa4df85e3033bada2ad79ad9c5d28
                      [L]=528d9cdf0cae6cdac0f25d1bb8cae2101dcafd15259d7d196ef3ba829beffa50)
declare -A OUT_SEC=([S]=0f70cb0b8b19a43582a6ace97a070e2576d41253a6ad350cef201a831b40d43c
                    [M]=9c0009443fd10b9d0ed9edd3835e9a37a8e6dd27f73bce2c0821973df77b2493
                    [L]=36061b6a82fdb3ba8305e808b264f0e0be7370dccedad7b27d8847943aa93fed)
# Fastest peer per phase, ../shared/bench/RESULTS.md (2026-11-29): query, load, load+query (s).
declare -A PEER_Q=([S]="0.39 DuckDB" [M]="1.35 DuckDB" [L]="29.56 DuckDB")
declare -A PEER_L=([S]="0.12 pandas" [M]="1.56 DuckDB" [L]="10.02 DuckDB")
declare -A PEER_E=([S]="0.90 DuckDB" [M]="2.91 DuckDB" [L]="39.58 DuckDB")
# One-pass memory-bandwidth floor, 4 x int64 per stay, 2 threads (RESULTS.md), ms.
declare -A FLOOR_MS=([S]=0.47 [M]=9.4 [L]=47.2)
declare -A NSTAYS=([S]=488379 [M]=9772931 [L]=48862620)

json_get() { # json_get FILE KEY  (first "KEY": number)
  grep -o "\"$2\": [0-9.e+-]*" "$1" | head -1 | awk '{print $2}'
}
parse_time() { # wall_s maxrss_mb from GNU time -v
  awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; w=s}
              /Maximum resident set size/{r=$2/1024}
              END{printf "%.3f %.0f\n", w, r}' "$1"
}

bad=0
RES=$OUT_ROOT/trace-results.md
{
echo "| size | stays | load s | query s (close + secondary) | write s | end to end s | peak RSS MB | B/stay peak | query vs fastest peer | e2e vs fastest peer | query / floor | one new case p50 / p99 / max ms | sha256 |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
} > "$RES"

for SIZE in $SIZES; do
  DATA=$DATA_ROOT/$SIZE
  if [ ! -f "$DATA/stays.csv" ]; then
    [ -n "$SHARED" ] || { echo "no ../shared/bench to generate $SIZE" >&2; exit 2; }
    echo "generating $SIZE into $DATA ..." >&2
    /usr/bin/python3 "$SHARED/gen.py" ${GEN_ARGS[$SIZE]} --seed 1 --days 14 --out "$DATA" --jobs "$(nproc)" >&2
  fi
  h=$(sha256sum < "$DATA/stays.csv" | cut -c1-64)
  [ "$h" = "${IN_STAYS[$SIZE]}" ] || echo "warning: $SIZE stays.csv sha256 $h differs from SPEC.md" >&2

  OUT=$OUT_ROOT/$SIZE
  best=""
  for rep in $(seq "$REPS"); do
    rm -rf "$OUT"; mkdir -p "$OUT"
    sync
    /usr/bin/time -v -o "$OUT_ROOT/$SIZE.time" "$ZN" trace --stays "$DATA/stays.csv" --index "$DATA/index.csv" \
      --min-overlap 600 --out "$OUT" --threads "$THREADS" --json > "$OUT_ROOT/$SIZE.json" 2> "$OUT_ROOT/$SIZE.err" \
      || { echo "zhinao trace failed on $SIZE: $(cat "$OUT_ROOT/$SIZE.err")" >&2; bad=1; continue; }
    read -r wall rss < <(parse_time "$OUT_ROOT/$SIZE.time")
    if [ -z "$best" ] || awk -v a="$wall" -v b="${best%% *}" 'BEGIN{exit !(a < b)}'; then
      best="$wall $rss"
      cp "$OUT_ROOT/$SIZE.json" "$OUT_ROOT/$SIZE.best.json"
    fi
  done
  [ -n "$best" ] || continue
  read -r wall rss <<< "$best"
  J=$OUT_ROOT/$SIZE.best.json
  load=$(json_get "$J" load); query=$(json_get "$J" query); write=$(json_get "$J" write)
  close=$(json_get "$J" close); sec=$(json_get "$J" secondary)
  hc=$(sha256sum < "$OUT/close_contacts.csv" | cut -c1-64)
  hs=$(sha256sum < "$OUT/secondary_contacts.csv" | cut -c1-64)
  if [ "$hc" = "${OUT_CLOSE[$SIZE]}" ] && [ "$hs" = "${OUT_SEC[$SIZE]}" ]; then ok="identical"; else ok="DIFFERS"; bad=1; fi
  incr="-"
  if [ -x "$BT" ]; then
    l=$("$BT" "$DATA" "$OUT_ROOT/$SIZE.bt" 600 "$THREADS" 1000 | grep '^incremental')
    incr=$(sed 's/.*p50_ms=\([0-9.]*\) p99_ms=\([0-9.]*\) max_ms=\([0-9.]*\).*/\1 \/ \2 \/ \3/' <<< "$l")
  fi
  read -r pq pqn <<< "${PEER_Q[$SIZE]}"; read -r pe pen <<< "${PEER_E[$SIZE]}"
  row=$(awk -v s="$SIZE" -v n="${NSTAYS[$SIZE]}" -v l="$load" -v q="$query" -v c="$close" -v x="$sec" -v w="$write" \
        -v e="$wall" -v r="$rss" -v pq="$pq" -v pqn="$pqn" -v pe="$pe" -v pen="$pen" -v f="${FLOOR_MS[$SIZE]}" \
        -v inc="$incr" -v ok="$ok" 'BEGIN{
          printf "| %s | %d | %.3f | %.4f (%.4f + %.4f) | %.3f | %.2f | %d | %.1f | %.0fx faster (%s %.2f s) | %.1fx faster (%s %.2f s) | %.1fx | %s | %s |",
                 s, n, l, q, c, x, w, e, r, r * 1048576 / n, pq / q, pqn, pq, pe / e, pen, pe, q * 1000 / f, inc, ok }')
  echo "$row" >> "$RES"
done

if [ "$PEERS" = 1 ]; then
  [ -n "$SHARED" ] || { echo "no ../shared/bench" >&2; exit 2; }
  if [ ! -d "$PEER_DIR" ]; then
    cp -r "$SHARED" "$PEER_DIR"
    (cd "$PEER_DIR/peers/duckdb" && npm install --no-audit --no-fund >&2)
  fi
  for SIZE in $SIZES; do
    echo >> "$RES"; echo "Peers on $SIZE (run-peers.sh, same machine, same session):" >> "$RES"; echo >> "$RES"
    DATA_ROOT=$DATA_ROOT OUT_ROOT=$OUT_ROOT/peers "$PEER_DIR/run-peers.sh" "$SIZE" $PEER_LIST >> "$RES" 2>&1 || bad=1
    for p in ${PEER_LIST:-sqlite postgres duckdb pandas}; do
      f=$OUT_ROOT/peers/$SIZE/$p
      [ -s "$f/close_contacts.csv" ] || continue
      if cmp -s "$f/close_contacts.csv" "$OUT_ROOT/$SIZE/close_contacts.csv" &&
         cmp -s "$f/secondary_contacts.csv" "$OUT_ROOT/$SIZE/secondary_contacts.csv"; then
        echo "zhinao = $p on $SIZE (byte-identical)" >> "$RES"
      else
        echo "zhinao DIFFERS from $p on $SIZE" >> "$RES"; bad=1
      fi
    done
  done
fi
cat "$RES"
exit $bad
