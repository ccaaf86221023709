#!/usr/bin/env bash
# Installs what building and testing QR Gate needs on Debian 12, skipping what is already there.
# Safe to run again. Needs root (or sudo) only when something is missing.
set -euo pipefail

# Build: C toolchain, pkg-config, libclang (V4L bindings of the camera crate).
# Tests: PostgreSQL server binaries (the sync tests start their own server in a temp directory).
# Tools for looking at what the kiosk makes: poppler-utils (PDF → PNG).
packages=(build-essential pkg-config libclang-dev postgresql poppler-utils)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install Rust with rustup (https://rustup.rs) and run this again" >&2
  exit 1
fi
