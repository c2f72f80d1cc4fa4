#!/usr/bin/env bash
# End to end: `zhinao demo` (what `make run` runs) on the bundled real data, twice.
# usage: demo.sh ZHINAO_BINARY SOURCE_DIR
set -euo pipefail
ZN=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export ZHINAO_DATA="$SRC/data"
fail() { echo "FAIL: $*"; exit 1; }

"$ZN" demo --db "$T/z.db" > "$T/out1"
cat "$T/out1"
# every row of the official lists accepted, none quarantined (counts from the PROVENANCE files)
grep -Eq '^ +case_residence_list +163710 +163710 +0 +0 ' "$T/out1" || fail "case_residence_list not fully accepted"
grep -Eq '^ +address_geocode +34243 +34243 +0 +0 ' "$T/out1" || fail "address_geocode counts"
grep -Eq '^ +address_geocode_amap +732 +732 +0 +0 ' "$T/out1" || fail "address_geocode_amap counts"
# 98.9 % of listed residences have coordinates (upstream PROVENANCE: 98.9 %), the rest kept
grep -q '163710 listed residences: 161909 matched (98.90%), 1801 unmatched' "$T/out1" || fail "match counts"
[ "$(sqlite3 "$T/z.db" 'SELECT COUNT(*) FROM case_residence')" = 163710 ] || fail "case_residence rows"
[ "$(sqlite3 "$T/z.db" "SELECT name FROM division WHERE edition=2023 AND code='330106000000'")" = 西湖区 ] || fail "division table"

# the second run changes nothing: every row is a duplicate
"$ZN" demo --db "$T/z.db" > "$T/out2"
grep -Eq '^ +case_residence_list +163710 +0 +0 +163710 ' "$T/out2" || fail "re-run added rows"
[ "$(sqlite3 "$T/z.db" 'SELECT COUNT(*) FROM feed_case_residence_list')" = 163710 ] || fail "feed rows after re-run"
[ "$(sqlite3 "$T/z.db" 'SELECT COUNT(*) FROM lineage')" = 6 ] || fail "lineage rows"
echo "demo: ok"
