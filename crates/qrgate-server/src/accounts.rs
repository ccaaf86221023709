//! Personal accounts of the province's console, so the audit log can say who did what: their
//! roles, passwords (argon2id), the lock after wrong passwords, and sessions.
//!
//! Every function takes the time; the HTTP edge and the command read the clock once.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand_core::{CryptoRng, OsRng, RngCore};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::audit::{self, Action};
use crate::error::{Error, Result};

/// Wrong passwords in a row that lock an account.
pub const TRIES: i32 = 5;
/// How long the lock lasts: long enough that guessing is hopeless, short enough that a person
/// who mistyped is not left waiting for IT.
pub const LOCKED_FOR_MS: i64 = 15 * 60_000;
/// How long a session lasts from its sign-in: a working day, then the password again.
pub const SESSION_MS: i64 = 12 * 3_600_000;
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Argon2's work grows with the input; a sign-in form is no place for a megabyte.
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, the audit log included.
    ProvinceAdmin,
    /// Every enterprise's pages.
    ProvinceOfficer,
    /// One enterprise's pages, its own.
    EnterpriseViewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::ProvinceAdmin, Role::ProvinceOfficer, Role::EnterpriseViewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ProvinceAdmin => "province_admin",
            Role::ProvinceOfficer => "province_officer",
            Role::EnterpriseViewer => "enterprise_viewer",
        }
    }

    pub fn parse(text: &str) -> Result<Role> {
        let text = text.trim();
        Role::ALL.into_iter().find(|r| r.as_str() == text).ok_or_else(|| {
            Error::invalid("role", format!("{text:?}; one of province_admin, province_officer, enterprise_viewer"))
        })
    }
}

/// A login as the table keeps it: lower case, so "An.Nguyen" and "an.nguyen" are one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

impl Login {
    pub fn parse(text: &str) -> Result<Login> {
        let login = text.trim().to_lowercase();
        let inner = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '@' | '-');
        let first_ok = login.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !(3..=64).contains(&login.len()) || !first_ok || !login.chars().all(inner) {
            return Err(Error::invalid(
                "login",
                format!(
                    "{text:?}: a login is 3 to 64 letters (a-z), digits and . _ @ -, starting with a letter or digit"
                ),
            ));
        }
        Ok(Login(login))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password, checked. Never printed.
pub struct Password(String);

impl Password {
    pub fn new(text: String) -> Result<Password> {
        if text.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::invalid("password", format!("at least {MIN_PASSWORD_CHARS} characters")));
        }
        if text.len() > MAX_PASSWORD_BYTES {
            return Err(Error::invalid("password", format!("at most {MAX_PASSWORD_BYTES} bytes")));
        }
        if text.chars().any(char::is_control) {
            return Err(Error::invalid("password", "no control characters (tabs, line breaks)"));
        }
        Ok(Password(text))
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// What `user add` is given, checked before a password is asked for.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub login: Login,
    pub display_name: String,
    pub role: Role,
    /// An enterprise viewer's enterprise (a tax code); none for the province's roles.
    pub enterprise: Option<String>,
}

impl NewAccount {
    pub fn parse(login: &str, display_name: &str, role: &str, enterprise: Option<&str>) -> Result<NewAccount> {
        let login = Login::parse(login)?;
        let display_name = display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 100 || display_name.chars().any(char::is_control) {
            return Err(Error::invalid("name", "the person's name, 1 to 100 characters"));
        }
        let role = Role::parse(role)?;
        let enterprise = match (role, enterprise) {
            (Role::EnterpriseViewer, Some(text)) => Some(
                qrgate_protocol::field::tax_code(text)
                    .ok_or_else(|| Error::invalid("enterprise", format!("{text:?} is not a tax code")))?,
            ),
            (Role::EnterpriseViewer, None) => {
                return Err(Error::invalid("enterprise", "an enterprise_viewer needs --enterprise TAX_CODE"))
            }
            (_, Some(_)) => {
                return Err(Error::invalid(
                    "enterprise",
                    "only an enterprise_viewer has an enterprise; the province's roles see every one",
                ))
            }
            (_, None) => None,
        };
        Ok(NewAccount { login, display_name: display_name.into(), role, enterprise })
    }
}

