#!/usr/bin/env bash
# CLI test of `zhinao rt` and `zhinao warn`: bash stats.sh <path-to-zhinao> <source-dir>
# Expected numbers are EpiEstim 2.2.4 / surveillance 1.20.3 outputs in tests/data/stats/.
set -euo pipefail
ZN=${1:?usage: stats.sh <zhinao> <source-dir>}
SRC=${2:?usage: stats.sh <zhinao> <source-dir>}
D="$SRC/tests/data/stats"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { grep -qF -- "$1" "$2" || { echo "--- output:" >&2; cat "$2" >&2; fail "'$1' not found"; }; }

"$ZN" rt --help > "$TMP/out"; expect "usage: zhinao rt" "$TMP/out"
"$ZN" warn --help > "$TMP/out"; expect "usage: zhinao warn" "$TMP/out"

# bad series: the error names the file, the period and what is wrong
printf 'date,n\n2022-04-01,3\n2022-04-02,-5\n2022-04-03,4\n' > "$TMP/neg.csv"
if "$ZN" rt --incidence "$TMP/neg.csv" --count n --si-mean 3 --si-sd 2 > "$TMP/out" 2>&1; then fail "negative count accepted"; fi
expect "$TMP/neg.csv: series all, period 2022-04-02: the count (n) is -5" "$TMP/out"
printf 'date,n\n2022-04-01,3\n2022-04-02,5\n2022-04-03,4\n' > "$TMP/short.csv"
if "$ZN" rt --incidence "$TMP/short.csv" --count n --si-mean 3 --si-sd 2 > "$TMP/out" 2>&1; then fail "3 days accepted"; fi
expect "a 7-day window needs at least 8 days of incidence (got 3)" "$TMP/out"

# Rt, Flu2009, SI mean 2.6 sd 1.5: first and last windows as EpiEstim prints them (6 decimals)
"$ZN" rt --incidence "$D/flu2009_incidence.csv" --si-mean 2.6 --si-sd 1.5 --window 7 > "$TMP/out"
expect "   t_start t_end    Mean(R)     Std(R) Quantile.0.025(R)" "$TMP/out"
expect "1.735798   0.409131          1.028744" "$TMP/out"   # R: 1.73579766369495 0.409131432922156 1.02874370461409
[ "$(grep -c 2009- "$TMP/out")" = 25 ] || fail "expected 25 windows"
# CSV at full precision: window 2-8 within 1e-6 of EpiEstim
"$ZN" rt --incidence "$D/flu2009_incidence.csv" --si-mean 2.6 --si-sd 1.5 --csv > "$TMP/out"
awk -F, 'NR==2 { d = $3 - 1.73579766369495; if (d < 0) d = -d; exit !(d < 1e-6 && $1 == 2 && $2 == 8) }' "$TMP/out" \
  || fail "CSV mean of window 2-8"
# JSON with a projection
"$ZN" rt --incidence "$D/flu2009_incidence.csv" --si-distr "$D/flu2009_si_distr.csv" --json --project 5 --seed 3 > "$TMP/out"
expect '"method": "non_parametric_si"' "$TMP/out"
expect '"projection"' "$TMP/out"
expect '"date_end": "2009-05-28"' "$TMP/out"
# errors: missing SI, bad file, negative incidence
if "$ZN" rt --incidence "$D/flu2009_incidence.csv" 2> "$TMP/err"; then fail "no SI accepted"; fi
if "$ZN" rt --incidence /nonexistent.csv --si-mean 2.6 --si-sd 1.5 2> "$TMP/err"; then fail "missing file accepted"; fi
expect "cannot open" "$TMP/err"
printf 't,I\n1,3\n2,-1\n3,4\n4,4\n5,4\n6,4\n7,4\n8,4\n9,2\n' > "$TMP/neg.csv"
if "$ZN" rt --incidence "$TMP/neg.csv" --si-mean 2.6 --si-sd 1.5 2> "$TMP/err"; then fail "negative count accepted"; fi
expect "non-negative" "$TMP/err"

# grouped, cumulative input with a correction
printf 'date,city,confirmed\n2020-01-20,A,1\n2020-01-21,A,3\n2020-01-22,A,2\n2020-01-23,A,6\n2020-01-20,B,0\n2020-01-23,B,5\n' > "$TMP/cum.csv"
for i in $(seq 24 31); do echo "2020-01-$i,A,$((i - 17))" >> "$TMP/cum.csv"; echo "2020-01-$i,B,$((i - 18))" >> "$TMP/cum.csv"; done
"$ZN" rt --incidence "$TMP/cum.csv" --group city --count confirmed --cumulative --si-mean 2.6 --si-sd 1.5 --summary > "$TMP/out"
expect "first Rt (window end, 95% CrI)" "$TMP/out"
# totals equal the last cumulative values (14 and 13): the correction on 01-22 is carried forward
grep -qP '^A\t14\t' "$TMP/out" || fail "A: expected 14 cases"
grep -qP '^B\t13\t' "$TMP/out" || fail "B: expected 13 cases"
"$ZN" rt --incidence "$TMP/cum.csv" --group city --count confirmed --cumulative --since 2020-01-23 \
  --si-mean 2.6 --si-sd 1.5 --json > "$TMP/out"
expect '"first": "2020-01-23"' "$TMP/out"
expect '"cases": 11.0' "$TMP/out"   # A: 14 - (1 + 2 + 0) before 01-23 (the -1 of 01-22 is taken on 01-23)

# warnings against surveillance (salmonella.agona, weeks 213..312)
S="$D/salmonella_agona_input.csv"
"$ZN" warn --method farrington --b 3 --alpha 0.01 --series "$S" --from 213 > "$TMP/out"
expect "# 9 alarms" "$TMP/out"
expect "   213 213                0     4.817587     0" "$TMP/out"   # R: 4.81758693425418
"$ZN" warn --method noufaily --series "$S" --from 213 --csv > "$TMP/out"
[ "$(grep -c ',1$' "$TMP/out")" = 4 ] || fail "noufaily: expected 4 alarms"
"$ZN" warn --method farrington-flexible --series "$S" --from 213 --alarms > "$TMP/out"
expect "# 8 alarms in 1 series" "$TMP/out"
for m in c1:4 c2:5 c3:7; do
  "$ZN" warn --method ears-${m%%:*} --series "$S" --from 213 > "$TMP/out"
  expect "# ${m##*:} alarms" "$TMP/out"
done
"$ZN" warn --method cusum --series "$S" --from 213 --json > "$TMP/out"
expect '"alarms": 18' "$TMP/out"
if "$ZN" warn --method nosuch --series "$S" 2> "$TMP/err"; then fail "unknown method accepted"; fi
if "$ZN" warn --method cidars --series "$S" 2> "$TMP/err"; then fail "cidars on weekly data accepted"; fi
expect "dated daily series" "$TMP/err"
echo "stats.sh: all passed"
