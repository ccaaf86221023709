//! The kiosk's sync with the province: the outbox in SQLite, signed gzipped batches, retries
//! with backoff, pull of other gates' events and roster changes, workers' photos sealed to and
//! from the enterprise's other gates (`photos`), the kiosk's health told at each round's end
//! (`health`), and the status the guard sees.
//!
//! Time (a [`Clock`]) and randomness (nonces, jitter) come from the caller; the loop that the
//! kiosk window runs on its own thread is [`run_loop`], the CLI's one-shot is [`sync_round`].

pub mod backoff;
pub mod client;
pub mod error;
pub mod health;
pub mod outbox;
pub mod photos;

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use qrgate_core::datadir::DataDir;
use qrgate_core::store::Store;
use qrgate_core::Clock;
use qrgate_protocol::trace::{SealedVisitor, TracePublicKey, MAX_BATCH_VISITORS};
use qrgate_protocol::{
    cursor_ok, Nonce, PullRequest, PushRequest, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_PULL_ROWS, MAX_SEQ,
};

/// Most roster entries one push carries; with [`MAX_BATCH_BYTES`] of JSON at most, far inside
/// what the server inflates.
pub const MAX_BATCH_WORKERS: usize = 5000;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

pub use client::Client;
pub use error::{Error, Result};
pub use health::{DeviceState, GateCell};

/// Limits and pace; the defaults are the protocol's limits.
#[derive(Debug, Clone)]
pub struct Settings {
    pub batch_events: usize,
    pub batch_bytes: usize,
    /// Most roster entries in one push (each push also stays within `batch_bytes`).
    pub roster_workers: usize,
    /// How long the loop rests after a successful round before looking again.
    pub idle: Duration,
    /// The province's trace key (kiosk.conf `[sync] trace_key`): consenting visitors' numbers go
    /// sealed to it. None: numbers never leave the kiosk.
    pub trace_key: Option<TracePublicKey>,
    /// The gate's live state, told to the province in each round's health report: the window's
    /// frame loops and turnstile keep it; `qrgate sync` knows only what kiosk.conf says.
    pub gate: GateCell,
    /// The gate's name in kiosk.conf, for the province's list of kiosks.
    pub gate_name: Option<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            batch_events: MAX_BATCH_EVENTS,
            batch_bytes: MAX_BATCH_BYTES,
            roster_workers: MAX_BATCH_WORKERS,
            idle: Duration::from_secs(15),
            trace_key: None,
            gate: GateCell::default(),
            gate_name: None,
        }
    }
}

impl Settings {
    /// The defaults, with what kiosk.conf says of the province.
    pub fn for_kiosk(config: &qrgate_core::config::Config) -> Settings {
        use qrgate_core::config::TurnstileDriver;
        let turnstile = match config.turnstile.driver {
            TurnstileDriver::None => DeviceState::Absent,
            _ => DeviceState::Unknown,
        };
        Settings {
            trace_key: config.sync.trace_public_key(),
            gate: GateCell::with_turnstile(turnstile),
            gate_name: Some(config.gate.name.clone()),
            ..Settings::default()
        }
    }
}

/// The last failure, as the guard screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    pub code: String,
    pub message: String,
    pub at: DateTime<Utc>,
}