/// Argon2id with the crate's defaults (19 MiB, two passes): slow on purpose.
pub fn hash_password(password: &Password, rng: &mut (impl RngCore + CryptoRng)) -> Result<String> {
    let mut salt = [0u8; 16];
    rng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::invalid("password salt", e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.0.as_bytes(), &salt)
        .map_err(|e| Error::invalid("password", e.to_string()))?
        .to_string())
}

fn password_matches(hash: &str, password: &str) -> bool {
    password.len() <= MAX_PASSWORD_BYTES
        && PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash no password is known for: checked against when the login does not exist, so the time
/// a refusal takes does not tell which logins do.
static NO_ACCOUNT_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::encode_b64(&[0u8; 16]).expect("16 bytes encode");
    Argon2::default().hash_password(b"no account has this password", &salt).expect("argon2 hashes").to_string()
});

/// Wrong passwords in a row, and the lock they led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tries {
    pub failed: i32,
    pub locked_until_ms: Option<i64>,
}

/// What one sign-in attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Accepted,
    Wrong {
        tries_left: i32,
    },
    /// Refused without looking at the password.
    Locked {
        until_ms: i64,
    },
    Disabled,
}

/// Judges an attempt: a disabled or locked account is refused before its password is checked
/// (a locked account tells a guesser nothing, right or wrong); the fifth wrong password in a row
/// locks it for [`LOCKED_FOR_MS`] from `now_ms`. `password_right` is called at most once.
pub fn attempt(tries: Tries, disabled: bool, now_ms: i64, password_right: impl FnOnce() -> bool) -> (Attempt, Tries) {
    if disabled {
        return (Attempt::Disabled, tries);
    }
    if let Some(until_ms) = tries.locked_until_ms.filter(|until| *until > now_ms) {
        return (Attempt::Locked { until_ms }, tries);
    }
    if password_right() {
        return (Attempt::Accepted, Tries::default());
    }
    let failed = tries.failed + 1;
    if failed >= TRIES {
        let until_ms = now_ms.saturating_add(LOCKED_FOR_MS);
        return (Attempt::Locked { until_ms }, Tries { failed: 0, locked_until_ms: Some(until_ms) });
    }
    (Attempt::Wrong { tries_left: TRIES - failed }, Tries { failed, locked_until_ms: None })
}

/// A signed-in account, as the console knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub enterprise: Option<String>,
}

impl Account {
    /// The one enterprise this account is limited to; none for the province's roles.
    pub fn only_enterprise(&self) -> Option<&str> {
        match self.role {
            Role::EnterpriseViewer => self.enterprise.as_deref(),
            Role::ProvinceAdmin | Role::ProvinceOfficer => None,
        }
    }

    /// Refuses an enterprise viewer another enterprise's pages.
    pub fn may_see(&self, enterprise: &str) -> Result<()> {
        match self.role {
            Role::ProvinceAdmin | Role::ProvinceOfficer => Ok(()),
            Role::EnterpriseViewer if self.enterprise.as_deref() == Some(enterprise) => Ok(()),
            Role::EnterpriseViewer => Err(Error::Forbidden),
        }
    }

    pub fn may_read_audit(&self) -> Result<()> {
        self.may_administer()
    }

    /// Registering and revoking kiosks, managing accounts: the province's admins only.
    pub fn may_administer(&self) -> Result<()> {
        match self.role {
            Role::ProvinceAdmin => Ok(()),
            Role::ProvinceOfficer | Role::EnterpriseViewer => Err(Error::Forbidden),
        }
    }

    /// Tracing contacts names people across an enterprise: the province's roles only.
    pub fn may_trace(&self) -> Result<()> {
        match self.role {
            Role::ProvinceAdmin | Role::ProvinceOfficer => Ok(()),
            Role::EnterpriseViewer => Err(Error::Forbidden),
        }
    }
}

/// A session found by its cookie's token.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    /// Goes in every form of the session's pages, and must come back with each POST.
    pub csrf: String,
    token_sha256: String,
}

