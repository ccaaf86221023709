#!/usr/bin/env bash
# Runs every test: the workspace's crates (engine, scanner, sync with a real PostgreSQL, the
# `qrgate` binary), then the kiosk window driven over WebDriver under Xvfb, then the packages made
# from those very binaries, installed on this machine (as root: through sudo when not root).
# Installs what they need.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
cargo test --workspace "$@"
tests/kiosk/run.sh
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo env "PATH=$PATH" tests/package/run.sh
