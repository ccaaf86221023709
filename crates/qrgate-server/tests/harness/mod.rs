//! The real things a test needs: a PostgreSQL cluster in a temporary directory, the real
//! `qrgate-server` binary, kiosks as real data directories, and a proxy that misbehaves on demand.
//! Every wait is on a condition with a deadline.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use qrgate_core::datadir::{DataDir, InitOptions};
use qrgate_core::model::{Direction, Method, PersonRef, Verdict};
use qrgate_core::store::{Event, Store};
use rand::SeedableRng;
use uuid::Uuid;

/// Waits until `ready` says yes, or panics naming what never happened.
pub fn wait_for<T>(what: &str, deadline: Duration, mut ready: impl FnMut() -> Option<T>) -> T {
    let until = Instant::now() + deadline;
    loop {
        if let Some(v) = ready() {
            return v;
        }
        assert!(Instant::now() < until, "timed out after {deadline:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The PostgreSQL binaries: the newest /usr/lib/postgresql/*/bin.
pub fn pg_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: apt-get install postgresql (CI installs it)")
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().expect("no /usr/lib/postgresql/*/bin/initdb").1
}

/// The uid/gid to run PostgreSQL as: itself when not root (initdb refuses root), else `postgres`.
fn pg_user() -> Option<(u32, u32)> {
    let uid = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m)).unwrap_or(0);
    if uid != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    let line = passwd.lines().find(|l| l.starts_with("postgres:")).expect("running as root needs a `postgres` user");
    let f: Vec<&str> = line.split(':').collect();
    Some((f[2].parse().unwrap(), f[3].parse().unwrap()))
}

fn as_pg_user(cmd: &mut Command) -> &mut Command {
    if let Some((uid, gid)) = pg_user() {
        std::os::unix::process::CommandExt::uid(cmd, uid);
        std::os::unix::process::CommandExt::gid(cmd, gid);
    }
    cmd
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A private PostgreSQL cluster, stopped on drop, and deleted unless it was started in a
/// directory of the caller's ([`Postgres::start_in`]).
pub struct Postgres {
    temp: Option<tempfile::TempDir>,
    child: Child,
    pub port: u16,
    pub url: String,
}

impl Postgres {
    /// `durable: false` turns fsync off: fine for correctness tests, not for figures.
    pub fn start(durable: bool) -> Postgres {
        let dir = tempfile::Builder::new().prefix("qrgate-pg").tempdir().unwrap();
        let mut pg = Postgres::start_in(dir.path(), durable, &[]);
        pg.temp = Some(dir);
        pg
    }

    /// A cluster in `dir`, made there on first use and kept: a benchmark's data outlives its run.
    /// `settings` are further `-c name=value` for the server.
    pub fn start_in(dir: &Path, durable: bool, settings: &[&str]) -> Postgres {
        let bin = pg_bin();
        std::fs::create_dir_all(dir).unwrap();
        if let Some((uid, gid)) = pg_user() {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid)).unwrap();
        }
        let data = dir.join("data");
        let sock = dir.join("sock");
        if !data.join("PG_VERSION").exists() {
            let out = as_pg_user(
                Command::new(bin.join("initdb"))
                    .args(["-U", "qrgate", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "-D"])
                    .arg(&data),
            )
            .output()
            .unwrap();
            assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        }
        if !sock.exists() {
            std::fs::create_dir(&sock).unwrap();
        }
        if let Some((uid, gid)) = pg_user() {
            std::os::unix::fs::chown(&sock, Some(uid), Some(gid)).unwrap();
        }
        let port = free_port();
        let mut cmd = Command::new(bin.join("postgres"));
        cmd.arg("-D").arg(&data).args([
            "-p",
            &port.to_string(),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=200",
        ]);
        cmd.arg("-k").arg(&sock);
        if !durable {
            cmd.args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }
        for setting in settings {
            cmd.args(["-c", setting]);
        }
        let child = as_pg_user(&mut cmd).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let url = format!("postgres://qrgate@127.0.0.1:{port}/postgres");
        let pg = Postgres { temp: None, child, port, url };
        wait_for("PostgreSQL to accept connections", Duration::from_secs(60), || {
            let ok = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string()])
                .output()
                .ok()?;
            ok.status.success().then_some(())
        });
        pg
    }

    /// One value from a query, through psql.
    pub fn query(&self, sql: &str) -> String {
        let out = Command::new(pg_bin().join("psql"))
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", &self.url, "-c", sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    pub fn count(&self, sql: &str) -> u64 {
        self.query(sql).parse().unwrap()
    }

    /// Every event id the server holds for `kiosk`, sorted.
    pub fn event_ids(&self, kiosk: &str) -> Vec<String> {
        let text = self.query(&format!("SELECT id FROM events WHERE kiosk_id = '{kiosk}' ORDER BY id"));
        text.lines().map(str::to_string).collect()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGTERM: a smart shutdown, so no orphaned backends outlive the test.
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

pub fn server_exe() -> &'static str {
    env!("CARGO_BIN_EXE_qrgate-server")
}