pub enum SignIn {
    /// The cookie's token (given once: only its hash is kept) and the session it opened.
    Signed {
        token: String,
        session: Session,
    },
    /// A wrong password, a login that does not exist and a disabled account alike: a guesser
    /// learns nothing of which.
    Wrong,
    Locked {
        until_ms: i64,
    },
}

type AccountRow = (i64, String, String, String, Option<String>, String, bool, i32, Option<i64>);

const ACCOUNT_COLUMNS: &str =
    "id, login, display_name, role, enterprise, password_hash, disabled, failed_tries, locked_until_ms";

fn account_of(row: &AccountRow) -> Result<Account> {
    Ok(Account {
        id: row.0,
        login: row.1.clone(),
        display_name: row.2.clone(),
        role: Role::parse(&row.3)?,
        enterprise: row.4.clone(),
    })
}

/// Tries a login and password at `now_ms`. The account's row is held for the attempt, so tries
/// made at once are counted one after another and none slips past the lock. Every attempt is
/// in the audit log, in the same transaction.
pub async fn sign_in(pool: &PgPool, login: &str, password: String, now_ms: i64) -> Result<SignIn> {
    let mut tx = pool.begin().await?;
    let row: Option<AccountRow> = match Login::parse(login) {
        Ok(login) => {
            sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login = $1 FOR UPDATE"))
                .bind(login.as_str())
                .fetch_optional(&mut *tx)
                .await?
        }
        Err(_) => None,
    };
    let Some(row) = row else {
        blocking(move || password_matches(&NO_ACCOUNT_HASH, &password)).await?;
        audit::record(&mut *tx, now_ms, None, Action::SignInFailed, "no account with this login").await?;
        tx.commit().await?;
        return Ok(SignIn::Wrong);
    };
    let account = account_of(&row)?;
    let before = Tries { failed: row.7, locked_until_ms: row.8 };
    let (hash, disabled) = (row.5, row.6);
    let (outcome, after) =
        blocking(move || attempt(before, disabled, now_ms, || password_matches(&hash, &password))).await?;
    if after != before {
        sqlx::query("UPDATE accounts SET failed_tries = $2, locked_until_ms = $3 WHERE id = $1")
            .bind(account.id)
            .bind(after.failed)
            .bind(after.locked_until_ms)
            .execute(&mut *tx)
            .await?;
    }
    let login = Some(account.login.as_str());
    let answer = match outcome {
        Attempt::Accepted => {
            let token = random_hex();
            let session = Session { csrf: random_hex(), token_sha256: sha256_hex(&token), account: account.clone() };
            sqlx::query(
                "INSERT INTO sessions (token_sha256, account, created_at_ms, expires_at_ms, csrf_token)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&session.token_sha256)
            .bind(account.id)
            .bind(now_ms)
            .bind(now_ms.saturating_add(SESSION_MS))
            .bind(&session.csrf)
            .execute(&mut *tx)
            .await?;
            audit::record(&mut *tx, now_ms, login, Action::SignIn, "").await?;
            SignIn::Signed { token, session }
        }
        Attempt::Wrong { tries_left } => {
            let detail = format!("wrong password; {tries_left} more lock the account");
            audit::record(&mut *tx, now_ms, login, Action::SignInFailed, &detail).await?;
            SignIn::Wrong
        }
        Attempt::Locked { until_ms } => {
            let detail = if before.locked_until_ms == Some(until_ms) {
                format!("locked until {}", crate::province::instant(until_ms))
            } else {
                format!("wrong password {TRIES} times: locked until {}", crate::province::instant(until_ms))
            };
            audit::record(&mut *tx, now_ms, login, Action::SignInFailed, &detail).await?;
            SignIn::Locked { until_ms }
        }
        Attempt::Disabled => {
            audit::record(&mut *tx, now_ms, login, Action::SignInFailed, "account disabled").await?;
            SignIn::Wrong
        }
    };
    tx.commit().await?;
    Ok(answer)
}

/// The session a cookie's token opens at `now_ms`: none when the token is unknown, expired, or
/// its account was disabled since.
pub async fn session(pool: &PgPool, token: &str, now_ms: i64) -> Result<Option<Session>> {
    if !is_token(token) {
        return Ok(None);
    }
    let token_sha256 = sha256_hex(token);
    let row: Option<(String, i64, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT s.csrf_token, a.id, a.login, a.display_name, a.role, a.enterprise
         FROM sessions s JOIN accounts a ON a.id = s.account
         WHERE s.token_sha256 = $1 AND s.expires_at_ms > $2 AND NOT a.disabled",
    )
    .bind(&token_sha256)
    .bind(now_ms)
    .fetch_optional(pool)
    .await?;
    row.map(|(csrf, id, login, display_name, role, enterprise)| {
        Ok(Session {
            account: Account { id, login, display_name, role: Role::parse(&role)?, enterprise },
            csrf,
            token_sha256: token_sha256.clone(),
        })
    })
    .transpose()
}

/// Ends a session, and says so in the audit log.
pub async fn sign_out(pool: &PgPool, session: &Session, now_ms: i64) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1").bind(&session.token_sha256).execute(&mut *tx).await?;
    audit::record(&mut *tx, now_ms, Some(&session.account.login), Action::SignOut, "").await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes sessions that ended before `now_ms`; they open nothing already.
pub async fn forget_expired_sessions(pool: &PgPool, now_ms: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= $1").bind(now_ms).execute(pool).await?.rows_affected())
}

/// Creates an account. `by` is the login that did it (`None`: the command on the server).
pub async fn add(pool: &PgPool, new: &NewAccount, password_hash: &str, now_ms: i64, by: Option<&str>) -> Result<()> {
    let mut tx = pool.begin().await?;
    if let Some(enterprise) = &new.enterprise {
        let known: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM enterprises WHERE tax_code = $1")
            .bind(enterprise)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(Error::UnknownEnterprise(enterprise.clone()));
        }
    }
    let added = sqlx::query(
        "INSERT INTO accounts (login, display_name, role, enterprise, password_hash, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (login) DO NOTHING",
    )
    .bind(new.login.as_str())
    .bind(&new.display_name)
    .bind(new.role.as_str())
    .bind(&new.enterprise)
    .bind(password_hash)
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 0 {
        return Err(Error::AccountExists(new.login.as_str().into()));
    }
    let detail = match &new.enterprise {
        Some(enterprise) => format!("{} ({}, {enterprise})", new.login.as_str(), new.role.as_str()),
        None => format!("{} ({})", new.login.as_str(), new.role.as_str()),
    };
    audit::record(&mut *tx, now_ms, by, Action::AccountAdd, &detail).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password: the lock is lifted and the account's sessions end (whoever knew the old
/// password is signed out).
pub async fn set_password(
    pool: &PgPool,
    login: &Login,
    password_hash: &str,
    now_ms: i64,
    by: Option<&str>,
) -> Result<()> {
    let mut tx = pool.begin().await?;
    let id: Option<(i64,)> = sqlx::query_as(
        "UPDATE accounts SET password_hash = $2, failed_tries = 0, locked_until_ms = NULL WHERE login = $1 RETURNING id",
    )
    .bind(login.as_str())
    .bind(password_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let (id,) = id.ok_or_else(|| Error::UnknownAccount(login.as_str().into()))?;
    sqlx::query("DELETE FROM sessions WHERE account = $1").bind(id).execute(&mut *tx).await?;
    audit::record(&mut *tx, now_ms, by, Action::AccountPassword, login.as_str()).await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses an account's sign-ins from now on and ends its sessions. Its lines in the audit log
/// keep its login.
pub async fn disable(pool: &PgPool, login: &Login, now_ms: i64, by: Option<&str>) -> Result<()> {
    let mut tx = pool.begin().await?;
    let id: Option<(i64,)> = sqlx::query_as("UPDATE accounts SET disabled = true WHERE login = $1 RETURNING id")
        .bind(login.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let (id,) = id.ok_or_else(|| Error::UnknownAccount(login.as_str().into()))?;
    sqlx::query("DELETE FROM sessions WHERE account = $1").bind(id).execute(&mut *tx).await?;
    audit::record(&mut *tx, now_ms, by, Action::AccountDisable, login.as_str()).await?;
    tx.commit().await?;
    Ok(())
}

/// An account as the accounts page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub enterprise: Option<String>,
    pub disabled: bool,
    pub locked_until_ms: Option<i64>,
    /// The last sign-in the audit log holds.
    pub last_sign_in_ms: Option<i64>,
}

/// Every account, by login.
pub async fn list(pool: &PgPool) -> Result<Vec<Listed>> {
    type Row = (String, String, String, Option<String>, bool, Option<i64>, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.login, a.display_name, a.role, a.enterprise, a.disabled, a.locked_until_ms, s.last_ms
         FROM accounts a
         LEFT JOIN (SELECT account, MAX(at_ms) AS last_ms FROM audit_log WHERE action = 'sign_in' GROUP BY account) s
                ON s.account = a.login
         ORDER BY a.login",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Listed {
                login: r.0,
                display_name: r.1,
                role: Role::parse(&r.2)?,
                enterprise: r.3,
                disabled: r.4,
                locked_until_ms: r.5,
                last_sign_in_ms: r.6,
            })
        })
        .collect()
}

