#!/usr/bin/env bash
# Schemathesis against each official CAMARA spec this server implements (SIM Swap 2.1.0,
# Number Verification 2.1.0, QoS Profiles 1.1.0, Consent Info 0.2.0).
#
# Starts `ogw serve --demo` on a free port with a throw-away data directory, mints access
# tokens with the operator tool `ogw token mint`, fetches each spec from the server
# (`<base>/openapi.yaml`, the official file byte for byte) and runs schemathesis with the
# checks `not_a_server_error` and `response_schema_conformance`, bounded in examples and time
# and with a per-request timeout (a hang fails the run). Exits non-zero on any 5xx, any
# response that violates the spec's schema, any timeout.
#
#   bash conformance/schemathesis.sh             # builds target/debug/ogw if needed
#   ST_OGW_BIN=target/release/ogw ST_MAX_EXAMPLES=100 bash conformance/schemathesis.sh
#
# Tokens: 2-legged (client credentials shape) for SIM Swap, QoS Profiles and Consent Info,
# the way a backend integrates them; 3-legged network-authenticated for the demo's main line
# for Number Verification, which accepts nothing else. (A 3-legged token on SIM Swap with a
# phoneNumber in the body would answer 403 INVALID_TOKEN_CONTEXT by the operator's rule,
# DECISIONS 2, which the 2.1.0 schema does not list.)
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION="4.32.5"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
VENV="$(realpath -m "${ST_VENV:-$TARGET_DIR/schemathesis-venv}")"
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-30}"
MAX_TIME="${ST_MAX_TIME:-60}"           # seconds per spec (fuzzing repeats until spent)
REQUEST_TIMEOUT="${ST_REQUEST_TIMEOUT:-5}"
REPORT_DIR="$(realpath -m "$TARGET_DIR/schemathesis")"

if [ ! -x "$VENV/bin/schemathesis" ] \
  || [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$ST_VERSION" ]; then
  echo "installing schemathesis $ST_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

BIN="${ST_OGW_BIN:-$TARGET_DIR/debug/ogw}"
if [ -z "${ST_OGW_BIN:-}" ]; then
  cargo build --quiet -p ogw --bin ogw
fi

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ADDR="127.0.0.1:$PORT"
DATA="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

"$BIN" serve --demo --listen "$ADDR" --data-dir "$DATA" >"$DATA/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://$ADDR/health', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    cat "$DATA/server.log" >&2
    echo "ogw did not start" >&2
    exit 1
  fi
  sleep 0.2
done

mint() { "$BIN" token mint --data-dir "$DATA" --listen "$ADDR" --ttl-secs 3600 "$@"; }
T2="$(mint --scope "sim-swap:check sim-swap:retrieve-date qos-profiles:read consent-info:retrieve")"
T3="$(mint --scope "number-verification:verify number-verification:device-phone-number:read" \
  --phone-number +34629255833 --purpose dpv:FraudPreventionAndDetection)"

mkdir -p "$REPORT_DIR"
failed=()
run() {
  local name="$1" base="$2" token="$3"
  echo
  echo "==> schemathesis: $name (http://$ADDR$base)"
  # Run inside the report dir: schemathesis keeps a `.schemathesis/` cache in its working directory.
  if ! (cd "$REPORT_DIR" && timeout $((MAX_TIME + 120)) "$VENV/bin/schemathesis" run "http://$ADDR$base/openapi.yaml" \
      --url "http://$ADDR$base" \
      --header "Authorization: Bearer $token" \
      --checks not_a_server_error,response_schema_conformance \
      --max-examples "$MAX_EXAMPLES" \
      --max-time "$MAX_TIME" \
      --request-timeout "$REQUEST_TIMEOUT" \
      --seed 20251125 \
      --report junit --report-junit-path "$name.xml" \
      --output-truncate true); then
    failed+=("$name")
  fi
}

run sim-swap /sim-swap/v2 "$T2"
run number-verification /number-verification/v2 "$T3"
run qos-profiles /qos-profiles/v1 "$T2"
run consent-info /consent-info/v0.2 "$T2"

if grep -E '" (5[0-9][0-9]) ' "$DATA/server.log" >/dev/null 2>&1; then
  echo "server log shows 5xx responses" >&2
fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo
  echo "schemathesis failed for: ${failed[*]} (server log: below)" >&2
  tail -n 50 "$DATA/server.log" >&2
  exit 1
fi
echo
echo "schemathesis: all four CAMARA specs passed"