/// A running `qrgate-server serve`.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub url: String,
    /// Everything the server wrote to stdout and stderr, for tests of what its logs say.
    log: Arc<Mutex<String>>,
}

pub const QUERY_TOKEN: &str = "province-secret";

impl Server {
    /// Starts the server on `port` (0: any) and waits for its "listening" line.
    pub fn start(db: &str, port: u16) -> Server {
        Server::start_with(db, port, &[])
    }

    /// Starts the server with `extra` arguments to `serve` (limits, a token file).
    pub fn start_with(db: &str, port: u16, extra: &[&str]) -> Server {
        let mut command = Command::new(server_exe());
        command.args(["serve", "--db", db, "--listen", &format!("127.0.0.1:{port}")]);
        // The tests' events are dated in 2025: keep them unless a test asks for retention.
        if !extra.contains(&"--retention-days") {
            command.args(["--retention-days", "0"]);
        }
        command.args(extra);
        // The token from the environment, as the README says, unless the test gives a file.
        if !extra.contains(&"--query-token-file") {
            command.env("QRGATE_QUERY_TOKEN", QUERY_TOKEN);
        }
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                kept.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                kept.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("qrgate-server never said it was listening");
        let url = line.rsplit(' ').next().unwrap().to_string();
        let addr = url.trim_start_matches("http://").parse().unwrap();
        Server { child, addr, url, log }
    }

