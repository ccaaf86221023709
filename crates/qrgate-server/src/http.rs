//! The HTTP edge: routes, reading and checking bodies and query strings, answering. Handlers
//! only translate; what they do lives in `sync`, `province`, `trace`, `privacy`, `photos` and
//! `health`; a bearer token is an account's through `tokens`. The console's pages (`/console`)
//! are routed by `console` and merged here.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use qrgate_protocol::health::{HealthReport, HEALTH_PATH};
use qrgate_protocol::photo::{PhotoPullRequest, PhotoPushRequest, PHOTOS_PULL_PATH, PHOTOS_PUSH_PATH};
use qrgate_protocol::trace::TraceSecret;
use qrgate_protocol::{from_json, PullRequest, PushRequest, RequestAuth, PULL_PATH, PUSH_PATH};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::accounts::Account;
use crate::audit::Action;
use crate::error::{Error, Result};
use crate::province;
use crate::sync::{self, Kiosk};
use crate::{health, photos, privacy, tokens, trace};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The bearer token province queries need; without one they are refused.
    pub query_token: Option<Arc<str>>,
    pub limits: Arc<Limits>,
    /// The province's trace secret: opens visitors' sealed numbers (kept as tags) and makes the
    /// tag of a number to trace. Without it, sealed numbers are not kept and `cccd=` is refused.
    pub trace: Option<Arc<TraceSecret>>,
    /// Marks the console's cookies `Secure`: the browser then sends them over HTTPS only. On
    /// whenever the console is reached through TLS (`--secure-cookies`, or `--tls-cert`).
    pub secure_cookies: bool,
}

impl AppState {
    pub fn new(pool: PgPool, query_token: Option<Arc<str>>) -> AppState {
        AppState { pool, query_token, limits: Arc::new(Limits::default()), trace: None, secure_cookies: false }
    }
}

/// What the server spends on bodies. A body is read only for a request whose headers passed
/// (fresh time, registered kiosk, unseen nonce, the kiosk's signature), and only while both a
/// slot of the kiosk and one of the server are free; the rest are answered at once. A caller
/// who cannot sign therefore holds neither.
pub struct Limits {
    /// Bodies being read at once, server-wide: each may hold up to
    /// [`qrgate_protocol::MAX_WIRE_BYTES`] until its hash is checked, so this bounds that memory.
    bodies: tokio::sync::Semaphore,
    /// Requests in progress per kiosk: a kiosk sends at most two pushes at once, then pulls.
    per_kiosk: std::sync::Mutex<HashMap<String, usize>>,
    per_kiosk_max: usize,
    /// How long a body may take to arrive once its headers are in.
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::new(32, 4, Duration::from_secs(30))
    }
}

impl Limits {
    pub fn new(bodies: usize, per_kiosk: usize, body_timeout: Duration) -> Limits {
        Limits {
            bodies: tokio::sync::Semaphore::new(bodies),
            per_kiosk: std::sync::Mutex::new(HashMap::new()),
            per_kiosk_max: per_kiosk,
            body_timeout,
        }
    }

    /// A slot for one request of `kiosk`, freed when the returned guard drops.
    fn enter(self: &Arc<Limits>, kiosk: &str) -> Result<KioskSlot> {
        let mut map = self.per_kiosk.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(kiosk.to_string()).or_default();
        if *n >= self.per_kiosk_max {
            return Err(Error::KioskBusy(*n));
        }
        *n += 1;
        Ok(KioskSlot { limits: Arc::clone(self), kiosk: kiosk.to_string() })
    }
}

struct KioskSlot {
    limits: Arc<Limits>,
    kiosk: String,
}

impl Drop for KioskSlot {
    fn drop(&mut self) {
        let mut map = self.limits.per_kiosk.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.kiosk) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.kiosk);
            }
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PUSH_PATH, post(push))
        .route(PULL_PATH, post(pull))
        .route(PHOTOS_PUSH_PATH, post(push_photos))
        .route(PHOTOS_PULL_PATH, post(pull_photos))
        .route(HEALTH_PATH, post(report_health))
        .route("/api/v1/province/inside", get(inside))
        .route("/api/v1/province/contacts", get(contacts))
        .route("/api/v1/province/daily", get(daily))
        .route("/api/v1/province/processing", get(processing))
        .route("/api/v1/province/kiosks", get(kiosks))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(crate::console::routes())
        .layer(DefaultBodyLimit::max(qrgate_protocol::MAX_WIRE_BYTES))
        .with_state(state)
}

