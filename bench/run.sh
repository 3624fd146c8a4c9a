#!/usr/bin/env bash
# Tenantry's reproducible benchmark: see BENCHMARKS.md at the repository root.
#
#   bash bench/run.sh [--postgres] [--duration SECONDS] [--users N] [--no-build] [--keep] [--out FILE]
#
# Builds `tenantry` (release) and the helpers in bench/ (release), installs wrk if missing, then
# on a fresh temporary data folder, against servers on 127.0.0.1 only:
#   (d) raw Argon2id verification (the server's parameters), 1 thread and all threads;
#   (b) a bare axum hello-world at 64 connections, for scale;
#   (a) POST /api/v1/auth/sign-in with the right password at 8 and 64 connections, with the
#       server's CPU time per successful sign-in (from /proc/<pid>/stat across the run, and its
#       own sign-in counter on /metrics);
#   (b) GET /api/v1/me with a Bearer token at 64 connections (and /healthz, for scale);
#   (c) after seeding N users through `tenantry users import` (server stopped; CSV files of 10,000
#       rows from seed_users.py, each import timed), restarted: GET /api/v1/users?q=…&limit=50
#       at 1 connection, for a common surname, a rare one, and no filter; then the server's list
#       statements straight on the database (bench/list_queries.py), with their plans;
# and prints a summary table. Every wrk run is bounded by -d; every server started here is stopped
# on exit (trap), and with --postgres the temporary database is dropped.
#
# Environment: CARGO_TARGET_DIR (default /work/target-bench), PG_BASE_URL (default
# postgres://postgres@127.0.0.1:5432, trust authentication), WRK_THREADS (default: nproc),
# BENCH_TENANTRY_SRC (the workspace to build tenantry from; default this repository, e.g. a
# `git archive` export to measure a commit while the work tree is being edited), TENANTRY_BIN
# (a tenantry binary to measure instead of the one built here: to measure two builds in the same
# hour, copy the first aside and pass it).
# The server gets none of the caller's TENANTRY_* variables: only the ones set below.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
SRC="${BENCH_TENANTRY_SRC:-$ROOT}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-bench}"
PG_BASE_URL="${PG_BASE_URL:-postgres://postgres@127.0.0.1:5432}"
HOST=127.0.0.1 # load is only ever sent to the loopback address

BACKEND=sqlite
DURATION=10
USERS=100000
BUILD=1
KEEP=0
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) BACKEND=postgres ;;
    --duration) DURATION="$2"; shift ;;
    --users) USERS="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

NPROC=$(nproc)
WRK_THREADS="${WRK_THREADS:-$NPROC}"
SIGNIN_PASSWORD="correct-horse-battery-staple-42"
ADMIN_EMAIL="admin@bench.example"
COMMON_Q="smith"   # about 0.8 % of the seeded users (see seed_users.py)
RARE_Q="vanterpool" # 8 of the 100,000 seeded users

log() { printf '\n== %s\n' "$*" >&2; }

# --- build ---------------------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
  log "building tenantry (release) from $SRC into $CARGO_TARGET_DIR"
  (cd "$SRC" && cargo build --release -p tenantry)
  log "building bench helpers (release)"
  cargo build --release --locked --manifest-path "$BENCH/Cargo.toml"
fi
TENANTRY="${TENANTRY_BIN:-$CARGO_TARGET_DIR/release/tenantry}"
HELLO="$CARGO_TARGET_DIR/release/hello"
ARGON2_RATE="$CARGO_TARGET_DIR/release/argon2-rate"
for b in "$TENANTRY" "$HELLO" "$ARGON2_RATE"; do
  [ -x "$b" ] || { echo "missing $b (run without --no-build)" >&2; exit 1; }
done

if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq wrk >/dev/null
fi

# --- processes and cleanup -----------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tenantry-bench.XXXXXX")
SERVER_PID=""
HELLO_PID=""
PG_DB=""

