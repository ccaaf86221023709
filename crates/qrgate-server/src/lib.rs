//! The provincial server: kiosks push signed batches of events and pull their enterprise's news;
//! the province asks who is inside, who met whom, and how busy each gate was.
//!
//! Stateless: everything lives in PostgreSQL (nonces included), so several instances can stand
//! behind one load balancer.

pub mod error;
pub mod http;
pub mod metrics;
pub mod province;
pub mod sync;

pub use error::{Error, Result};

/// The schema, embedded; every instance migrates on start (sqlx takes an advisory lock).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub async fn connect(url: &str, max_connections: u32) -> Result<sqlx::PgPool> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
