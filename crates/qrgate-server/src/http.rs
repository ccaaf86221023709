//! The HTTP edge: routes, reading and checking bodies and query strings, answering. Handlers
//! only translate; what they do lives in `sync` and `province`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use qrgate_protocol::{from_json, PullRequest, PushRequest, RequestAuth, PULL_PATH, PUSH_PATH};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::error::{Error, Result};
use crate::province::{self, Trace};
use crate::sync::{self, Kiosk};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// The bearer token province queries need; without one they are refused.
    pub query_token: Option<Arc<str>>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PUSH_PATH, post(push))
        .route(PULL_PATH, post(pull))
        .route("/api/v1/province/inside", get(inside))
        .route("/api/v1/province/contacts", get(contacts))
        .route("/api/v1/province/daily", get(daily))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(qrgate_protocol::MAX_WIRE_BYTES))
        .with_state(state)
}

/// The clock is read here, once per request, and passed down.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The path signed is the protocol's, not the URL's: a reverse proxy that mounts the server
/// under a prefix and strips it does not break signatures.
async fn authenticated<T: for<'a> Deserialize<'a>>(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
    what: &'static str,
) -> Result<(Kiosk, T)> {
    let auth = RequestAuth::from_headers(|name| headers.get(name).and_then(|v| v.to_str().ok()))?;
    let kiosk = sync::authenticate(&state.pool, &auth, "POST", path, body, now_ms()).await?;
    let gzipped = headers.get(header::CONTENT_ENCODING).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let request = if gzipped {
        from_json(&qrgate_protocol::gunzip(body, qrgate_protocol::MAX_INFLATED_BYTES)?, what)?
    } else {
        from_json(body, what)?
    };
    Ok((kiosk, request))
}

async fn push(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    let (kiosk, request): (Kiosk, PushRequest) =
        authenticated(&state, &headers, PUSH_PATH, &body, "push batch").await?;
    Ok(Json(sync::push(&state.pool, &kiosk, request).await?).into_response())
}

async fn pull(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response> {
    let (kiosk, request): (Kiosk, PullRequest) =
        authenticated(&state, &headers, PULL_PATH, &body, "pull request").await?;
    let answer = serde_json::to_vec(&sync::pull(&state.pool, &kiosk, request).await?).expect("plain data serialises");
    let wants_gzip =
        headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("gzip"));
    let json = HeaderValue::from_static("application/json");
    Ok(if wants_gzip {
        (
            [(header::CONTENT_TYPE, json), (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))],
            qrgate_protocol::gzip(&answer),
        )
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, json)], answer).into_response()
    })
}

fn check_query_token(state: &AppState, headers: &HeaderMap) -> Result<()> {
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match (&state.query_token, given) {
        (Some(want), Some(given)) if constant_time_eq(want.as_bytes(), given.trim().as_bytes()) => Ok(()),
        _ => Err(Error::QueryUnauthorized),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
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

async fn inside(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<InsideQuery>) -> Result<Response> {
    check_query_token(&state, &headers)?;
    let enterprise = enterprise_param(q.enterprise.as_deref())?;
    let window_ms = i64::from(q.within_hours.unwrap_or(24).clamp(1, 24 * 31)) * 3_600_000;
    let rows = province::inside(&state.pool, enterprise.as_deref(), now_ms(), window_ms).await?;
    let header =
        ["enterprise", "enterprise_name", "person_kind", "person_ref", "full_name", "since", "gate", "kiosk_id"];
    answer(rows, q.format, &header)
}

#[derive(Deserialize)]
struct ContactsQuery {
    enterprise: String,
    #[serde(default = "worker")]
    kind: String,
    person: String,
    from: String,
    to: String,
    max_presence_hours: Option<u32>,
    #[serde(default)]
    format: Format,
}

fn worker() -> String {
    "worker".into()
}

async fn contacts(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ContactsQuery>,
) -> Result<Response> {
    check_query_token(&state, &headers)?;
    let trace = Trace {
        enterprise: enterprise_param(Some(&q.enterprise))?.expect("given"),
        person_ref: match q.kind.as_str() {
            "worker" => q.person.trim().to_ascii_uppercase(),
            "visitor" => q.person.trim().to_string(),
            other => return Err(Error::invalid("kind", format!("{other:?}; expected worker or visitor"))),
        },
        person_kind: q.kind,
        from_ms: province::parse_bound(&q.from, "from", false)?,
        to_ms: province::parse_bound(&q.to, "to", true)?,
        max_presence_ms: i64::from(q.max_presence_hours.unwrap_or(16).clamp(1, 72)) * 3_600_000,
    };
    if trace.to_ms <= trace.from_ms || trace.to_ms - trace.from_ms > 366 * 86_400_000 {
        return Err(Error::invalid("date range", "`to` must be after `from`, at most a year apart"));
    }
    let rows = province::contacts(&state.pool, &trace).await?;
    answer(rows, q.format, &["person_kind", "person_ref", "full_name", "overlap_minutes", "first_overlap"])
}

#[derive(Deserialize)]
struct DailyQuery {
    enterprise: Option<String>,
    from: NaiveDate,
    to: NaiveDate,
    #[serde(default)]
    format: Format,
}

async fn daily(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<DailyQuery>) -> Result<Response> {
    check_query_token(&state, &headers)?;
    if q.to < q.from {
        return Err(Error::invalid("date range", "`to` is before `from`"));
    }
    let rows =
        province::daily(&state.pool, enterprise_param(q.enterprise.as_deref())?.as_deref(), q.from, q.to).await?;
    answer(rows, q.format, &["enterprise", "day", "entries", "exits", "refused", "total"])
}

async fn healthz(State(state): State<AppState>) -> Result<&'static str> {
    sqlx::query("SELECT 1").execute(&state.pool).await?;
    Ok("ok\n")
}

async fn metrics() -> impl IntoResponse {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics::render())
}
