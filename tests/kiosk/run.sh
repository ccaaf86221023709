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

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

# Building needs WebKitGTK's headers and libclang (the camera's V4L2 bindings); running needs
# Xvfb and WebKitGTK's WebDriver; the test script needs Node 18 or newer, and sqlite3 to read
# back what the kiosk wrote.
packages=(build-essential pkg-config libwebkit2gtk-4.1-dev libclang-dev xvfb xauth webkit2gtk-driver sqlite3)
command -v node >/dev/null || packages+=(nodejs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "run.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
export PATH=$HOME/.cargo/bin:$PATH
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked

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
