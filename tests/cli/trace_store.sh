#!/usr/bin/env bash
# `zhinao trace --db` end to end on a tiny generated city (500 persons, 7 days): the feeds are
# ingested, the kernel runs from the store under plan-9 (companions on), the run is stored and
# exported. Asserts non-trivial counts, the export's shape, and the household property: every
# infection of ground_truth.csv in the household setting whose infector is an index case (a case
# report) and whose infectee is registered at the infector's address is a household close contact
# of that infector (the generator's households are the registry's addresses).
# usage: trace_store.sh ZHINAO_BINARY SOURCE_DIR
set -euo pipefail
ZN=$1
SRC=$2
export ZHINAO_DATA="$SRC/data"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v sqlite3 > /dev/null || { echo "SKIP: no sqlite3 shell"; exit 0; }

"$ZN" gen city --persons 500 --days 7 --out "$T/c" --quiet > /dev/null
"$ZN" divisions load --db "$T/c.db" > /dev/null
"$ZN" gen files "$T/c" | while read -r f p; do "$ZN" ingest --db "$T/c.db" --feed "$f" "$p" > /dev/null; done

"$ZN" trace --db "$T/c.db" --plan plan-9 --companions --run-label cli --json > "$T/run.json"
q() { sqlite3 "$T/c.db" "$1"; }
RUN=$(q "SELECT MAX(id) FROM trace_run")
[ "$RUN" = 1 ] || fail "run id $RUN"
grep -q '"run_id": 1' "$T/run.json" || fail "json: $(cat "$T/run.json")"
cases=$(q "SELECT COUNT(*) FROM feed_case_report")
[ "$(q "SELECT index_cases FROM trace_run WHERE id = 1")" = "$cases" ] || fail "index cases != case reports ($cases)"
[ "$cases" -ge 1 ] || fail "no case report in the city"
venue=$(q "SELECT COUNT(*) FROM close_contact WHERE run_id = 1 AND exposure_class = 'venue'")
house=$(q "SELECT COUNT(*) FROM close_contact WHERE run_id = 1 AND exposure_class = 'household'")
sec=$(q "SELECT COUNT(*) FROM secondary_contact WHERE run_id = 1")
comp=$(q "SELECT COUNT(*) FROM companion WHERE run_id = 1")
[ "$venue" -gt 0 ] && [ "$house" -gt 0 ] && [ "$sec" -gt 0 ] && [ "$comp" -gt 0 ] ||
  fail "trivial counts: venue $venue household $house secondary $sec companions $comp"
[ "$(q "SELECT close_contacts FROM trace_run WHERE id = 1")" = "$(q "SELECT COUNT(*) FROM close_contact WHERE run_id = 1")" ] ||
  fail "stored count"
q "SELECT parameters FROM trace_run WHERE id = 1" | grep -q '"lookback_days":4' || fail "parameters"
[ "$(q "SELECT label FROM trace_run WHERE id = 1")" = cli ] || fail "label"
# no index case is its own contact; no secondary contact is a close contact or an index case
[ "$(q "SELECT COUNT(*) FROM close_contact WHERE index_case = contact")" = 0 ] || fail "self contact"
[ "$(q "SELECT COUNT(*) FROM secondary_contact s WHERE s.contact IN (SELECT contact FROM close_contact)
        OR s.contact IN (SELECT person FROM trace_index_case)")" = 0 ] || fail "secondary overlaps"
# venue rows: the overlap of at least one stay pair is >= D = 600 s and inside the case's window
[ "$(q "SELECT COUNT(*) FROM close_contact c JOIN trace_index_case i ON i.run_id = c.run_id AND i.person = c.index_case
        WHERE c.exposure_class = 'venue' AND (c.overlap_seconds < 600 OR c.first_exposure < i.t_from
        OR c.last_exposure > i.t_to)")" = 0 ] || fail "venue rows outside the rule"

