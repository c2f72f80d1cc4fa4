#!/usr/bin/env bash
# Browser test of the command page (/command, 指令下达): a county command post issues an
# instruction to a township of its county and sees it in its list and on the field page; a
# target outside its county is refused. chromium + playwright-core (tests/web/command.mjs).
# usage: command.sh ZHINAO_BINARY SOURCE_DIR [OUTDIR]   (screenshots go to OUTDIR)
# Exits 77 (skipped) when chromium, node or web/node_modules (npm ci) is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$ZN" divisions load --db "$T/z.db" > /dev/null
web_user pudong county 310115 "command page password"
web_serve ""
node "$SRC/tests/web/command.mjs" "http://127.0.0.1:$PORT" pudong "command page password" "$OUT" "$SRC/web"
# what the page did is in the store: one instruction by pudong, its task routed to 张江镇
[ "$(sqlite3 "$T/z.db" "SELECT issuer || ' ' || COALESCE(issuer_unit, '') FROM loop_instruction")" = "pudong 310115000000" ] \
  || { echo "FAIL: instruction not stored as expected"; exit 1; }
[ "$(sqlite3 "$T/z.db" "SELECT template_id || ' ' || division_code || ' ' || state FROM loop_task")" \
  = "epi.seal_unit 310115125000 issued" ] || { echo "FAIL: task not stored as expected"; exit 1; }
echo "command: ok (screenshots: $OUT)"
