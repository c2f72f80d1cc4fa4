#!/usr/bin/env bash
# CLI test of `zhinao tasks`: bash tasks.sh <path-to-zhinao> <source-dir>
# A contact traced in Hangzhou, one living in Ningbo (协查), a sealed unit, escalation and metrics,
# all at fixed times (--now) so every expected value is computed by hand in the comments.
set -euo pipefail
ZN=${1:?usage: tasks.sh <zhinao> <source-dir>}
SRC=${2:?usage: tasks.sh <zhinao> <source-dir>}
export ZHINAO_DATA="$SRC/data"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DB="$TMP/t.db"

fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { grep -qF -- "$1" "$2" || { echo "--- output:" >&2; cat "$2" >&2; fail "'$1' not found"; }; }
z() { "$ZN" tasks "$@" --db "$DB"; }

# help for every subcommand
"$ZN" tasks --help > "$TMP/out"; expect "usage: zhinao tasks <subcommand>" "$TMP/out"
for sub in issue list show receive start report verify return close cancel reassign transfer suspend resume extend tick stats grid templates; do
  "$ZN" tasks $sub --help > "$TMP/out" || fail "$sub --help exited non-zero"
  expect "usage: zhinao tasks $sub" "$TMP/out"
done
set +e; "$ZN" tasks frobnicate > /dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "unknown subcommand should exit 2, got $rc"

z templates > "$TMP/out"
expect "epi.quarantine_transfer" "$TMP/out"
expect "密接转运集中隔离" "$TMP/out"

# a grid of a Xihu community, with a compound in it
z grid put G-7 --community 330106001001 --name "grid 7" --worker w7 > "$TMP/out"
z grid put G-8 --community 330106001001 --name "grid 8" > "$TMP/out"
z grid place G-7 "西溪花园" > "$TMP/out"

# 1: a close contact living in 西溪花园: routed to grid G-7; 8 h from 10:00 Thursday 8 Feb 2024
z issue --now "2024-02-08 10:00" --template epi.quarantine_transfer --reason "case C-1 confirmed" \
  --issuer hz-cdc --issuer-unit 3301 --division 330106001001 --place "西溪花园" --subject K-1 --link case:C-1 > "$TMP/out"
expect "task 1 issued to grid G-7, deadline 2024-02-08T18:00:00+08:00" "$TMP/out"
# 2 + 3: a contact living in Ningbo: the Hangzhou task is transferred (协查) at once
z issue --now "2024-02-08 10:00" --template epi.quarantine_transfer --instruction 1 --division 330203001001 --subject K-2 --json > "$TMP/out"
expect '"task": 2' "$TMP/out"
expect '"transfer": 3' "$TMP/out"
expect '"assignee": "330203001001"' "$TMP/out"
# 4: seal a unit, 2 h
z issue --now "2024-02-08 11:00" --template epi.seal_unit --instruction 1 --grid G-8 > "$TMP/out"
expect "task 4 issued to grid G-8, deadline 2024-02-08T13:00:00+08:00" "$TMP/out"

# the grid worker's open tasks
z list --assignee G-7 --open --now "2024-02-08 12:00" > "$TMP/out"
expect "epi.quarantine_transfer" "$TMP/out"
[ "$(grep -c '^[0-9]' "$TMP/out")" = 1 ] || fail "G-7 should have one open task"

# task 1 through the loop, with evidence; an illegal move fails and names the states
z receive 1 --actor w7 --now "2024-02-08 10:20" > "$TMP/out"; expect "task 1: received" "$TMP/out"
if z verify 1 --actor cdc > "$TMP/out" 2> "$TMP/err"; then fail "verify before report must fail"; fi
expect "illegal transition received -> verified" "$TMP/err"
printf 'abc' > "$TMP/photo.jpg"
z report 1 --actor w7 --evidence "hotel 3, room 1203" --file "$TMP/photo.jpg" --now "2024-02-08 15:00" > "$TMP/out"
z return 1 --actor cdc --note "wrong hotel" --now "2024-02-08 15:30" > "$TMP/out"
z start 1 --actor w7 --now "2024-02-08 15:40" > "$TMP/out"
z report 1 --actor w7 --evidence "hotel 1, room 201" --now "2024-02-08 16:30" > "$TMP/out"
z verify 1 --actor cdc --now "2024-02-08 17:00" > "$TMP/out"
z close 1 --actor cdc --now "2024-02-08 17:30" > "$TMP/out"; expect "task 1: closed" "$TMP/out"
z show 1 --json > "$TMP/out"
expect '"state": "closed"' "$TMP/out"
expect '"evidence_sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"' "$TMP/out"
expect '"note": "wrong hotel"' "$TMP/out"
[ "$(grep -c '"seq"' "$TMP/out")" = 8 ] || fail "task 1 should have 8 history rows"

