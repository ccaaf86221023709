#!/usr/bin/env bash
# The main job, headless: seeds a demo enterprise in a fresh data directory, prints its badges
# and puts a morning's scans through the gate engine, printing each decision.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
data="${QRGATE_DATA:-$(mktemp -d)/qrgate-demo}"
cargo run --release -q -p qrgate-cli -- --data "$data" demo run "$@"
echo
echo "Look around: cargo run --release -q -p qrgate-cli -- --data $data --help"
