//! The provincial server: kiosks push signed batches of events and pull their enterprise's news;
//! the province asks who is inside, who met whom, and how busy each gate was.
//!
//! Stateless: everything lives in PostgreSQL (nonces included), so several instances can stand
//! behind one load balancer.

pub mod error;
pub mod event;
pub mod http;
pub mod metrics;
pub mod province;
pub mod sync;

pub use error::{Error, Result};

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