# task 3 (Ningbo): suspended 11:00-13:00 (2 h), so its deadline moves from 18:00 to 20:00
z suspend 3 --actor nb-cdc --note "contact in hospital" --now "2024-02-08 11:00" > "$TMP/out"
expect "deadline stopped" "$TMP/out"
z resume 3 --actor nb-cdc --note "discharged" --now "2024-02-08 13:00" > "$TMP/out"
expect "deadline 2024-02-08T20:00:00+08:00" "$TMP/out"
z extend 3 --hours 1 --approver "NB deputy director" --ref "NB-2024-3" --actor nb-cdc --note "train delayed" \
  --now "2024-02-08 13:10" > "$TMP/out"
expect "deadline 2024-02-08T21:00:00+08:00" "$TMP/out"

# the timer at 13:30: task 4 (seal, 11:00 + 2 h) has its warning (12:00) and overdue (13:00) due;
# task 3's warning is at 3/4 of 8 h of clock = 10:00 + 6 h + 2 h suspended = 18:00 (+ 0.75 h of
# extension: 3/4 of 9 h = 6.75 h -> 18:45)
z tick --now "2024-02-08 13:30" > "$TMP/out"
expect "task 4: warning (due 2024-02-08T12:00:00+08:00) -> G-8" "$TMP/out"
expect "task 4: overdue (due 2024-02-08T13:00:00+08:00) -> G-8" "$TMP/out"
expect "2 rungs fired" "$TMP/out"
z tick --now "2024-02-08 13:30" > "$TMP/out"; expect "0 rungs fired" "$TMP/out"
# 13:00 + 1 h: supervision of task 4 goes to the level above the grid: its community
z tick --now "2024-02-08 18:45" > "$TMP/out"
expect "task 4: supervision (due 2024-02-08T14:00:00+08:00) -> 330106001001" "$TMP/out"
expect "task 3: warning (due 2024-02-08T18:45:00+08:00) -> 330203001001" "$TMP/out"
expect "2 rungs fired" "$TMP/out"

# Ningbo closes its task at 19:00: on time (deadline 21:00); the Hangzhou original closes with it
z receive 3 --actor nb-w --now "2024-02-08 18:50" > /dev/null
z report 3 --actor nb-w --now "2024-02-08 19:00" > /dev/null
z verify 3 --actor nb-cdc --now "2024-02-08 19:10" > /dev/null
z close 3 --actor nb-cdc --now "2024-02-08 19:20" > /dev/null
z show 2 --json > "$TMP/out"; expect '"state": "closed"' "$TMP/out"

# overdue list at 20:00: task 4 only
z list --overdue --now "2024-02-08 20:00" > "$TMP/out"
[ "$(grep -c '^[0-9]' "$TMP/out")" = 1 ] || fail "one overdue task expected"
expect "epi.seal_unit" "$TMP/out"

# metrics by city over the day: Hangzhou closed task 1 on time (reported 16:30 <= 18:00) in 7.5 h,
# transferred task 2, and has task 4 open and overdue; Ningbo closed task 3 on time in 9h20m
z stats --from "2024-02-08" --to "2024-02-09" --division 33 --level city > "$TMP/out"
# columns: issued closed on_time rate median_h p90_h backlog overdue cancelled transferred
row() { awk -v d="$1" '$1 == d { print $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 }' "$TMP/out"; }
[ "$(row 330100000000)" = "3 1 1 100.0% 7.50 7.50 1 1 0 1" ] || { cat "$TMP/out"; fail "Hangzhou row: $(row 330100000000)"; }
[ "$(row 330200000000)" = "1 1 1 100.0% 9.33 9.33 0 0 0 0" ] || { cat "$TMP/out"; fail "Ningbo row: $(row 330200000000)"; }
z stats --division 33 --level city --json --now "2024-02-09 00:00" > "$TMP/out"
expect '"median_close_s": 27000.0' "$TMP/out"
z stats --from "2024-02-08" --to "2024-02-09" --division 3301 --level grid > "$TMP/out"
expect "G-7" "$TMP/out"
expect "G-8" "$TMP/out"
echo "tasks.sh: ok"
