#!/usr/bin/env bash
# Installs what building and testing QR Gate needs on Debian 12, skipping what is already there.
# Safe to run again. Needs root (or sudo) only when something is missing.
#
#   tools/setup.sh           # the workspace's crates and their tests
#   tools/setup.sh --kiosk   # also the kiosk window: WebKitGTK, and Xvfb + WebDriver for its tests
set -euo pipefail

# Build: C toolchain, pkg-config, libclang (V4L bindings of the camera crate).
# Tests: PostgreSQL server binaries (the sync tests start their own server in a temp directory);
# Chromium, headless, and its WebDriver for the province's web console, with a font that has
# every Vietnamese letter.
# Tools for looking at what the kiosk makes: poppler-utils (PDF → PNG).
packages=(build-essential pkg-config libclang-dev postgresql poppler-utils chromium chromium-driver fonts-dejavu-core)
kiosk=false
if [ "${1:-}" = "--kiosk" ]; then
  kiosk=true
  # The window: WebKitGTK. Its tests: Xvfb, xauth, WebKitGTK's WebDriver, sqlite3 to read back
  # what the kiosk wrote, faketime to run them at a chosen hour, socat to play a turnstile's relay
  # board on a pseudo-terminal, Node 18 or newer for the test script.
  packages+=(libwebkit2gtk-4.1-dev xvfb xauth webkit2gtk-driver sqlite3 faketime socat fonts-dejavu-core)
  command -v node >/dev/null || packages+=(nodejs)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # The window's packages come with their recommends (fonts, GStreamer for its sounds).
  recommends=--no-install-recommends
  $kiosk && recommends=
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install Rust with rustup (https://rustup.rs) and run this again" >&2
  exit 1
fi
if $kiosk; then
  export PATH=$HOME/.cargo/bin:$PATH
  command -v tauri-driver >/dev/null || cargo install tauri-driver --locked
fi

# A cold run of .ci/run fills target/ with 11 GB (the crates and the window, measured on
# 2026-12-02), and the tests' databases want room too; when the disk runs out the linker dies of a
# bus error, far from the cause, so say it here.
need_gb=8
$kiosk && need_gb=15
free_gb=$(df -P -BG . | awk 'NR==2 {sub("G", "", $4); print $4}')
if [ -n "$free_gb" ] && [ "$free_gb" -lt "$need_gb" ] && [ ! -d "${CARGO_TARGET_DIR:-target}/debug" ]; then
  echo "setup: warning: only ${free_gb} GB free here; a first build needs about ${need_gb} GB" >&2
fi