/// Argon2 takes tens of milliseconds of one core: off the runtime's threads.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Io { what: "checking a password".into(), source: std::io::Error::other(e.to_string()) })
}

/// 32 random bytes as 64 hex digits: a session's token, a form's CSRF token.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The shape of [`random_hex`]: anything else is no token of ours, and is not looked up.
pub fn is_token(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub(crate) fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use rand_core::SeedableRng as _;

    use super::*;

    const NOW: i64 = 1_740_960_000_000; // 2025-03-03 07:00 +07:00

    fn rng() -> rand_chacha::ChaCha8Rng {
        rand_chacha::ChaCha8Rng::seed_from_u64(7)
    }

    #[test]
    fn a_password_is_hashed_with_argon2id_and_checked() {
        let hash = hash_password(&Password::new("đúng mật khẩu 2025".into()).unwrap(), &mut rng()).unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("mật khẩu"));
        assert!(password_matches(&hash, "đúng mật khẩu 2025"));
        assert!(!password_matches(&hash, "đúng mật khẩu 2024"));
        assert!(!password_matches(&hash, ""));
        assert!(!password_matches("not a hash", "đúng mật khẩu 2025"));
        assert!(!password_matches(&NO_ACCOUNT_HASH, ""));
    }

    #[test]
    fn wrong_passwords_count_down_and_the_fifth_locks_for_fifteen_minutes() {
        let mut tries = Tries::default();
        for left in (1..TRIES).rev() {
            let (outcome, after) = attempt(tries, false, NOW, || false);
            assert_eq!(outcome, Attempt::Wrong { tries_left: left });
            tries = after;
        }
        let (outcome, locked) = attempt(tries, false, NOW + 1_000, || false);
        let until_ms = NOW + 1_000 + 15 * 60_000;
        assert_eq!(outcome, Attempt::Locked { until_ms });
        assert_eq!(locked, Tries { failed: 0, locked_until_ms: Some(until_ms) });

        // While locked, even the right password is refused, unchecked, and the lock does not move.
        let (outcome, after) = attempt(locked, false, until_ms - 1, || panic!("a locked account checks no password"));
        assert_eq!((outcome, after), (Attempt::Locked { until_ms }, locked));

        // At the lock's end the right password signs in and the count starts again.
        let (outcome, after) = attempt(locked, false, until_ms, || true);
        assert_eq!((outcome, after), (Attempt::Accepted, Tries::default()));
        // ... or a wrong one is the first of five again.
        let (outcome, _) = attempt(locked, false, until_ms, || false);
        assert_eq!(outcome, Attempt::Wrong { tries_left: TRIES - 1 });
    }

    #[test]
    fn the_lock_follows_the_time_given_not_the_clock() {
        // A lock made "in 2025" is over by any later time given, and still on just before its end.
        let locked = Tries { failed: 0, locked_until_ms: Some(NOW) };
        assert_eq!(attempt(locked, false, NOW - 1, || true).0, Attempt::Locked { until_ms: NOW });
        assert_eq!(attempt(locked, false, NOW, || true).0, Attempt::Accepted);
    }

    #[test]
    fn a_right_password_clears_earlier_wrong_ones() {
        let tries = Tries { failed: TRIES - 1, locked_until_ms: None };
        assert_eq!(attempt(tries, false, NOW, || true), (Attempt::Accepted, Tries::default()));
    }

    #[test]
    fn a_disabled_account_is_refused_unchecked() {
        let (outcome, after) = attempt(Tries::default(), true, NOW, || panic!("no password is checked"));
        assert_eq!((outcome, after), (Attempt::Disabled, Tries::default()));
    }

    #[test]
    fn new_accounts_are_checked_with_clear_words() {
        let ok = NewAccount::parse(" An.Nguyen@sở ", "Nguyễn Văn An", "province_officer", None);
        assert!(ok.is_err(), "non-ASCII logins are refused");
        let ok = NewAccount::parse(" An.Nguyen ", " Nguyễn Văn An ", "province_officer", None).unwrap();
        assert_eq!(
            (ok.login.as_str(), ok.display_name.as_str(), ok.role),
            ("an.nguyen", "Nguyễn Văn An", Role::ProvinceOfficer)
        );
        let viewer = NewAccount::parse("hr.may", "HR", "enterprise_viewer", Some("0101234567")).unwrap();
        assert_eq!(viewer.enterprise.as_deref(), Some("0101234567"));

        let refusal = |r: Result<NewAccount>| r.unwrap_err().to_string();
        assert!(refusal(NewAccount::parse("an", "An", "province_admin", None)).contains("3 to 64"));
        assert!(refusal(NewAccount::parse("an nguyen", "An", "province_admin", None)).contains("login"));
        assert!(refusal(NewAccount::parse("an.nguyen", "", "province_admin", None)).contains("name"));
        assert!(
            refusal(NewAccount::parse("an.nguyen", "An", "admin", None)).contains("province_admin, province_officer")
        );
        assert!(refusal(NewAccount::parse("hr.may", "HR", "enterprise_viewer", None)).contains("needs --enterprise"));
        assert!(
            refusal(NewAccount::parse("hr.may", "HR", "enterprise_viewer", Some("12345"))).contains("not a tax code")
        );
        assert!(refusal(NewAccount::parse("an", "An An", "province_admin", Some("0101234567"))).contains("3 to 64"));
        assert!(refusal(NewAccount::parse("ann", "An", "province_admin", Some("0101234567")))
            .contains("only an enterprise_viewer"));
    }

    #[test]
    fn passwords_have_a_length_and_are_never_printed() {
        assert!(Password::new("short".into()).unwrap_err().to_string().contains("at least 12"));
        assert!(Password::new("x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        assert!(Password::new("twelve chars\nmore".into()).is_err());
        let p = Password::new("mười hai ký tự".into()).unwrap();
        assert!(!format!("{p:?}").contains("mười"));
    }

    #[test]
    fn viewers_see_their_own_enterprise_only() {
        let viewer = Account {
            id: 1,
            login: "hr".into(),
            display_name: "HR".into(),
            role: Role::EnterpriseViewer,
            enterprise: Some("0101234567".into()),
        };
        assert!(viewer.may_see("0101234567").is_ok());
        assert_eq!(viewer.may_see("0309876543").unwrap_err().code(), "forbidden");
        assert_eq!(viewer.may_read_audit().unwrap_err().code(), "forbidden");
        assert_eq!(viewer.only_enterprise(), Some("0101234567"));
        let officer = Account { role: Role::ProvinceOfficer, enterprise: None, ..viewer.clone() };
        assert!(officer.may_see("0309876543").is_ok());
        assert_eq!(officer.may_read_audit().unwrap_err().code(), "forbidden");
        assert_eq!(officer.only_enterprise(), None);
        assert!(Account { role: Role::ProvinceAdmin, ..officer }.may_read_audit().is_ok());
    }

    #[test]
    fn tokens_are_random_hex_and_only_their_shape_is_looked_up() {
        let (a, b) = (random_hex(), random_hex());
        assert_ne!(a, b);
        assert!(is_token(&a) && is_token(&b));
        assert!(!is_token(&a.to_uppercase()) && !is_token(&a[1..]) && !is_token(""));
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
