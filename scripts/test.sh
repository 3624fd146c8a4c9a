#!/usr/bin/env bash
# Installs and starts what the tests need (on Debian: PostgreSQL, Chromium and its driver,
# poppler's pdftotext, cargo-nextest), then runs lints and every test. The API and storage tests
# run on SQLite and on PostgreSQL; the summary at the end counts both.
set -euo pipefail
cd "$(dirname "$0")/.."

# One build profile, in a target folder outside the clone that later runs reuse.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenantry/target}"
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres:postgres@127.0.0.1:5432}"
export TEST_SCREENSHOTS="${TEST_SCREENSHOTS:-$CARGO_TARGET_DIR/screenshots}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v psql >/dev/null || need_apt+=(postgresql postgresql-client)
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "==> starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null; then
    version=$(ls /etc/postgresql | sort -V | tail -1)
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || $SUDO pg_ctlcluster "$version" main start
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  # A fresh install uses password authentication on 127.0.0.1: give the postgres role the test password.
  $SUDO -u postgres psql -q -c "ALTER USER postgres PASSWORD 'postgres'" 2>/dev/null \
    || su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" || true
fi

# Databases left by earlier runs, dropped in one session.
psql "$TEST_POSTGRES_URL/postgres" -Atc \
  "SELECT 'DROP DATABASE IF EXISTS ' || quote_ident(datname) || ';' FROM pg_database WHERE datname LIKE 'tenantry_test_%'" \
  | psql "$TEST_POSTGRES_URL/postgres" -q >/dev/null

command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest
command -v cargo-deny >/dev/null || cargo install --locked cargo-deny

echo "==> the application layer depends on no HTTP or template crate"
app_deps=$(cargo tree -p tenantry-app -e normal --prefix none --locked | awk '{print $1}' | sort -u)
forbidden=$(echo "$app_deps" \
  | grep -E '^(axum|axum-core|axum-extra|http|http-body|tower|tower-http|tower-layer|tower-service|askama|askama_web)$' || true)
if [ -n "$forbidden" ]; then
  echo "tenantry-app must not depend on: $(echo $forbidden)" >&2
  exit 1
fi

echo "==> lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

# Banned crates (OpenSSL, native-tls), sources other than crates.io, and known advisories; see
# deny.toml. The RustSec database is fetched where GitHub is reachable, or used from a copy in
# $CARGO_HOME/advisory-dbs; without either, advisories are reported as not checked.
echo "==> cargo deny"
if timeout 60 cargo deny --log-level error fetch db >/dev/null 2>&1 \
  || ls -d "${CARGO_HOME:-$HOME/.cargo}"/advisory-dbs/advisory-db-*/crates >/dev/null 2>&1; then
  cargo deny --offline --log-level error check advisories bans sources
else
  echo "advisories NOT checked: the RustSec database is unreachable and no local copy exists"
  cargo deny --log-level error check bans sources
fi

echo "==> tests"
log=$(mktemp)
status=0
cargo nextest run --workspace --locked --no-fail-fast 2>&1 | tee "$log" || status=$?
# The API tests once more, each on a copied installation: another account's data moved SQLite →
# PostgreSQL → SQLite by `db copy`'s code, then copied onto the test's own database (see
# `installation_database` in tests/api/helpers.rs). Browser tests and the tests of copying,
# crashing and outages themselves run once, above.
echo "==> API tests on a copied installation"
copied=$(mktemp -d)
TEST_VIA_DB_COPY="$copied" cargo nextest run -p tenantry --test api --locked --no-fail-fast \
  -E 'not test(/^(browser|db_copy|crash|outage|two_nodes|webhooks_processes|outbox)|real_browser/)' || status=$?
rm -rf "$copied"
# The OpenAPI document validates, and a bounded schemathesis run finds no 5xx and no answer that
# breaks the published schema.
echo "==> API check (openapi-spec-validator, schemathesis)"
# The test build made the binary (integration tests need it); build it only if it is missing.
[ -x "$CARGO_TARGET_DIR/debug/tenantry" ] || cargo build -p tenantry --locked --quiet
bash scripts/api-check.sh "$CARGO_TARGET_DIR/debug/tenantry" || status=$?
# Every fuzz target for a bounded time on a copy of its committed corpus (scripts/fuzz.sh).
echo "==> fuzzing"
bash scripts/fuzz.sh || status=$?
sqlite=$(grep -cE '^\s+PASS .*::sqlite$' "$log" || true)
postgres=$(grep -cE '^\s+PASS .*::postgres$' "$log" || true)
echo "==> storage and API tests passed on SQLite: $sqlite, on PostgreSQL: $postgres"
echo "==> browser screenshots: $TEST_SCREENSHOTS"
rm -f "$log"
exit $status