    /// Who is inside `enterprise` now, as the province's JSON answer says.
    pub fn inside(&self, enterprise: &str) -> serde_json::Value {
        reqwest::blocking::Client::new()
            .get(format!("{}/api/v1/province/inside?enterprise={enterprise}", self.url))
            .bearer_auth(QUERY_TOKEN)
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no goodbye, whatever request is in flight dies with it.
    pub fn kill(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.addr.port()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `qrgate-server` once (kiosk add, kiosk revoke) and returns (success, stdout+stderr).
pub fn server_cli(db: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(server_exe()).args(args).args(["--db", db]).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Runs `qrgate-server` once with `stdin` as its standard input (a password for `user add`):
/// (success, stdout, stderr).
pub fn server_cli_input(db: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(server_exe())
        .args(args)
        .args(["--db", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// A kiosk: a real, initialised data directory.
pub struct Kiosk {
    pub dir: tempfile::TempDir,
    pub data: DataDir,
    pub kiosk_id: String,
    pub enterprise: String,
}

impl Kiosk {
    pub fn init(enterprise: &str, kiosk_id: &str, seed: u64) -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("kiosk"));
        let options = InitOptions {
            enterprise: enterprise.parse().unwrap(),
            enterprise_name: format!("Công ty {enterprise}"),
            kiosk_id: kiosk_id.parse().unwrap(),
            gate: Some(format!("Cổng {kiosk_id}")),
            mode: None,
            keys_dir: None,
            badge_public_key: None,
            visitor_key: None,
        };
        data.init(options, &mut rand_chacha::ChaCha8Rng::seed_from_u64(seed), Utc::now()).unwrap();
        Kiosk { dir, data, kiosk_id: kiosk_id.into(), enterprise: enterprise.into() }
    }

    /// A further gate of `first`'s enterprise, set up as its IT would: from the first kiosk's badge
    /// public key and visitor key.
    pub fn join(first: &Kiosk, kiosk_id: &str, seed: u64) -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("kiosk"));
        let keys = first.data.keys();
        let read = |name: &str| std::fs::read_to_string(keys.join(name)).unwrap();
        let options = InitOptions {
            enterprise: first.enterprise.parse().unwrap(),
            enterprise_name: format!("Công ty {}", first.enterprise),
            kiosk_id: kiosk_id.parse().unwrap(),
            gate: Some(format!("Cổng {kiosk_id}")),
            mode: None,
            keys_dir: None,
            badge_public_key: Some(
                qrgate_core::badge::BadgePublicKey::from_file_text(&read("badge-signing.pub")).unwrap(),
            ),
            visitor_key: Some(qrgate_core::privacy::VisitorKey::from_file_text(&read("visitor.key")).unwrap()),
        };
        data.init(options, &mut rand_chacha::ChaCha8Rng::seed_from_u64(seed), Utc::now()).unwrap();
        Kiosk { dir, data, kiosk_id: kiosk_id.into(), enterprise: first.enterprise.clone() }
    }

    /// A visitor's CCCD card scanned at this gate at `at`, through the gate's own decision, after
    /// the guard told the notice and the visitor agreed: their direction and their id.
    pub fn visit(&self, card: &str, at: DateTime<Utc>) -> (Direction, String) {
        let (mut store, config) = self.data.open().unwrap();
        let name = store.identity().enterprise_name.clone();
        let digest = qrgate_core::config::PrivacyConfig::notice_digest(&config.privacy.notice_text(&name));
        let gate = self.data.gate(&store, config).unwrap();
        let scan = qrgate_core::gate::Scan {
            visitor: qrgate_core::gate::VisitorDetails { consent: Some(&digest), ..Default::default() },
            ..qrgate_core::gate::Scan::camera(card)
        };
        let decision = gate.check(&mut store, &scan, at, Uuid::now_v7()).unwrap();
        assert_eq!(decision.verdict, Verdict::Accepted, "{decision:?}");
        let event = store.event(&decision.event_id).unwrap().unwrap();
        let Some(PersonRef::Visitor(id)) = event.person else { panic!("not a visitor: {event:?}") };
        (decision.direction.unwrap(), id)
    }

    pub fn store(&self) -> Store {
        Store::open(&self.data.database()).unwrap()
    }

    pub fn public_key(&self) -> String {
        self.store().identity().kiosk_public_key.clone()
    }

    /// Registers this kiosk with the province under `enterprise` (normally its own).
    pub fn register(&self, db: &str, enterprise: &str) {
        let (ok, out) = server_cli(
            db,
            &[
                "kiosk",
                "add",
                "--enterprise",
                enterprise,
                "--enterprise-name",
                "Công ty",
                "--kiosk-id",
                &self.kiosk_id,
                "--pubkey",
                &self.public_key(),
            ],
        );
        assert!(ok, "kiosk add: {out}");
    }

    /// The number this kiosk's next event takes.
    fn next_seq(&self, store: &Store) -> i64 {
        store
            .connection()
            .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE kiosk_id = ?1", [&self.kiosk_id], |r| {
                r.get(0)
            })
            .unwrap()
    }

    /// Appends `n` accepted events in one transaction, alternating in/out for `people` workers,
    /// from `start`, one a minute.
    pub fn add_events(&self, n: usize, people: usize, start: DateTime<Utc>) -> Vec<Uuid> {
        let mut store = self.store();
        let first_seq = self.next_seq(&store);
        let tz = FixedOffset::east_opt(7 * 3600).unwrap();
        let events: Vec<Event> = (0..n)
            .map(|i| {
                let at = tz.from_utc_datetime(&(start + chrono::Duration::minutes(i as i64)).naive_utc());
                let direction = if (i / people) % 2 == 0 { Direction::In } else { Direction::Out };
                let draft = event(Uuid::now_v7(), &format!("NV{:04}", i % people), direction, at);
                Event { kiosk_id: self.kiosk_id.clone(), seq: first_seq + i as i64, ..draft }
            })
            .collect();
        assert_eq!(store.insert_events(&events).unwrap(), n);
        events.into_iter().map(|e| e.id).collect()
    }

    /// Appends accepted badge passes at this kiosk's own gate, in one transaction: each is a
    /// worker's code, in or out, and when.
    pub fn add_passes(&self, passes: &[(&str, Direction, DateTime<Utc>)]) {
        let mut store = self.store();
        let first_seq = self.next_seq(&store);
        let tz = FixedOffset::east_opt(7 * 3600).unwrap();
        let events: Vec<Event> = passes
            .iter()
            .enumerate()
            .map(|(i, (code, direction, at))| Event {
                kiosk_id: self.kiosk_id.clone(),
                seq: first_seq + i as i64,
                gate: format!("Cổng {}", self.kiosk_id),
                ..event(Uuid::now_v7(), code, *direction, tz.from_utc_datetime(&at.naive_utc()))
            })
            .collect();
        assert_eq!(store.insert_events(&events).unwrap(), passes.len());
    }

    /// Puts workers in this kiosk's roster (sent to the province on the next sync): code, name.
    pub fn add_workers(&self, workers: &[(&str, &str)]) {
        let mut store = self.store();
        store
            .transaction(|tx| {
                for (code, name) in workers {
                    tx.execute(
                        "INSERT INTO workers (code, full_name, department, shift, active, badge_serial, updated_at_ms)
                         VALUES (?1, ?2, 'May', 'A', 1, 1, 1)",
                        [code, name],
                    )?;
                }
                Ok::<_, qrgate_core::Error>(())
            })
            .unwrap();
    }

    /// This kiosk's own event ids, sorted as PostgreSQL sorts uuids (bytewise).
    pub fn own_event_ids(&self) -> Vec<String> {
        let store = self.store();
        let mut stmt = store.connection().prepare("SELECT id FROM events WHERE kiosk_id = ?1").unwrap();
        let mut ids: Vec<String> =
            stmt.query_map([&self.kiosk_id], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        ids.sort();
        ids
    }

    pub fn client(&self, server: &str, timeout: Duration) -> qrgate_sync::Client {
        qrgate_sync::client_for(&self.data, &self.store(), server, timeout).unwrap()
    }

    /// One sync round now, with the system clock and OS randomness.
    pub fn sync(&self, server: &str, timeout: Duration) -> qrgate_sync::Result<qrgate_sync::Round> {
        let mut store = self.store();
        let client = self.client(server, timeout);
        qrgate_sync::sync_once(
            &mut store,
            &client,
            &qrgate_core::SystemClock,
            &mut rand::rngs::OsRng,
            &Default::default(),
        )
        .map(|(round, _)| round)
    }

    /// One round with the settings kiosk.conf gives (the province's trace key among them).
    pub fn sync_for_kiosk(&self, server: &str) -> qrgate_sync::Result<qrgate_sync::Round> {
        let (mut store, config) = self.data.open().unwrap();
        let client = self.client(server, Duration::from_secs(20));
        let settings = qrgate_sync::Settings::for_kiosk(&config);
        qrgate_sync::sync_once(&mut store, &client, &qrgate_core::SystemClock, &mut rand::rngs::OsRng, &settings)
            .map(|(round, _)| round)
    }

    pub fn status(&self) -> qrgate_sync::SyncStatus {
        qrgate_sync::status(&self.store()).unwrap()
    }
}

/// A draft of an accepted badge entry or exit of `code` at gate "Cổng A".
pub fn event(id: Uuid, code: &str, direction: Direction, at: DateTime<FixedOffset>) -> Event {
    Event {
        person: Some(PersonRef::Worker(code.parse().unwrap())),
        direction: Some(direction),
        badge_serial: Some(1),
        ..Event::draft(id, "Cổng A", at, Method::Badge, Verdict::Accepted)
    }
}

/// The event of kiosk `kiosk_id` numbered `seq` made from `draft`, as the kiosk sends it.
pub fn on_the_wire(draft: Event, kiosk_id: &str, seq: i64) -> qrgate_protocol::WireEvent {
    qrgate_sync::outbox::event_to_wire(Event { kiosk_id: kiosk_id.into(), seq, ..draft })
}

/// What the proxy does with the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Forward,
    /// Answer 500 without passing the request on.
    Fail500,
    /// Read the request, never answer.
    Stall,
    /// Pass the request on, let the server store it, drop the answer.
    LoseAnswer,
    /// Answer `status` to a POST to `path` without passing it on (500 with the server's own
    /// error body; any other status with none, as a server without the path answers 404); pass
    /// every other request on.
    Refuse {
        path: &'static str,
        status: u16,
    },
}

/// An HTTP/1.1 proxy on loopback between a kiosk and the server, for faults the network makes.
pub struct Proxy {
    pub url: String,
    mode: Arc<Mutex<Mode>>,
    pub seen: Arc<Mutex<Vec<Mode>>>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mode = Arc::new(Mutex::new(Mode::Forward));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (m, s) = (mode.clone(), seen.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let (m, s) = (m.clone(), s.clone());
                std::thread::spawn(move || {
                    let _ = serve_connection(client, upstream, &m, &s);
                });
            }
        });
        Proxy { url, mode, seen }
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn requests_in(&self, mode: Mode) -> usize {
        self.seen.lock().unwrap().iter().filter(|m| **m == mode).count()
    }
}

