#!/usr/bin/env bash
# CLI test of `zhinao divisions`: bash divisions.sh <path-to-zhinao> <source-dir>
# Expected values are from data/divisions (see tests/test_div.c for how each was checked).
set -euo pipefail
ZN=${1:?usage: divisions.sh <zhinao> <source-dir>}
SRC=${2:?usage: divisions.sh <zhinao> <source-dir>}
export ZHINAO_DATA="$SRC/data"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect PATTERN FILE: fixed-string grep, fail loudly with the output
expect() { grep -qF -- "$1" "$2" || { echo "--- output:" >&2; cat "$2" >&2; fail "'$1' not found"; }; }

# help
"$ZN" divisions --help > "$TMP/out"; expect "subcommands:" "$TMP/out"
for sub in show children search locate diff stats load; do
  "$ZN" divisions $sub --help > "$TMP/out" || fail "$sub --help exited non-zero"
  expect "usage: zhinao divisions $sub" "$TMP/out"
done

# show (text and JSON, any code form)
"$ZN" divisions show 330106 --json > "$TMP/out"
expect '"code": "330106000000"' "$TMP/out"
expect '"name": "西湖区"' "$TMP/out"
expect '"level": 3' "$TMP/out"
expect '"path": "浙江省/杭州市/西湖区"' "$TMP/out"
expect '"parent_code": "330100000000"' "$TMP/out"
expect '"parent_name": "杭州市"' "$TMP/out"
expect '"children": 12' "$TMP/out"
expect '"edition": 2023' "$TMP/out"
"$ZN" divisions show 330106004053 > "$TMP/out"
expect "浙江省/杭州市/西湖区/西溪街道/石灰桥社区" "$TMP/out"
"$ZN" divisions show 310101 > "$TMP/out"
expect "上海市/市辖区/黄浦区" "$TMP/out"
"$ZN" divisions show 330371 --edition 2021 > "$TMP/out"
expect "温州经济技术开发区" "$TMP/out"
if "$ZN" divisions show 330371 --edition 2023 > "$TMP/out" 2> "$TMP/err"; then fail "330371 should not exist in 2023"; fi
expect "no division 330371000000 in edition 2023" "$TMP/err"
set +e; "$ZN" divisions show 33010 > /dev/null 2>&1; rc=$?; set -e
[ "$rc" = 1 ] || fail "malformed code: exit $rc, want 1"
set +e; "$ZN" divisions show > /dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "missing code: exit $rc, want 2"

# children
"$ZN" divisions children 3301 > "$TMP/out"
[ "$(wc -l < "$TMP/out")" = 13 ] || fail "杭州市 should have 13 counties"
expect "330113000000  3 county    浙江省/杭州市/临平区" "$TMP/out"
"$ZN" divisions children --json > "$TMP/out"
expect '"count": 2' "$TMP/out"

# search
"$ZN" divisions search 普陀区 --exact > "$TMP/out"
[ "$(wc -l < "$TMP/out")" = 2 ] || fail "普陀区 should match twice"
expect "310107000000" "$TMP/out"; expect "330903000000" "$TMP/out"
"$ZN" divisions search 普陀区 --exact --under 33 --json > "$TMP/out"
expect '"count": 1' "$TMP/out"; expect '"path": "浙江省/舟山市/普陀区"' "$TMP/out"
"$ZN" divisions search 西湖 --level 3 > "$TMP/out"
[ "$(wc -l < "$TMP/out")" = 1 ] || fail "西湖 at county level should match once"
if "$ZN" divisions search 不存在的地方 > /dev/null 2>&1; then fail "search without match should exit 1"; fi

