#!/usr/bin/env bash
# The kiosk window's end-to-end tests: installs what is missing (apt packages, tauri-driver),
# builds qrgate-kiosk, and drives the real window over WebDriver under Xvfb. Screenshots of the
# guard screen land in tests/artifacts/.
#
#   tests/kiosk/run.sh            # from anywhere; CARGO_TARGET_DIR is honoured
set -euo pipefail

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

# Each run gets its own display and its own WebDriver ports, so two runs on one machine do not meet.
export WEBDRIVER_PORT=${WEBDRIVER_PORT:-$((20000 + RANDOM % 20000))}
xvfb-run -a -s "-screen 0 1920x1080x24" node --test --test-reporter=spec "$root/tests/kiosk/"*.test.mjs
echo "run.sh: screenshots in $artifacts"
