#!/usr/bin/env bash
# CLI test of `zhinao users` and `zhinao serve`: bash serve.sh <path-to-zhinao> <source-dir>
set -euo pipefail
ZN=${1:?usage: serve.sh <zhinao> <source-dir>}
SRC=${2:?usage: serve.sh <zhinao> <source-dir>}
T=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export ZHINAO_DATA="$SRC/data"
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { grep -qF -- "$1" "$2" || { echo "--- output:" >&2; cat "$2" >&2; fail "'$1' not found"; }; }

"$ZN" serve --help > "$T/out"; expect "usage: zhinao serve" "$T/out"
"$ZN" users --help > "$T/out"; expect "usage: zhinao users add" "$T/out"
"$ZN" divisions load --db "$T/z.db" > /dev/null

# users: add (password from stdin, or generated and shown once), list, refusals, disable, audit
echo "a long password 1" | "$ZN" users add pd --role county --scope 310115 --password-stdin --db "$T/z.db" > "$T/out"
expect "user pd added" "$T/out"
expect "scope 310115000000" "$T/out"
"$ZN" users add epi --role epidemiologist --scope 31 --db "$T/z.db" > "$T/out"
expect "password: " "$T/out"
[ "$(sed -n 's/^password: \([^ ]*\) .*/\1/p' "$T/out" | wc -c)" = 21 ] || fail "generated password length"
if "$ZN" users add pd --role county --scope 310115 --db "$T/z.db" > "$T/out" 2> "$T/err"; then fail "duplicate accepted"; fi
expect "exists" "$T/err"
set +e
"$ZN" users add x --role mayor --scope 31 --db "$T/z.db" > /dev/null 2>&1; [ $? = 2 ] || fail "unknown role not a usage error"
set -e
if "$ZN" users add y --role county --scope 33 --db "$T/z.db" > /dev/null 2> "$T/err"; then fail "province scope for a county role"; fi
expect "county level" "$T/err"
if "$ZN" users add z --role county --scope 310199 --db "$T/z.db" > /dev/null 2> "$T/err"; then fail "unknown division"; fi
expect "not in the store" "$T/err"
"$ZN" users list --db "$T/z.db" > "$T/out"
expect "pd                   county          310115000000  on" "$T/out"
expect "epi                  epidemiologist  310000000000  on" "$T/out"
"$ZN" users disable epi --db "$T/z.db" > "$T/out"; expect "user epi disabled" "$T/out"
"$ZN" users list --db "$T/z.db" > "$T/out"; expect "epi                  epidemiologist  310000000000  off" "$T/out"
"$ZN" users audit --db "$T/z.db" > "$T/out"
expect "user_disable   user:epi" "$T/out"
expect "# 3 matching rows" "$T/out"

# serve: bad address, then a first run that creates and prints the administrator
if "$ZN" serve --db "$T/z.db" --listen nonsense > "$T/out" 2> "$T/err"; then fail "bad --listen accepted"; fi
expect "is not HOST:PORT" "$T/err"
"$ZN" serve --db "$T/z.db" --listen 127.0.0.1:0 --port-file "$T/port" > "$T/serve.out" 2>&1 &
PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && grep -q "cockpit at" "$T/serve.out" && break; sleep 0.1; done
[ -s "$T/port" ] || { cat "$T/serve.out"; fail "server did not start"; }
PORT=$(cat "$T/port")
expect "first run: administrator 'admin' created, password" "$T/serve.out"
expect "cockpit at http://127.0.0.1:$PORT/" "$T/serve.out"
ADMIN_PW=$(sed -n "s/^first run: administrator 'admin' created, password \([^ ]*\) .*/\1/p" "$T/serve.out")
if command -v curl > /dev/null; then
  B="http://127.0.0.1:$PORT/api/v1"
  curl -s "$B/health" > "$T/out"; expect '"service":"zhinao"' "$T/out"
  curl -s -H 'Content-Type: application/json' -d "{\"name\":\"admin\",\"password\":\"$ADMIN_PW\"}" "$B/login" > "$T/out"
  expect '"role":"admin"' "$T/out"
  TOKEN=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' "$T/out")
  curl -s -H "Authorization: Bearer $TOKEN" "$B/users" > "$T/out"; expect '"name":"pd"' "$T/out"
  curl -s -H 'Content-Type: application/json' -d '{"name":"pd","password":"a long password 1"}' "$B/login" > "$T/out"
  expect '"scope":"310115000000"' "$T/out"
  curl -s -H 'Content-Type: application/json' -d '{"name":"epi","password":"whatever it was"}' "$B/login" > "$T/out"
  expect '"code":"unauthorized"' "$T/out"
  curl -s "$B/cases" > "$T/out"; expect '"code":"unauthorized"' "$T/out"
fi
kill -TERM "$PID"
wait "$PID" || fail "serve did not exit 0 on SIGTERM"
PID=
expect "stopping (signal 15)" "$T/serve.out"

# second start: the administrator exists, nothing printed; --demo prints a fresh demo login
"$ZN" serve --db "$T/z.db" --listen 127.0.0.1:0 --port-file "$T/port2" --demo > "$T/serve2.out" 2>&1 &
PID=$!
for _ in $(seq 1 100); do [ -s "$T/port2" ] && grep -q "demo login" "$T/serve2.out" && break; sleep 0.1; done
kill -TERM "$PID"; wait "$PID"; PID=
if grep -q "first run" "$T/serve2.out"; then fail "administrator created twice"; fi
expect "demo login: name demo, password " "$T/serve2.out"
expect "demo login: name demo-zj, password " "$T/serve2.out"
"$ZN" users list --db "$T/z.db" > "$T/out"; expect "demo                 province        310000000000  on" "$T/out"
expect "demo-zj              province        330000000000  on" "$T/out"

# the administrator's password from the environment
ZHINAO_ADMIN_PASSWORD="from the environment" "$ZN" serve --db "$T/y.db" --listen 127.0.0.1:0 --port-file "$T/port3" > "$T/serve3.out" 2>&1 &
PID=$!
for _ in $(seq 1 100); do [ -s "$T/port3" ] && break; sleep 0.1; done
kill -TERM "$PID"; wait "$PID"; PID=
expect "created with the password in \$ZHINAO_ADMIN_PASSWORD" "$T/serve3.out"
echo "serve: ok"