stop_pid() { # stop_pid PID: SIGTERM, wait up to 15 s, then SIGKILL
  local pid="$1" i
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  stop_pid "$SERVER_PID"; SERVER_PID=""
  stop_pid "$HELLO_PID"; HELLO_PID=""
  if [ -n "$PG_DB" ]; then
    psql "$PG_BASE_URL/postgres" -qAt -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
    PG_DB=""
  fi
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_http() { # wait_http URL PID NAME: until URL answers 200, or fail if PID died / 60 s passed
  local url="$1" pid="$2" name="$3" i
  for i in $(seq 1 600); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "$name exited; see its log in $WORK" >&2; return 1; fi
    sleep 0.1
  done
  echo "$name did not answer $url in 60 s" >&2
  return 1
}

PORT=$(free_port)
BASE="http://$HOST:$PORT"
DATA="$WORK/data"
if [ "$BACKEND" = postgres ]; then
  PG_DB="tenantry_bench_$$_$(date +%s)"
  psql "$PG_BASE_URL/postgres" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $PG_DB" >/dev/null
  DATABASE_URL="$PG_BASE_URL/$PG_DB"
fi

# The server's environment: none of the caller's TENANTRY_* variables, only these.
tenantry_env() {
  local unset=() v
  for v in $(compgen -e | grep '^TENANTRY_' || true); do unset+=(-u "$v"); done
  local env=(
    TENANTRY_LISTEN="$HOST:$PORT"
    TENANTRY_DATA_DIR="$DATA"
    # Any per-IP or per-account limit would turn a load test from one address (and one user)
    # into a rate-limit test.
    TENANTRY_RATE_LIMIT_PER_IP=1000000000
    TENANTRY_RATE_LIMIT_SIGN_IN_PER_ACCOUNT=0
  )
  [ "$BACKEND" = postgres ] && env+=(TENANTRY_DATABASE_URL="$DATABASE_URL")
  if [ "$1" = exec ]; then
    shift
    exec env "${unset[@]}" "${env[@]}" "$@"
  fi
  env "${unset[@]}" "${env[@]}" "$@"
}

start_tenantry() {
  tenantry_env exec "$TENANTRY" serve >>"$WORK/tenantry.log" 2>&1 &
  SERVER_PID=$! # the server itself: the background subshell execs env, which execs tenantry
  wait_http "$BASE/healthz" "$SERVER_PID" tenantry
  [ "$(readlink "/proc/$SERVER_PID/exe")" = "$(readlink -f "$TENANTRY")" ] || { echo "pid $SERVER_PID is not $TENANTRY" >&2; exit 1; }
}

stop_tenantry() { stop_pid "$SERVER_PID"; SERVER_PID=""; }

# --- measurements --------------------------------------------------------------------------
declare -A R # R[name]="requests=… rps=… p50_ms=…"

# wrk_run NAME CONNECTIONS URL [wrk args…]; WRK_METHOD / WRK_BODY in the environment
wrk_run() {
  local name="$1" conns="$2" url="$3"; shift 3
  local threads=$(( WRK_THREADS < conns ? WRK_THREADS : conns ))
  log "$name: wrk -t$threads -c$conns -d${DURATION}s $url"
  wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 10s --latency -s "$BENCH/wrk.lua" "$@" "$url" | tee "$WORK/wrk-$name.txt" >&2
  R[$name]=$(grep '^RESULT ' "$WORK/wrk-$name.txt" | tail -1 | cut -d' ' -f2-)
}

# The server's CPU time so far, in clock ticks: "user system" (fields 14 and 15 of /proc/PID/stat).
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14, $15}' "/proc/$SERVER_PID/stat"; }
# The server's own count of successful sign-ins (from /metrics).
sign_ins_ok() {
  curl -fsS "$BASE/metrics" | sed -n 's/^tenantry_sign_ins_total{result="success"} \([0-9]*\).*/\1/p' | head -1
}
declare -A CPU # CPU[name]="ms_per_sign_in user_s sys_s sign_ins"

