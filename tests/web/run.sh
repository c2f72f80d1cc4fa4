#!/usr/bin/env bash
# Browser test of the cockpit: builds a store from the bundled data, starts `zhinao serve` on an
# ephemeral loopback port, and drives Debian's chromium with playwright-core (tests/web/cockpit.mjs).
# usage: run.sh ZHINAO_BINARY SOURCE_DIR [OUTDIR]   (screenshots go to OUTDIR, default ./web-screenshots)
# Exits 77 (skipped) when chromium, node or web/node_modules (npm ci) is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ -f "$SRC/web/node_modules/echarts/dist/echarts.min.js" ] || skip "web/node_modules missing: run npm ci in $SRC/web"
fc-list :lang=zh 2>/dev/null | grep -q . || echo "warning: no CJK font (fonts-droid-fallback): Chinese shows as boxes"

# the store of `make run` (scripts/run-demo), smaller: the Shanghai 2022 lists with the zones
# replayed on them and the sealed units of 2022-04-08 as tasks, and a 2,000-resident Hangzhou demo
# city traced (plan-9) with its close contacts as tasks
"$ZN" demo --db "$T/z.db" > "$T/demo.out" || { cat "$T/demo.out"; exit 1; }
# two zone runs: the national risk areas of plan 9 evaluated on the same lists first, then the
# Shanghai replay (the latest run, shown first)
"$ZN" zones units --db "$T/z.db" > "$T/zones.out"
"$ZN" zones run --rules plan-9-risk-areas --from 2022-03-18 --to 2022-05-19 --db "$T/z.db" --quiet >> "$T/zones.out" \
  || { cat "$T/zones.out"; exit 1; }
"$ZN" zones replay shanghai-2022 --db "$T/z.db" --no-geojson >> "$T/zones.out" || { cat "$T/zones.out"; exit 1; }
"$ZN" tasks from-zones --db "$T/z.db" --rules shanghai-2022-04 --date 2022-04-08 --issuer sh-command \
  --issuer-unit 310000 --now 2022-04-08T09:00:00+08:00 > "$T/tasks.out"
"$ZN" gen city --persons 2000 --out "$T/city" --quiet
"$ZN" gen files "$T/city" | while read -r feed path; do
  "$ZN" ingest --db "$T/z.db" --feed "$feed" "$path" > /dev/null
done
"$ZN" trace --db "$T/z.db" --plan plan-9 --companions --run-label demo-city > "$T/trace.out"
"$ZN" tasks from-trace --db "$T/z.db" --issuer city-command --issuer-unit 330100 \
  --now 2022-03-15T09:00:00+08:00 >> "$T/tasks.out"
# a township command post of 金山区 (310116107, 廊下镇) that receives, reports, verifies and closes
# its tasks on the field page
web_user langxia township 310116107 "field page password"
web_serve "demo login" --demo
PW=$(sed -n 's/^demo login: name demo, password \([^ ]*\) .*/\1/p' "$T/serve.out")
PWZJ=$(sed -n 's/^demo login: name demo-zj, password \([^ ]*\) .*/\1/p' "$T/serve.out")
[ -n "$PW" ] && [ -n "$PWZJ" ] || { cat "$T/serve.out"; echo "FAIL: no demo passwords printed"; exit 1; }
ZN_PASSWORD_ZJ="$PWZJ" ZN_FIELD_USER=langxia ZN_FIELD_PASSWORD="field page password" \
  node "$SRC/tests/web/cockpit.mjs" "http://127.0.0.1:$PORT" demo "$PW" "$OUT" "$SRC/web"
echo "screenshots: $OUT"
