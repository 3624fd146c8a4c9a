#!/usr/bin/env bash
# The OpenAPI document validates against OpenAPI 3.1 (openapi-spec-validator), and a bounded
# property-based run of every operation (schemathesis) with a signed-in Administrator finds no
# 5xx and no answer that breaks the published schema. Schemathesis learns ids from answers (the
# run's own user and session among them), so the operations that would end the run's own session
# or account are left out: sign-out, deleting the account, ending sessions (its own or all of a
# user's), the session policy (a random short timeout), and those that re-ask the password
# (random wrong passwords count as failed sign-ins and would lock the run's own user after five).
# Deleting, deactivating or demoting oneself and setting one's own password through the users API
# are refused (rule "self"), so those operations stay in. The run ends by checking that its
# session is still alive. Schemathesis keeps only the last of repeated --exclude-path-regex
# options, hence the one alternation.
# Usage: scripts/api-check.sh PATH_TO_TENANTRY_BINARY
set -euo pipefail
bin="$1"
command -v st >/dev/null && command -v openapi-spec-validator >/dev/null \
  || python3 -m pip install -q --disable-pip-version-check "schemathesis==4.32.5" "openapi-spec-validator==0.9.0"

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TENANTRY_LISTEN="127.0.0.1:$port" TENANTRY_DATA_DIR="$dir" TENANTRY_RATE_LIMIT_PER_IP=0 \
  TENANTRY_RATE_LIMIT_SIGN_IN_PER_ACCOUNT=0 TENANTRY_LOG_FORMAT=text RUST_LOG=warn \
  "$bin" serve >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$dir"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

curl -fsS "$base/api/openapi.json" -o "$dir/openapi.json"
echo "==> the OpenAPI document validates (OpenAPI 3.1)"
openapi-spec-validator "$dir/openapi.json"

token=$(curl -fsS -X POST "$base/api/v1/signup" -H 'content-type: application/json' \
  -d '{"account_name":"Fuzz","name":"Fuzz Admin","email":"fuzz@example.com","password":"correct horse battery staple"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

excluded='^/api/v1/('
excluded+='auth/sign-out|account|operator/.*|me/sessions.*|users/\{id\}/sessions'
excluded+='|security/session-policy|security/password-policy/require-change'
excluded+='|me/password|me/email|me/phone|me/api-key|me/mfa/.*|users/\{id\}/deactivate'
excluded+=')$'
echo "==> schemathesis: no 5xx, every answer as its schema says"
st run "$base/api/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "${API_CHECK_EXAMPLES:-15}" \
  --phases examples,fuzzing \
  --request-timeout 10 \
  --exclude-path-regex "$excluded"

echo "==> the run's own session is still alive"
curl -fsS "$base/api/v1/me" -H "Authorization: Bearer $token" >/dev/null \
  || { echo "the schemathesis run ended its own session: later operations were only tested unauthenticated" >&2; exit 1; }