/// What the guard screen shows about sync. Kept in the database, so the CLI and the window
/// see the same thing whichever of them ran the last round.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// The server answered the last round (even if it refused something).
    pub online: bool,
    pub last_success: Option<DateTime<Utc>>,
    pub waiting: u64,
    pub rejected: u64,
    pub last_error: Option<LastError>,
    pub next_attempt: Option<DateTime<Utc>>,
    /// The province's last refusal of a roster push; events keep flowing meanwhile. Cleared when
    /// the whole roster went through.
    #[serde(default)]
    pub roster_error: Option<LastError>,
    /// The province's clock minus the kiosk's (ms), as the server last told it: requests are
    /// signed on the corrected clock, and the guard screen says so beyond [`CLOCK_WARN_MS`].
    #[serde(default)]
    pub clock_offset_ms: Option<i64>,
    /// When the kiosk was restored from a backup, until a pull has told it the province's highest
    /// sequence number (it records meanwhile, numbered past its backup).
    #[serde(default)]
    pub restored_unheard_since: Option<DateTime<Utc>>,
    /// Photos imported, replaced or erased here that the other gates have not got yet.
    #[serde(default)]
    pub photos_waiting: u64,
    /// Photos pulled from the province that did not open under the enterprise's key, in all.
    #[serde(default)]
    pub photos_refused: u64,
    /// Why the last health report did not reach the province; the round went on regardless.
    /// Cleared when a report goes through (or the server is older than health reports).
    #[serde(default)]
    pub health_error: Option<LastError>,
}

/// Beyond this the guard screen says "the kiosk's clock is N minutes off".
pub const CLOCK_WARN_MS: i64 = 2 * 60 * 1000;

impl SyncStatus {
    /// Whole minutes the kiosk's clock is off (positive: behind the province), when more than
    /// [`CLOCK_WARN_MS`]; `None` when close enough or never heard.
    pub fn clock_off_minutes(&self) -> Option<i64> {
        self.clock_offset_ms.filter(|o| o.abs() > CLOCK_WARN_MS).map(|o| o / 60_000)
    }
}

/// The saved status with fresh counts of waiting and rejected events.
pub fn status(store: &Store) -> Result<SyncStatus> {
    let saved = outbox::state(store.connection(), outbox::STATUS)?;
    let mut status: SyncStatus = saved.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
    status.waiting = outbox::waiting(store)?;
    status.rejected = outbox::rejected_count(store)?;
    status.roster_error =
        outbox::state(store.connection(), outbox::ROSTER_ERROR)?.and_then(|s| serde_json::from_str(&s).ok());
    status.clock_offset_ms = store.clock_offset()?;
    status.restored_unheard_since = store.restored_unheard()?;
    status.photos_waiting = photos::waiting(store)?;
    status.photos_refused = photos::refused(store)?;
    status.health_error =
        outbox::state(store.connection(), outbox::HEALTH_ERROR)?.and_then(|s| serde_json::from_str(&s).ok());
    Ok(status)
}

fn save_status(store: &Store, status: &SyncStatus) -> Result<()> {
    outbox::set_state(
        store.connection(),
        outbox::STATUS,
        &serde_json::to_string(status).expect("plain data serialises"),
    )
}

/// A client for this data directory's kiosk: its id and signing key, and the enterprise's photo
/// key when the kiosk holds the visitor key it comes from (without one, photos stay on this gate).
pub fn client_for(dir: &DataDir, store: &Store, server: &str, timeout: Duration) -> Result<Client> {
    let client = Client::new(server, store.identity().kiosk_id.as_str(), dir.kiosk_key()?, timeout)?;
    Ok(match dir.visitor_key()? {
        Some(key) => client.with_photo_key(key.photo_key()),
        None => client,
    })
}

