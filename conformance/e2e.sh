#!/usr/bin/env bash
# End-to-end tests of the subscriber consent pages in headless Chromium: starts
# `ogw serve --demo` on a free port with a throw-away data directory and runs
# e2e/consent.mjs (playwright-core driving Debian's chromium): an authorization code flow
# that needs consent → Allow → the redirect URI with a code (on a branded view made with
# `ogw view create`: its colour and logo applied); again → Deny → access_denied; the
# privacy dashboard → Revoke. Screenshots of every page: target/e2e-artifacts/.
#
#   bash conformance/e2e.sh                 # builds target/debug/ogw if needed
#   E2E_OGW_BIN=target/release/ogw bash conformance/e2e.sh
#
# Installs chromium with apt-get and playwright-core with npm when missing; prints a
# NOTICE and skips when either cannot be had (no apt, no network, no node).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
ARTIFACTS="$(realpath -m "$TARGET_DIR/e2e-artifacts")"
CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"

skip() { echo "NOTICE: $* — browser end-to-end tests skipped"; exit 0; }

if [ ! -x "$CHROMIUM_BIN" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing chromium with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } \
      || true
  fi
  [ -x "$CHROMIUM_BIN" ] || skip "no chromium at $CHROMIUM_BIN and apt-get could not install it"
fi
command -v node >/dev/null 2>&1 || skip "node is not installed"
if [ ! -d e2e/node_modules/playwright-core ]; then
  (cd e2e && npm ci --no-audit --no-fund --silent) || skip "npm could not install playwright-core"
fi

BIN="${E2E_OGW_BIN:-$TARGET_DIR/debug/ogw}"
if [ -z "${E2E_OGW_BIN:-}" ]; then
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
  if python3 -c "import urllib.request; urllib.request.urlopen('http://$ADDR/health', timeout=1)" 2>/dev/null; then
    break
  fi
  sleep 0.2
done

# A branded view for the first flow's purpose and capability, made with the CLI on the
# server's own store (the browser then checks the brand stylesheet and the logo).
"$BIN" view create e2e-brand --tenant demo --data-dir "$DATA" --file e2e/brand-view.json >/dev/null

rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
if ! OGW_BASE="http://$ADDR" E2E_ARTIFACTS="$ARTIFACTS" CHROMIUM_BIN="$CHROMIUM_BIN" \
  node e2e/consent.mjs; then
  echo "--- server log" >&2
  tail -n 50 "$DATA/server.log" >&2
  exit 1
fi
echo "screenshots: $ARTIFACTS"
