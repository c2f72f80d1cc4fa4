#!/usr/bin/env bash
# `make run`'s scenario script end to end (without serving), on a small demo city.
# usage: run_demo.sh ZHINAO_BINARY SOURCE_DIR
set -euo pipefail
ZN=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
ZHINAO_PERSONS=2000 ZHINAO_DATA="$SRC/data" "$SRC/scripts/run-demo" "$ZN" "$T/z.db" --no-serve > "$T/out" 2>&1 || { cat "$T/out"; fail "run-demo exited non-zero"; }
cat "$T/out"
grep -q '163710 listed residences: 161909 matched' "$T/out" || fail "real-data step"
grep -q '^== Rt by Shanghai district' "$T/out" || fail "Rt step"
# alarms became verification tasks, and the simulated days closed them through the loop
[ "$(sqlite3 "$T/z.db" 'SELECT COUNT(*) FROM alert')" -gt 0 ] || fail "no alerts stored"
[ "$(sqlite3 "$T/z.db" 'SELECT COUNT(*) FROM alert WHERE task_id IS NULL')" = 0 ] || fail "alert without a task"
grep -q 'metrics at the end of the day' "$T/out" || fail "tasks simulate"
# the demo city's case reports are on the map: rows in Hangzhou with coordinates
n_hz=$(sqlite3 "$T/z.db" "SELECT COUNT(*) FROM case_residence WHERE source = 'case_report' AND county_code LIKE '3301%' AND matched = 1")
n_rep=$(sqlite3 "$T/z.db" "SELECT COUNT(*) FROM feed_case_report WHERE lon IS NOT NULL")
[ "$n_hz" -gt 0 ] && [ "$n_hz" = "$n_rep" ] || fail "case reports on the map: $n_hz of $n_rep"
# and its risk areas: a stored plan-9-risk-areas run of Hangzhou units only, next to the Shanghai replay
[ "$(sqlite3 "$T/z.db" "SELECT COUNT(*) FROM zone_run WHERE rules IN ('shanghai-2022-04', 'plan-9-risk-areas')")" = 2 ] \
  || fail "zone runs"
n_out=$(sqlite3 "$T/z.db" "SELECT COUNT(*) FROM zone_period p JOIN zone_run r ON r.id = p.run_id JOIN zone_unit u ON u.id = p.unit_id
  WHERE r.rules = 'plan-9-risk-areas' AND u.county_code NOT LIKE '3301%'")
n_high=$(sqlite3 "$T/z.db" "SELECT COUNT(*) FROM zone_period p JOIN zone_run r ON r.id = p.run_id
  WHERE r.rules = 'plan-9-risk-areas' AND p.level = 'high'")
[ "$n_out" = 0 ] && [ "$n_high" -gt 0 ] || fail "Hangzhou risk areas: $n_out units outside, $n_high high periods"
# contacts and sealed units became tasks too, every template of the epidemic wiring is present
for t in epi.quarantine_transfer epi.verify_signal; do
  [ "$(sqlite3 "$T/z.db" "SELECT COUNT(*) FROM loop_task WHERE template_id = '$t'")" -gt 0 ] || fail "no $t tasks"
done
[ "$(sqlite3 "$T/z.db" "SELECT COUNT(DISTINCT template_id) FROM loop_task")" -ge 4 ] || fail "zone tasks missing"
# every feed file of the generated city went through the hub
n_files=$("$ZN" gen files "$T/demo-city" | wc -l)
n_loaded=$(sqlite3 "$T/z.db" "SELECT COUNT(*) FROM lineage WHERE path LIKE '%demo-city%' AND status = 'loaded'")
[ "$n_files" -gt 10 ] && [ "$n_files" = "$n_loaded" ] || fail "demo city: $n_files files, $n_loaded loaded"
# the injected dirt was caught: quarantined rows with reason bad_check_digit exist
[ "$(sqlite3 "$T/z.db" "SELECT COUNT(*) FROM quarantine WHERE reason_code = 'bad_check_digit'")" -gt 0 ] || fail "no dirt caught"
grep -Eq 'already traced close contacts when reported' "$T/out" || fail "tracing metric"
# zones were evaluated day by day and contacts stored with the plan they were computed under
[ "$(sqlite3 "$T/z.db" "SELECT COUNT(*) FROM zone_day")" -gt 50 ] || fail "zones: fewer than 50 evaluated days stored"
[ "$(sqlite3 "$T/z.db" "SELECT plan FROM trace_run ORDER BY id DESC LIMIT 1")" = plan-9 ] || fail "trace run not stored"
[ "$(sqlite3 "$T/z.db" "SELECT COUNT(*) FROM close_contact")" -gt 0 ] || fail "no close contacts from the store"
echo "run_demo: ok"