/// The clock is read here, once per step of a request, and passed down.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Cheap before expensive: the headers (no database), the declared length, then the time, the
/// kiosk and the nonce (one indexed query) and the signature over the headers, and only then the
/// body, within the limits and a timeout; its hash against the signed one; the nonce recorded;
/// inflating and parsing last.
///
/// The path signed is the protocol's, not the URL's: a reverse proxy that mounts the server
/// under a prefix and strips it does not break signatures.
async fn authenticated<T: for<'a> Deserialize<'a>>(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    body: Body,
    what: &'static str,
) -> Result<(Kiosk, T, i64)> {
    let auth = RequestAuth::from_headers(|name| headers.get(name).and_then(|v| v.to_str().ok()))?;
    let too_large = || Error::Protocol(qrgate_protocol::Error::BodyTooLarge { limit: qrgate_protocol::MAX_WIRE_BYTES });
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > qrgate_protocol::MAX_WIRE_BYTES as u64) {
        return Err(too_large());
    }
    let admitted = sync::admit(&state.pool, &auth, "POST", path, now_ms()).await?;
    let _slot = state.limits.enter(admitted.kiosk_id())?;
    let bytes = {
        let _reading = state.limits.bodies.try_acquire().map_err(|_| Error::Busy)?;
        let read = axum::body::to_bytes(body, qrgate_protocol::MAX_WIRE_BYTES);
        match tokio::time::timeout(state.limits.body_timeout, read).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) => return Err(too_large()),
            Err(_) => return Err(Error::BodyTimeout(state.limits.body_timeout.as_secs())),
        }
    };
    let now = now_ms();
    let kiosk = sync::authenticate(&state.pool, admitted, &auth, &bytes, now).await?;
    let gzipped = headers.get(header::CONTENT_ENCODING).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let request = if gzipped {
        from_json(&qrgate_protocol::gunzip(&bytes, qrgate_protocol::MAX_INFLATED_BYTES)?, what)?
    } else {
        from_json(&bytes, what)?
    };
    Ok((kiosk, request, now))
}

async fn push(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response> {
    let (kiosk, request, now): (Kiosk, PushRequest, i64) =
        authenticated(&state, &headers, PUSH_PATH, body, "push batch").await?;
    Ok(Json(sync::push(&state.pool, &kiosk, request, state.trace.as_deref(), now).await?).into_response())
}

async fn pull(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response> {
    let (kiosk, request, _): (Kiosk, PullRequest, i64) =
        authenticated(&state, &headers, PULL_PATH, body, "pull request").await?;
    Ok(pulled(&headers, &sync::pull(&state.pool, &kiosk, request).await?))
}

async fn push_photos(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response> {
    let (kiosk, request, now): (Kiosk, PhotoPushRequest, i64) =
        authenticated(&state, &headers, PHOTOS_PUSH_PATH, body, "photo push").await?;
    Ok(Json(photos::push(&state.pool, &kiosk, request, now).await?).into_response())
}

async fn pull_photos(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response> {
    let (kiosk, request, _): (Kiosk, PhotoPullRequest, i64) =
        authenticated(&state, &headers, PHOTOS_PULL_PATH, body, "photo pull request").await?;
    Ok(pulled(&headers, &photos::pull(&state.pool, &kiosk, request).await?))
}

async fn report_health(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response> {
    let (kiosk, report, now): (Kiosk, HealthReport, i64) =
        authenticated(&state, &headers, HEALTH_PATH, body, "health report").await?;
    Ok(Json(health::report(&state.pool, &kiosk, report, now).await?).into_response())
}

/// A pull's answer as JSON, gzipped when the kiosk takes it so.
fn pulled(headers: &HeaderMap, answer: &impl Serialize) -> Response {
    let answer = serde_json::to_vec(answer).expect("plain data serialises");
    let wants_gzip =
        headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("gzip"));
    let json = HeaderValue::from_static("application/json");
    if wants_gzip {
        (
            [(header::CONTENT_TYPE, json), (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))],
            qrgate_protocol::gzip(&answer),
        )
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, json)], answer).into_response()
    }
}

