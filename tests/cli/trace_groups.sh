#!/usr/bin/env bash
# `zhinao trace --groups`: static shared groups as exposure sources, on the Hagelloch 1861 measles
# line list shipped in data/outbreaks (MIT): households (family_ID) and school classes (class 1
# or 2; 0 = preschool), every case an index case with the window [prodrome, rash + 4 d]. Of the
# 184 recorded infector -> infectee pairs, 70 are household contacts only, 68 class contacts only,
# 7 both, 39 neither (as tests/test_trace_real.c and docs/trace.md).
# usage: trace_groups.sh ZHINAO_BINARY SOURCE_DIR
set -euo pipefail
ZN=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
H=$SRC/data/outbreaks/measles_hagelloch_1861.csv

"$ZN" trace --help | grep -q -- '--groups' || fail "help"

# "case_ID","infector","date_of_prodrome","date_of_rash",...,"family_ID","class",...
tr -d '"' < "$H" | sed 1d > "$T/h.csv"
{
  echo "person_id,group_id,exposure_class"
  awk -F, '{print $1 "," $8 ",household"} $9==1 || $9==2 {print $1 "," $9 ",class"}' "$T/h.csv"
} > "$T/groups.csv"
{
  echo "person_id,t_from,t_to"
  while IFS=, read -r id inf prod rash rest; do
    echo "$id,$(date -u -d "$prod" +%s),$(( $(date -u -d "$rash" +%s) + 4 * 86400 ))"
  done < "$T/h.csv"
} > "$T/index.csv"
[ "$(wc -l < "$T/index.csv")" = 189 ] || fail "188 index cases"

"$ZN" trace --groups "$T/groups.csv" --index "$T/index.csv" --out "$T/o" > "$T/summary" 2> "$T/err"
grep -q 'groups: 286 memberships, 2 classes; index cases 188' "$T/summary" || fail "summary: $(cat "$T/summary")"
grep -q 'class: 98 memberships, 5426 close-contact rows' "$T/err" || fail "class rows: $(cat "$T/err")"
# case 1 (household 41 with cases 2 and 3; class 1), prodrome 1861-11-21
grep -qx '1,2,household,41,-3411676800' "$T/o/group_contacts.csv" || fail "case 1 -> 2 household"
grep -qx '1,2,class,1,-3411676800' "$T/o/group_contacts.csv" || fail "case 1 -> 2 class"

# how many recorded infector -> infectee pairs the computed contacts contain, by class
awk -F, 'NR == FNR { if (FNR > 1) c[$1 "," $2 "," $3] = 1; next }
         $2 != "NA" { h = ($2 "," $1 ",household") in c; k = ($2 "," $1 ",class") in c;
                      n[h "" k]++ }
         END { printf "household only %d, class only %d, both %d, neither %d\n", n["10"], n["01"], n["11"], n["00"] }' \
  "$T/o/group_contacts.csv" "$T/h.csv" > "$T/pairs"
[ "$(cat "$T/pairs")" = "household only 70, class only 68, both 7, neither 39" ] || fail "pairs: $(cat "$T/pairs")"

set +e
printf 'person_id,group_id,exposure_class\n1,x,household\n' > "$T/bad.csv"
"$ZN" trace --groups "$T/bad.csv" --index "$T/index.csv" > /dev/null 2> "$T/err"; [ $? = 1 ] || fail "bad group row"
grep -q 'bad.csv:2:' "$T/err" || fail "error names file and line: $(cat "$T/err")"
"$ZN" trace --groups "$T/groups.csv" > /dev/null 2>&1; [ $? = 2 ] || fail "--groups without --index"
set -e
echo "trace_groups: ok"
