#!/usr/bin/env bash
# `zhinao trace --proximity`: proximity events (t i j) under the cumulative face-to-face rule of
# the plan (plan-9: 900 s, 20 s resolution, any 24 h), on a hand-built file and, where
# ../shared/data/contacts/sociopatterns exists, on the SocioPatterns hospital ward (read in
# place, never copied: CC BY-NC-SA).
# usage: trace_proximity.sh ZHINAO_BINARY SOURCE_DIR
set -euo pipefail
ZN=$1
SRC=$2
export ZHINAO_DATA="$SRC/data"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$ZN" trace --help | grep -q -- '--proximity' || fail "help"

# person 1 with 2: 45 events (900 s, in); with 3: 44 events (880 s, out); with 4: 30 events
# recorded twice (600 s, out); a header and a comment line; tabs and commas
{
  echo "t i j"
  echo "# hand-built"
  for k in $(seq 0 44); do echo "$((1000 + 20 * k)) 1 2"; done
  for k in $(seq 0 43); do printf '%d\t3\t1\n' $((5000 + 20 * k)); done
  for k in $(seq 0 29); do echo "$((9000 + 20 * k)),1,4"; echo "$((9000 + 20 * k)) 4 1"; done
} > "$T/ev.dat"
gzip -c "$T/ev.dat" > "$T/ev.dat.gz"
printf 'person_id,t_from,t_to\n1,0,100000\n' > "$T/idx.csv"

"$ZN" trace --proximity "$T/ev.dat" --index "$T/idx.csv" > "$T/out" 2> "$T/err"
[ "$(cat "$T/out")" = "index_id,contact_id,exposure_class,first_exposure,last_exposure,contact_seconds,period_max_seconds
1,2,proximity,1000,1900,900,900" ] || fail "plan-9 rows: $(cat "$T/out")"
grep -q 'events 149, index cases 1, close contacts 1 rows (1 distinct)' "$T/err" || fail "summary: $(cat "$T/err")"

# gzip in, --out DIR, a lower threshold, a coarser resolution
"$ZN" trace --proximity "$T/ev.dat.gz" --index "$T/idx.csv" --threshold 600 --out "$T/o" > /dev/null
[ "$(cut -d, -f2,6 "$T/o/proximity_contacts.csv" | sed 1d | tr '\n' ' ')" = "2,900 3,880 4,600 " ] ||
  fail "threshold 600: $(cat "$T/o/proximity_contacts.csv")"
"$ZN" trace --proximity "$T/ev.dat.gz" --case 1 --from 0 --to 100000 --res 60 2> /dev/null | grep -qx '1,3,proximity,5000,5920,920,920' ||
  fail "--res 60 turns 3 into a close contact (920 s)"
# the window cuts: [0, 1500) holds 25 events of 1-2
"$ZN" trace --proximity "$T/ev.dat" --case 1 --from 0 --to 1500 --threshold 500 2> /dev/null | grep -qx '1,2,proximity,1000,1500,500,500' ||
  fail "window edge"

# every plan edition has the same rule; plan-10 determines no close contacts at all
for p in plan-8 plan-20measures; do
  "$ZN" trace --proximity "$T/ev.dat" --index "$T/idx.csv" --plan $p 2> /dev/null | grep -qx '1,2,proximity,1000,1900,900,900' || fail "$p"
done
[ "$("$ZN" trace --proximity "$T/ev.dat" --index "$T/idx.csv" --plan plan-10 2> /dev/null | wc -l)" = 1 ] || fail "plan-10: header only"

# with --stays too: the stay outputs and proximity_contacts.csv side by side
D=$SRC/tests/data/trace/tiny
"$ZN" trace --stays "$D/stays.csv" --index "$D/index.csv" --out "$T/both" --proximity "$T/ev.dat" > /dev/null
cmp "$T/both/close_contacts.csv" "$D/expected/close_contacts.csv" || fail "stays with --proximity"
[ -f "$T/both/proximity_contacts.csv" ] || fail "proximity file next to the stay outputs"

set +e
"$ZN" trace --proximity "$T/ev.dat" > /dev/null 2>&1; [ $? = 2 ] || fail "--proximity without --index"
"$ZN" trace --proximity "$T/ev.dat" --index "$T/idx.csv" --res 0 > /dev/null 2>&1; [ $? = 2 ] || fail "--res 0"
printf '20 1 2\n40 1 x\n' > "$T/bad.dat"
"$ZN" trace --proximity "$T/bad.dat" --index "$T/idx.csv" > /dev/null 2> "$T/err"; [ $? = 1 ] || fail "bad events"
grep -q "bad.dat:2: field 'j'" "$T/err" || fail "error names file, line, field: $(cat "$T/err")"
set -e

# SocioPatterns hospital ward: the doctor 1157 over the whole study has 14 partners with
# >= 45 events (zcat | awk, see tests/test_trace_real.c) and 9 under the 24 h rule
H=$SRC/../shared/data/contacts/sociopatterns/tij_hospital.dat.gz
if [ -f "$H" ]; then
  "$ZN" trace --proximity "$H" --case 1157 --from 0 --to 400000 --period 0 2> /dev/null > "$T/h0"
  [ "$(sed 1d "$T/h0" | wc -l)" = 14 ] || fail "hospital, whole window"
  grep -q '^1157,1191,proximity,.*,7180,7180$' "$T/h0" || fail "1157-1191: 359 events = 7180 s"
  "$ZN" trace --proximity "$H" --case 1157 --from 0 --to 400000 2> /dev/null > "$T/h1"
  [ "$(sed 1d "$T/h1" | wc -l)" = 9 ] || fail "hospital, any 24 h"
else
  echo "trace_proximity: ../shared/data absent, SocioPatterns part skipped"
fi
echo "trace_proximity: ok"
