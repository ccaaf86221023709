#!/usr/bin/env bash
# Measures the kiosk window as a gate lives with it, in one run under Xvfb: window ready time,
# frame-to-screen latency of each decision (p50, p95), and the CPU of the kiosk and its WebKit
# processes while it previews and reads a 1280×720 camera at 30 frames a second.
#
#   tools/measure-kiosk.sh [SECONDS]      # default 30; KIOSK_BIN=... to measure a given binary
#
# The replayed camera: ten generated gate frames (badges and phones held up), each in view for
# a third of a second, then two thirds of a second of an empty gate, in a loop.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-30}
work=$(mktemp -d -t qrgate-measure-XXXXXX)
trap 'rm -rf "$work"' EXIT

cargo run -q --manifest-path "$root/Cargo.toml" -p qrgate-scan --features synth --release --bin gen-gate-frames -- "$work/gate" --count 10 >/dev/null
# An empty gate: a smooth grey scene with sensor noise, nothing a decoder could read.
python3 "$root/tools/empty-gate.py" "$work/empty.png"
mkdir "$work/scene"
n=0
for frame in "$work"/gate/*.png; do
  for _ in $(seq 10); do ln -s "$frame" "$(printf '%s/scene/%04d.png' "$work" "$n")"; n=$((n + 1)); done
  for _ in $(seq 20); do ln -s "$work/empty.png" "$(printf '%s/scene/%04d.png' "$work" "$n")"; n=$((n + 1)); done
done

if [ -z "${KIOSK_BIN:-}" ]; then
  # The build a gate runs: optimised, ui/ embedded.
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/kiosk}
  cargo build -q --release --features tauri/custom-protocol --manifest-path "$root/src-tauri/Cargo.toml"
  KIOSK_BIN=$CARGO_TARGET_DIR/release/qrgate-kiosk
fi
run() {
  xvfb-run -a -s "-screen 0 1366x768x24" "$KIOSK_BIN" --demo --data "$work/kiosk" --source "dir:$work/scene" --fps 30 \
    --measure "$1" 2> >(grep -v -e WARNING -e '^$' >&2)
}
# A first start seeds the demo enterprise; the measured one starts as a gate does every morning,
# on a data directory already set up.
run 1 >/dev/null
run "$seconds"
