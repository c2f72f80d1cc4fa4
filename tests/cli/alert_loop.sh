#!/usr/bin/env bash
# CLI test of early-warning alerts in the closed loop: `zhinao warn --db DB --store` and
# `zhinao tasks simulate`. bash alert_loop.sh <path-to-zhinao> <source-dir>
# The series of 浦东新区 is the hand-computed one of tests/test_alert_loop.c: EARS C3 alarms on
# 2022-04-13 (3) and 2022-04-14 (2) only; 黄浦区 is flat (zero-sd references: NA, no alarm).
set -euo pipefail
ZN=${1:?usage: alert_loop.sh <zhinao> <source-dir>}
SRC=${2:?usage: alert_loop.sh <zhinao> <source-dir>}
export ZHINAO_DATA="$SRC/data"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { grep -qF -- "$1" "$2" || { echo "--- output:" >&2; cat "$2" >&2; fail "'$1' not found"; }; }
DB="$TMP/z.db"
q() { sqlite3 "$DB" "$1"; }

x=(2 3 2 3 2 3 2 3 2 3 2 12 3 2 3 2)
{
  echo "date,district,new_confirmed,new_asymptomatic"
  for i in $(seq 0 15); do
    d=$(printf '2022-04-%02d' $((i + 1)))
    echo "$d,浦东新区,${x[$i]},"
    echo "$d,黄浦区,1,1"
    echo "$d,Pudong,,${x[$i]}"
  done
} > "$TMP/counts.csv"

"$ZN" tasks templates --db "$DB" > /dev/null   # creates the store
q "INSERT INTO division (edition, code, level, name, parent_code) VALUES
   (2021, '310100000000', 2, '市辖区', '310000000000'), (2021, '310101000000', 3, '黄浦区', '310100000000'),
   (2021, '310115000000', 3, '浦东新区', '310100000000');"

W=(warn --method ears-c3 --series "$TMP/counts.csv" --group district --count new_confirmed,new_asymptomatic
   --db "$DB" --store)
"$ZN" "${W[@]}" > "$TMP/out"
# Pudong maps to no division (no --division-map): its two alarms are unrouted
expect "ears-c3: 4 alarms in 3 series; stored 2 new alerts (0 already stored), issued 2 verification tasks, 2 unrouted" "$TMP/out"
[ "$(q "SELECT series || ' ' || period || ' ' || observed || ' ' || upperbound || ' ' || division_code FROM alert ORDER BY id" | tr '\n' '|')" = \
  "浦东新区 2022-04-13 3.0 0.0 310115000000|浦东新区 2022-04-14 2.0 0.0 310115000000|" ] || fail "alert rows"
[ "$(q "SELECT COUNT(*) FROM loop_task t JOIN alert a ON a.task_id = t.id WHERE t.template_id = 'epi.verify_signal' AND t.assignee = '310115000000'")" = 2 ] || fail "one task per alert"
# raised at 09:00 (+08:00) of the day after the period; 24 h budget
[ "$(q "SELECT datetime(created_at, 'unixepoch', '+8 hours') || ' ' || datetime(deadline, 'unixepoch', '+8 hours') FROM loop_task ORDER BY id" | tr '\n' '|')" = \
  "2022-04-14 09:00:00 2022-04-15 09:00:00|2022-04-15 09:00:00 2022-04-16 09:00:00|" ] || fail "issue times"

# re-run: nothing new; a division map routes Pudong
"$ZN" "${W[@]}" > "$TMP/out"
expect "stored 0 new alerts (2 already stored), issued 0 verification tasks, 2 unrouted" "$TMP/out"
printf 'group,code\nPudong,310115000000\n' > "$TMP/map.csv"
"$ZN" "${W[@]}" --division-map "$TMP/map.csv" > "$TMP/out"
expect "stored 2 new alerts (2 already stored), issued 2 verification tasks, 0 unrouted" "$TMP/out"
[ "$(q "SELECT COUNT(*) FROM alert")" = 4 ] && [ "$(q "SELECT COUNT(*) FROM loop_task")" = 4 ] || fail "counts after map"
"$ZN" warn --method ears-c3 --series "$TMP/counts.csv" --store > "$TMP/out" 2>&1 && fail "--store without --db accepted"
expect "--store needs --db" "$TMP/out"

# 2022-04-14: everything open closes (the two tasks issued that morning)
"$ZN" tasks simulate --db "$DB" --day 2022-04-14 --close-share 1.0 > "$TMP/out"
expect "simulated 2022-04-14: 2 open tasks, 2 closed (10 moves), 0 left open" "$TMP/out"
expect "metrics at the end of the day: 2 issued, 2 closed, 2 on time (100.0%)" "$TMP/out"
[ "$(q "SELECT COUNT(*) FROM loop_transition WHERE to_state = 'closed' AND actor = 'command@310115000000'")" = 2 ] || fail "closer"
# 2022-04-16: nobody works the two of 2022-04-15 09:00: overdue at 2022-04-16 09:00
"$ZN" tasks simulate --db "$DB" --day 2022-04-16 --close-share 0 > "$TMP/out"
expect "simulated 2022-04-16: 2 open tasks, 0 closed (0 moves), 2 left open; 4 escalation rungs fired" "$TMP/out"
expect "4 issued, 2 closed, 2 on time (100.0%)" "$TMP/out"
expect "2 open, 2 overdue" "$TMP/out"
[ "$(q "SELECT COUNT(*) FROM loop_escalation WHERE rung = 'overdue'")" = 2 ] || fail "overdue rungs"
"$ZN" tasks simulate --db "$DB" --day 2022-04-16 --close-share 2 > "$TMP/out" 2>&1 && fail "close share 2 accepted"
expect "a number in [0, 1]" "$TMP/out"

# same seed, same day: the same history in two stores
for k in 1 2; do
  cp "$DB" "$TMP/s$k.db"
  "$ZN" tasks simulate --db "$TMP/s$k.db" --day 2022-04-17 --close-share 0.5 --seed 3 > /dev/null
  sqlite3 "$TMP/s$k.db" "SELECT task_id, seq, to_state, actor, at FROM loop_transition ORDER BY task_id, seq" > "$TMP/h$k"
done
cmp -s "$TMP/h1" "$TMP/h2" || fail "same seed, different histories"
echo "alert_loop: ok"