pub(crate) fn nonce(rng: &mut (impl RngCore + CryptoRng)) -> Nonce {
    let mut n = [0u8; 16];
    rng.fill_bytes(&mut n);
    Nonce(n)
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Round {
    pub pushed: usize,
    pub rejected: usize,
    pub workers_pushed: usize,
    pub pulled_events: usize,
    pub pulled_workers: usize,
    /// Visitors whose sealed number the province kept.
    pub visitors_traced: usize,
    /// Photo changes (imports, replacements, erasures) the province took from this kiosk.
    pub photos_pushed: usize,
    /// Photo changes too large to send or refused by the province, dropped from the outbox.
    pub photos_not_sent: usize,
    /// Other gates' photo changes kept here.
    pub photos_pulled: usize,
    /// Other gates' photos that did not open under the enterprise's key: refused, never stored.
    pub photos_refused: usize,
}

/// Sends every waiting event (and roster change), then pulls everything new; then the same for
/// workers' photos, when the client holds the enterprise's photo key; then the kiosk's health,
/// when a report is due (`health::end_round`, whose failure is the status's `health_error`, never the round's). A
/// refused roster is recorded (the status shows it) and the events go all the same; otherwise the
/// round stops at the first failure that is not one event's fault, and what was done so far stays
/// done. Whatever the server's answers said of its clock is kept for the next round and for the
/// events written.
pub fn sync_round(
    store: &mut Store,
    client: &Client,
    clock: &impl Clock,
    rng: &mut (impl RngCore + CryptoRng),
    settings: &Settings,
) -> Result<Round> {
    client.use_offset(store.clock_offset()?);
    let mut round = Round::default();
    let result = push_roster(store, client, clock, rng, settings, &mut round)
        .and_then(|()| push_events(store, client, clock, rng, settings, &mut round))
        .and_then(|()| push_visitors(store, client, clock, rng, settings, &mut round))
        .and_then(|()| pull(store, client, clock, rng, &mut round))
        .and_then(|()| match client.photo_key() {
            // After the events: a gate's photo is a nicety, its events are the record.
            Some(key) => photos::push(store, client, key, clock, rng, &mut round)
                .and_then(|()| photos::pull(store, client, key, clock, rng, &mut round)),
            None => Ok(()),
        });
    let result = result.map(|()| round);
    // The round's end, however it went (unless it found the province unreachable): how the kiosk
    // is, for the province's list of kiosks.
    health::end_round(store, client, clock, rng, settings, &result)?;
    if let Some(heard) = client.heard() {
        store.learn_server_time(heard.server_ms, heard.offset_ms)?;
    }
    result
}

/// Roster changes in pushes of their own that fit the protocol's limits, oldest first, the mark
/// saved after each. A push the server refuses for its content is halved until the one worker
/// at fault is alone; that one is recorded as refused and passed over (a later change of the
/// worker is sent again). Any other refusal is recorded and ends the roster's turn, not the round.
fn push_roster(
    store: &mut Store,
    client: &Client,
    clock: &impl Clock,
    rng: &mut (impl RngCore + CryptoRng),
    settings: &Settings,
    round: &mut Round,
) -> Result<()> {
    let enterprise = store.identity().enterprise.to_string();
    let max_bytes = settings.batch_bytes.min(MAX_BATCH_BYTES);
    let full = settings.roster_workers.max(1);
    let mut limit = full;
    let (mut refusal, mut went) = (None, false);
    loop {
        let changes = outbox::roster_changes(store, limit, max_bytes)?;
        let Some(&(_, mark)) = changes.last() else { break };
        let workers = changes.iter().map(|(w, _)| w.clone()).collect();
        let request = PushRequest { enterprise: enterprise.clone(), workers, ..PushRequest::default() };
        match client.push(&request, clock.now().timestamp_millis(), nonce(rng)) {
            Ok(answer) => {
                outbox::roster_pushed(store, mark)?;
                round.workers_pushed += answer.workers_stored;
                limit = (limit * 2).min(full);
                went = true;
            }
            Err(e) if e.blames_batch() && changes.len() > 1 => limit = changes.len() / 2,
            Err(e @ Error::Refused { .. }) => {
                // Alone in a refused push: this worker is what the server will not take.
                let one_worker = e.blames_batch();
                let message = if one_worker { format!("worker {}: {e}", changes[0].0.code) } else { e.to_string() };
                refusal = Some(LastError { code: e.detail_code().into(), message, at: clock.now() });
                if !one_worker {
                    break;
                }
                outbox::roster_pushed(store, mark)?;
                limit = full;
            }
            Err(e) => return Err(e),
        }
    }
    // A refusal stays shown until a later roster push goes through without one.
    let conn = store.connection();
    match refusal {
        Some(r) => outbox::set_state(conn, outbox::ROSTER_ERROR, &serde_json::to_string(&r).expect("plain data"))?,
        None if went => {
            conn.execute("DELETE FROM sync_state WHERE key = ?1", [outbox::ROSTER_ERROR])?;
        }
        None => {}
    }
    Ok(())
}

/// Consenting visitors' numbers sealed to the province's trace key, after their events (the
/// province's retention purge drops a tag left without events), each marked once the province
/// kept it. One the province did not keep (it has no trace secret, or another) is sent again next
/// round.
fn push_visitors(
    store: &mut Store,
    client: &Client,
    clock: &impl Clock,
    rng: &mut (impl RngCore + CryptoRng),
    settings: &Settings,
    round: &mut Round,
) -> Result<()> {
    let Some(key) = &settings.trace_key else { return Ok(()) };
    let enterprise = store.identity().enterprise.to_string();
    let mut after = String::new();
    loop {
        let waiting = outbox::untraced_visitors(store, &after, MAX_BATCH_VISITORS)?;
        let Some((last, _)) = waiting.last() else { return Ok(()) };
        after = last.clone();
        let visitors = waiting
            .iter()
            .map(|(id, number)| SealedVisitor { id: id.clone(), sealed: key.seal(number, rng) })
            .collect();
        let request = PushRequest { enterprise: enterprise.clone(), visitors, ..PushRequest::default() };
        let answer = client.push(&request, clock.now().timestamp_millis(), nonce(rng))?;
        outbox::visitors_traced(store, &answer.visitors_stored, clock.now())?;
        round.visitors_traced += answer.visitors_stored.len();
    }
}

/// How many pushes may be on their way at once: the next batch is read, encoded and sent while
/// the server stores the one before. Answers are recorded in the order the batches were sent.
const IN_FLIGHT: usize = 2;

fn push_events(
    store: &mut Store,
    client: &Client,
    clock: &impl Clock,
    rng: &mut (impl RngCore + CryptoRng),
    settings: &Settings,
    round: &mut Round,
) -> Result<()> {
    let enterprise = store.identity().enterprise.to_string();
    let full = settings.batch_events.clamp(1, MAX_BATCH_EVENTS);
    let max_bytes = settings.batch_bytes.min(MAX_BATCH_BYTES);
    let mut limit = full;
    std::thread::scope(|scope| {
        let mut in_flight = VecDeque::new();
        // The last row already on its way; 0 starts again from the mark.
        let mut after = 0;
        loop {
            while in_flight.len() < IN_FLIGHT {
                let batch = outbox::next_batch(store, after, limit, max_bytes)?;
                let Some(&last) = batch.rowids.last() else { break };
                after = last;
                let request = PushRequest {
                    enterprise: enterprise.clone(),
                    events: batch.events.clone(),
                    ..PushRequest::default()
                };
                let (now, nonce) = (clock.now().timestamp_millis(), nonce(rng));
                in_flight.push_back((batch, scope.spawn(move || client.push(&request, now, nonce))));
            }
            let Some((batch, sending)) = in_flight.pop_front() else { return Ok(()) };
            let answer = sending.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let settled = match answer {
                Ok(answer) => {
                    let settled = outbox::record(store, &batch, &answer, clock.now())?;
                    if settled == 0 {
                        return Err(Error::BadAnswer("the server answered without any event of the batch".into()));
                    }
                    round.pushed += answer.stored.len();
                    round.rejected += answer.rejected.len();
                    limit = (limit * 2).min(full);
                    settled
                }
                // The server refused the batch as a whole: halve it until the one event at fault
                // is alone, then record that event as refused for good and go on with the rest.
                Err(e) if e.blames_batch() => {
                    match batch.events.as_slice() {
                        [one] => {
                            outbox::reject(store, one.id, e.detail_code(), &e.to_string(), clock.now())?;
                            round.rejected += 1;
                            limit = full;
                        }
                        events => limit = events.len() / 2,
                    }
                    0
                }
                Err(e) => return Err(e),
            };
            // What was sent after a batch that did not go through whole starts again from the
            // mark; the server answers "stored" for whatever of it arrived.
            if settled < batch.events.len() {
                for (_, sending) in in_flight.drain(..) {
                    let _ = sending.join();
                }
                after = 0;
            }
        }
    })
}

fn pull(
    store: &mut Store,
    client: &Client,
    clock: &impl Clock,
    rng: &mut (impl RngCore + CryptoRng),
    round: &mut Round,
) -> Result<()> {
    let enterprise = store.identity().enterprise.to_string();
    let mut started_over = false;
    for _ in 0..MAX_PULL_PAGES {
        let conn = store.connection();
        // A cursor of any other shape was never one a server made: start from the beginning.
        let cursor = |key| Ok::<_, Error>(outbox::state(conn, key)?.filter(|c| cursor_ok(c)).unwrap_or_default());
        let request = PullRequest {
            enterprise: enterprise.clone(),
            events_after: cursor(outbox::EVENTS_CURSOR)?,
            roster_after: cursor(outbox::ROSTER_CURSOR)?,
            limit: MAX_PULL_ROWS as u32,
        };
        let answer = match client.pull(&request, clock.now().timestamp_millis(), nonce(rng)) {
            // Once per round: a server that refuses "" too is not fixed by asking again.
            Err(e) if e.refuses_cursor() && !started_over => {
                started_over = true;
                outbox::set_state(conn, outbox::EVENTS_CURSOR, "")?;
                outbox::set_state(conn, outbox::ROSTER_CURSOR, "")?;
                continue;
            }
            answer => answer?,
        };
        if !cursor_ok(&answer.events_cursor)
            || !cursor_ok(&answer.roster_cursor)
            || answer.events.len() > MAX_PULL_ROWS
            || answer.workers.len() > MAX_PULL_ROWS
        {
            return Err(Error::BadAnswer(format!(
                "a pull answer holds at most {MAX_PULL_ROWS} events and roster rows and cursors made of digits"
            )));
        }
        if let Some(highest) = answer.own_seq {
            if !(0..=MAX_SEQ).contains(&highest) {
                return Err(Error::BadAnswer(format!("{highest} is no kiosk's sequence number")));
            }
            // After this round's pushes: what the province holds from us is all it can hold.
            store.learn_province_seq(highest)?;
        }
        let moved = answer.events_cursor != request.events_after || answer.roster_cursor != request.roster_after;
        // Applied before the cursors are saved: a crash in between pulls the same again, which
        // inserts nothing twice.
        let (events, _skipped, workers) = outbox::apply_pull(store, answer.events, &answer.workers, clock.now())?;
        let conn = store.connection();
        outbox::set_state(conn, outbox::EVENTS_CURSOR, &answer.events_cursor)?;
        outbox::set_state(conn, outbox::ROSTER_CURSOR, &answer.roster_cursor)?;
        round.pulled_events += events;
        round.pulled_workers += workers;
        if !answer.more || !moved {
            return Ok(());
        }
    }
    // What is left comes in the next round: one round never pulls without end.
    Ok(())
}

/// At most this many pull answers in one round.
const MAX_PULL_PAGES: usize = 100;

/// What the kiosk window tells a running loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Try now (an event was just written, or the guard pressed "sync").
    Now,
    Stop,
}

