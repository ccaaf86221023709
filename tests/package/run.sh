#!/usr/bin/env bash
# The packages on a real machine, as a factory's IT person and the province install them. Needs
# root (it installs packages: .ci/run runs it as root on a Debian 12 machine) and the binaries
# tools/test.sh built and tested (target/debug/, target/kiosk/debug/).
#
#   tests/package/run.sh
#
# 1. Packages those very binaries (tools/package.sh --from-tests), installs both packages with
#    apt-get, checks files, users, permissions, and the units (systemd-analyze verify).
# 2. Starts the kiosk exactly as its unit does (cage, as the qrgate user, with the unit's
#    environment and a notify socket standing in for systemd's), on a headless wlroots backend;
#    tauri-driver is cage's application in the unit's command, so WebKitWebDriver launches
#    /usr/bin/qrgate-kiosk as the unit would. If cage cannot start here, the unit's command runs
#    under Xvfb instead and the output says so and why. On its empty data directory the kiosk shows
#    the setup page; the test fills it in and sees the guard screen; the kiosk said READY=1 and
#    pinged the watchdog.
# 3. Removes, then purges, both packages: /var/lib/qrgate is kept.
# 4. Upgrade: builds the previous release (PREVIOUS below) from git history, packages it with
#    today's recipe, installs it, makes events with its `qrgate`, installs today's packages over
#    it: every event is still there, the schema is today's (migrated once), and the kiosk runs.
#
# Safe on a developer's machine: it refuses to start while QR Gate is installed or /var/lib/qrgate
# holds anything it did not make, and takes away what it made (packages, users, directories), even
# when a previous run was cut short (its marker file says the leftovers are the test's).
set -euo pipefail

# The release before this one, built from history to upgrade from.
PREVIOUS=9ef972a
PREVIOUS_VERSION=0.1.0

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
artifacts=$root/tests/artifacts
marker=/var/lib/qrgate-package-test
unit=/lib/systemd/system/qrgate-kiosk.service
export PATH=$HOME/.cargo/bin:$PATH
export DEBIAN_FRONTEND=noninteractive

say() { echo "package test: $*"; }
fail() { echo "package test: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "package test: run as root: it installs and removes packages" >&2; exit 2; }

version=$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# --- The machine's state: refuse what is not ours, take away what is ---------------------------

# Everything this test put on the machine, and the users and boot target it found there.
clean_machine() {
  local p
  for p in qrgate-kiosk qrgate-server; do
    if dpkg-query -W -f='${Status}' "$p" >/dev/null 2>&1; then apt-get purge -y -qq "$p" >/dev/null; fi
  done
  rm -rf /var/lib/qrgate /var/cache/qrgate-kiosk /etc/qrgate
  local u
  for u in qrgate qrgate-server; do
    if id "$u" >/dev/null 2>&1 && ! grep -qx "user-before: $u" "$marker"; then
      userdel "$u"
      getent group "$u" >/dev/null && groupdel "$u"
    fi
  done
  local target
  target=$(sed -n 's/^default-target: //p' "$marker")
  if [ -n "$target" ] && [ "$(systemctl get-default 2>/dev/null)" != "$target" ]; then
    systemctl set-default "$target" >/dev/null 2>&1
  fi
  rm -f "$marker"
}

if [ -e "$marker" ]; then
  say "a previous run was cut short ($marker): taking its leftovers away first"
  clean_machine
fi
for p in qrgate-kiosk qrgate-server; do
  if installed "$p"; then
    fail "$p is installed on this machine (a real gate or server?); this test installs and removes it, so it will not run here"
  fi
done
if [ -d /var/lib/qrgate ] && [ -n "$(ls -A /var/lib/qrgate)" ]; then
  fail "/var/lib/qrgate holds data this test did not make (a real gate's records?); it will not run here. Move it away first"
fi
{
  for u in qrgate qrgate-server; do id "$u" >/dev/null 2>&1 && echo "user-before: $u"; done
  echo "default-target: $(systemctl get-default 2>/dev/null || true)"
} >"$marker"

work=$(mktemp -d /tmp/qrgate-package-test.XXXXXX)
chmod 755 "$work"
kiosk_pgid=""
saved=""
today_bins=()
server_pid=""
pg_data=""
finish() {
  local status=$?
  [ -n "$kiosk_pgid" ] && kill -TERM -- "-$kiosk_pgid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$pg_data" ] && runuser -u postgres -- "$pg/pg_ctl" -D "$pg_data" -m fast stop >/dev/null 2>&1 || true
  clean_machine
  # Cut short during the previous release's build: today's binaries go back where the tests left them.
  if [ -n "$saved" ]; then
    local b
    for b in "${today_bins[@]}"; do [ -e "$saved/today/$(basename "$b")" ] && ln -f "$saved/today/$(basename "$b")" "$b"; done
  fi
  rm -rf "$work" "$saved"
  ((status == 0)) || echo "package test: failed (the reason is above)" >&2
  exit $status
}
trap finish EXIT
mkdir -p "$artifacts"
"$root/tools/setup.sh" --kiosk >/dev/null
# Only the packages under test are new here; what they depend on comes before the clock starts,
# so the install time measured is the packages' own.
command -v cage >/dev/null || apt-get install -y -qq cage xwayland >/dev/null