# signin_run NAME CONNECTIONS: a sign-in wrk run, with the server's CPU time per successful
# sign-in across it. Both counters are read when every request under way has ended (a second
# after wrk stops), so requests wrk gave up on are counted on both sides.
signin_run() {
  local name="$1" conns="$2" t0 t1 n0 n1
  sleep 1
  n0=$(sign_ins_ok); t0=$(cpu_ticks)
  WRK_METHOD=POST WRK_BODY="$SIGNIN_BODY" wrk_run "$name" "$conns" "$BASE/api/v1/auth/sign-in"
  sleep 1
  n1=$(sign_ins_ok); t1=$(cpu_ticks)
  CPU[$name]=$(python3 -c "
u0, s0 = map(int, '$t0'.split()); u1, s1 = map(int, '$t1'.split()); n = int('$n1') - int('$n0'); tck = $CLK_TCK
user, sys = (u1 - u0) / tck, (s1 - s0) / tck
print(f'{(user + sys) * 1000 / max(n, 1):.2f} {user:.2f} {sys:.2f} {n}')")
  log "$name: server CPU ${CPU[$name]} (ms per sign-in, user s, system s, sign-ins)"
}

field() { # field NAME KEY
  local kv
  for kv in ${R[$1]:-}; do
    if [ "${kv%%=*}" = "$2" ]; then echo "${kv#*=}"; return; fi
  done
  echo "-"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before: $LOAD_BEFORE (nproc $NPROC)"

# (d) raw Argon2id verification, before any server runs.
log "argon2-rate (each way: 5 s on 1 thread, 5 s on $NPROC threads)"
"$ARGON2_RATE" 5 "$NPROC" | tee "$WORK/argon2.txt" >&2
argon2_field() { grep '^ARGON2 ' "$WORK/argon2.txt" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ARGON2_1=$(argon2_field verify1)
ARGON2_1_MS=$(argon2_field verify1_ms)
ARGON2_N=$(argon2_field verifyN)
REUSE_1=$(argon2_field reuse1)
REUSE_1_MS=$(argon2_field reuse1_ms)
REUSE_N=$(argon2_field reuseN)
V05_1=$(argon2_field v05_1)
V05_1_MS=$(argon2_field v05_1_ms)
V05_N=$(argon2_field v05_N)

# (b, for scale) bare axum hello-world.
HELLO_PORT=$(free_port)
"$HELLO" "$HOST:$HELLO_PORT" >"$WORK/hello.log" 2>&1 &
HELLO_PID=$!
wait_http "http://$HOST:$HELLO_PORT/" "$HELLO_PID" hello
WRK_METHOD=GET WRK_BODY="" wrk_run hello_c64 64 "http://$HOST:$HELLO_PORT/"
stop_pid "$HELLO_PID"; HELLO_PID=""

# Tenantry, empty.
log "starting tenantry ($BACKEND) on $BASE, data in $DATA"
start_tenantry
SIGNUP=$(curl -fsS -X POST "$BASE/api/v1/signup" -H 'Content-Type: application/json' \
  -d "{\"account_name\":\"Bench Inc\",\"name\":\"Bench Admin\",\"email\":\"$ADMIN_EMAIL\",\"password\":\"$SIGNIN_PASSWORD\"}")
TOKEN=$(printf '%s' "$SIGNUP" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
ACCOUNT_ID=$(printf '%s' "$SIGNUP" | python3 -c 'import json, sys; print(json.load(sys.stdin)["account"]["id"])')
curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/me"
SIGNIN_BODY="{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$SIGNIN_PASSWORD\"}"
curl -fsS -o /dev/null -X POST "$BASE/api/v1/auth/sign-in" -H 'Content-Type: application/json' -d "$SIGNIN_BODY"

# (a) sign-ins with the right password.
signin_run signin_c8 8
signin_run signin_c64 64

# (b) an authenticated read; and /healthz (same server, middleware, no database) to tell the
# cost of the HTTP stack and middleware from that of authentication.
WRK_METHOD=GET WRK_BODY="" wrk_run me_c64 64 "$BASE/api/v1/me" -H "Authorization: Bearer $TOKEN"
WRK_METHOD=GET WRK_BODY="" wrk_run healthz_c64 64 "$BASE/healthz"

# (c) the users list over $USERS users. (skipped with --users 0)
IMPORT_SECONDS=()
COMMON_MATCHES=-
RARE_MATCHES=-
QUERY_INFO="$WORK/list-query.txt"
: >"$QUERY_INFO"
if [ "$USERS" -gt 0 ]; then
  stop_tenantry
  log "seeding $USERS users into account $ACCOUNT_ID through \`tenantry users import\` (server stopped)"
  python3 "$BENCH/seed_users.py" csv "$WORK/import" --count "$USERS" 2>&1 | tee "$WORK/seed.txt" >&2
  for f in "$WORK"/import/users-*.csv; do
    t0=$(date +%s.%N)
    tenantry_env "$TENANTRY" users import --account "$ACCOUNT_ID" --no-invitations "$f" >>"$WORK/import.log" 2>&1 \
      || { echo "import of $f failed (see $WORK/import.log)" >&2; tail -5 "$WORK/import.log" >&2; exit 1; }
    IMPORT_SECONDS+=("$(python3 -c "print(f'{$(date +%s.%N) - $t0:.2f}')")")
  done
  log "import seconds per file of up to 10,000 rows: ${IMPORT_SECONDS[*]}"
  if [ "$BACKEND" = postgres ]; then
    # What autovacuum does within a minute of such a bulk insert; done here so the plan is stable.
    psql "$DATABASE_URL" -qAt -c "ANALYZE users" >/dev/null
  fi
  COMMON_MATCHES=$(sed -n "s/^SEED term=$COMMON_Q matches=\([0-9]*\).*/\1/p" "$WORK/seed.txt")
  RARE_MATCHES=$(sed -n "s/^SEED term=$RARE_Q matches=\([0-9]*\).*/\1/p" "$WORK/seed.txt")
  start_tenantry
  for q in "$COMMON_Q" "$RARE_Q" ""; do
    curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/users?q=$q&limit=50"
  done
  WRK_METHOD=GET WRK_BODY="" wrk_run list_common_c1 1 "$BASE/api/v1/users?q=$COMMON_Q&limit=50" -H "Authorization: Bearer $TOKEN"
  WRK_METHOD=GET WRK_BODY="" wrk_run list_rare_c1 1 "$BASE/api/v1/users?q=$RARE_Q&limit=50" -H "Authorization: Bearer $TOKEN"
  WRK_METHOD=GET WRK_BODY="" wrk_run list_all_c1 1 "$BASE/api/v1/users?limit=50" -H "Authorization: Bearer $TOKEN"
  stop_tenantry

  # The list statements the server runs (read from crates/storage/src/users.rs by list_queries.py),
  # straight on the database with the server stopped: their plans and times.
  USERS_RS="$SRC/crates/storage/src/users.rs"
  if [ "$BACKEND" = sqlite ]; then
    python3 "$BENCH/list_queries.py" sqlite "$USERS_RS" "$DATA/tenantry.db" "$ACCOUNT_ID" "$COMMON_Q" "$RARE_Q" "" >"$QUERY_INFO" 2>&1
  else
    python3 "$BENCH/list_queries.py" postgres "$USERS_RS" "$DATABASE_URL" "$ACCOUNT_ID" "$COMMON_Q" "$RARE_Q" "" >"$QUERY_INFO" 2>&1
  fi
  cat "$QUERY_INFO" >&2
else
  stop_tenantry
fi

# --- summary -------------------------------------------------------------------------------
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
verdict() { # verdict OK_CONDITION_EXIT_STATUS
  if "$@"; then echo "met"; else echo "NOT met"; fi
}
ge() { python3 -c "import sys; sys.exit(0 if float('$1') >= float('$2') else 1)" 2>/dev/null; }
le() { python3 -c "import sys; sys.exit(0 if float('$1') <= float('$2') else 1)" 2>/dev/null; }

row() { # row LABEL NAME
  printf '| %-52s | %10s | %9s | %9s | %9s | %6s |\n' "$1" "$(field "$2" rps)" "$(field "$2" p50_ms)" "$(field "$2" p99_ms)" "$(field "$2" max_ms)" \
    "$(( $(field "$2" non2xx | sed 's/-/0/') + $(field "$2" errors | sed 's/-/0/') ))"
}

{
  echo
  echo "## Tenantry benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $NPROC CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/ {print $2}') GiB"
  echo "- backend: $BACKEND; load average before: $LOAD_BEFORE, after: $LOAD_AFTER"
  if [ "$SRC" = "$ROOT" ]; then
    echo "- tenantry built from: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- crates 2>/dev/null || echo ' plus uncommitted changes in crates/')"
  else
    echo "- tenantry built from: $SRC (BENCH_TENANTRY_SRC)"
  fi
  echo "- each wrk run: ${DURATION} s, $WRK_THREADS wrk threads at most, on the same machine as the server"
  echo
  echo "| run | req/s | p50 ms | p99 ms | max ms | errors |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  row "hello-world (bare axum), 64 conns" hello_c64
  row "POST /auth/sign-in (right password), 8 conns" signin_c8
  row "POST /auth/sign-in (right password), 64 conns" signin_c64
  row "GET /me (Bearer), 64 conns" me_c64
  row "GET /healthz (no database), 64 conns" healthz_c64
  row "GET /users?q=$COMMON_Q ($COMMON_MATCHES matches), 1 conn" list_common_c1
  row "GET /users?q=$RARE_Q ($RARE_MATCHES matches), 1 conn" list_rare_c1
  row "GET /users (no filter), 1 conn" list_all_c1
  echo
  echo "| Argon2id m=19 MiB t=2 p=1, verifying | 1 thread, /s | ms each | $NPROC threads, /s |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| argon2 0.6 \`verify_password\` (the ceiling) | $ARGON2_1 | $ARGON2_1_MS | $ARGON2_N |"
  echo "| argon2 0.6 into a block the thread keeps | $REUSE_1 | $REUSE_1_MS | $REUSE_N |"
  echo "| argon2 0.5 \`verify_password\` | $V05_1 | $V05_1_MS | $V05_N |"
  echo
  echo "| sign-in run | server CPU ms per sign-in | user s | system s | sign-ins |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for run in signin_c8 signin_c64; do
    read -r ms us ss n <<<"${CPU[$run]:-- - - -}"
    echo "| $run | $ms | $us | $ss | $n |"
  done
  ratio() { python3 -c "print(f'{float(\"$1\") / float(\"$2\"):.2f}')" 2>/dev/null || echo '-'; }
  read -r CPU8 _ <<<"${CPU[signin_c8]:-0}"
  echo
  echo "- target server CPU per sign-in <= 1.05 x one raw verify: $CPU8 ms / $ARGON2_1_MS ms = $(ratio "$CPU8" "$ARGON2_1_MS") x: $(verdict le "$(ratio "$CPU8" "$ARGON2_1_MS")" 1.05)"
  echo "- target sign-ins/s at 8 conns >= 0.9 x raw $NPROC-thread verify rate: $(field signin_c8 rps) / $ARGON2_N = $(ratio "$(field signin_c8 rps)" "$ARGON2_N") x: $(verdict ge "$(ratio "$(field signin_c8 rps)" "$ARGON2_N")" 0.9) (64 conns: $(ratio "$(field signin_c64 rps)" "$ARGON2_N") x)"
  echo "- target GET /me >= 0.5 x bare axum: $(field me_c64 rps) / $(field hello_c64 rps) = $(ratio "$(field me_c64 rps)" "$(field hello_c64 rps)") x: $(verdict ge "$(ratio "$(field me_c64 rps)" "$(field hello_c64 rps)")" 0.5); p99 $(field me_c64 p99_ms) ms <= 5 ms: $(verdict le "$(field me_c64 p99_ms)" 5)"
  for run in signin_c8 signin_c64 me_c64 list_common_c1 list_rare_c1 list_all_c1; do
    bad=$(( $(field "$run" non2xx | sed 's/-/0/') + $(field "$run" errors | sed 's/-/0/') ))
    [ "$bad" -gt 0 ] && echo "- **$run had $bad failed or non-2xx answers: its figures do not measure the endpoint** (see $WORK/tenantry.log)"
  done
  if [ "$USERS" -gt 0 ]; then
    echo "- target GET /users?q=$COMMON_Q p50 <= 5 ms: $(verdict le "$(field list_common_c1 p50_ms)" 5); q=$RARE_Q p50 <= 5 ms: $(verdict le "$(field list_rare_c1 p50_ms)" 5)"
    IMPORT_FIRST=${IMPORT_SECONDS[0]:-0}
    IMPORT_MAX=$(printf '%s\n' "${IMPORT_SECONDS[@]:-0}" | sort -g | tail -1)
    echo "- users seeded through \`tenantry users import\` (CLI, whole process), $USERS rows in ${#IMPORT_SECONDS[@]} file(s), seconds per file: ${IMPORT_SECONDS[*]:-}"
    echo "- target a 10,000-row import under 5 s: first file ${IMPORT_FIRST} s, slowest ${IMPORT_MAX} s: $(verdict le "$IMPORT_MAX" 5)"
    echo
    echo "List query on the database directly (server stopped):"
    echo
    echo '```'
    cat "$QUERY_INFO"
    echo '```'
  fi
} | tee "$WORK/summary.md"
if [ -n "$OUT" ]; then cp "$WORK/summary.md" "$OUT"; fi