# the household property against the generator's ground truth
sqlite3 "$T/c.db" <<SQL
CREATE TEMP TABLE gt(person_id, resident_id, infection_time, infector_person_id, infector_resident_id,
  source, setting, place_id, exposure_start, exposure_end, symptomatic, onset_time, detected_by,
  sample_time, report_time, case_id, isolation_time);
.mode csv
.import --skip 1 $T/c/ground_truth.csv gt
.mode list
.output $T/expected
SELECT DISTINCT g.infector_resident_id || ',' || g.resident_id FROM gt g
  JOIN trace_index_case i ON i.run_id = 1 AND i.person = g.infector_resident_id
  JOIN feed_population_registry a ON a.resident_id = g.infector_resident_id
  JOIN feed_population_registry b ON b.resident_id = g.resident_id
   AND b.residence_address = a.residence_address AND b.residence_division = a.residence_division
  WHERE g.setting = 'household' ORDER BY 1;
.output $T/got
SELECT DISTINCT index_case || ',' || contact FROM close_contact WHERE run_id = 1 AND exposure_class = 'household' ORDER BY 1;
SQL
[ -s "$T/expected" ] || fail "no household infection by an index case in the city (weak test)"
missing=$(comm -23 "$T/expected" "$T/got")
[ -z "$missing" ] || fail "household infections not traced: $missing"

# export
"$ZN" trace export --db "$T/c.db" --run 1 --linelist "$T/ll.csv" --contacts "$T/ct.csv"
[ "$(head -1 "$T/ll.csv")" = "id,type,case_id,window_start,window_end,first_exposure,last_exposure" ] || fail "linelist header"
[ "$(head -1 "$T/ct.csv")" = "from,to,exposure_class,place,first_exposure,last_exposure,overlap_seconds" ] || fail "contacts header"
[ "$(grep -c ',case,' "$T/ll.csv")" = "$cases" ] || fail "linelist cases"
[ "$(($(wc -l < "$T/ct.csv") - 1))" = "$((venue + house + sec + comp + $(q "SELECT COUNT(*) FROM close_contact WHERE run_id = 1 AND exposure_class = 'cotravel'")))" ] ||
  fail "contacts rows"
while read -r line; do grep -qx -- "$line,household,.*" "$T/ct.csv" || fail "export lacks $line"; done < "$T/expected"
"$ZN" trace export --db "$T/c.db" --run 1 --json > "$T/x.json"
if command -v python3 > /dev/null; then
  python3 - "$T/x.json" "$(($(wc -l < "$T/ct.csv") - 1))" "$(($(wc -l < "$T/ll.csv") - 1))" <<'PY' || fail "json export"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["run"]["plan"] == "plan-9" and d["run"]["label"] == "cli"
assert d["run"]["parameters"]["lookback_days"] == 4
assert len(d["contacts"]) == int(sys.argv[2]) and len(d["linelist"]) == int(sys.argv[3])
PY
fi
"$ZN" trace export --db "$T/c.db" --run 9 --json > /dev/null 2>&1 && fail "unknown run accepted"

# plan-10 traces nothing; plan-20measures no secondary contacts
"$ZN" trace --db "$T/c.db" --plan plan-10 > /dev/null
[ "$(q "SELECT close_contacts + secondary_contacts FROM trace_run WHERE id = 2")" = 0 ] || fail "plan-10"
"$ZN" trace --db "$T/c.db" --plan plan-20measures > /dev/null
[ "$(q "SELECT secondary_contacts FROM trace_run WHERE id = 3")" = 0 ] || fail "plan-20measures secondary"
[ "$(q "SELECT close_contacts FROM trace_run WHERE id = 3")" -gt 0 ] || fail "plan-20measures close"
"$ZN" trace --db "$T/c.db" > /dev/null 2>&1 && fail "--db without --plan accepted"
echo "ok: cases $cases, venue $venue, household $house, secondary $sec, companions $comp"
