#!/usr/bin/env bash
# Bulk import throughput: `ogw import subscribers` of a generated CSV into SQLite.
#
#   bench/import-subscribers.sh [ROWS] [csv|ndjson]
#
# Generates ROWS subscribers (default 1,000,000), creates tenant `bench` in a fresh data dir,
# imports the file twice (the second run replaces nothing: every row is unchanged) and prints
# the time and the import's peak memory (constant whatever ROWS).
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS="${1:-1000000}"
FORMAT="${2:-csv}"

cargo build --release -q -p ogw
BIN="${CARGO_TARGET_DIR:-target}/release/ogw"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FILE="$WORK/subscribers.$FORMAT"

python3 - "$ROWS" "$FORMAT" > "$FILE" <<'PY'
import sys
n, fmt = int(sys.argv[1]), sys.argv[2]
w = sys.stdout.write
if fmt == "csv":
    w("phoneNumber,simActivatedAt,imsi\n")
    for i in range(n):
        w(f"+346{i:08d},2024-01-01T00:00:00Z,21407{i:010d}\n")
else:
    for i in range(n):
        w(f'{{"phoneNumber":"+346{i:08d}","simActivatedAt":"2024-01-01T00:00:00Z","imsi":"21407{i:010d}"}}\n')
PY

export OGW_DATA_DIR="$WORK/data" OGW_LOG_LEVEL=warn
"$BIN" tenant create bench --name Bench >/dev/null

run() {
  local label="$1"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$WORK/rss" "$BIN" import subscribers "$FILE" --tenant bench | tail -n +1 > "$WORK/out"
  end=$(date +%s.%N)
  python3 - "$label" "$ROWS" "$start" "$end" "$(cat "$WORK/rss")" "$(head -n1 "$WORK/out")" <<'PY'
import sys
label, rows, start, end, rss, line = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
secs = end - start
print(f"{label}: {rows:,} subscribers in {secs:.1f} s = {rows / secs:,.0f} rows/s, peak RSS {rss / 1024:.0f} MiB  [{line}]")
PY
}
echo "file: $(du -h "$FILE" | cut -f1) $FORMAT"
run "import (new)"
run "re-import (unchanged)"
