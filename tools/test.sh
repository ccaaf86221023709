#!/usr/bin/env bash
# Runs every test: the workspace's crates (engine, scanner, sync with a real PostgreSQL, the
# `qrgate` binary), then the kiosk window driven over WebDriver under Xvfb. Installs what they need.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
cargo test --workspace "$@"
tests/kiosk/run.sh
