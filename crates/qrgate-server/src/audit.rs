//! The audit log: who signed in (or failed to), traced, exported, registered or revoked a kiosk,
//! or changed an account, and when. Only a province admin reads it (the console's audit page).
//!
//! A line is written in the transaction of what it records wherever there is one, so nothing
//! happens unrecorded and nothing recorded failed to happen.

use sqlx::PgPool;

use crate::error::Result;

/// What was done: the closed list the table's CHECK holds too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignInFailed,
    SignOut,
    Trace,
    Export,
    KioskRegister,
    KioskRevoke,
    AccountAdd,
    AccountPassword,
    AccountDisable,
    TokenAdd,
    TokenRevoke,
}

impl Action {
    pub const ALL: [Action; 12] = [
        Action::SignIn,
        Action::SignInFailed,
        Action::SignOut,
        Action::Trace,
        Action::Export,
        Action::KioskRegister,
        Action::KioskRevoke,
        Action::AccountAdd,
        Action::AccountPassword,
        Action::AccountDisable,
        Action::TokenAdd,
        Action::TokenRevoke,
    ];

    /// The word stored: never changed, since old lines keep it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignOut => "sign_out",
            Action::Trace => "trace",
            Action::Export => "export",
            Action::KioskRegister => "kiosk_register",
            Action::KioskRevoke => "kiosk_revoke",
            Action::AccountAdd => "account_add",
            Action::AccountPassword => "account_password",
            Action::AccountDisable => "account_disable",
            Action::TokenAdd => "token_add",
            Action::TokenRevoke => "token_revoke",
        }
    }

    fn from_stored(word: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == word)
    }
}

/// Writes one line. `account` is the login that acted; `None` for the `qrgate-server` command
/// run on the server, or a sign-in under a login that does not exist.
pub async fn record<'e>(
    db: impl sqlx::PgExecutor<'e>,
    at_ms: i64,
    account: Option<&str>,
    action: Action,
    detail: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (at_ms, account, action, detail) VALUES ($1, $2, $3, $4)")
        .bind(at_ms)
        .bind(account)
        .bind(action.as_str())
        .bind(detail)
        .execute(db)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub at_ms: i64,
    pub account: Option<String>,
    pub action: Action,
    pub detail: String,
}

/// The newest `limit` lines, newest first.
pub async fn recent(pool: &PgPool, limit: i64) -> Result<Vec<Line>> {
    let rows: Vec<(i64, Option<String>, String, String)> =
        sqlx::query_as("SELECT at_ms, account, action, detail FROM audit_log ORDER BY at_ms DESC, id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(at_ms, account, action, detail)| {
            // The table's CHECK holds the same list, so a line always has its action.
            Some(Line { at_ms, account, action: Action::from_stored(&action)?, detail })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_in_the_migrations_list() {
        // 0011 rewrote the CHECK whole when tokens came.
        let schema = include_str!("../migrations/0011_api_tokens.sql");
        for action in Action::ALL {
            assert!(schema.contains(&format!("'{}'", action.as_str())), "{action:?}");
            assert_eq!(Action::from_stored(action.as_str()), Some(action));
        }
    }
}