/// Reads a query string once the caller has shown the token: a refusal is JSON with a code, and
/// a caller without the token never learns the parameters' names.
fn query<T: serde::de::DeserializeOwned>(raw: Option<String>) -> Result<T> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).map_err(|e| Error::invalid("query", e.to_string()))
}

/// Who asks a province question: an account, through one of its tokens (`tokens`), or whoever
/// holds the server's own `--query-token`, which answers as a province officer's would.
enum Caller {
    Account(Account),
    ServerToken,
}

impl Caller {
    /// The name the record of processing and the audit log give the asker.
    fn actor(&self) -> &str {
        match self {
            Caller::Account(a) => &a.login,
            Caller::ServerToken => "query token",
        }
    }

    fn login(&self) -> Option<&str> {
        match self {
            Caller::Account(a) => Some(&a.login),
            Caller::ServerToken => None,
        }
    }

    /// The enterprise a question is limited to: an enterprise viewer's own whatever it asked
    /// (another one is refused), else the one asked, if any.
    fn scope(&self, asked: Option<String>) -> Result<Option<String>> {
        let Caller::Account(account) = self else { return Ok(asked) };
        let Some(own) = account.only_enterprise() else { return Ok(asked) };
        if let Some(asked) = &asked {
            account.may_see(asked)?;
        }
        Ok(Some(own.to_string()))
    }

    fn may_trace(&self) -> Result<()> {
        match self {
            Caller::Account(a) => a.may_trace(),
            Caller::ServerToken => Ok(()),
        }
    }
}

async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(Error::QueryUnauthorized)?;
    if let Some(want) = &state.query_token {
        if constant_time_eq(want.as_bytes(), given.as_bytes()) {
            return Ok(Caller::ServerToken);
        }
    }
    tokens::account(&state.pool, given).await?.map(Caller::Account).ok_or(Error::QueryUnauthorized)
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Json,
    Csv,
}

fn answer<T: Serialize>(rows: Vec<T>, format: Format, header: &[&str]) -> Result<Response> {
    Ok(match format {
        Format::Json => Json(rows).into_response(),
        Format::Csv => {
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], province::to_csv(&rows, header)?).into_response()
        }
    })
}

fn enterprise_param(text: Option<&str>) -> Result<Option<String>> {
    text.map(|t| {
        qrgate_protocol::field::tax_code(t)
            .ok_or_else(|| Error::invalid("enterprise", format!("{t:?} is not a tax code")))
    })
    .transpose()
}

#[derive(Deserialize)]
struct InsideQuery {
    enterprise: Option<String>,
    within_hours: Option<u32>,
    #[serde(default)]
    format: Format,
}

