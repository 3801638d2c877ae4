#!/usr/bin/env bash
# RADIUS accounting throughput into SQLite, measured with FreeRADIUS's radclient.
#
#   bench/radius-acct.sh [REQUESTS] [PARALLEL]
#
# Builds the release binary, starts `ogw serve --demo` with a [radius] listener on loopback,
# sends REQUESTS Accounting-Requests (default 60000: a third Start, a third Interim-Update, a
# third Stop, over REQUESTS/3 sessions with distinct addresses) with PARALLEL packets in flight
# (default 256), and prints requests/s. Every request must be answered (radclient exits non-zero
# otherwise). Traffic stays on 127.0.0.1; the run is bounded by the request count.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-60000}"
P="${2:-256}"
SECRET="bench-secret-0123456789"
PORT="${OGW_BENCH_RADIUS_PORT:-18813}"
HTTP_PORT="${OGW_BENCH_HTTP_PORT:-18080}"

if ! command -v radclient >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -qq freeradius-utils >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq freeradius-utils >/dev/null; }
  fi
fi
command -v radclient >/dev/null 2>&1 || { echo "radclient not found (apt-get install freeradius-utils)" >&2; exit 1; }

cargo build --release -q -p ogw
BIN="${CARGO_TARGET_DIR:-target}/release/ogw"

WORK="$(mktemp -d)"
trap 'kill "$OGW_PID" 2>/dev/null || true; wait "$OGW_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

cat > "$WORK/ogw.toml" <<TOML
listen = "127.0.0.1:$HTTP_PORT"
data_dir = "$WORK/data"
log_level = "warn"
[radius]
listen = "127.0.0.1:$PORT"
clients = [{ address = "127.0.0.1", secret = "$SECRET", tenant = "demo" }]
TOML

"$BIN" --config "$WORK/ogw.toml" serve --demo &
OGW_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$HTTP_PORT/health" >/dev/null 2>&1 && break
  sleep 0.1
done

SESSIONS=$((N / 3))
python3 - "$SESSIONS" > "$WORK/requests" <<'PY'
import sys
n = int(sys.argv[1])
out = []
for status in ("Start", "Interim-Update", "Stop"):
    for i in range(n):
        ip = f"100.{64 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}"
        out.append(
            f"Acct-Status-Type = {status}\n"
            f"Acct-Session-Id = \"bench-{i}\"\n"
            f"Framed-IP-Address = {ip}\n"
            f"Calling-Station-Id = \"346{i:08d}\"\n"
            f"3GPP-IMSI = \"21407{i:010d}\"\n"
        )
print("\n".join(out))
PY
TOTAL=$((SESSIONS * 3))

start=$(date +%s.%N)
radclient -q -f "$WORK/requests" -p "$P" -r 3 -t 5 127.0.0.1:"$PORT" acct "$SECRET"
end=$(date +%s.%N)

python3 - "$TOTAL" "$start" "$end" "$P" <<'PY'
import sys
total, start, end, p = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
secs = end - start
print(f"radius accounting: {total} requests ({total // 3} sessions: Start, Interim-Update, Stop), "
      f"{p} in flight, all answered in {secs:.2f} s = {total / secs:,.0f} requests/s into SQLite")
PY
curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" | grep -E '^radius_(accounting|dropped)_total' || true