/// The server's own answer when its database is down.
const DATABASE_DOWN: &[u8] = br#"{"code":"database","message":"the server cannot answer now; retry later"}"#;

/// Reads one HTTP/1.1 message (headers + Content-Length body); None at end of stream.
fn read_message(stream: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Ok(None);
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0);
    let start = buf.len();
    buf.resize(start + len, 0);
    stream.read_exact(&mut buf[start..])?;
    Ok(Some(buf))
}

fn serve_connection(
    mut client: TcpStream,
    upstream: SocketAddr,
    mode: &Mutex<Mode>,
    seen: &Mutex<Vec<Mode>>,
) -> std::io::Result<()> {
    let mut server: Option<TcpStream> = None;
    while let Some(request) = read_message(&mut client)? {
        let now = *mode.lock().unwrap();
        seen.lock().unwrap().push(now);
        if let Mode::Refuse { path, status } = now {
            if request.starts_with(format!("POST {path} ").as_bytes()) {
                let body: &[u8] = if status == 500 { DATABASE_DOWN } else { b"" };
                write!(
                    client,
                    "HTTP/1.1 {status} Refused\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                )?;
                client.write_all(body)?;
                continue;
            }
        }
        match now {
            Mode::Fail500 => {
                let body = DATABASE_DOWN;
                write!(client, "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", body.len())?;
                client.write_all(body)?;
            }
            Mode::Stall => {
                // Hold the connection until the kiosk gives up and closes it.
                let mut sink = [0u8; 1024];
                while client.read(&mut sink)? > 0 {}
                return Ok(());
            }
            Mode::Forward | Mode::LoseAnswer | Mode::Refuse { .. } => {
                if server.is_none() {
                    server = Some(TcpStream::connect(upstream)?);
                }
                let up = server.as_mut().unwrap();
                up.write_all(&request)?;
                let answer = read_message(up)?.ok_or_else(|| std::io::Error::other("server closed"))?;
                if now == Mode::LoseAnswer {
                    return Ok(());
                }
                client.write_all(&answer)?;
            }
        }
    }
    Ok(())
}

pub fn tmp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