# Under sudo (tools/test.sh run by a developer), building stays the developer's: cargo's caches
# and what it writes in target/ keep their owner. CI runs as root and builds as root.
builder=()
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  builder=(runuser -u "$SUDO_USER" -- env "PATH=$PATH")
  install -d -o "$SUDO_USER" "$work/today" "$work/previous"
fi

# --- Today's packages, from the binaries the tests ran ------------------------------------------

"${builder[@]}" "$root/tools/package.sh" --from-tests --out "$work/today"
kiosk_deb=$work/today/qrgate-kiosk_${version}_amd64.deb
server_deb=$work/today/qrgate-server_${version}_amd64.deb
say "measure: packages (test build, stripped, fast compression): kiosk $(stat -c %s "$kiosk_deb") bytes, server $(stat -c %s "$server_deb") bytes"

install_packages() {
  local started=$SECONDS
  apt-get install -y -qq "$@" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install $*"; }
  say "measure: apt-get install of $(basename -a "$@" | tr '\n' ' ')took $((SECONDS - started)) s"
}

# As the unit's user, the way the README tells an installer to run `qrgate` on a gate.
as_gate() { runuser -u qrgate -- env QRGATE_DATA=/var/lib/qrgate "$@"; }
sql() { sqlite3 -readonly /var/lib/qrgate/qrgate.db "$1"; }

# --- Starting the kiosk as its unit does ---------------------------------------------------------

driver=$work/bin/tauri-driver
mkdir -p "$work/bin"
cp "$(command -v tauri-driver)" "$driver"
chmod 755 "$work/bin" "$driver"

