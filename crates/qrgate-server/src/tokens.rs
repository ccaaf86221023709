//! Bearer tokens for the province's JSON/CSV API, each belonging to an account: a script's
//! questions are answered as its account's would be in the console (an enterprise viewer's token
//! sees its own enterprise), and a trace made by a script names who made it.
//!
//! A token is `qrgate_` and 64 random hex digits, printed once by `qrgate-server token add`; only
//! its SHA-256 is stored. The prefix lets a secret scanner (and a person) tell a leaked token for
//! what it is.

use serde::Serialize;
use sqlx::PgPool;

use crate::accounts::{self, Account, Login, Role};
use crate::audit::{self, Action};
use crate::error::{Error, Result};

const PREFIX: &str = "qrgate_";

/// What a token is for, as its owner names it: 1 to 60 printable characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    pub fn parse(text: &str) -> Result<TokenName> {
        let name = text.trim();
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err(Error::invalid("token name", "1 to 60 characters, e.g. \"nightly export\""));
        }
        Ok(TokenName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Makes a token for `login` named `name` and returns it: the only time it is seen whole.
pub async fn add(pool: &PgPool, login: &Login, name: &TokenName, now_ms: i64, by: Option<&str>) -> Result<String> {
    let token = format!("{PREFIX}{}", accounts::random_hex());
    let mut tx = pool.begin().await?;
    let account: Option<(i64, bool)> = sqlx::query_as("SELECT id, disabled FROM accounts WHERE login = $1")
        .bind(login.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let (account, disabled) = account.ok_or_else(|| Error::UnknownAccount(login.as_str().into()))?;
    if disabled {
        return Err(Error::invalid(
            "account",
            format!("{} is disabled: its tokens would open nothing", login.as_str()),
        ));
    }
    let added = sqlx::query(
        "INSERT INTO api_tokens (token_sha256, account, name, created_at_ms) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account, name) WHERE revoked_at_ms IS NULL DO NOTHING",
    )
    .bind(accounts::sha256_hex(&token))
    .bind(account)
    .bind(name.as_str())
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 0 {
        return Err(Error::invalid(
            "token name",
            format!("{} already has a token named {:?}: revoke it first, or give another name", login.as_str(), name.0),
        ));
    }
    audit::record(&mut *tx, now_ms, by, Action::TokenAdd, &format!("{} ({})", login.as_str(), name.0)).await?;
    tx.commit().await?;
    Ok(token)
}

/// Revokes the live token `name` of `login`: it opens nothing from now on.
pub async fn revoke(pool: &PgPool, login: &Login, name: &TokenName, now_ms: i64, by: Option<&str>) -> Result<()> {
    let mut tx = pool.begin().await?;
    let revoked = sqlx::query(
        "UPDATE api_tokens t SET revoked_at_ms = $3 FROM accounts a
         WHERE a.id = t.account AND a.login = $1 AND t.name = $2 AND t.revoked_at_ms IS NULL",
    )
    .bind(login.as_str())
    .bind(name.as_str())
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    if revoked.rows_affected() == 0 {
        return Err(Error::invalid(
            "token name",
            format!("{} has no live token named {:?} (`qrgate-server token list`)", login.as_str(), name.0),
        ));
    }
    audit::record(&mut *tx, now_ms, by, Action::TokenRevoke, &format!("{} ({})", login.as_str(), name.0)).await?;
    tx.commit().await?;
    Ok(())
}

/// One token as `token list` shows it: never the token itself.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenLine {
    pub login: String,
    pub name: String,
    pub created_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

/// Every token of `login`, or of every account; live ones first, newest first.
pub async fn list(pool: &PgPool, login: Option<&Login>) -> Result<Vec<TokenLine>> {
    let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT a.login, t.name, t.created_at_ms, t.revoked_at_ms FROM api_tokens t JOIN accounts a ON a.id = t.account
         WHERE $1::text IS NULL OR a.login = $1
         ORDER BY t.revoked_at_ms IS NOT NULL, a.login, t.created_at_ms DESC",
    )
    .bind(login.map(Login::as_str))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(login, name, created_at_ms, revoked_at_ms)| TokenLine { login, name, created_at_ms, revoked_at_ms })
        .collect())
}

/// The account a bearer token opens: none when the text is no token of ours, or is unknown,
/// revoked, or its account disabled.
pub async fn account(pool: &PgPool, token: &str) -> Result<Option<Account>> {
    if !is_token(token) {
        return Ok(None);
    }
    let row: Option<(i64, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT a.id, a.login, a.display_name, a.role, a.enterprise
         FROM api_tokens t JOIN accounts a ON a.id = t.account
         WHERE t.token_sha256 = $1 AND t.revoked_at_ms IS NULL AND NOT a.disabled",
    )
    .bind(accounts::sha256_hex(token))
    .fetch_optional(pool)
    .await?;
    row.map(|(id, login, display_name, role, enterprise)| {
        Ok(Account { id, login, display_name, role: Role::parse(&role)?, enterprise })
    })
    .transpose()
}

/// The shape of a token: anything else is not looked up.
pub fn is_token(text: &str) -> bool {
    text.strip_prefix(PREFIX).is_some_and(accounts::is_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_has_its_prefix_and_64_hex_digits() {
        let token = format!("{PREFIX}{}", accounts::random_hex());
        assert!(is_token(&token));
        assert!(!is_token(&token[PREFIX.len()..]), "the session cookie's shape is not a token");
        assert!(!is_token(&token.to_uppercase()));
        assert!(!is_token(&format!("{token}0")));
        assert!(!is_token(""));
    }

    #[test]
    fn names_are_short_printable_and_trimmed() {
        assert_eq!(TokenName::parse("  xuất hằng đêm ").unwrap().as_str(), "xuất hằng đêm");
        for bad in ["", "   ", "a\nb", &"x".repeat(61)] {
            let e = TokenName::parse(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_input", "{bad:?}");
        }
        assert!(TokenName::parse(&"ư".repeat(60)).is_ok(), "counted in characters, not bytes");
    }
}
