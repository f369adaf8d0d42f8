#!/usr/bin/env bash
# The proposal list's throughput next to /robots.txt of the same server (issue 4).
#
# Starts gunicorn as `make run` does (two workers) on a fresh instance directory with the
# demo data and a large dialogue, then runs wrk after a 5-second warm-up against:
# /robots.txt, the large list anonymously, and the same list logged in as a resident.
#
#   bash bench/proposal_list.sh            # embedded defaults (SQLite, in-process cache)
#   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/1 \
#     bash bench/proposal_list.sh          # PostgreSQL + Redis (the database must exist, empty)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-5099}
DURATION=${DURATION:-20s}
BASE=http://127.0.0.1:$PORT

INSTANCE_PATH=$(mktemp -d)
export INSTANCE_PATH RATELIMIT_ENABLED=false FLASK_APP=dialog
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$INSTANCE_PATH"' EXIT

$BIN/flask db upgrade >/dev/null
$BIN/flask seed-demo >/dev/null
# Its own size, the one issue 4 measured at (seed-scale's defaults are issue 13's, 50 times
# larger): the proposal list, not the fan-out, so no followers.
$BIN/flask seed-scale --proposals 2000 --participants 500 --votes 10000 --comments 0 \
  --followers 0
# gunicorn.conf.py as make run has it, less the access log and the recycling of workers
# after GUNICORN_MAX_REQUESTS, which would be measured instead of the pages.
$BIN/gunicorn --config gunicorn.conf.py --workers 2 --bind 127.0.0.1:$PORT --log-level warning \
  --access-logfile /dev/null --max-requests 0 &
for _ in $(seq 50); do curl -sf "$BASE/robots.txt" >/dev/null && break; sleep 0.2; done

# Log in as a demo resident with curl and hand the session cookie to wrk.
jar="$INSTANCE_PATH/cookies"
token=$(curl -s -c "$jar" -b "$jar" "$BASE/login" | grep -o 'name="csrf_token"[^>]*value="[^"]*"' \
  | head -1 | sed 's/.*value="//; s/"$//')
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf_token=$token" \
  --data-urlencode "email=resident@example.org" --data-urlencode "password=demo-password" \
  "$BASE/login"
cookie=$(awk '$6 == "dialog_session" {print $6 "=" $7}' "$jar")
curl -s -H "Cookie: $cookie" "$BASE/d/skala/proposals" | grep -q 'Logga ut' \
  || { echo "login for the benchmark failed" >&2; exit 1; }

measure() {  # name, then extra wrk arguments and the URL
  local name=$1; shift
  wrk -t2 -c16 -d5s --timeout 30s "$@" >/dev/null
  local rps
  rps=$(wrk -t2 -c16 -d"$DURATION" --timeout 30s "$@" | awk '/Requests\/sec/ {print $2}')
  printf '%-40s %10s requests/s\n' "$name" "$rps"
  echo "$rps"  >"$INSTANCE_PATH/$name.rps"
}

measure robots.txt "$BASE/robots.txt"
measure list-anonymous "$BASE/d/skala/proposals"
measure list-logged-in -H "Cookie: $cookie" "$BASE/d/skala/proposals"
measure list-logged-in-newest -H "Cookie: $cookie" "$BASE/d/skala/proposals?sort=newest&page=3"
robots=$(cat "$INSTANCE_PATH/robots.txt.rps")
for name in list-anonymous list-logged-in list-logged-in-newest; do
  awk -v a="$(cat "$INSTANCE_PATH/$name.rps")" -v b="$robots" -v n="$name" \
    'BEGIN {printf "%-40s %9.0f %% of robots.txt\n", n, 100 * a / b}'
done
