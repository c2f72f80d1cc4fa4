#!/usr/bin/env bash
# CLI test of `zhinao gen city`: bash gen.sh <path-to-zhinao> <source-dir>
# Same seed -> same bytes (sha256 of every file), the files the manifest lists exist with the rows
# it says, and `zhinao ingest` quarantines the injected bad check digits.
set -euo pipefail
ZN=${1:?usage: gen.sh <zhinao> <source-dir>}
SRC=${2:?usage: gen.sh <zhinao> <source-dir>}
export ZHINAO_DATA="$SRC/data"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { grep -qF -- "$1" "$2" || { echo "--- output:" >&2; cat "$2" >&2; fail "'$1' not found"; }; }

# help and usage errors
"$ZN" gen city --help > "$TMP/out"; expect "zhinao gen city [--city CODE]" "$TMP/out"
expect "--dirt KIND=RATE" "$TMP/out"
set +e
"$ZN" gen > /dev/null 2>&1; [ $? -eq 2 ] || fail "gen without subcommand should exit 2"
"$ZN" gen town > /dev/null 2>&1; [ $? -eq 2 ] || fail "unknown subcommand should exit 2"
"$ZN" gen city --dirt nope=0.1 > /dev/null 2>&1; [ $? -eq 2 ] || fail "unknown dirt kind should exit 2"
"$ZN" gen city --persons 5 --out "$TMP/x" > /dev/null 2> "$TMP/err"; [ $? -eq 1 ] || fail "5 persons should fail"
set -e
expect "persons must be 100..100000000" "$TMP/err"

# same seed, same bytes (and threads do not matter)
"$ZN" gen city --persons 1500 --days 4 --seed 9 --out "$TMP/a" --threads 2 > "$TMP/out"
expect "demo city 330100: 1500 residents" "$TMP/out"
"$ZN" gen city --persons 1500 --days 4 --seed 9 --out "$TMP/b" --threads 1 --quiet > "$TMP/out"
[ ! -s "$TMP/out" ] || fail "--quiet printed something"
(cd "$TMP/a" && find . -type f | sort | xargs sha256sum) > "$TMP/a.sha"
(cd "$TMP/b" && find . -type f | sort | xargs sha256sum) > "$TMP/b.sha"
[ "$(wc -l < "$TMP/a.sha")" -ge 20 ] || fail "too few files"
cmp -s "$TMP/a.sha" "$TMP/b.sha" || { diff "$TMP/a.sha" "$TMP/b.sha" >&2; fail "same seed gave other bytes"; }
"$ZN" gen city --persons 1500 --days 4 --seed 10 --out "$TMP/c" --quiet
cmp -s "$TMP/a/population_registry.csv" "$TMP/c/population_registry.csv" && fail "another seed gave the same people"

# the manifest and the files agree; rows of population_registry = residents (+ duplicates - late)
python3 - "$TMP/a" <<'EOF' || fail "manifest and files disagree"
import json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
assert m["persons"] == 1500 and m["seed"] == 9 and m["city"] == "330100000000", m
assert len(m["files"]) >= 14, len(m["files"])
for f in m["files"]:
    n = sum(1 for _ in open(os.path.join(d, f["path"]), "rb")) - 1
    assert n == f["rows"], (f["path"], n, f["rows"])
    if f["late"]:
        n = sum(1 for _ in open(os.path.join(d, f["late"]["path"]), "rb")) - 1
        assert n == f["late"]["rows"], (f["late"]["path"], n)
pop = [f for f in m["files"] if f["feed"] == "population_registry"][0]
late = pop["late"]["rows"] if pop["late"] else 0
assert pop["rows"] + late - pop["dirt"]["duplicate"]["injected"] == 1500, pop
for k in ("bad_check_digit", "duplicate", "late"):
    assert m["dirt_injected"][k] > 0, k
EOF

# gen files: main files then late files, each listed once
"$ZN" gen files "$TMP/a" > "$TMP/files"
expect "population_registry $TMP/a/population_registry.csv" "$TMP/files"
expect "population_registry $TMP/a/late/population_registry.csv" "$TMP/files"
n_main=$(grep -vc " $TMP/a/late/" "$TMP/files"); n_late=$(grep -c " $TMP/a/late/" "$TMP/files")
[ "$n_main" -ge 14 ] && [ "$n_late" -ge 1 ] || fail "gen files: $n_main main, $n_late late"
first_late=$(grep -n " $TMP/a/late/" "$TMP/files" | head -1 | cut -d: -f1)
[ "$first_late" -eq $((n_main + 1)) ] || fail "late files must come after every main file"
set +e; "$ZN" gen files "$TMP/none" > /dev/null 2>&1; [ $? -eq 1 ] || fail "gen files of a missing folder should fail"; set -e

# ingest the registry: the bad check digits are quarantined with that reason (when the hub's
# ingest command is there)
if ! "$ZN" ingest --help > /dev/null 2>&1; then echo "ok (no zhinao ingest: ingest part skipped)"; exit 0; fi
"$ZN" divisions load --db "$TMP/z.db" > /dev/null
"$ZN" ingest --db "$TMP/z.db" --feed population_registry "$TMP/a/population_registry.csv" --json > "$TMP/ing"
expect '"status":"loaded"' "$TMP/ing"
want=$(python3 -c "import json,sys; m=json.load(open('$TMP/a/manifest.json')); print([f for f in m['files'] if f['feed']=='population_registry'][0]['dirt']['bad_check_digit']['injected'])")
"$ZN" quarantine --summary --db "$TMP/z.db" > "$TMP/q"
grep -E "population_registry +bad_check_digit +$want\$" "$TMP/q" > /dev/null || { cat "$TMP/q" >&2; fail "expected $want bad_check_digit rows"; }
echo "ok"
