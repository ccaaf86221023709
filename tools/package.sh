#!/usr/bin/env bash
# Builds the two Debian packages of a release: qrgate-kiosk_<version>_amd64.deb (the window, the
# `qrgate` command, the kiosk's systemd unit) and qrgate-server_<version>_amd64.deb (the province's
# server and its unit). cargo-deb packages binaries already built (the recipes are the
# [package.metadata.deb] sections of src-tauri/Cargo.toml and crates/qrgate-server/Cargo.toml, the
# units and maintainer scripts in packaging/), so what is packaged is exactly what was built or
# tested.
#
#   tools/package.sh                  # release builds of everything, then the packages
#   tools/package.sh --from-tests     # the debug binaries the tests built and ran (tools/test.sh)
#   tools/package.sh --bins DIR --version 0.1.0   # qrgate, qrgate-kiosk, qrgate-server from DIR
#   ... --out DIR                     # where the .deb files go (default: target/package/)
#
# The packages' version is the workspace's ([workspace.package] in Cargo.toml) unless --version
# names another (the upgrade test packages the previous release's binaries with today's recipe).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=release
bins=""
version=""
out=$root/target/package
while (($#)); do
  case $1 in
    --from-tests) mode=tests ;;
    --bins) mode=dir; bins=${2:?--bins needs a directory}; shift ;;
    --version) version=${2:?--version needs a version, e.g. 0.1.0}; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    *) echo "package.sh: unknown argument $1 (see the top of tools/package.sh)" >&2; exit 2 ;;
  esac
  shift
done

export PATH=$HOME/.cargo/bin:$PATH
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked
# dpkg-shlibdeps computes the libraries the binaries need ($auto); strip comes with binutils.
command -v dpkg-shlibdeps >/dev/null && command -v strip >/dev/null || "$root/tools/setup.sh"

case $mode in
  release)
    cargo build --release --locked --manifest-path "$root/Cargo.toml" -p qrgate-cli -p qrgate-server
    # custom-protocol: the window serves ui/ from inside the binary, as a release must.
    CARGO_TARGET_DIR=$root/target/kiosk cargo build --release --locked --manifest-path "$root/src-tauri/Cargo.toml" \
      --features tauri/custom-protocol
    from=("$root/target/release/qrgate" "$root/target/kiosk/release/qrgate-kiosk" "$root/target/release/qrgate-server")
    ;;
  tests)
    # Where tools/test.sh builds them: `cargo test --workspace` into target/, tests/kiosk/run.sh
    # into target/kiosk/.
    from=("$root/target/debug/qrgate" "$root/target/kiosk/debug/qrgate-kiosk" "$root/target/debug/qrgate-server")
    ;;
  dir)
    from=("$bins/qrgate" "$bins/qrgate-kiosk" "$bins/qrgate-server")
    ;;
esac

# The recipes' assets point here. Debug information goes (a debug build's binaries are 150-420 MB
# with it); the symbols stay, so a panic's backtrace in the journal still names functions.
stage=$root/target/package/bin
rm -rf "$stage"
mkdir -p "$stage" "$out"
for bin in "${from[@]}"; do
  [ -x "$bin" ] || { echo "package.sh: $bin is missing; build it first (or drop --from-tests / --bins)" >&2; exit 1; }
  strip --strip-debug -o "$stage/$(basename "$bin")" "$bin"
done

# The workspace's one version, without the Debian revision cargo-deb would add ("-1"): the
# packages are named <name>_<version>_amd64.deb.
version=${version:-$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")}
options=(--no-build --no-strip --quiet --deb-version "$version")
# Packages made for a test are installed once and thrown away: quick compression (a minute less of
# xz, the package a third larger) serves them better.
[ $mode = release ] || options+=(--fast)
for manifest in src-tauri/Cargo.toml crates/qrgate-server/Cargo.toml; do
  cargo deb "${options[@]}" --manifest-path "$root/$manifest" --output "$out" >/dev/null
done
rm -rf "$stage"

for package in qrgate-kiosk qrgate-server; do
  deb=$out/${package}_${version}_amd64.deb
  [ -f "$deb" ] || { echo "package.sh: cargo-deb did not write $deb" >&2; exit 1; }
  echo "package.sh: $deb ($(du -h "$deb" | cut -f1))"
done
