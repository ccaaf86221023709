#!/usr/bin/env bash
# The main job: the kiosk window on a demo enterprise (200 workers, a week of events, every badge
# issued, one revoked) with badge frames replayed as its camera. Without a display (or with
# --headless) the same demo runs through the gate engine in the terminal instead, printing each
# decision.
#
#   tools/demo.sh              # the kiosk window (a desktop session is needed)
#   tools/demo.sh --headless   # the terminal version
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--headless" ] || { [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; }; then
  [ "${1:-}" = "--headless" ] && shift || echo "demo: no display; running the headless demo (the kiosk window needs a desktop session)"
  tools/setup.sh
  data="${QRGATE_DATA:-$(mktemp -d)/qrgate-demo}"
  cargo run --release -q -p qrgate-cli -- --data "$data" demo run "$@"
  echo
  echo "Look around: cargo run --release -q -p qrgate-cli -- --data $data --help"
  exit 0
fi

tools/setup.sh --kiosk
echo "demo: building the kiosk (the first build takes several minutes)"
echo "demo: PINs on the demo kiosk: guard 1234, admin 9999 (HR pages, leaving)"
# A window rather than the locked full screen of a real gate: this is a desk, not a gate.
exec cargo run --release -q --features tauri/custom-protocol --manifest-path src-tauri/Cargo.toml -- --demo --windowed "$@"
