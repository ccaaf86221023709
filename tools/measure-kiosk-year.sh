#!/usr/bin/env bash
# The kiosk window at a real factory's size: 20,000 workers with a month and with a year of
# events (about 1.1 and 14 million), measured under Xvfb on the real release binary, side by side:
#
#   - window ready: process start to the guard screen listening, on the seeded directory;
#   - frame → screen p50/p95 at one decision a second (a 1280×720 camera at 30 fps, each badge a
#     real signed badge of the enterprise, held up a third of a second, then an empty gate);
#   - the same while HR exports a month's attendance (XLSX, over and over, inside the kiosk as its
#     HR page does: a connection of its own, never the gate's desk; `--measure-export`), with the
#     longest any decision waited for the desk's lock;
#   - the kiosk's RSS at the start and the end of a longer run at one decision a second;
#   - `qrgate export inside` (the evacuation list) on the directory.
#
#   tools/measure-kiosk-year.sh [SECONDS] [RSS_SECONDS]    # defaults 60 and 600
#
# The seeded directories are made once and reused ($QRGATE_BENCH_DATA, default /work/bench-data:
# kiosk-w20000-d30, kiosk-w20000-d365; a year takes minutes to seed and ~4 GB). Each run adds a few
# hundred events to them, nothing measurable beside millions. KIOSK_BIN and QRGATE_BIN name given
# binaries instead of building. Not run by tools/test.sh or CI.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
rss_seconds=${2:-600}
bench=${QRGATE_BENCH_DATA:-/work/bench-data}
workers=20000
work=$(mktemp -d -t qrgate-measure-year-XXXXXX)
trap 'rm -rf "$work"' EXIT

cargo build -q --release --manifest-path "$root/Cargo.toml" -p qrgate-scan --features synth --bin gen-gate-frames
if [ -z "${QRGATE_BIN:-}" ]; then
  cargo build -q --release --manifest-path "$root/Cargo.toml" -p qrgate-cli
  QRGATE_BIN=$root/target/release/qrgate
fi
gen=$root/target/release/gen-gate-frames
if [ -z "${KIOSK_BIN:-}" ]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/kiosk}
  cargo build -q --release --features tauri/custom-protocol --manifest-path "$root/src-tauri/Cargo.toml"
  KIOSK_BIN=$CARGO_TARGET_DIR/release/qrgate-kiosk
fi

kiosk() {
  local data=$1 scene=$2 length=$3
  shift 3
  xvfb-run -a -s "-screen 0 1366x768x24" "$KIOSK_BIN" --data "$data" --source "dir:$scene" --fps 30 \
    --windowed --measure "$length" "$@" 2> >(grep -v -e WARNING -e '^$' -e 'screen ready' >&2)
}

# A scene of `count` of the enterprise's workers, each badge in view for 10 frames (1/3 s) then
# 20 frames of an empty gate: one decision a second, each worker seen again only after `count`
# seconds, well past the debounce.
scene() {
  local data=$1 dir=$2 count=40
  mkdir -p "$dir/held" "$dir/loop"
  sqlite3 -readonly "$data/qrgate.db" \
    "SELECT code FROM workers WHERE active = 1 ORDER BY code LIMIT $count OFFSET 5000" > "$dir/codes"
  : > "$dir/texts"
  while read -r code; do
    "$QRGATE_BIN" --data "$data" badge text "$code" >> "$dir/texts"
  done < "$dir/codes"
  "$gen" "$dir/held" --texts "$dir/texts" --seed 1 >/dev/null
  python3 "$root/tools/empty-gate.py" "$dir/empty.png"
  local n=0 frame
  for frame in "$dir"/held/*.png; do
    for _ in $(seq 10); do ln -s "$frame" "$(printf '%s/loop/%05d.png' "$dir" "$n")"; n=$((n + 1)); done
    for _ in $(seq 20); do ln -s "$dir/empty.png" "$(printf '%s/loop/%05d.png' "$dir" "$n")"; n=$((n + 1)); done
  done
}

for days in 30 365; do
  data=$bench/kiosk-w$workers-d$days
  if [ ! -e "$data/qrgate.db" ]; then
    mkdir -p "$bench"
    echo "== seeding $data (once)"
    /usr/bin/time -f "seeded in %e s" "$QRGATE_BIN" --data "$data" demo seed --workers "$workers" --days "$days"
  fi
  events=$(sqlite3 -readonly "$data/qrgate.db" "SELECT COUNT(*) FROM events")
  scene "$data" "$work/d$days"
  echo
  echo "== $workers workers, $days days, $events events"
  echo "-- the kiosk alone, ${seconds} s"
  kiosk "$data" "$work/d$days/loop" "$seconds"

  echo "-- while HR exports a month's attendance, over and over, ${seconds} s"
  kiosk "$data" "$work/d$days/loop" "$seconds" --measure-export

  echo "-- qrgate export inside"
  for _ in 1 2 3; do
    /usr/bin/time -f "   %e s" "$QRGATE_BIN" --data "$data" export inside --format csv --out "$work/inside-$days.csv" >/dev/null
  done
done

echo
echo "== RSS over ${rss_seconds} s at one decision a second, 365 days"
kiosk "$bench/kiosk-w$workers-d365" "$work/d365/loop" "$rss_seconds"
