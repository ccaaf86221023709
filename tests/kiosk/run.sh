#!/usr/bin/env bash
# The kiosk window's end-to-end tests: installs what is missing (apt packages, tauri-driver),
# builds qrgate-kiosk, and drives the real window over WebDriver under Xvfb. Screenshots of the
# guard screen land in tests/artifacts/.
#
#   tests/kiosk/run.sh              # from anywhere; CARGO_TARGET_DIR is honoured
#   tests/kiosk/run.sh --at 01:30   # the same, with the clock at 01:30 gate time today
#
# --at HH:MM starts every process of the run (the tests, tauri-driver, the kiosk and its WebKit
# processes) with the clock set to that time of today in Asia/Ho_Chi_Minh, the demo's zone,
# through libfaketime; the clock then runs on from there. The real binary, only its hour moved:
# a test that passes by day and fails by night is a test of the clock.
set -euo pipefail

at=""
if [ "${1:-}" = "--at" ]; then
  at=${2:?--at needs a time, e.g. --at 01:30}
  [[ $at =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] || { echo "run.sh: --at takes HH:MM, e.g. 01:30 (got $at)" >&2; exit 2; }
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/kiosk}
artifacts=$root/tests/artifacts

"$root/tools/setup.sh" --kiosk
export PATH=$HOME/.cargo/bin:$PATH

# Not --locked: qrgate-core and qrgate-scan gain dependencies, and src-tauri/Cargo.lock follows them.
cargo build --manifest-path "$root/src-tauri/Cargo.toml"
# The shell's own unit tests (command line, preview encoding); src-tauri is outside the workspace.
cargo test --manifest-path "$root/src-tauri/Cargo.toml"
export KIOSK_BIN=$CARGO_TARGET_DIR/debug/qrgate-kiosk
export ARTIFACTS=$artifacts
# A Modbus relay module with a passage sensor, played on a pseudo-terminal (the workspace's test
# kit, built where `cargo test --workspace` built it).
CARGO_TARGET_DIR=$root/target cargo build --manifest-path "$root/Cargo.toml" -p qrgate-testkit --bin modbus-module
export MODBUS_MODULE_BIN=$root/target/debug/modbus-module

# Each run gets its own display and its own WebDriver ports, so two runs on one machine do not meet.
export WEBDRIVER_PORT=${WEBDRIVER_PORT:-$((20000 + RANDOM % 20000))}
clock=()
if [ -n "$at" ]; then
  # Today's HH:MM at the gate, as a UTC instant; the faked processes run in UTC.
  # (The zone goes inside the date string: `date -u` alone would read HH:MM as UTC too.)
  start=$(date -u -d "TZ=\"Asia/Ho_Chi_Minh\" $(TZ=Asia/Ho_Chi_Minh date +%F) $at" '+%F %T')
  lib=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime.so.1$' | head -1)
  [ -n "$lib" ] || { echo "run.sh: libfaketime not found (apt-get install faketime)" >&2; exit 1; }
  # Monotonic clocks stay real: timeouts and frame pacing measure durations, not the hour.
  clock=(env TZ=UTC LD_PRELOAD="$lib" FAKETIME="@$start" FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_DONT_RESET=1)
  echo "run.sh: the clock starts at $at gate time ($start UTC)"
fi
xvfb-run -a -s "-screen 0 1920x1080x24" "${clock[@]}" node --test --test-reporter=spec "$root/tests/kiosk/"*.test.mjs
echo "run.sh: screenshots in $artifacts"
