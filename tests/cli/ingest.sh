#!/usr/bin/env bash
# zhinao feeds / ingest / quarantine end to end. Usage: ingest.sh <zhinao> <source-dir>
set -euo pipefail
Z=$1
SRC=$2
BAD=$SRC/tests/data/bad
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DB=$T/z.db
fail() { echo "FAIL: $*" >&2; exit 1; }

# help for every command
for c in feeds ingest quarantine; do
  "$Z" $c --help | grep -q "usage: zhinao $c" || fail "$c --help"
done

# the catalogue
"$Z" feeds | grep -q '^case_residence_list .*health_commission' || fail "feeds lists case_residence_list"
n=$("$Z" feeds --json | grep -c '"name":')
[ "$n" -ge 16 ] || fail "feeds --json lists $n feeds"
"$Z" feeds --markdown | cmp -s - "$SRC/docs/feeds.md" || fail "docs/feeds.md differs from zhinao feeds --markdown"
"$Z" feeds show telecom_grid_stay | grep -q '^check: t_end >= t_start' || fail "feeds show"
set +e
"$Z" feeds show nope 2>/dev/null; rc=$?
set -e
[ $rc -eq 1 ] || fail "feeds show of an unknown feed exits $rc"

# a file with a bad row: exit 0, one JSON object per file
out=$("$Z" ingest --feed case_residence_list --db "$DB" --json "$BAD/03_missing_column.csv" "$BAD/23_overlap_b.csv")
[ "$(echo "$out" | wc -l)" -eq 2 ] || fail "two JSON lines expected: $out"
echo "$out" | head -1 | grep -q '"feed":"case_residence_list","file":"[^"]*03_missing_column.csv","rows":3,"accepted":2,"quarantined":1,"duplicates":0' \
  || fail "summary of 03: $out"
# 23 = rows B and C; 03 already stored B
echo "$out" | tail -1 | grep -q '"rows":2,"accepted":1,"quarantined":0,"duplicates":1' || fail "summary of 23: $out"
echo "$out" | head -1 | grep -q '"status":"loaded"' || fail "status loaded"

# the same file again: all duplicates, plain text summary
"$Z" ingest --feed case_residence_list --db "$DB" "$BAD/03_missing_column.csv" \
  | grep -q '3 rows, 0 accepted, 0 quarantined, 3 duplicates' || fail "re-ingest"

# a row with two bad fields: quarantined once, under the first, with the other named in its words
printf 'date,district,address\n2022-13-45,火星区,某路1号\n20220401,浦东新区,张东路1弄\n' > "$T/two.csv"
"$Z" ingest --feed case_residence_list --db "$T/two.db" "$T/two.csv" | grep -q '2 rows, 1 accepted, 1 quarantined' \
  || fail "two bad fields: summary"
"$Z" quarantine --db "$T/two.db" | grep -q "two.csv:2  date  bad_date: .*; also 1 other field: district (bad_enum)" \
  || fail "two bad fields: $("$Z" quarantine --db "$T/two.db")"

# an aborted file: exit 1, the file and line named on stderr, nothing loaded
set +e
"$Z" ingest --feed case_residence_list --db "$DB" "$BAD/06_unterminated_quote.csv" >"$T/out" 2>"$T/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "aborted file exits $rc"
grep -q '06_unterminated_quote.csv:3' "$T/err" || fail "error names file:line: $(cat "$T/err")"
grep -q 'aborted, nothing loaded' "$T/out" || fail "aborted summary"
set +e
"$Z" ingest --feed case_residence_list --db "$DB" --json "$BAD/29_missing_required_header.csv" >"$T/out" 2>/dev/null; rc=$?
set -e
[ $rc -eq 1 ] || fail "missing header column exits $rc"
grep -q '"status":"aborted"' "$T/out" || fail "json status aborted"
grep -q "no column 'address'" "$T/out" || fail "json error names the column"

# a pipe is read once and loaded without a sha256
out=$(cat "$BAD/26_bom_crlf.csv" | "$Z" ingest --feed case_residence_list --db "$DB" --json /dev/stdin)
echo "$out" | grep -q '"rows":2,"accepted":0,"quarantined":0,"duplicates":2,.*"sha256":""' || fail "stdin: $out"

# usage errors
set +e
"$Z" ingest --db "$DB" "$BAD/02_header_only.csv" 2>/dev/null; rc1=$?
"$Z" ingest --feed no_such_feed --db "$DB" "$BAD/02_header_only.csv" 2>/dev/null; rc2=$?
set -e
[ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] || fail "usage errors exit $rc1 $rc2"

# quarantine: masked by default, --unmasked shows the numbers, --csv, --summary
"$Z" ingest --feed antigen_test --db "$DB" "$BAD/11_bad_check_digit.csv" >/dev/null
"$Z" quarantine --db "$DB" --feed antigen_test | grep -q '330106\*\*\*\*\*\*\*\*1234' || fail "masked listing"
"$Z" quarantine --db "$DB" --feed antigen_test | grep -q '330106199001011234' && fail "listing not masked"
"$Z" quarantine --db "$DB" --feed antigen_test --unmasked | grep -q '330106199001011234' || fail "--unmasked"
csv=$("$Z" quarantine --db "$DB" --csv --reason column_count)
[ "$(echo "$csv" | head -1)" = "file,line,field,reason_code,reason,raw" ] || fail "csv header"
echo "$csv" | sed -n 2p | grep -q '03_missing_column.csv,3,,column_count,' || fail "csv row: $csv"
[ "$(echo "$csv" | wc -l)" -eq 2 ] || fail "one column_count row (03 loaded twice, same bytes: quarantined once) expected: $csv"
"$Z" quarantine --db "$DB" --limit 1 --json | grep -c '"reason_code"' | grep -qx 1 || fail "--limit"
"$Z" quarantine --db "$DB" --summary | grep -Eq '^antigen_test +bad_check_digit +1$' || fail "summary"
"$Z" quarantine --db "$DB" --summary | grep -Eq '^case_residence_list +column_count +1$' || fail "summary count"
echo "ok"
