//! The provincial server: kiosks push signed batches of events and pull their enterprise's news;
//! they push and pull their enterprise's sealed photos too (`photos`, which no province query reads)
//! and report their health (`health`); the province asks who is inside, who met whom, how busy
//! each gate was, and how its kiosks are, through the JSON API with a bearer token of an account
//! (`tokens`) or through the web console with personal accounts (`console`, `accounts`, `audit`).
//!
//! Stateless: everything lives in PostgreSQL (nonces included), so several instances can stand
//! behind one load balancer.

pub mod accounts;
pub mod audit;
pub mod console;
pub mod error;
pub mod event;
pub mod health;
pub mod http;
pub mod metrics;
pub mod months;
pub mod photos;
pub mod privacy;
pub mod province;
pub mod sync;
pub mod tokens;
pub mod trace;

pub use error::{Error, Result};

/// Stamps every answer, refusals included, with the server's clock, so a kiosk learns how far
/// off its own is from whatever it was told (`qrgate_protocol::HEADER_SERVER_TIME`). The clock is
/// read here, as the answer leaves.
pub fn with_server_time(router: axum::Router) -> axum::Router {
    router.layer(axum::middleware::map_response(stamp_server_time))
}

async fn stamp_server_time(mut response: axum::response::Response) -> axum::response::Response {
    let now = axum::http::HeaderValue::from(chrono::Utc::now().timestamp_millis());
    response.headers_mut().insert(qrgate_protocol::HEADER_SERVER_TIME, now);
    response
}

/// The schema, embedded; every instance migrates on start (sqlx takes an advisory lock).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects and brings the schema up to date: what every command does before it uses the database.
pub async fn connect(url: &str, max_connections: u32) -> Result<sqlx::PgPool> {
    let pool = pool(url, max_connections)?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// A pool that opens its first connection when a request needs one. [`http::router`] can be built
/// on it with no database running, and answers what needs none (refusals of unsigned requests
/// and bad query strings, /metrics) without one.
pub fn pool(url: &str, max_connections: u32) -> Result<sqlx::PgPool> {
    Ok(sqlx::postgres::PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_lazy(url)?)
}
