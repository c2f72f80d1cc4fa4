#!/usr/bin/env bash
# `zhinao trace` on the benchmark's hand-built fixture (tests/data/trace/tiny, a copy of
# ../shared/bench/check/tiny): byte-identical outputs, the incremental mode, --json, bad usage.
# usage: trace.sh ZHINAO_BINARY SOURCE_DIR
set -euo pipefail
ZN=$1
SRC=$2
D=$SRC/tests/data/trace/tiny
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$ZN" trace --help | grep -q -- '--min-overlap' || fail "help"
"$ZN" help trace | grep -q -- '--stays' || fail "help via zhinao help"

for threads in 1 2; do
  "$ZN" trace --stays "$D/stays.csv" --index "$D/index.csv" --min-overlap 600 --out "$T/out$threads/x" \
    --threads $threads > "$T/summary"
  cmp "$T/out$threads/x/close_contacts.csv" "$D/expected/close_contacts.csv" || fail "close contacts ($threads threads)"
  cmp "$T/out$threads/x/secondary_contacts.csv" "$D/expected/secondary_contacts.csv" || fail "secondary ($threads threads)"
  grep -q 'close contacts 5 rows (4 distinct), secondary contacts 5' "$T/summary" || fail "summary: $(cat "$T/summary")"
done

"$ZN" trace --stays "$D/stays.csv" --index "$D/index.csv" --out "$T/j" --json > "$T/json"
grep -q '"close_contacts": 5' "$T/json" || fail "json close count"
grep -q '"secondary_contacts": 5' "$T/json" || fail "json secondary count"
grep -q '"query":' "$T/json" || fail "json phase times"

# a smaller minimum overlap: the overlap of D - 1 = 599 s (persons 1 and 4) now counts
"$ZN" trace --stays "$D/stays.csv" --index "$D/index.csv" --out "$T/m" --min-overlap 599 > /dev/null
grep -qx '1,4,1600004401' "$T/m/close_contacts.csv" || fail "599 s overlap with D = 599"

# incremental: index case 2 alone gives its rows of the batch output (with the place)
"$ZN" trace --stays "$D/stays.csv" --case 2 --from 1600050000 --to 1600060000 > "$T/one" 2> /dev/null
[ "$(sed 1d "$T/one" | cut -d, -f1-3)" = "$(grep '^2,' "$D/expected/close_contacts.csv")" ] || fail "incremental rows"
grep -qx '2,7,1600057000,12' "$T/one" || fail "incremental place column"

# plans: plan-9 traces secondary contacts (same output as the benchmark), plan-20measures does not
export ZHINAO_DATA="$SRC/data"
"$ZN" trace --stays "$D/stays.csv" --index "$D/index.csv" --out "$T/p9" --plan plan-9 > /dev/null
cmp "$T/p9/secondary_contacts.csv" "$D/expected/secondary_contacts.csv" || fail "plan-9 secondary"
"$ZN" trace --stays "$D/stays.csv" --index "$D/index.csv" --out "$T/p20" --plan plan-20measures > /dev/null
cmp "$T/p20/close_contacts.csv" "$D/expected/close_contacts.csv" || fail "plan-20measures close"
[ "$(cat "$T/p20/secondary_contacts.csv")" = "contact_id,via_close_contact_id,first_exposure" ] || fail "plan-20measures: no secondary"
"$ZN" trace --stays "$D/stays.csv" --index "$D/index.csv" --out "$T/p10" --plan plan-10 > /dev/null
[ "$(wc -l < "$T/p10/close_contacts.csv")" = 1 ] || fail "plan-10: no close contacts"

# bad usage and bad input
set +e
"$ZN" trace --stays "$D/stays.csv" > /dev/null 2>&1; [ $? = 2 ] || fail "missing --index/--out must be a usage error"
"$ZN" trace --stays "$D/stays.csv" --index "$D/index.csv" --out "$T/o" --min-overlap 0 > /dev/null 2>&1
[ $? = 2 ] || fail "--min-overlap 0"
"$ZN" trace --bogus 1 > /dev/null 2>&1; [ $? = 2 ] || fail "unknown option"
printf 'person_id,place_id,t_start,t_end\n1,2,3,x\n' > "$T/bad.csv"
"$ZN" trace --stays "$T/bad.csv" --index "$D/index.csv" --out "$T/o" > /dev/null 2> "$T/err"
[ $? = 1 ] || fail "malformed stays must fail"
grep -q "bad.csv:2: field 't_end'" "$T/err" || fail "error names file, line, field: $(cat "$T/err")"
"$ZN" trace --stays "$D/stays.csv" --index "$D/index.csv" --out "$T/o" --plan nosuch > /dev/null 2>&1
[ $? = 1 ] || fail "unknown plan"
set -e
printf 'person_id,place_id,t_start,t_end\n1,2,10,5\n3,2,0,1000\n1,2,0,1000\n' > "$T/rej.csv"
printf 'person_id,t_from,t_to\n1,0,1000\n' > "$T/rej_index.csv"
"$ZN" trace --stays "$T/rej.csv" --index "$T/rej_index.csv" --out "$T/r" 2> "$T/err" > /dev/null
grep -q 'skipped 1 stays with t_end <= t_start (first at line 2)' "$T/err" || fail "rejected stays report"
grep -qx '1,3,0' "$T/r/close_contacts.csv" || fail "rejected-stay run output"
echo "trace: ok"
