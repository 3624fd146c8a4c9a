#!/usr/bin/env bash
# Webhook delivery throughput (issue 15): N events queued at once, delivered by the outbox worker
# of one `tenantry serve` to a local receiver (bench/src/bin/webhook-receiver.rs) that answers 200
# at once and counts deliveries by `webhook-id`. Reports deliveries per second and how many were
# lost or doubled. See BENCHMARKS.md.
#
#   bash bench/webhooks.sh [--postgres] [--events N] [--no-build]
#
# The N events are the `user.invited` events of one users import (`send_invitations=false`); the
# clock runs from the import's answer (its transaction committed every delivery) to the receiver's
# last request. Servers listen on 127.0.0.1 only and are stopped on exit; with --postgres the
# temporary database is dropped. Environment: CARGO_TARGET_DIR (default /work/target-bench),
# PG_BASE_URL (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-bench}"
PG_BASE_URL="${PG_BASE_URL:-postgres://postgres@127.0.0.1:5432}"
BACKEND=sqlite
EVENTS=10000
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) BACKEND=postgres ;;
    --events) EVENTS="$2"; shift ;;
    --no-build) BUILD=0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && cargo build --release -p tenantry --bin tenantry)
  (cd "$ROOT/bench" && cargo build --release --bin webhook-receiver)
fi
BIN="$CARGO_TARGET_DIR/release"

DATA=$(mktemp -d)
PIDS=()
DB_NAME=""
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "$DB_NAME" ]; then psql "$PG_BASE_URL/postgres" -qc "DROP DATABASE IF EXISTS $DB_NAME" >/dev/null 2>&1 || true; fi
  rm -rf "$DATA"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPORT=$(port)
PORT=$(port)
"$BIN/webhook-receiver" "127.0.0.1:$RPORT" & PIDS+=($!)

if [ "$BACKEND" = postgres ]; then
  DB_NAME="tenantry_bench_webhooks_$$"
  psql "$PG_BASE_URL/postgres" -qc "CREATE DATABASE $DB_NAME" >/dev/null
  DB_URL="$PG_BASE_URL/$DB_NAME"
else
  DB_URL="sqlite://$DATA/tenantry.db"
fi
env -i PATH="$PATH" TENANTRY_DATA_DIR="$DATA" TENANTRY_DATABASE_URL="$DB_URL" TENANTRY_LISTEN="127.0.0.1:$PORT" \
  TENANTRY_ALLOW_PRIVATE_TARGETS=127.0.0.1 TENANTRY_RATE_LIMIT_PER_IP=0 RUST_LOG=warn \
  "$BIN/tenantry" serve & PIDS+=($!)
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.05; done

API="http://127.0.0.1:$PORT/api/v1"
TOKEN=$(curl -sf -H 'content-type: application/json' "$API/signup" \
  -d '{"account_name":"Bench","name":"Bench Admin","email":"bench@example.com","password":"correct horse battery"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -sf -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "$API/webhooks" \
  -d "{\"url\":\"http://127.0.0.1:$RPORT/hooks\",\"event_types\":[\"user.invited\"]}" >/dev/null
python3 -c "
print('email,name,role,licenses')
for i in range($EVENTS): print(f'user{i}@example.com,User {i},member,')" > "$DATA/users.csv"

START=$(date +%s%3N)
curl -sf -H "authorization: Bearer $TOKEN" -H 'content-type: text/csv' --data-binary "@$DATA/users.csv" \
  "$API/users/import?send_invitations=false" >/dev/null
QUEUED=$(date +%s%3N)
while :; do
  STATS=$(curl -sf "http://127.0.0.1:$RPORT/stats")
  UNIQUE=$(echo "$STATS" | python3 -c 'import json,sys; print(json.load(sys.stdin)["unique"])')
  [ "$UNIQUE" -ge "$EVENTS" ] && break
  [ $(( $(date +%s%3N) - QUEUED )) -gt 300000 ] && { echo "timed out: $STATS" >&2; break; }
  sleep 0.05
done
sleep 1 # late doubles would show here
STATS=$(curl -sf "http://127.0.0.1:$RPORT/stats")
python3 - "$STATS" "$EVENTS" "$START" "$QUEUED" "$BACKEND" <<'PY'
import json, sys
s = json.loads(sys.argv[1]); n = int(sys.argv[2]); start = int(sys.argv[3]); queued = int(sys.argv[4])
secs = (s["last_ms"] - queued) / 1000
print(f"{sys.argv[5]}: {n} events; import (queuing them) {(queued - start) / 1000:.2f} s; "
      f"delivered {s['unique']} in {secs:.2f} s after it = {s['unique'] / secs:.0f} deliveries/s; "
      f"requests {s['requests']}, lost {n - s['unique']}, doubled {s['doubled']}")
PY