# locate
"$ZN" divisions locate 120.14 30.25 --crs gcj02 > "$TMP/out"
expect "330106000000 西湖区" "$TMP/out"
"$ZN" divisions locate 121.4737 31.2304 --crs gcj02 --json > "$TMP/out"
expect '"code": "310101000000"' "$TMP/out"; expect '"name": "市辖区"' "$TMP/out"
"$ZN" divisions locate 120.157 30.25 --crs wgs84 > "$TMP/out"
expect "330102000000 上城区" "$TMP/out"
set +e; "$ZN" divisions locate 123.5 30.0 --crs gcj02 > /dev/null 2> "$TMP/err"; rc=$?; set -e
[ "$rc" = 1 ] || fail "point at sea: exit $rc, want 1"
expect "no county boundary covers" "$TMP/err"
set +e; "$ZN" divisions locate 120.14 30.25 --crs mars > /dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "bad --crs: exit $rc, want 2"

# diff
"$ZN" divisions diff 2021 2023 --under 33 --json --summary > "$TMP/out"
tr -d ' \n' < "$TMP/out" > "$TMP/flat"
expect '"added":{"total":507,"province":0,"city":0,"county":0,"township":8,"village":499}' "$TMP/flat"
expect '"removed":{"total":264,"province":0,"city":0,"county":1,"township":5,"village":258}' "$TMP/flat"
expect '"renamed":{"total":278,"province":0,"city":0,"county":0,"township":1,"village":277}' "$TMP/flat"
"$ZN" divisions diff 2021 2023 --under 33 --level 4 > "$TMP/out"
expect "renamed  330326401000  滨海新区 -> 开发区" "$TMP/out"
expect "removed  330371005000  海城街道" "$TMP/out"
expect "added    330303012000  海城街道" "$TMP/out"

# stats
"$ZN" divisions stats > "$TMP/out"
expect "2023             2     12     106      1621    32056   33797" "$TMP/out"

# load: twice, the second changes nothing
"$ZN" divisions load --db "$TMP/z.db" > "$TMP/out"
expect "67076 division rows changed, 67076 in table division" "$TMP/out"
"$ZN" divisions load --db "$TMP/z.db" --json > "$TMP/out"
expect '"changed": 0' "$TMP/out"; expect '"rows": 67076' "$TMP/out"

# --db: the registry read back from the store answers as the files do
for args in "show 330106" "show 330106004053 --json" "show 330371 --edition 2021" "children 3301" \
            "search 普陀区 --exact" "stats" "diff 2021 2023 --under 33 --level 4"; do
  "$ZN" divisions $args > "$TMP/files"
  "$ZN" divisions $args --db "$TMP/z.db" > "$TMP/store" || fail "$args --db exited non-zero"
  cmp -s "$TMP/files" "$TMP/store" || { diff "$TMP/files" "$TMP/store" >&2; fail "$args: store and files differ"; }
done
"$ZN" divisions show 330106 --db "$TMP/z.db" > "$TMP/out"
expect "path      浙江省/杭州市/西湖区" "$TMP/out"
set +e; "$ZN" divisions show 330371 --edition 2023 --db "$TMP/z.db" > /dev/null 2> "$TMP/err"; rc=$?; set -e
[ "$rc" = 1 ] || fail "330371 in 2023 from the store: exit $rc, want 1"
expect "no division 330371000000 in edition 2023" "$TMP/err"
# a store without divisions: an error naming the store, exit 1
: > "$TMP/empty.db"  # an empty file is an empty SQLite database
set +e; "$ZN" divisions show 330106 --db "$TMP/empty.db" > /dev/null 2> "$TMP/err"; rc=$?; set -e
[ "$rc" = 1 ] || fail "store without divisions: exit $rc, want 1"
expect "store $TMP/empty.db: the store holds no divisions" "$TMP/err"
# a store that is not there is not created
set +e; "$ZN" divisions show 330106 --db "$TMP/none.db" > /dev/null 2> "$TMP/err"; rc=$?; set -e
[ "$rc" = 1 ] || fail "missing store: exit $rc, want 1"
expect "no store at $TMP/none.db" "$TMP/err"
[ ! -e "$TMP/none.db" ] || fail "show --db created $TMP/none.db"

echo "divisions CLI: all checks passed"
