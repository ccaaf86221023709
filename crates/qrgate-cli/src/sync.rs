//! `qrgate identity` and `qrgate sync`: who this kiosk is for the province, and sending its
//! events there (once, or as a loop until stopped).

use std::time::Duration;

use qrgate_core::datadir::DataDir;
use qrgate_core::SystemClock;
use qrgate_desk::{Error, Result};

use crate::Outcome;

#[derive(clap::Args)]
pub struct IdentityArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct SyncArgs {
    /// The province's server, e.g. https://sync.kcn.example.vn (default: kiosk.conf's [sync] server)
    #[arg(long, env = "QRGATE_SERVER", value_name = "URL")]
    server: Option<String>,
    /// One round (push everything waiting, pull what is new), then exit.
    #[arg(long)]
    once: bool,
    /// Print the sync status and the events the province refused, without contacting it.
    #[arg(long, conflicts_with = "once")]
    status: bool,
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    timeout: u64,
}

pub fn run_identity(args: IdentityArgs, data: &DataDir) -> Result<Outcome> {
    let (store, _) = data.open()?;
    let id = store.identity();
    if args.json {
        let json = serde_json::json!({
            "kiosk_id": id.kiosk_id.as_str(),
            "enterprise": id.enterprise.as_str(),
            "enterprise_name": id.enterprise_name,
            "public_key": id.kiosk_public_key,
        });
        println!("{json:#}");
    } else {
        println!("kiosk id:    {}", id.kiosk_id);
        println!("enterprise:  {} ({})", id.enterprise, id.enterprise_name);
        println!("public key:  {}", id.kiosk_public_key);
        println!();
        println!("The province registers this kiosk with:");
        println!(
            "  qrgate-server kiosk add --enterprise {} --enterprise-name {:?} --kiosk-id {} --pubkey {}",
            id.enterprise, id.enterprise_name, id.kiosk_id, id.kiosk_public_key
        );
    }
    Ok(Outcome::Done)
}

/// Storage and data-directory failures are the core's and exit as such; a server that cannot
/// be reached or refuses is printed here and exits 1.
pub(crate) fn failed(e: qrgate_sync::Error) -> Result<Outcome> {
    match e {
        qrgate_sync::Error::Core(e) => Err(e.into()),
        qrgate_sync::Error::Storage(e) => Err(e.into()),
        other => {
            eprintln!("qrgate: error[{}]: {other}", other.detail_code());
            Ok(Outcome::Refused)
        }
    }
}

pub(crate) fn print_status(status: &qrgate_sync::SyncStatus) {
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or("never".to_string(), |t| t.to_rfc3339());
    println!(
        "{}  waiting {}  refused {}  last success {}",
        if status.online { "online" } else { "offline" },
        status.waiting,
        status.rejected,
        when(status.last_success)
    );
    if let Some(e) = &status.last_error {
        println!("  last error [{}] at {}: {}", e.code, e.at.to_rfc3339(), e.message);
    }
    if let Some(since) = status.restored_unheard_since {
        println!(
            "  restored from a backup at {}: not yet heard from the province since (its unsent events go at the next sync)",
            since.to_rfc3339()
        );
    }
    if status.photos_waiting > 0 {
        println!("  workers' photos waiting for the other gates: {}", status.photos_waiting);
    }
    if status.photos_refused > 0 {
        println!(
            "  photos from the province refused (not sealed with this enterprise's key, or changed on the way): {}",
            status.photos_refused
        );
    }
    if let Some(e) = &status.roster_error {
        println!("  roster refused [{}] at {}: {}", e.code, e.at.to_rfc3339(), e.message);
    }
    if let Some(e) = &status.health_error {
        println!(
            "  health report not delivered [{}] at {} (events are not held up): {}",
            e.code,
            e.at.to_rfc3339(),
            e.message
        );
    }
    match (status.clock_offset_ms, status.clock_off_minutes()) {
        (_, Some(m)) if m >= 0 => {
            println!("  kiosk clock is {m} minutes behind the server's (requests use the server's time)")
        }
        (_, Some(m)) => {
            println!("  kiosk clock is {} minutes ahead of the server's (requests use the server's time)", -m)
        }
        (Some(o), None) => println!("  kiosk clock within {} s of the server's", (o.abs() + 999) / 1000),
        (None, None) => {}
    }
}