async fn inside(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response> {
    let caller = caller(&state, &headers).await?;
    let q: InsideQuery = query(q)?;
    let enterprise = caller.scope(enterprise_param(q.enterprise.as_deref())?)?;
    let window_ms = q.within_hours.map_or(province::INSIDE_WINDOW_MS, |h| i64::from(h.clamp(1, 24 * 31)) * 3_600_000);
    let rows = province::inside(&state.pool, enterprise.as_deref(), now_ms(), window_ms).await?;
    let header = [
        "enterprise",
        "enterprise_name",
        "person_kind",
        "person_ref",
        "full_name",
        "since",
        "gate",
        "kiosk_id",
        "clock_offset_ms",
        "clock_flag",
    ];
    answer(rows, q.format, &header)
}

#[derive(Deserialize)]
struct ContactsQuery {
    enterprise: String,
    #[serde(default = "worker")]
    kind: String,
    /// An employee code or a visitor's id; or, in its place, `cccd`.
    #[serde(default)]
    person: String,
    /// A visitor's CCCD number: found through the tags kept of sealed numbers.
    cccd: Option<String>,
    from: String,
    to: String,
    max_presence_hours: Option<u32>,
    #[serde(default)]
    format: Format,
}

fn worker() -> String {
    "worker".into()
}

async fn contacts(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response> {
    let caller = caller(&state, &headers).await?;
    caller.may_trace()?;
    let q: ContactsQuery = query(q)?;
    let enterprise = enterprise_param(Some(&q.enterprise))?.expect("given");
    let person = match (q.cccd.as_deref(), q.kind.as_str()) {
        (Some(number), _) => trace::Person::cccd(number)?,
        (None, "worker") => trace::Person::worker(&q.person)?,
        (None, "visitor") => trace::Person::visitor(&q.person)?,
        (None, other) => return Err(Error::invalid("kind", format!("{other:?}; expected worker or visitor"))),
    };
    let question = trace::Question {
        enterprise,
        person,
        from_ms: province::parse_bound(&q.from, "from", false)?,
        to_ms: province::parse_bound(&q.to, "to", true)?,
        max_presence_ms: q
            .max_presence_hours
            .map_or(trace::DEFAULT_MAX_PRESENCE_MS, |h| i64::from(h.clamp(1, 72)) * 3_600_000),
        period: format!("{} to {}", q.from.trim(), q.to.trim()),
    };
    if question.to_ms <= question.from_ms || question.to_ms - question.from_ms > 366 * 86_400_000 {
        return Err(Error::invalid("date range", "`to` must be after `from`, at most a year apart"));
    }
    let asker = trace::Asker { actor: caller.actor(), login: caller.login(), action: Action::Trace, what: "API: " };
    match trace::contacts(&state.pool, state.trace.as_deref(), &question, asker, now_ms()).await? {
        trace::Answer::Contacts(rows) => answer(rows, q.format, &CONTACT_COLUMNS),
        trace::Answer::NoSuchVisitor => {
            Err(Error::invalid("cccd", "no visitor with this number at this enterprise (or their events were purged)"))
        }
    }
}

/// The columns of a contact in CSV, in order: the API's and the console's exports alike.
pub const CONTACT_COLUMNS: [&str; 6] =
    ["person_kind", "person_ref", "full_name", "gates", "overlap_minutes", "first_overlap"];

#[derive(Deserialize)]
struct DailyQuery {
    enterprise: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
    #[serde(default)]
    format: Format,
}

async fn daily(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response> {
    let caller = caller(&state, &headers).await?;
    let q: DailyQuery = query(q)?;
    if q.to < q.from {
        return Err(Error::invalid("date range", "`to` is before `from`"));
    }
    let enterprise = caller.scope(enterprise_param(q.enterprise.as_deref())?)?;
    let rows = province::daily(&state.pool, enterprise.as_deref(), q.from, q.to).await?;
    answer(rows, q.format, &["enterprise", "day", "entries", "exits", "refused", "total", "clock_off"])
}

#[derive(Deserialize)]
struct ProcessingQuery {
    enterprise: Option<String>,
    #[serde(default)]
    format: Format,
}

/// The record of processing (traces, purges), newest first, at most 10,000 lines.
async fn processing(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response> {
    let caller = caller(&state, &headers).await?;
    let q: ProcessingQuery = query(q)?;
    let enterprise = caller.scope(enterprise_param(q.enterprise.as_deref())?)?;
    let rows = privacy::log(&state.pool, enterprise.as_deref(), 10_000).await?;
    answer(rows, q.format, &["at", "actor", "action", "enterprise", "people", "detail"])
}

#[derive(Deserialize)]
struct KiosksQuery {
    enterprise: Option<String>,
    /// The moment silence is measured against (RFC 3339, or a date's start); now by default.
    at: Option<String>,
    #[serde(default)]
    format: Format,
}

/// The province's kiosks, each with its last sync and health report: online, or silent.
async fn kiosks(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response> {
    let caller = caller(&state, &headers).await?;
    let q: KiosksQuery = query(q)?;
    let enterprise = caller.scope(enterprise_param(q.enterprise.as_deref())?)?;
    let at = match q.at.as_deref() {
        Some(at) => province::parse_bound(at, "at", false)?,
        None => now_ms(),
    };
    answer(health::kiosks(&state.pool, enterprise.as_deref(), at).await?, q.format, &health::KIOSK_COLUMNS)
}

async fn healthz(State(state): State<AppState>) -> Result<&'static str> {
    sqlx::query("SELECT 1").execute(&state.pool).await?;
    Ok("ok\n")
}

/// How long a scrape waits for the kiosks' gauges before it answers without them.
const GAUGES_WITHIN: Duration = Duration::from_secs(2);

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // A database that is down or slow leaves the gauges out; /healthz is what says it is down.
    let counts = tokio::time::timeout(GAUGES_WITHIN, health::counts(&state.pool, now_ms())).await;
    let kiosks = counts.ok().and_then(Result::ok);
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics::render(kiosks))
}

#[cfg(test)]
mod tests {
    //! The router in process, on a pool whose database cannot be reached: every answer here is one
    //! the server gives before it touches PostgreSQL, so these run with no database at all.

    use axum::body::{Body, Bytes};
    use axum::http::Request;
    use proptest::strategy::Strategy as _;
    use qrgate_protocol::signing::{
        HEADER_BODY_SHA256, HEADER_KIOSK, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP,
    };
    use qrgate_protocol::ErrorBody;
    use tower::ServiceExt;

    use super::*;

    const TOKEN: &str = "province-secret";

    /// The router over a socket directory that does not exist: a request that reaches the database
    /// fails at once with the code `database`, so any other code was given before it.
    fn app(query_token: Option<&str>) -> Router {
        let pool = crate::pool("postgres://qrgate@localhost/qrgate?host=/nonexistent/qrgate-router-test", 1)
            .expect("a lazy pool opens nothing");
        router(AppState::new(pool, query_token.map(Arc::from)))
    }

    async fn send(app: Router, request: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
        let response = app.oneshot(request).await.expect("the router never fails");
        let (parts, body) = response.into_parts();
        (parts.status, parts.headers, axum::body::to_bytes(body, usize::MAX).await.expect("a whole body"))
    }

    /// Sends and reads the error answer every refusal of this server has.
    async fn refusal(app: Router, request: Request<Body>) -> (StatusCode, ErrorBody) {
        let (status, _, body) = send(app, request).await;
        let error = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{status}: {:?} is not an error body: {e}", String::from_utf8_lossy(&body)));
        (status, error)
    }

    fn get(uri: &str, token: Option<&str>) -> Request<Body> {
        let mut request = Request::get(uri);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        request.body(Body::empty()).unwrap()
    }

    /// A sync request carrying the five signing headers, each replaceable; `None` leaves one out.
    fn signed(path: &str, change: impl FnOnce(&mut Vec<(&'static str, Option<String>)>)) -> Request<Body> {
        let mut headers = vec![
            (HEADER_KIOSK, Some("gate-1".to_string())),
            (HEADER_TIMESTAMP, Some(now_ms().to_string())),
            (HEADER_NONCE, Some("00".repeat(16))),
            (HEADER_BODY_SHA256, Some("00".repeat(32))),
            (HEADER_SIGNATURE, Some("00".repeat(64))),
        ];
        change(&mut headers);
        let mut request = Request::post(path);
        for (name, value) in headers {
            if let Some(value) = value {
                request = request.header(name, value);
            }
        }
        request.body(Body::from(r#"{"enterprise":"0101234567","events":[]}"#)).unwrap()
    }

    fn set(headers: &mut [(&'static str, Option<String>)], name: &str, value: Option<&str>) {
        headers.iter_mut().find(|(n, _)| *n == name).expect("a signing header").1 = value.map(String::from);
    }

    #[tokio::test]
    async fn unknown_paths_and_methods_are_refused() {
        let (status, _, _) = send(app(None), get("/api/v1/nothing", None)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = send(app(None), get("/api/v2/push", None)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        for path in [PUSH_PATH, PHOTOS_PUSH_PATH, PHOTOS_PULL_PATH, HEALTH_PATH] {
            let (status, _, _) = send(app(None), get(path, None)).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        }
    }

    #[tokio::test]
    async fn unsigned_sync_requests_are_refused_naming_the_missing_header() {
        for path in [PUSH_PATH, PULL_PATH, PHOTOS_PUSH_PATH, PHOTOS_PULL_PATH, HEALTH_PATH] {
            for missing in [HEADER_KIOSK, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_BODY_SHA256, HEADER_SIGNATURE] {
                let request = signed(path, |h| set(h, missing, None));
                let (status, error) = refusal(app(None), request).await;
                assert_eq!((status, error.code.as_str()), (StatusCode::UNAUTHORIZED, "missing_header"), "{path}");
                assert!(error.message.contains(missing), "{missing}: {}", error.message);
            }
        }
    }

    #[tokio::test]
    async fn malformed_signing_headers_are_refused_before_the_database() {
        let cases: [(&str, &str); 7] = [
            (HEADER_KIOSK, ""),
            (HEADER_KIOSK, &"k".repeat(65)),
            (HEADER_TIMESTAMP, "yesterday"),
            (HEADER_NONCE, "00"),
            (HEADER_NONCE, &"zz".repeat(16)),
            (HEADER_BODY_SHA256, &"00".repeat(31)),
            (HEADER_SIGNATURE, &"00".repeat(63)),
        ];
        for (name, value) in cases {
            for path in [PUSH_PATH, PULL_PATH, PHOTOS_PUSH_PATH, PHOTOS_PULL_PATH, HEALTH_PATH] {
                let (status, error) = refusal(app(None), signed(path, |h| set(h, name, Some(value)))).await;
                assert_eq!(
                    (status, error.code.as_str()),
                    (StatusCode::UNAUTHORIZED, "bad_header"),
                    "{name}: {value:?}"
                );
                assert!(error.message.contains(name), "{}", error.message);
            }
        }
    }

    #[tokio::test]
    async fn well_formed_requests_do_reach_the_database() {
        // The other tests' refusals mean something only if a request that passes them is answered
        // by the database: here, down, so 503 with the details kept in the server log.
        for path in [PUSH_PATH, PHOTOS_PUSH_PATH, PHOTOS_PULL_PATH, HEALTH_PATH] {
            let (status, error) = refusal(app(None), signed(path, |_| {})).await;
            assert_eq!((status, error.code.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "database"), "{path}");
            assert_eq!(error.message, "the server cannot answer now; retry later");
        }
        for query in ["/api/v1/province/daily?from=2025-03-01&to=2025-03-02", "/api/v1/province/kiosks?at=2025-03-01"] {
            let (status, error) = refusal(app(Some(TOKEN)), get(query, Some(TOKEN))).await;
            assert_eq!((status, error.code.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "database"), "{query}");
        }
    }

    #[tokio::test]
    async fn healthz_fails_while_the_database_is_down() {
        // A load balancer takes this instance out of rotation on this answer.
        let (status, error) = refusal(app(None), get("/healthz", None)).await;
        assert_eq!((status, error.code.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "database"));
        assert!(!error.message.contains("nonexistent"), "database details stay in the log: {}", error.message);
    }

    #[tokio::test]
    async fn oversized_bodies_are_refused_unread() {
        // Declared too large: refused from the headers alone, before the database or the body.
        let mut request = signed(PUSH_PATH, |_| {});
        request.headers_mut().insert(header::CONTENT_LENGTH, (qrgate_protocol::MAX_WIRE_BYTES + 1).into());
        let (status, error) = refusal(app(None), request).await;
        assert_eq!((status, error.code.as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"));
    }

    #[tokio::test]
    async fn stale_and_far_future_requests_are_refused_before_the_database() {
        for stamp in [i64::MIN, i64::MIN + 1, 0, i64::MAX] {
            let request = signed(PUSH_PATH, |h| set(h, HEADER_TIMESTAMP, Some(&stamp.to_string())));
            let (status, error) = refusal(app(None), request).await;
            assert_eq!((status, error.code.as_str()), (StatusCode::UNAUTHORIZED, "stale_request"), "{stamp}");
        }
    }

    #[tokio::test]
    async fn province_queries_need_the_token() {
        for query in ["/api/v1/province/inside", "/api/v1/province/kiosks"] {
            for (configured, given) in
                [(None, None), (None, Some(TOKEN)), (Some(TOKEN), None), (Some(TOKEN), Some("guess"))]
            {
                let (status, error) = refusal(app(configured), get(query, given)).await;
                assert_eq!(
                    (status, error.code.as_str()),
                    (StatusCode::UNAUTHORIZED, "query_unauthorized"),
                    "{query} {configured:?} {given:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn bad_province_parameters_are_refused_with_invalid_input() {
        let cases = [
            "/api/v1/province/inside?enterprise=123",
            "/api/v1/province/daily?enterprise=010123456x&from=2025-03-01&to=2025-03-02",
            "/api/v1/province/daily?from=2025-03-02&to=2025-03-01",
            "/api/v1/province/contacts?enterprise=0101234567&kind=robot&person=NV1&from=2025-03-01&to=2025-03-02",
            "/api/v1/province/contacts?enterprise=123&person=NV1&from=2025-03-01&to=2025-03-02",
            "/api/v1/province/contacts?enterprise=0101234567&person=NV1&from=yesterday&to=2025-03-02",
            "/api/v1/province/contacts?enterprise=0101234567&person=NV1&from=2025-03-02&to=2025-03-01T00:00:00%2B07:00",
            "/api/v1/province/contacts?enterprise=0101234567&person=NV1&from=2024-01-01&to=2025-03-02",
            "/api/v1/province/kiosks?enterprise=123",
            "/api/v1/province/kiosks?at=yesterday",
        ];
        for uri in cases {
            let (status, error) = refusal(app(Some(TOKEN)), get(uri, Some(TOKEN))).await;
            assert_eq!((status, error.code.as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{uri}");
        }
    }

    #[tokio::test]
    async fn unreadable_query_strings_are_refused_as_json_and_only_after_the_token() {
        for uri in [
            "/api/v1/province/daily?from=someday&to=2025-03-02",
            "/api/v1/province/daily?to=2025-03-02",
            "/api/v1/province/inside?format=pdf",
            "/api/v1/province/inside?within_hours=-1",
            "/api/v1/province/contacts?enterprise=0101234567&from=2025-03-01&to=2025-03-02",
            "/api/v1/province/inside?enterprise=%FF%FE",
            "/api/v1/province/kiosks?format=xml",
        ] {
            let (status, error) = refusal(app(Some(TOKEN)), get(uri, Some(TOKEN))).await;
            assert_eq!((status, error.code.as_str()), (StatusCode::BAD_REQUEST, "invalid_input"), "{uri}");
            // Without the token the parameters are not even read: nothing about them comes back.
            let (status, error) = refusal(app(Some(TOKEN)), get(uri, None)).await;
            assert_eq!((status, error.code.as_str()), (StatusCode::UNAUTHORIZED, "query_unauthorized"), "{uri}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Arbitrary signing headers, bodies and query strings at the edge: never a panic, always
        /// a JSON answer with a code, and never a 5xx but the database's own (down in these tests).
        #[test]
        fn any_request_gets_a_coded_answer(
            kiosk in "[ -~]{0,80}",
            stamp in proptest::prelude::prop_oneof![
                proptest::prelude::any::<i64>().prop_map(|n| n.to_string()),
                "[ -~]{0,30}",
            ],
            nonce in "[0-9a-fA-Fz]{0,40}",
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            query in "[ -~]{0,120}",
            token in proptest::option::of(proptest::prelude::prop_oneof![proptest::prelude::Just(TOKEN.to_string()), "[ -~]{0,20}"]),
        ) {
            use proptest::prelude::*;
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let mut request = Request::post(PUSH_PATH)
                    .header(HEADER_KIOSK, kiosk.as_str())
                    .header(HEADER_TIMESTAMP, stamp.as_str())
                    .header(HEADER_NONCE, nonce.as_str())
                    .header(HEADER_SIGNATURE, "00".repeat(64));
                if body.first().is_some_and(|b| b % 2 == 0) {
                    request = request.header(header::CONTENT_ENCODING, "gzip");
                }
                let request = request.body(Body::from(body.clone()));
                if let Ok(request) = request {
                    let (status, error) = refusal(app(None), request).await;
                    prop_assert!(status.is_client_error() || error.code == "database", "{status} {}", error.code);
                }
                let uri = format!("/api/v1/province/contacts?{}", query.replace(' ', "+").replace('#', "%23"));
                if let Ok(request) = Request::get(uri.as_str()).body(Body::empty()) {
                    let mut request = request;
                    if let Some(t) = &token {
                        if let Ok(v) = format!("Bearer {t}").parse() {
                            request.headers_mut().insert(header::AUTHORIZATION, v);
                        }
                    }
                    let (status, error) = refusal(app(Some(TOKEN)), request).await;
                    prop_assert!(status.is_client_error() || error.code == "database", "{status} {}", error.code);
                }
                Ok(())
            })?;
        }
    }

    #[tokio::test]
    async fn metrics_count_refusals_by_code() {
        refusal(app(None), signed(PULL_PATH, |h| set(h, HEADER_NONCE, Some("00")))).await;
        let (status, headers, body) = send(app(None), get("/metrics", None)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/plain; version=0.0.4");
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("# TYPE qrgate_push_requests_total counter"), "{text}");
        assert!(text.contains("qrgate_requests_refused_total{code=\"bad_header\"} "), "{text}");
        // The database is down here: the counters come all the same, the kiosks' gauges do not.
        assert!(!text.contains("qrgate_kiosks_"), "{text}");
    }
}