/// The background loop: a round, then rest (after success) or back off (after failure), until
/// told to stop or the sender is dropped. Every round ends with the status saved and handed
/// to `on_status` for the guard screen.
pub fn run_loop(
    store: &mut Store,
    client: &Client,
    clock: &impl Clock,
    rng: &mut (impl RngCore + CryptoRng),
    settings: &Settings,
    signals: &Receiver<Signal>,
    on_status: &mut dyn FnMut(&SyncStatus),
) -> Result<()> {
    let mut failures = 0u32;
    loop {
        let result = sync_round(store, client, clock, rng, settings);
        let wait = match &result {
            Ok(_) => {
                failures = 0;
                settings.idle
            }
            Err(_) => {
                failures = failures.saturating_add(1);
                backoff::delay(failures, rng)
            }
        };
        let current = record_round(store, &result, clock.now(), Some(wait))?;
        on_status(&current);
        match signals.recv_timeout(wait) {
            Ok(Signal::Now) | Err(RecvTimeoutError::Timeout) => {}
            Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
    }
}

/// One round as the CLI's `--once` runs it: the status is saved the same way the loop saves it.
pub fn sync_once(
    store: &mut Store,
    client: &Client,
    clock: &impl Clock,
    rng: &mut (impl RngCore + CryptoRng),
    settings: &Settings,
) -> Result<(Round, SyncStatus)> {
    let result = sync_round(store, client, clock, rng, settings);
    // Nobody tries again on their own after a one-shot round: no next attempt to show.
    let current = record_round(store, &result, clock.now(), None)?;
    result.map(|round| (round, current))
}

/// Saves what a round that ended at `now` means for the guard screen, with the pause before the
/// next attempt, and returns the status saved. The loop and the one-shot both come here, so the
/// window and the CLI never disagree on what "online" means.
fn record_round(
    store: &Store,
    result: &Result<Round>,
    now: DateTime<Utc>,
    next_attempt: Option<Duration>,
) -> Result<SyncStatus> {
    let mut current = status(store)?;
    match result {
        Ok(_) => {
            current.online = true;
            current.last_success = Some(now);
            current.last_error = None;
        }
        // A refusal is an answer: the server is there, it only said no.
        Err(e) => {
            current.online = matches!(e, Error::Refused { .. });
            current.last_error = Some(LastError { code: e.detail_code().into(), message: e.to_string(), at: now });
        }
    }
    current.next_attempt = next_attempt.and_then(|w| chrono::Duration::from_std(w).ok()).map(|w| now + w);
    save_status(store, &current)?;
    Ok(current)
}

/// A fresh kiosk database in `dir`, for the tests of this crate's modules.
#[cfg(test)]
pub(crate) fn test_store(dir: &std::path::Path) -> Store {
    let identity = qrgate_core::store::Identity {
        enterprise: "0101234567".parse().unwrap(),
        enterprise_name: "Công ty".into(),
        kiosk_id: "gate-1".parse().unwrap(),
        kiosk_public_key: String::new(),
    };
    Store::create(&dir.join("kiosk.db"), &identity, &[7; 32], chrono::DateTime::UNIX_EPOCH).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_round_is_recorded_the_same_for_the_loop_and_the_one_shot() {
        let dir = tempfile::tempdir().unwrap();
        let store = test_store(dir.path());
        let t0 = at("2026-11-25T08:00:00Z");
        let ok = record_round(&store, &Ok(Round::default()), t0, Some(Duration::from_secs(15))).unwrap();
        assert!(ok.online);
        assert_eq!(ok.last_success, Some(t0));
        assert_eq!(ok.next_attempt, Some(t0 + chrono::Duration::seconds(15)));
        assert_eq!(status(&store).unwrap(), ok, "saved as returned");

        let t1 = at("2026-11-25T08:01:00Z");
        let offline = record_round(&store, &Err(Error::Offline("no route".into())), t1, None).unwrap();
        assert!(!offline.online);
        assert_eq!(offline.last_success, Some(t0), "the last success stays");
        assert_eq!(offline.next_attempt, None);
        let error = offline.last_error.as_ref().unwrap();
        assert_eq!((error.code.as_str(), error.at), ("offline", t1));

        let refused = Error::Refused { status: 403, code: "unknown_kiosk".into(), message: "who?".into() };
        let refused = record_round(&store, &Err(refused), t1, Some(Duration::from_secs(60))).unwrap();
        assert!(refused.online, "a server that refuses is there");
        assert_eq!(refused.last_error.unwrap().code, "unknown_kiosk");

        let back = record_round(&store, &Ok(Round::default()), t1, None).unwrap();
        assert_eq!(back.last_error, None);
        assert_eq!(status(&store).unwrap(), back);
    }
}