/// The turnstile as the running kiosk last saw it (nothing when none is set up).
fn print_turnstile(data: &DataDir, config: &qrgate_core::config::Config) {
    let path = data.turnstile_health();
    match qrgate_turnstile::Seen::load(&path) {
        Ok(None) => {}
        Ok(Some(seen)) => {
            let h = &seen.health;
            let state = match &h.problem {
                None => "reachable".to_string(),
                Some(why) => format!("ALERT, not reachable: {why}"),
            };
            println!(
                "turnstile: {} — {state} (as of {}; {} pulses, {} failed)",
                h.device,
                seen.at.with_timezone(&config.time.timezone).format("%d/%m/%Y %H:%M:%S"),
                h.pulses,
                h.failed_pulses
            );
        }
        Err(e) => println!("turnstile: its status file {} cannot be read ({e})", path.display()),
    }
}

/// The last start that followed a stop the kiosk did not make, if any.
fn print_restart(data: &DataDir, config: &qrgate_core::config::Config) {
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&config.time.timezone).format("%d/%m/%Y %H:%M:%S");
    match qrgate_core::supervision::last_restart(data) {
        Ok(None) => {}
        Ok(Some(r)) => println!(
            "last restart: {} at {}: {}; that run had started at {}",
            r.program,
            local(r.at),
            r.why(),
            local(r.previous_start)
        ),
        Err(e) => println!("last restart: cannot be read ({e})"),
    }
}

pub fn run_sync(args: SyncArgs, data: &DataDir) -> Result<Outcome> {
    let (mut store, config) = data.open()?;
    if args.status {
        let status = qrgate_sync::status(&store).or_else(|e| failed(e).map(|_| Default::default()))?;
        print_status(&status);
        print_turnstile(data, &config);
        print_restart(data, &config);
        for r in qrgate_sync::outbox::rejected(&store, 50).or_else(|e| failed(e).map(|_| vec![]))? {
            println!("  refused {} [{}] {}", r.event_id, r.code, r.message);
        }
        return Ok(Outcome::Done);
    }
    let server = match args.server.filter(|s| !s.trim().is_empty()) {
        Some(s) => s,
        None if !config.sync.server.trim().is_empty() => config.sync.server.clone(),
        None => {
            return Err(Error::invalid("server", "give --server URL, or set `server` in kiosk.conf's [sync] section"))
        }
    };
    let client = match qrgate_sync::client_for(data, &store, &server, Duration::from_secs(args.timeout.max(1))) {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let settings = qrgate_sync::Settings::for_kiosk(&config);
    let mut rng = rand::rngs::OsRng;
    if args.once {
        return match qrgate_sync::sync_once(&mut store, &client, &SystemClock, &mut rng, &settings) {
            Ok((round, status)) => {
                println!(
                    "sent {} events ({} refused for good), {} roster changes; received {} events, {} roster changes",
                    round.pushed, round.rejected, round.workers_pushed, round.pulled_events, round.pulled_workers
                );
                if client.photo_key().is_some() {
                    println!(
                        "workers' photos, sealed for the enterprise's gates: sent {}, received {}, refused {}{}",
                        round.photos_pushed,
                        round.photos_pulled,
                        round.photos_refused,
                        match round.photos_not_sent {
                            0 => String::new(),
                            n => format!(", {n} too large or refused by the province, not sent"),
                        }
                    );
                } else {
                    println!(
                        "workers' photos stay on this gate: no keys/visitor.key from the enterprise's first kiosk"
                    );
                }
                if settings.trace_key.is_some() {
                    println!("visitors' numbers sealed to the province's trace key: {}", round.visitors_traced);
                }
                print_status(&status);
                Ok(if status.rejected > 0 && round.rejected > 0 { Outcome::Refused } else { Outcome::Done })
            }
            Err(e) => failed(e),
        };
    }
    // Until Ctrl-C: the sender stays alive for the whole run, so the loop only stops with the process.
    let (_keep, signals) = std::sync::mpsc::channel();
    let mut on_status = |s: &qrgate_sync::SyncStatus| print_status(s);
    match qrgate_sync::run_loop(&mut store, &client, &SystemClock, &mut rng, &settings, &signals, &mut on_status) {
        Ok(()) => Ok(Outcome::Done),
        Err(e) => failed(e),
    }
}