# Runs the unit's ExecStart as its User= with its Environment=, what systemd would make for it
# (StateDirectory, CacheDirectory, the login session's runtime directory, NOTIFY_SOCKET and
# WATCHDOG_USEC, WATCHDOG_PID naming the main process), tauri-driver standing in for the kiosk
# in the command; then kiosk.mjs drives the window. $1: setup or guard; $2: a name for the run.
run_kiosk_as_unit() {
  local mode=$1 name=$2
  local exec_start user watchdog port
  exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
  user=$(sed -n 's/^User=//p' "$unit")
  watchdog=$(sed -n 's/^WatchdogSec=//p' "$unit")
  [[ " $exec_start " == *" /usr/bin/qrgate-kiosk "* ]] || fail "the unit's ExecStart does not run /usr/bin/qrgate-kiosk: $exec_start"
  [[ $exec_start == /usr/bin/cage\ * ]] || fail "the unit's ExecStart does not start cage: $exec_start"
  [[ $watchdog =~ ^[0-9]+$ ]] || fail "WatchdogSec=$watchdog: expected whole seconds"
  local -a unit_env
  mapfile -t unit_env < <(sed -n 's/^Environment=//p' "$unit")
  local e
  for e in "${unit_env[@]}"; do [[ $e =~ ^[A-Z_]+=[^\ \"]*$ ]] || fail "Environment=$e: the test reads one plain NAME=value a line"; done

  port=$((20000 + RANDOM % 20000))
  local runtime=$work/run-$name
  install -d -o "$user" -g "$user" -m 0700 "$runtime" /var/lib/qrgate /var/cache/qrgate-kiosk
  local notify=$runtime/notify
  runuser -u "$user" -- socat -u "UNIX-RECV:$notify" - >"$work/notify-$name.log" 2>&1 &
  local socat_pid=$!
  local command=${exec_start/\/usr\/bin\/qrgate-kiosk/$driver --port $port --native-port $((port + 1))}
  local -a env=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
    USER="$user" LOGNAME="$user" HOME=/nonexistent "${unit_env[@]}" XDG_RUNTIME_DIR="$runtime"
    NOTIFY_SOCKET="$notify" WATCHDOG_USEC=$((watchdog * 1000000)))
  local how="cage on a headless wlroots backend (pixman renderer, no input devices)"
  # setsid: the kiosk's processes are one group, stopped together as systemd stops the unit's.
  setsid setpriv --reuid="$user" --regid="$user" --init-groups "${env[@]}" \
    WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman \
    sh -c "WATCHDOG_PID=\$\$; export WATCHDOG_PID; exec $command" >"$work/kiosk-$name.log" 2>&1 &
  kiosk_pgid=$!
  local deadline=$((SECONDS + 60))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! kill -0 "$kiosk_pgid" 2>/dev/null; then
      say "cage could not start here: $(tail -3 "$work/kiosk-$name.log" | tr '\n' ' ')"
      how="the unit's command under Xvfb, because cage could not start here (above)"
      setsid setpriv --reuid="$user" --regid="$user" --init-groups "${env[@]}" \
        xvfb-run -a -s "-screen 0 1920x1080x24" sh -c "WATCHDOG_PID=\$\$; export WATCHDOG_PID; exec ${command#/usr/bin/cage -- }" \
        >"$work/kiosk-$name.log" 2>&1 &
      kiosk_pgid=$!
      deadline=$((SECONDS + 60))
    fi
    ((SECONDS < deadline)) || { cat "$work/kiosk-$name.log"; fail "tauri-driver did not listen within 60 s"; }
    sleep 0.2
  done
  say "the kiosk runs as its unit does: $how"
  node "$root/tests/package/kiosk.mjs" "$mode" "$port" "$version" "$artifacts/package-$name.png" ||
    { cat "$work/kiosk-$name.log"; fail "the kiosk's window ($name)"; }
  # The kiosk speaks to systemd through cage: READY=1, then the frame loop's pings.
  deadline=$((SECONDS + 30))
  until grep -q "READY=1" "$work/notify-$name.log" && grep -q "WATCHDOG=1" "$work/notify-$name.log"; do
    ((SECONDS < deadline)) || fail "no READY=1 and WATCHDOG=1 from the kiosk within 30 s: $(cat "$work/notify-$name.log")"
    sleep 0.2
  done
  say "the kiosk said READY=1 and pinged the watchdog through cage"
  kill "$socat_pid" 2>/dev/null || true
  wait "$socat_pid" 2>/dev/null || true
  # systemctl stop: SIGTERM to every process of the unit. (cage 0.1.4 may abort on its way out,
  # an assertion in wl_display_terminate; the kiosk stops as on any SIGTERM.)
  kill -TERM -- "-$kiosk_pgid" 2>/dev/null || true
  deadline=$((SECONDS + 20))
  while pgrep -u "$user" >/dev/null; do
    ((SECONDS < deadline)) || fail "the kiosk's processes outlived SIGTERM by 20 s: $(pgrep -a -u "$user")"
    sleep 0.2
  done
  wait "$kiosk_pgid" 2>/dev/null || true
  kiosk_pgid=""
}

# --- 1. A fresh install ------------------------------------------------------------------------

install_packages "$kiosk_deb" "$server_deb"
for f in /usr/bin/qrgate /usr/bin/qrgate-kiosk /usr/bin/qrgate-server; do [ -x "$f" ] || fail "$f is not installed"; done
[ "$(qrgate --version)" = "qrgate $version" ] || fail "qrgate --version says $(qrgate --version), not $version"
for u in qrgate qrgate-server; do
  id "$u" >/dev/null 2>&1 || fail "the $u user was not made"
  [ "$(id -u "$u")" -lt 1000 ] || fail "$u is not a system user (uid $(id -u "$u"))"
  [[ $(getent passwd "$u" | cut -d: -f7) == */nologin ]] || fail "$u can log in: $(getent passwd "$u")"
done
for g in video dialout; do
  if getent group "$g" >/dev/null; then id -nG qrgate | tr ' ' '\n' | grep -qx "$g" || fail "qrgate is not in the $g group"; fi
done
[ "$(stat -c '%a %U %G' /var/lib/qrgate)" = "700 qrgate qrgate" ] || fail "/var/lib/qrgate is $(stat -c '%a %U %G' /var/lib/qrgate), not 700 qrgate qrgate"
[ -z "$(ls -A /var/lib/qrgate)" ] || fail "the install put files in /var/lib/qrgate: $(ls -A /var/lib/qrgate)"
[ "$(stat -c '%a %U %G' /etc/qrgate/server.env)" = "640 root qrgate-server" ] || fail "/etc/qrgate/server.env is $(stat -c '%a %U %G' /etc/qrgate/server.env)"
dpkg-query -W -f='${Conffiles}' qrgate-server | grep -q ' /etc/qrgate/server.env ' || fail "/etc/qrgate/server.env is not a conffile"
[ -L /etc/systemd/system/graphical.target.wants/qrgate-kiosk.service ] || fail "qrgate-kiosk.service is not enabled for graphical.target"
[ "$(systemctl get-default)" = graphical.target ] || fail "the machine does not boot into graphical.target, where the kiosk starts"
! ls /etc/systemd/system/*.wants/qrgate-server.service >/dev/null 2>&1 || fail "qrgate-server.service is enabled before its database is set up"
for u in qrgate-kiosk qrgate-server; do
  out=$(systemd-analyze verify "/lib/systemd/system/$u.service" 2>&1) || fail "systemd-analyze verify $u.service: $out"
  [ -z "$out" ] || fail "systemd-analyze verify $u.service warns: $out"
done
say "installed: binaries, users, /var/lib/qrgate 0700 qrgate, server.env 0640 root:qrgate-server, both units verified"

# The server as its unit runs it (its User=, its EnvironmentFile=, its ExecStart=) against a
# PostgreSQL of the test's own, the database made as the README says; only the socket directory in
# QRGATE_DB and the port are the test's. It must create the schema, then answer.
server_unit=/lib/systemd/system/qrgate-server.service
pg=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_socket=$work/pg-socket
install -d -o postgres -g postgres -m 0700 "$work/pg"
install -d -o postgres -g postgres -m 0755 "$pg_socket"
runuser -u postgres -- "$pg/initdb" -D "$work/pg" -A peer >/dev/null
runuser -u postgres -- "$pg/pg_ctl" -D "$work/pg" -o "-k $pg_socket -c listen_addresses=''" -l "$work/pg/log" -w start >/dev/null
pg_data=$work/pg
runuser -u postgres -- "$pg/createuser" -h "$pg_socket" qrgate-server
runuser -u postgres -- "$pg/createdb" -h "$pg_socket" -O qrgate-server qrgate
[ "$(sed -n 's/^EnvironmentFile=//p' "$server_unit")" = /etc/qrgate/server.env ] || fail "qrgate-server.service does not read /etc/qrgate/server.env"
db=$(sed -n 's/^QRGATE_DB=//p' /etc/qrgate/server.env)
[[ $db == *host=/var/run/postgresql* ]] || fail "server.env's QRGATE_DB is not the local socket the README sets up: $db"
server_port=$((20000 + RANDOM % 20000))
(
  set -a
  . /etc/qrgate/server.env
  export QRGATE_DB=${db/host=\/var\/run\/postgresql/host=$pg_socket}
  export QRGATE_LISTEN=127.0.0.1:$server_port
  # The unit's command line, split into words as systemd splits it.
  # shellcheck disable=SC2046
  exec runuser -u "$(sed -n 's/^User=//p' "$server_unit")" -- $(sed -n 's/^ExecStart=//p' "$server_unit")
) >"$work/server.log" 2>&1 &
server_pid=$!
deadline=$((SECONDS + 60))
until grep -qs "listening on http://127.0.0.1:$server_port" "$work/server.log"; do
  kill -0 "$server_pid" 2>/dev/null || fail "qrgate-server stopped: $(cat "$work/server.log")"
  ((SECONDS < deadline)) || fail "qrgate-server did not listen within 60 s: $(cat "$work/server.log")"
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$server_port/healthz" >/dev/null || fail "qrgate-server's /healthz"
migrations=$(ls "$root"/crates/qrgate-server/migrations/*.sql | wc -l)
applied=$(runuser -u postgres -- "$pg/psql" -h "$pg_socket" -d qrgate -Atc "SELECT count(*) FROM _sqlx_migrations WHERE success")
[ "$applied" = "$migrations" ] || fail "the server applied $applied of its $migrations migrations at start"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
say "the server ran as its unit does: schema created at start ($applied migrations), /healthz answered"

run_kiosk_as_unit setup fresh
[ "$(sql "SELECT enterprise || ' ' || kiosk_id FROM identity")" = "0312345678 gate-1" ] ||
  fail "the setup page did not make the kiosk 0312345678 gate-1: $(sql 'SELECT * FROM identity')"
as_gate qrgate sync --status >"$work/status.log" || fail "qrgate sync --status as the gate's user: $(cat "$work/status.log")"
[ -z "$(find /var/lib/qrgate ! -user qrgate)" ] || fail "files in /var/lib/qrgate not the kiosk's own: $(find /var/lib/qrgate ! -user qrgate)"

apt-get remove -y -qq qrgate-kiosk qrgate-server >/dev/null
[ ! -e /usr/bin/qrgate-kiosk ] || fail "apt-get remove left /usr/bin/qrgate-kiosk"
[ -f /var/lib/qrgate/qrgate.db ] && [ -f /var/lib/qrgate/kiosk.conf ] || fail "apt-get remove took the gate's data away"
apt-get purge -y -qq qrgate-kiosk qrgate-server >/dev/null
[ -f /var/lib/qrgate/qrgate.db ] && [ -f /var/lib/qrgate/kiosk.conf ] || fail "apt-get purge took the gate's data away"
[ "$(stat -c '%a %U' /var/lib/qrgate)" = "700 qrgate" ] || fail "after purge /var/lib/qrgate is $(stat -c '%a %U' /var/lib/qrgate)"
say "removed and purged: /var/lib/qrgate kept, owner-only"
rm -rf /var/lib/qrgate /var/cache/qrgate-kiosk

# --- 4. Upgrade from the previous release -------------------------------------------------------

# Built from history with the tests' target directories, so only QR Gate's own crates compile.
# That build replaces target/debug/qrgate, qrgate-server and target/kiosk/debug/qrgate-kiosk:
# today's are kept by hard link and put back, and checked, before anything uses them again.
git -C "$root" cat-file -e "$PREVIOUS^{commit}" 2>/dev/null ||
  fail "the previous release $PREVIOUS is not in this clone's history (a shallow clone? git fetch --unshallow)"
# Its sources stay in target/ like any build's inputs: at the same path, a second run finds its
# crates compiled (cargo names a path dependency's build by where it lives).
previous_src=$root/target/previous-release/$PREVIOUS
if [ ! -f "$previous_src/Cargo.toml" ]; then
  mkdir -p "$previous_src.part"
  git -C "$root" archive "$PREVIOUS" | tar -x -C "$previous_src.part"
  mv "$previous_src.part" "$previous_src"
  [ -n "${SUDO_USER:-}" ] && chown -R "$SUDO_USER" "$root/target/previous-release"
fi
# Beside the binaries, so hard links reach them whatever file system /tmp is.
saved=$(mktemp -d "$root/target/package-test.XXXXXX")
mkdir -p "$saved/today" "$saved/previous"
today_bins=("$root/target/debug/qrgate" "$root/target/debug/qrgate-server" "$root/target/kiosk/debug/qrgate-kiosk")
for b in "${today_bins[@]}"; do ln -f "$b" "$saved/today/"; done
started=$SECONDS
# The previous release's manifests ask for full debug info; today's profile lets it share today's
# compiled dependencies instead of building them all again.
"${builder[@]}" env CARGO_PROFILE_DEV_DEBUG=line-tables-only CARGO_TARGET_DIR="$root/target" cargo build --quiet --manifest-path "$previous_src/Cargo.toml" -p qrgate-cli -p qrgate-server
"${builder[@]}" env CARGO_PROFILE_DEV_DEBUG=line-tables-only CARGO_TARGET_DIR="$root/target/kiosk" cargo build --quiet --manifest-path "$previous_src/src-tauri/Cargo.toml"
say "measure: building the previous release $PREVIOUS took $((SECONDS - started)) s"
for b in "${today_bins[@]}"; do
  ln -f "$b" "$saved/previous/"
  ln -f "$saved/today/$(basename "$b")" "$b"
done
[ "$("$root/target/debug/qrgate" --version)" = "qrgate $version" ] || fail "target/debug/qrgate is not today's after the previous release's build"
for b in "${today_bins[@]}"; do [ "$b" -ef "$saved/today/$(basename "$b")" ] || fail "$b is not today's"; done
[ "$("$saved/previous/qrgate" --version)" = "qrgate $PREVIOUS_VERSION" ] ||
  fail "the previous release's qrgate says $("$saved/previous/qrgate" --version), not $PREVIOUS_VERSION"
"${builder[@]}" "$root/tools/package.sh" --bins "$saved/previous" --version "$PREVIOUS_VERSION" --out "$work/previous"

install_packages "$work/previous/qrgate-kiosk_${PREVIOUS_VERSION}_amd64.deb" "$work/previous/qrgate-server_${PREVIOUS_VERSION}_amd64.deb"
[ "$(qrgate --version)" = "qrgate $PREVIOUS_VERSION" ] || fail "the previous package's qrgate says $(qrgate --version)"
as_gate qrgate demo seed --workers 30 --days 3 >/dev/null
# One scan through the gate as well, refused (a poster's QR code) and recorded like any other.
as_gate qrgate check "https://example.vn/poster" >/dev/null && fail "a poster's QR code was accepted"
# The events as the previous release wrote them, column by column.
columns=$(sql "SELECT group_concat(name, ', ') FROM pragma_table_info('events')")
events_before=$(sql "SELECT count(*) FROM events")
digest_before=$(sql "SELECT $columns FROM events ORDER BY rowid" | sha256sum)
schema_before=$(sql "PRAGMA user_version")
((events_before > 100)) || fail "the previous release made only $events_before events"

install_packages "$kiosk_deb" "$server_deb"
[ "$(qrgate --version)" = "qrgate $version" ] || fail "after the upgrade qrgate says $(qrgate --version)"
[ "$(stat -c '%a %U' /var/lib/qrgate)" = "700 qrgate" ] || fail "the upgrade changed /var/lib/qrgate to $(stat -c '%a %U' /var/lib/qrgate)"
run_kiosk_as_unit guard upgrade
# A fresh kiosk's schema: what every migration in order makes.
fresh=$work/fresh
qrgate --data "$fresh" init --enterprise 0101234567 --name Fresh --kiosk-id fresh-1 >/dev/null
# SQLite's own tables (statistics an optimize leaves) are not the schema.
schema_of() { sqlite3 -readonly "$1" "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name; PRAGMA user_version;"; }
[ "$(schema_of /var/lib/qrgate/qrgate.db)" = "$(schema_of "$fresh/qrgate.db")" ] ||
  fail "the upgraded database's schema is not a fresh one's: $(diff <(schema_of /var/lib/qrgate/qrgate.db) <(schema_of "$fresh/qrgate.db"))"
[ "$(sql "SELECT count(*) FROM events")" = "$events_before" ] || fail "the upgrade changed the number of events: $events_before → $(sql "SELECT count(*) FROM events")"
[ "$(sql "SELECT $columns FROM events ORDER BY rowid" | sha256sum)" = "$digest_before" ] || fail "the upgrade changed events"
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "the upgraded database fails its integrity check"
# A second start migrates nothing more.
schema_after=$(sql "PRAGMA user_version")
as_gate qrgate sync --status >/dev/null
[ "$(sql "PRAGMA user_version")" = "$schema_after" ] || fail "a second start migrated again"
say "upgraded $PREVIOUS_VERSION → $version: $events_before events kept unchanged, schema version $schema_before → $schema_after (a fresh kiosk's), the kiosk runs"
say "passed"
