//! `qrgate-server`: run the provincial server, register or revoke kiosks, manage the console's
//! accounts and their API tokens.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use qrgate_protocol::trace::TraceSecret;
use qrgate_server::accounts::{self, Login, NewAccount, Password};
use qrgate_server::console::html::time_and_day;
use qrgate_server::http::{router, AppState, Limits};
use qrgate_server::sync::{add_kiosk, expire_nonces, revoke_kiosk, Registration};
use qrgate_server::tokens::{self, TokenName};
use qrgate_server::{connect, Error, Result};

#[derive(Parser)]
#[command(name = "qrgate-server", version, about = "QR Gate provincial server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Db {
    /// PostgreSQL URL, e.g. postgres://qrgate@localhost/qrgate
    #[arg(long, env = "QRGATE_DB")]
    db: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serve kiosks and province queries.
    Serve {
        #[command(flatten)]
        db: Db,
        /// Address to listen on; port 0 picks a free one (printed on start).
        #[arg(long, env = "QRGATE_LISTEN", default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// PEM certificate chain; with --tls-key, serve HTTPS.
        #[arg(long, env = "QRGATE_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key for --tls-cert.
        #[arg(long, env = "QRGATE_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Bearer token for /api/v1/province/*; without it those queries are refused. Prefer
        /// --query-token-file or the environment: a command line is visible to every user (`ps`).
        #[arg(long, env = "QRGATE_QUERY_TOKEN", hide_env_values = true, conflicts_with = "query_token_file")]
        query_token: Option<String>,
        /// A file holding the bearer token for /api/v1/province/* (surrounding blanks ignored).
        #[arg(long, env = "QRGATE_QUERY_TOKEN_FILE")]
        query_token_file: Option<PathBuf>,
        /// Database connections this instance may hold.
        #[arg(long, default_value_t = 20)]
        max_connections: u32,
        /// Seconds a request's body may take to arrive once its headers are in.
        #[arg(long, default_value_t = 30)]
        body_timeout: u64,
        /// Bodies read at once, server-wide (each up to 4 MiB until its hash is checked). Only
        /// requests whose signed headers passed get this far.
        #[arg(long, default_value_t = 32)]
        bodies_at_once: usize,
        /// Requests of one kiosk served at once.
        #[arg(long, default_value_t = 4)]
        requests_per_kiosk: usize,
        /// Days events (which name people) are kept; older days keep only their daily counts.
        /// The purge runs at start and every hour. 0 keeps events for ever.
        #[arg(long, env = "QRGATE_RETENTION_DAYS", default_value_t = 90)]
        retention_days: u32,
        /// The province's trace secret (from `trace-key new`): kiosks seal visitors' CCCD numbers
        /// to its public key; the server keeps only a tag of each, and traces by `cccd=`.
        #[arg(long, env = "QRGATE_TRACE_KEY_FILE")]
        trace_key: Option<PathBuf>,
        /// Mark the console's cookies Secure (sent over HTTPS only): give it when a reverse proxy
        /// terminates TLS in front of this server. Serving TLS itself (--tls-cert) implies it.
        #[arg(long, env = "QRGATE_SECURE_COOKIES")]
        secure_cookies: bool,
    },
    /// The province's trace secret, for tracing visitors by CCCD number.
    TraceKey {
        #[command(subcommand)]
        command: TraceKeyCommand,
    },
    /// Register or revoke kiosks.
    Kiosk {
        #[command(subcommand)]
        command: KioskCommand,
    },
    /// The web console's personal accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Bearer tokens for scripts using the province's JSON/CSV API, each an account's.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Create or upgrade the schema, then exit.
    Migrate {
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum TraceKeyCommand {
    /// Make a new secret (owner-only file) and print its public key for kiosk.conf.
    New {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the public key of a secret, for every kiosk's `[sync] trace_key`.
    Public {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
}

#[derive(Subcommand)]
enum KioskCommand {
    /// Register a kiosk's public key (from `qrgate identity`) with its enterprise.
    Add {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        enterprise: String,
        #[arg(long)]
        enterprise_name: String,
        #[arg(long)]
        kiosk_id: String,
        #[arg(long)]
        pubkey: String,
    },
    /// Refuse every request of a kiosk from now on (stolen, replaced, retired).
    Revoke {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        kiosk_id: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. Its password is read from standard input (asked twice, unseen, on a
    /// terminal; the first line of a pipe), never from the command line.
    Add {
        #[command(flatten)]
        db: Db,
        /// 3 to 64 of a-z, 0-9 and . _ @ -, e.g. nguyen.van.an
        #[arg(long)]
        login: String,
        /// The person's name as the console shows it.
        #[arg(long)]
        name: String,
        /// province_admin (everything, the audit log included), province_officer (every
        /// enterprise) or enterprise_viewer (its own enterprise only).
        #[arg(long)]
        role: String,
        /// An enterprise_viewer's enterprise: its tax code, registered with `kiosk add`.
        #[arg(long)]
        enterprise: Option<String>,
    },
    /// Set an account's password (read from standard input); unlocks it and ends its sessions.
    Passwd {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        login: String,
    },
    /// Refuse an account's sign-ins from now on and end its sessions.
    Disable {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        login: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make a token for an account and print it: it is shown this once, only its hash is kept.
    Add {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        login: String,
        /// What the token is for, to tell it apart and revoke it: "nightly export".
        #[arg(long)]
        name: String,
    },
    /// Revoke an account's token by its name: scripts using it are refused from now on.
    Revoke {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
    },
    /// The tokens of an account, or of every account: names and dates, never the tokens.
    List {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        login: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qrgate-server: {e} [{}]", e.code());
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<()> {
    match command {
        Command::Serve {
            db,
            listen,
            tls_cert,
            tls_key,
            query_token,
            query_token_file,
            max_connections,
            body_timeout,
            bodies_at_once,
            requests_per_kiosk,
            retention_days,
            trace_key,
            secure_cookies,
        } => {
            let trace = trace_key.as_deref().map(read_trace_secret).transpose()?;
            let query_token = match query_token_file {
                Some(path) => Some(read_text(&path)?.trim().to_string()),
                None => query_token,
            };
            let pool = connect(&db.db, max_connections).await?;
            let limits =
                Limits::new(bodies_at_once.max(1), requests_per_kiosk.max(1), Duration::from_secs(body_timeout.max(1)));
            let state = AppState {
                limits: Arc::new(limits),
                trace: trace.map(Arc::new),
                secure_cookies: secure_cookies || tls_cert.is_some(),
                ..AppState::new(pool.clone(), query_token.filter(|t| !t.is_empty()).map(Arc::from))
            };
            tokio::spawn(forget_what_expired(pool.clone()));
            tokio::spawn(make_months_ahead(pool.clone()));
            if retention_days > 0 {
                tokio::spawn(purge_old_events(pool, retention_days));
            }
            serve(state, listen, tls_cert.zip(tls_key)).await
        }
        Command::Kiosk { command: KioskCommand::Add { db, enterprise, enterprise_name, kiosk_id, pubkey } } => {
            let registration = Registration::parse(&enterprise, &enterprise_name, &kiosk_id, &pubkey)?;
            let pool = connect(&db.db, 2).await?;
            add_kiosk(&pool, &registration, now_ms(), None).await?;
            println!("kiosk {} registered for enterprise {}", registration.kiosk_id, registration.enterprise);
            Ok(())
        }
        Command::Kiosk { command: KioskCommand::Revoke { db, kiosk_id } } => {
            let pool = connect(&db.db, 2).await?;
            revoke_kiosk(&pool, kiosk_id.trim(), now_ms(), None).await?;
            println!("kiosk {} revoked", kiosk_id.trim());
            Ok(())
        }
        Command::User { command: UserCommand::Add { db, login, name, role, enterprise } } => {
            let account = NewAccount::parse(&login, &name, &role, enterprise.as_deref())?;
            let password = read_password(account.login.as_str())?;
            let hash = accounts::hash_password(&password, &mut rand_core::OsRng)?;
            accounts::add(&connect(&db.db, 2).await?, &account, &hash, now_ms(), None).await?;
            println!("account {} added ({})", account.login.as_str(), account.role.as_str());
            Ok(())
        }
        Command::User { command: UserCommand::Passwd { db, login } } => {
            let login = Login::parse(&login)?;
            let password = read_password(login.as_str())?;
            let hash = accounts::hash_password(&password, &mut rand_core::OsRng)?;
            accounts::set_password(&connect(&db.db, 2).await?, &login, &hash, now_ms(), None).await?;
            println!("password of {} set; its sessions are ended", login.as_str());
            Ok(())
        }
        Command::User { command: UserCommand::Disable { db, login } } => {
            let login = Login::parse(&login)?;
            accounts::disable(&connect(&db.db, 2).await?, &login, now_ms(), None).await?;
            println!("account {} disabled; its sessions are ended", login.as_str());
            Ok(())
        }
        Command::Token { command: TokenCommand::Add { db, login, name } } => {
            let (login, name) = (Login::parse(&login)?, TokenName::parse(&name)?);
            let token = tokens::add(&connect(&db.db, 2).await?, &login, &name, now_ms(), None).await?;
            // The token alone on stdout, so a script can take it; the words on stderr.
            eprintln!("token {:?} of {} (shown this once; `token revoke` ends it):", name.as_str(), login.as_str());
            println!("{token}");
            Ok(())
        }
        Command::Token { command: TokenCommand::Revoke { db, login, name } } => {
            let (login, name) = (Login::parse(&login)?, TokenName::parse(&name)?);
            tokens::revoke(&connect(&db.db, 2).await?, &login, &name, now_ms(), None).await?;
            println!("token {:?} of {} revoked", name.as_str(), login.as_str());
            Ok(())
        }
        Command::Token { command: TokenCommand::List { db, login } } => {
            let login = login.as_deref().map(Login::parse).transpose()?;
            for t in tokens::list(&connect(&db.db, 2).await?, login.as_ref()).await? {
                let state = match t.revoked_at_ms {
                    Some(at) => format!("revoked {}", time_and_day(at)),
                    None => "live".to_string(),
                };
                println!("{}\t{}\tmade {}\t{state}", t.login, t.name, time_and_day(t.created_at_ms));
            }
            Ok(())
        }
        Command::TraceKey { command: TraceKeyCommand::New { out } } => {
            let secret = TraceSecret::generate(&mut rand_core::OsRng);
            write_secret_file(&out, secret.to_file_text().as_bytes())?;
            println!("trace secret written to {} (keep it off the database's backups)", out.display());
            println!("public key for every kiosk's kiosk.conf [sync] trace_key: {}", secret.public().to_hex());
            Ok(())
        }
        Command::TraceKey { command: TraceKeyCommand::Public { key } } => {
            println!("{}", read_trace_secret(&key)?.public().to_hex());
            Ok(())
        }
        Command::Migrate { db } => {
            connect(&db.db, 2).await?;
            println!("schema is current");
            Ok(())
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A password from standard input: on a terminal asked twice with the echo off, else the first
/// line of what is piped in (its line ending dropped, nothing else: blanks are part of it).
fn read_password(login: &str) -> Result<Password> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    let io = |source| Error::Io { what: "reading the password from standard input".into(), source };
    let read_line = || -> Result<String> {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(io)?;
        Ok(line.trim_end_matches(['\n', '\r']).to_string())
    };
    if !stdin.is_terminal() {
        return Password::new(read_line()?);
    }
    let _hidden = Unechoed::start();
    eprint!("password for {login}: ");
    let _ = std::io::stderr().flush();
    let first = read_line()?;
    eprint!("\nthe same password again: ");
    let _ = std::io::stderr().flush();
    let again = read_line()?;
    eprintln!();
    if first != again {
        return Err(Error::Invalid { what: "password", why: "the two passwords differ; nothing was changed".into() });
    }
    Password::new(first)
}

/// The terminal's echo, off while a password is typed and back on however the typing ends.
struct Unechoed;

impl Unechoed {
    fn start() -> Unechoed {
        let _ = std::process::Command::new("stty").arg("-echo").stdin(std::process::Stdio::inherit()).status();
        Unechoed
    }
}

impl Drop for Unechoed {
    fn drop(&mut self) {
        let _ = std::process::Command::new("stty").arg("echo").stdin(std::process::Stdio::inherit()).status();
    }
}

fn read_text(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io { what: format!("reading {}", path.display()), source })
}

fn read_trace_secret(path: &std::path::Path) -> Result<TraceSecret> {
    Ok(TraceSecret::from_file_text(&read_text(path)?)?)
}

/// Creates `path` readable by its owner only; an existing file is never replaced (a lost secret
/// loses every tag made with it).
fn write_secret_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| Error::Io { what: format!("writing {}", path.display()), source };
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io)
}

/// How long a client may take to send a request's headers: a caller trickling them holds a
/// connection and its buffer, so it is cut off.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

async fn serve(state: AppState, listen: SocketAddr, tls: Option<(PathBuf, PathBuf)>) -> Result<()> {
    let io = |what: String| move |source| Error::Io { what, source };
    let listener = std::net::TcpListener::bind(listen).map_err(io(format!("listening on {listen}")))?;
    listener.set_nonblocking(true).map_err(io("listener".into()))?;
    let local = listener.local_addr().map_err(io("listener".into()))?;
    let app = qrgate_server::with_server_time(router(state)).into_make_service();
    let handle = axum_server::Handle::new();
    tokio::spawn({
        let handle = handle.clone();
        async move {
            shutdown().await;
            handle.graceful_shutdown(Some(Duration::from_secs(10)));
        }
    });
    let tune = |builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>| {
        builder.http1().timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    };
    match tls {
        Some((cert, key)) => {
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .map_err(io(format!("reading {} and {}", cert.display(), key.display())))?;
            let mut server = axum_server::from_tcp_rustls(listener, config).handle(handle);
            tune(server.http_builder());
            announce("https", local);
            server.serve(app).await.map_err(io("serving".into()))
        }
        None => {
            let mut server = axum_server::from_tcp(listener).handle(handle);
            tune(server.http_builder());
            announce("http", local);
            server.serve(app).await.map_err(io("serving".into()))
        }
    }
}

/// One line on stdout once the port is open: scripts and tests wait for it.
fn announce(scheme: &str, local: SocketAddr) {
    use std::io::Write;
    println!("qrgate-server listening on {scheme}://{local}");
    let _ = std::io::stdout().flush();
}

async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Every minute: nonces past their window, console sessions past their end.
async fn forget_what_expired(pool: sqlx::PgPool) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every.tick().await;
        let now = now_ms();
        if let Err(e) = expire_nonces(&pool, now).await {
            eprintln!("qrgate-server: forgetting old nonces: {e}");
        }
        if let Err(e) = accounts::forget_expired_sessions(&pool, now).await {
            eprintln!("qrgate-server: forgetting ended console sessions: {e}");
        }
    }
}

/// The months `events` is partitioned by: this month and the next ones, at start and every hour,
/// so pushes find their month made and the default partition stays nearly empty.
async fn make_months_ahead(pool: sqlx::PgPool) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        if let Err(e) = qrgate_server::months::make_ahead(&pool, now_ms()).await {
            eprintln!("qrgate-server: making the coming months' partitions: {e}");
        }
    }
}

/// The province's retention (Law 91/2025/QH15): at start, then every hour. Logs counts only.
async fn purge_old_events(pool: sqlx::PgPool, keep_days: u32) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        match qrgate_server::privacy::purge(&pool, chrono::Utc::now().timestamp_millis(), keep_days).await {
            Ok(p) if p.events > 0 => {
                eprintln!("qrgate-server: retention: {} events of {} people kept as daily counts", p.events, p.people)
            }
            Ok(_) => {}
            Err(e) => eprintln!("qrgate-server: retention: {e}"),
        }
    }
}
