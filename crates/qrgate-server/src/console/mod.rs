//! The province's web console, served under `/console`: sign-in with personal accounts, the
//! overview of every enterprise, an enterprise's page, the audit log. Handlers only translate:
//! what a page shows is gathered in `view`, written in `html` with the words of `words`.
//!
//! Plain HTML forms and no script. Cookies are HttpOnly, SameSite=Strict and limited to
//! /console (Secure with `--secure-cookies`); every POST carries its form's CSRF token; every
//! answer forbids scripts, framing and anything from another origin.

pub mod export;
pub mod html;
pub mod view;
pub mod words;

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use chrono::NaiveDate;

use self::html::Frame;
use self::words::{Lang, Problem};
use crate::accounts::{self, Session, SignIn};
use crate::error::{Error, Result};
use crate::http::{now_ms, AppState};
use crate::{audit, province, sync, trace};

const SESSION_COOKIE: &str = "qrgate_session";
/// The sign-in form's own token, before there is a session to hold one.
const SIGN_IN_COOKIE: &str = "qrgate_sign_in";
/// A console form is a few short fields.
const FORM_BYTES: usize = 16 * 1024;

/// Everything the browser is allowed: this server's stylesheet and forms posted back to it.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(overview))
        .route("/console/sign-in", get(sign_in_page).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route("/console/enterprise/{tax_code}", get(enterprise))
        .route("/console/enterprise/{tax_code}/processing", get(processing))
        .route("/console/trace", get(trace_page).post(trace))
        .route("/console/trace/export", post(trace_export))
        .route("/console/kiosks", get(kiosks))
        .route("/console/kiosks/register", post(register_kiosk))
        .route("/console/kiosks/revoke", post(revoke_kiosk))
        .route("/console/accounts", get(accounts_page))
        .route("/console/accounts/add", post(add_account))
        .route("/console/accounts/disable", post(disable_account))
        .route("/console/audit", get(audit))
        .route("/console/console.css", get(stylesheet))
        .layer(DefaultBodyLimit::max(FORM_BYTES))
        .layer(axum::middleware::map_response(protect))
}

async fn overview(State(state): State<AppState>, lang: Lang, SignedIn(session): SignedIn) -> Response {
    let frame = Frame { lang, here: "/console", session: Some(&session) };
    let view = view::overview(&state.pool, session.account.only_enterprise(), now_ms()).await;
    answer(&frame, view.map(|v| html::overview(&frame, &v)))
}

async fn enterprise(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    SignedIn(session): SignedIn,
    tax_code: Result<Path<String>, PathRejection>,
) -> Response {
    let frame = Frame { lang, here: uri.path(), session: Some(&session) };
    let page = async {
        let Path(text) = tax_code.map_err(|e| Error::invalid("tax code", e.body_text()))?;
        let tax_code = qrgate_protocol::field::tax_code(&text)
            .ok_or_else(|| Error::invalid("tax code", format!("{text:?} is not a tax code")))?;
        session.account.may_see(&tax_code)?;
        let v = view::enterprise(&state.pool, &tax_code, now_ms()).await?;
        Ok(html::enterprise(&frame, &v))
    };
    answer(&frame, page.await)
}

async fn processing(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    SignedIn(session): SignedIn,
    tax_code: Result<Path<String>, PathRejection>,
) -> Response {
    let frame = Frame { lang, here: uri.path(), session: Some(&session) };
    let page = async {
        let Path(text) = tax_code.map_err(|e| Error::invalid("tax code", e.body_text()))?;
        let tax_code = qrgate_protocol::field::tax_code(&text)
            .ok_or_else(|| Error::invalid("tax code", format!("{text:?} is not a tax code")))?;
        session.account.may_see(&tax_code)?;
        Ok(html::processing(&frame, &view::processing(&state.pool, &tax_code).await?))
    };
    answer(&frame, page.await)
}

/// The trace form, with the last week filled in, for the province's roles.
async fn trace_page(State(state): State<AppState>, lang: Lang, SignedIn(session): SignedIn) -> Response {
    let frame = Frame { lang, here: "/console/trace", session: Some(&session) };
    let page = async {
        session.account.may_trace()?;
        let today = view::vietnam_day(now_ms());
        let form = view::TraceForm {
            kind: "worker".into(),
            from: html::day(today - chrono::Days::new(6)),
            to: html::day(today),
            ..Default::default()
        };
        Ok(html::trace(&frame, &view::enterprises(&state.pool, None).await?, &form, None, None))
    };
    answer(&frame, page.await)
}

#[derive(Deserialize)]
struct TraceRequest {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enterprise: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    sort: Option<String>,
    format: Option<String>,
}

impl TraceRequest {
    fn form(&self) -> view::TraceForm {
        view::TraceForm {
            enterprise: self.enterprise.trim().into(),
            kind: if self.kind == "cccd" { "cccd" } else { "worker" }.into(),
            person: self.person.trim().into(),
            from: self.from.trim().into(),
            to: self.to.trim().into(),
        }
    }
}

/// Most days one trace covers.
const TRACE_DAYS: i64 = 31;

/// A day as typed: 03/12/2026 as Vietnamese write it, or 2026-12-03 as a date picker sends it.
fn typed_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%d/%m/%Y").or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d")).ok()
}

/// The question a trace form asks, checked: the enterprise among `enterprises`, the person, and
/// at most [`TRACE_DAYS`] whole Vietnamese days.
fn trace_question(
    form: &view::TraceForm,
    enterprises: &[(String, String)],
    has_secret: bool,
) -> std::result::Result<(trace::Question, String, NaiveDate, NaiveDate), Problem> {
    let (tax_code, name) = qrgate_protocol::field::tax_code(&form.enterprise)
        .and_then(|tax| enterprises.iter().find(|(t, _)| *t == tax).cloned())
        .ok_or(Problem::ChooseEnterprise)?;
    let person = if form.kind == "cccd" {
        let person = trace::Person::cccd(&form.person).map_err(|_| Problem::CccdNumber)?;
        if !has_secret {
            return Err(Problem::NoTraceKey);
        }
        person
    } else {
        trace::Person::worker(&form.person).map_err(|_| Problem::EmployeeCode)?
    };
    let (first, last) = typed_day(&form.from).zip(typed_day(&form.to)).ok_or(Problem::Period)?;
    let days = (last - first).num_days() + 1;
    if !(1..=TRACE_DAYS).contains(&days) {
        return Err(Problem::Period);
    }
    let question = trace::Question {
        enterprise: tax_code,
        person,
        from_ms: province::day_start_ms(first),
        to_ms: province::day_start_ms(last) + 86_400_000,
        max_presence_ms: trace::DEFAULT_MAX_PRESENCE_MS,
        period: format!("{first} to {last}"),
    };
    Ok((question, name, first, last))
}

/// Runs the trace a form asks for, as `session`'s account, and writes it in the audit log as
/// `action`: the page's answer or a download's. A refusal of what was typed is the form again.
async fn run_trace(
    state: &AppState,
    session: &Session,
    request: &TraceRequest,
    action: audit::Action,
    what: &str,
) -> Result<std::result::Result<view::Traced, (view::TraceForm, Problem)>> {
    check_csrf(session, &request.csrf)?;
    session.account.may_trace()?;
    let form = request.form();
    let enterprises = view::enterprises(&state.pool, None).await?;
    let (question, enterprise_name, first_day, last_day) =
        match trace_question(&form, &enterprises, state.trace.is_some()) {
            Ok(checked) => checked,
            Err(problem) => return Ok(Err((form, problem))),
        };
    let login = session.account.login.as_str();
    let asker = trace::Asker { actor: login, login: Some(login), action, what };
    let contacts = match trace::contacts(&state.pool, state.trace.as_deref(), &question, asker, now_ms()).await? {
        trace::Answer::Contacts(rows) => rows,
        trace::Answer::NoSuchVisitor => return Ok(Err((form, Problem::NoSuchVisitor))),
    };
    let sort = view::SortBy::parse(request.sort.as_deref());
    let mut contacts = contacts;
    view::sort_contacts(&mut contacts, sort);
    Ok(Ok(view::Traced { tax_code: question.enterprise, enterprise_name, first_day, last_day, contacts, sort }))
}

/// The trace form posted: its answer under it, or the form again with what to change.
async fn trace(State(state): State<AppState>, lang: Lang, SignedIn(session): SignedIn, body: Bytes) -> Response {
    let frame = Frame { lang, here: "/console/trace", session: Some(&session) };
    let page = async {
        let request: TraceRequest = read_form(&body)?;
        let traced = run_trace(&state, &session, &request, audit::Action::Trace, "").await?;
        let enterprises = view::enterprises(&state.pool, None).await?;
        Ok(match traced {
            Ok(traced) => Html(html::trace(&frame, &enterprises, &request.form(), None, Some(&traced))).into_response(),
            Err((form, problem)) => {
                let page = html::trace(&frame, &enterprises, &form, Some(problem), None);
                (StatusCode::BAD_REQUEST, Html(page)).into_response()
            }
        })
    };
    page.await.unwrap_or_else(|e| refused(&frame, e))
}

/// The answer of a trace as a file: CSV or XLSX, named after the enterprise and the period.
async fn trace_export(State(state): State<AppState>, lang: Lang, SignedIn(session): SignedIn, body: Bytes) -> Response {
    let frame = Frame { lang, here: "/console/trace", session: Some(&session) };
    let page = async {
        let request: TraceRequest = read_form(&body)?;
        let xlsx = match request.format.as_deref() {
            Some("csv") => false,
            Some("xlsx") => true,
            _ => return Err(Error::invalid("format", "csv or xlsx")),
        };
        let what = if xlsx { "XLSX of " } else { "CSV of " };
        let traced = match run_trace(&state, &session, &request, audit::Action::Export, what).await? {
            Ok(traced) => traced,
            Err((form, problem)) => {
                let enterprises = view::enterprises(&state.pool, None).await?;
                let page = html::trace(&frame, &enterprises, &form, Some(problem), None);
                return Ok((StatusCode::BAD_REQUEST, Html(page)).into_response());
            }
        };
        let name = format!("truy-vet-{}-{}-{}", traced.tax_code, traced.first_day, traced.last_day);
        let (bytes, content_type, extension) = if xlsx {
            (
                export::xlsx(&traced.contacts)?,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            )
        } else {
            // With the byte-order mark Excel reads as UTF-8, so Vietnamese names stay whole.
            let mut bytes = "\u{feff}".as_bytes().to_vec();
            bytes.extend(export::csv(&traced.contacts)?);
            (bytes, "text/csv; charset=utf-8", "csv")
        };
        let disposition = format!("attachment; filename=\"{name}.{extension}\"");
        let disposition =
            HeaderValue::from_str(&disposition).map_err(|e| Error::invalid("file name", e.to_string()))?;
        Ok((
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response())
    };
    page.await.unwrap_or_else(|e| refused(&frame, e))
}

async fn kiosks(State(state): State<AppState>, lang: Lang, SignedIn(session): SignedIn) -> Response {
    let frame = Frame { lang, here: "/console/kiosks", session: Some(&session) };
    let page = async {
        let rows = view::kiosk_rows(&state.pool, session.account.only_enterprise(), now_ms()).await?;
        Ok(html::kiosks(&frame, &rows, &view::RegisterForm::default(), None, None))
    };
    answer(&frame, page.await)
}

#[derive(Deserialize)]
struct RegisterRequest {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tax_code: String,
    #[serde(default)]
    enterprise_name: String,
    #[serde(default)]
    kiosk_id: String,
    #[serde(default)]
    public_key: String,
}

/// Registers a kiosk as `qrgate-server kiosk add` does; what was typed stays on a refusal.
async fn register_kiosk(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    body: Bytes,
) -> Response {
    let frame = Frame { lang, here: "/console/kiosks", session: Some(&session) };
    let page = async {
        let request: RegisterRequest = read_form(&body)?;
        check_csrf(&session, &request.csrf)?;
        session.account.may_administer()?;
        let form = view::RegisterForm {
            tax_code: request.tax_code.trim().into(),
            enterprise_name: request.enterprise_name.trim().into(),
            kiosk_id: request.kiosk_id.trim().into(),
            public_key: request.public_key.trim().into(),
        };
        let now = now_ms();
        let registered =
            match sync::Registration::parse(&form.tax_code, &form.enterprise_name, &form.kiosk_id, &form.public_key) {
                Ok(r) => sync::add_kiosk(&state.pool, &r, now, Some(&session.account.login)).await.map(|()| r),
                Err(e) => Err(e),
            };
        let problem = match registered {
            Ok(r) => {
                let notice = lang.words().kiosk_registered.replace("{kiosk}", &r.kiosk_id);
                let rows = view::kiosk_rows(&state.pool, None, now).await?;
                let page = html::kiosks(&frame, &rows, &view::RegisterForm::default(), None, Some(&notice));
                return Ok(Html(page).into_response());
            }
            Err(Error::Invalid { what: "tax code", .. }) => Problem::TaxCode,
            Err(Error::Invalid { what: "enterprise name", .. }) => Problem::EnterpriseName,
            Err(Error::Invalid { what: "kiosk id", .. }) => Problem::KioskId,
            Err(Error::Protocol(_)) => Problem::PublicKey,
            Err(Error::KioskExists(_)) => Problem::KioskExists,
            Err(e) => return Err(e),
        };
        let rows = view::kiosk_rows(&state.pool, None, now).await?;
        let page = html::kiosks(&frame, &rows, &form, Some(problem), None);
        Ok((StatusCode::BAD_REQUEST, Html(page)).into_response())
    };
    page.await.unwrap_or_else(|e| refused(&frame, e))
}

#[derive(Deserialize)]
struct RevokeRequest {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kiosk_id: String,
    #[serde(default)]
    confirm: String,
}

/// Revokes a kiosk as `qrgate-server kiosk revoke` does, once the confirmation page said what it
/// means and the admin confirmed.
async fn revoke_kiosk(State(state): State<AppState>, lang: Lang, SignedIn(session): SignedIn, body: Bytes) -> Response {
    let frame = Frame { lang, here: "/console/kiosks", session: Some(&session) };
    let page = async {
        let request: RevokeRequest = read_form(&body)?;
        check_csrf(&session, &request.csrf)?;
        session.account.may_administer()?;
        let kiosk_id = request.kiosk_id.trim();
        let now = now_ms();
        let problem = if request.confirm != "yes" {
            match view::kiosk(&state.pool, kiosk_id).await? {
                Some((tax_code, name, false)) => {
                    return Ok(Html(html::revoke_confirm(&frame, kiosk_id, &tax_code, &name)).into_response())
                }
                // Already revoked: nothing to confirm, the list says so.
                Some((_, _, true)) => {
                    let rows = view::kiosk_rows(&state.pool, None, now).await?;
                    return Ok(Html(html::kiosks(&frame, &rows, &Default::default(), None, None)).into_response());
                }
                None => Problem::UnknownKiosk,
            }
        } else {
            match sync::revoke_kiosk(&state.pool, kiosk_id, now, Some(&session.account.login)).await {
                Ok(()) => {
                    let notice = lang.words().kiosk_revoked.replace("{kiosk}", kiosk_id);
                    let rows = view::kiosk_rows(&state.pool, None, now).await?;
                    let page = html::kiosks(&frame, &rows, &Default::default(), None, Some(&notice));
                    return Ok(Html(page).into_response());
                }
                Err(Error::UnknownKiosk(_)) => Problem::UnknownKiosk,
                Err(e) => return Err(e),
            }
        };
        let rows = view::kiosk_rows(&state.pool, None, now).await?;
        let page = html::kiosks(&frame, &rows, &Default::default(), Some(problem), None);
        Ok((StatusCode::BAD_REQUEST, Html(page)).into_response())
    };
    page.await.unwrap_or_else(|e| refused(&frame, e))
}

/// The accounts page as an admin sees it, with a form as typed, a problem or a notice.
async fn accounts_view(
    state: &AppState,
    frame: &Frame<'_>,
    form: &view::AccountForm,
    problem: Option<Problem>,
    notice: Option<&str>,
) -> Result<Response> {
    let rows = accounts::list(&state.pool).await?;
    let enterprises = view::enterprises(&state.pool, None).await?;
    let page = html::accounts(frame, &rows, &enterprises, form, problem, notice, now_ms());
    let status = if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok((status, Html(page)).into_response())
}

async fn accounts_page(State(state): State<AppState>, lang: Lang, SignedIn(session): SignedIn) -> Response {
    let frame = Frame { lang, here: "/console/accounts", session: Some(&session) };
    let page = async {
        session.account.may_administer()?;
        accounts_view(&state, &frame, &view::AccountForm::default(), None, None).await
    };
    page.await.unwrap_or_else(|e| refused(&frame, e))
}

#[derive(Deserialize)]
struct AccountRequest {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    enterprise: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

/// Creates an account as `qrgate-server user add` does, the initial password typed twice.
async fn add_account(State(state): State<AppState>, lang: Lang, SignedIn(session): SignedIn, body: Bytes) -> Response {
    let frame = Frame { lang, here: "/console/accounts", session: Some(&session) };
    let page = async {
        let request: AccountRequest = read_form(&body)?;
        check_csrf(&session, &request.csrf)?;
        session.account.may_administer()?;
        let form = view::AccountForm {
            login: request.login.trim().into(),
            display_name: request.display_name.trim().into(),
            role: request.role.trim().into(),
            enterprise: request.enterprise.trim().into(),
        };
        let enterprise = Some(form.enterprise.as_str()).filter(|e| !e.is_empty());
        let new = match accounts::NewAccount::parse(&form.login, &form.display_name, &form.role, enterprise) {
            Ok(new) => new,
            Err(Error::Invalid { what, .. }) => {
                let problem = match what {
                    "login" => Problem::Login,
                    "name" => Problem::Name,
                    "role" => Problem::Role,
                    _ => Problem::AccountEnterprise,
                };
                return accounts_view(&state, &frame, &form, Some(problem), None).await;
            }
            Err(e) => return Err(e),
        };
        if request.password != request.password_again {
            return accounts_view(&state, &frame, &form, Some(Problem::PasswordsDiffer), None).await;
        }
        let Ok(password) = accounts::Password::new(request.password) else {
            return accounts_view(&state, &frame, &form, Some(Problem::Password), None).await;
        };
        let hash = accounts::blocking(move || accounts::hash_password(&password, &mut rand_core::OsRng)).await??;
        match accounts::add(&state.pool, &new, &hash, now_ms(), Some(&session.account.login)).await {
            Ok(()) => {
                let notice = lang.words().account_added.replace("{login}", new.login.as_str());
                accounts_view(&state, &frame, &view::AccountForm::default(), None, Some(&notice)).await
            }
            Err(Error::AccountExists(_)) => {
                accounts_view(&state, &frame, &form, Some(Problem::AccountExists), None).await
            }
            Err(Error::UnknownEnterprise(_)) => {
                accounts_view(&state, &frame, &form, Some(Problem::UnknownEnterprise), None).await
            }
            Err(e) => Err(e),
        }
    };
    page.await.unwrap_or_else(|e| refused(&frame, e))
}

#[derive(Deserialize)]
struct DisableRequest {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
}

/// Disables an account as `qrgate-server user disable` does; never the admin's own.
async fn disable_account(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(session): SignedIn,
    body: Bytes,
) -> Response {
    let frame = Frame { lang, here: "/console/accounts", session: Some(&session) };
    let page = async {
        let request: DisableRequest = read_form(&body)?;
        check_csrf(&session, &request.csrf)?;
        session.account.may_administer()?;
        let blank = view::AccountForm::default();
        let Ok(login) = accounts::Login::parse(&request.login) else {
            return accounts_view(&state, &frame, &blank, Some(Problem::UnknownAccount), None).await;
        };
        if login.as_str() == session.account.login {
            return accounts_view(&state, &frame, &blank, Some(Problem::OwnAccount), None).await;
        }
        match accounts::disable(&state.pool, &login, now_ms(), Some(&session.account.login)).await {
            Ok(()) => {
                let notice = lang.words().account_disabled.replace("{login}", login.as_str());
                accounts_view(&state, &frame, &blank, None, Some(&notice)).await
            }
            Err(Error::UnknownAccount(_)) => {
                accounts_view(&state, &frame, &blank, Some(Problem::UnknownAccount), None).await
            }
            Err(e) => Err(e),
        }
    };
    page.await.unwrap_or_else(|e| refused(&frame, e))
}

async fn audit(State(state): State<AppState>, lang: Lang, SignedIn(session): SignedIn) -> Response {
    let frame = Frame { lang, here: "/console/audit", session: Some(&session) };
    let page = async {
        session.account.may_read_audit()?;
        Ok(html::audit(&frame, &crate::audit::recent(&state.pool, 500).await?))
    };
    answer(&frame, page.await)
}

/// The form, with a fresh token in a cookie of its own; someone already signed in goes on.
async fn sign_in_page(State(state): State<AppState>, lang: Lang, headers: HeaderMap) -> Response {
    let frame = Frame { lang, here: "/console/sign-in", session: None };
    match signed_in(&state, &headers).await {
        Ok(Some(_)) => return see_other(&format!("/console{}", lang.query())),
        Ok(None) => {}
        Err(e) => return refused(&frame, e),
    }
    let token = accounts::random_hex();
    let cookie = cookie(SIGN_IN_COOKIE, &token, 3600, state.secure_cookies);
    ([(header::SET_COOKIE, cookie)], Html(html::sign_in(&frame, &token, "", None))).into_response()
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

async fn sign_in(State(state): State<AppState>, lang: Lang, headers: HeaderMap, body: Bytes) -> Response {
    let now = now_ms();
    let frame = Frame { lang, here: "/console/sign-in", session: None };
    let form: SignInForm = match read_form(&body) {
        Ok(form) => form,
        Err(e) => return refused(&frame, e),
    };
    let expected = cookie_value(&headers, SIGN_IN_COOKIE).unwrap_or("");
    if !accounts::is_token(expected) || !crate::http::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return refused(&frame, Error::CsrfRefused);
    }
    let w = lang.words();
    match accounts::sign_in(&state.pool, &form.login, form.password, now).await {
        Ok(SignIn::Signed { token, .. }) => {
            let mut answer = see_other(&format!("/console{}", lang.query()));
            let cookies = answer.headers_mut();
            cookies.append(
                header::SET_COOKIE,
                cookie(SESSION_COOKIE, &token, accounts::SESSION_MS / 1000, state.secure_cookies),
            );
            cookies.append(header::SET_COOKIE, cookie(SIGN_IN_COOKIE, "", 0, state.secure_cookies));
            answer
        }
        Ok(SignIn::Wrong) => {
            let refusal = Some(("wrong_password", w.wrong_password.to_string()));
            Html(html::sign_in(&frame, expected, &form.login, refusal)).into_response()
        }
        Ok(SignIn::Locked { until_ms }) => {
            let refusal = Some(("account_locked", w.locked.replace("{until}", &html::time_and_day(until_ms))));
            Html(html::sign_in(&frame, expected, &form.login, refusal)).into_response()
        }
        Err(e) => refused(&frame, e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(State(state): State<AppState>, lang: Lang, SignedIn(session): SignedIn, body: Bytes) -> Response {
    let frame = Frame { lang, here: "/console", session: Some(&session) };
    let done = async {
        let form: CsrfForm = read_form(&body)?;
        check_csrf(&session, &form.csrf)?;
        accounts::sign_out(&state.pool, &session, now_ms()).await
    };
    match done.await {
        Ok(()) => {
            let mut answer = see_other(&format!("/console/sign-in{}", lang.query()));
            answer.headers_mut().append(header::SET_COOKIE, cookie(SESSION_COOKIE, "", 0, state.secure_cookies));
            answer
        }
        Err(e) => refused(&frame, e),
    }
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        include_str!("console.css"),
    )
        .into_response()
}

/// The language a page is asked in (`?lang=en`); Vietnamese otherwise.
impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, Infallible> {
        #[derive(Deserialize)]
        struct Query {
            lang: Option<String>,
        }
        let query: Option<Query> = parts.uri.query().and_then(|q| serde_urlencoded::from_str(q).ok());
        Ok(Lang::from_param(query.and_then(|q| q.lang).as_deref()))
    }
}

/// The session of the request's cookie; without one, the answer is the sign-in page.
pub struct SignedIn(pub Session);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, Response> {
        let Ok(lang) = Lang::from_request_parts(parts, state).await;
        match signed_in(state, &parts.headers).await {
            Ok(Some(session)) => Ok(SignedIn(session)),
            Ok(None) => Err(see_other(&format!("/console/sign-in{}", lang.query()))),
            Err(e) => Err(refused(&Frame { lang, here: parts.uri.path(), session: None }, e)),
        }
    }
}

async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>> {
    match cookie_value(headers, SESSION_COOKIE) {
        Some(token) => accounts::session(&state.pool, token, now_ms()).await,
        None => Ok(None),
    }
}

fn check_csrf(session: &Session, given: &str) -> Result<()> {
    if crate::http::constant_time_eq(session.csrf.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(Error::CsrfRefused)
    }
}

fn read_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_urlencoded::from_bytes(body).map_err(|e| Error::invalid("form", e.to_string()))
}

fn answer(frame: &Frame, page: Result<String>) -> Response {
    match page {
        Ok(page) => Html(page).into_response(),
        Err(e) => refused(frame, e),
    }
}

fn refused(frame: &Frame, error: Error) -> Response {
    error.note();
    (error.status(), Html(html::refused(frame, error.code()))).into_response()
}

fn see_other(location: &str) -> Response {
    let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/console"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// A cookie only this console's pages get, never scripts nor other sites' requests. An empty
/// value with no age deletes it.
fn cookie(name: &str, value: &str, max_age_s: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/console; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{secure}");
    HeaderValue::from_str(&text).expect("cookie names and hex values are header-safe")
}

/// The value of the cookie `name` sent with the request.
fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// Headers on every console answer: no scripts, no framing, nothing from elsewhere, no sniffing,
/// and pages that are not kept in caches (they name people).
async fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    //! The console's router in process on a pool that never connects: everything refused or
    //! answered before the database.

    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    fn app(secure_cookies: bool) -> Router {
        let pool = crate::pool("postgres://qrgate@localhost/qrgate?host=/nonexistent/qrgate-console-test", 1)
            .expect("a lazy pool opens nothing");
        let state = AppState { secure_cookies, ..AppState::new(pool, None) };
        crate::http::router(state)
    }

    async fn send(app: Router, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let response = app.oneshot(request).await.expect("the router never fails");
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.expect("a whole body");
        (parts.status, parts.headers, String::from_utf8(body.to_vec()).expect("UTF-8"))
    }

    fn get(uri: &str) -> Request<Body> {
        Request::get(uri).body(Body::empty()).unwrap()
    }

    #[tokio::test]
    async fn pages_without_a_session_send_to_the_sign_in_page_in_their_language() {
        for (uri, to) in [
            ("/console", "/console/sign-in"),
            ("/console/audit?lang=en", "/console/sign-in?lang=en"),
            ("/console/enterprise/0101234567", "/console/sign-in"),
            ("/console/enterprise/0101234567/processing?lang=en", "/console/sign-in?lang=en"),
            ("/console/trace", "/console/sign-in"),
            ("/console/kiosks", "/console/sign-in"),
            ("/console/accounts", "/console/sign-in"),
        ] {
            let (status, headers, _) = send(app(false), get(uri)).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{uri}");
            assert_eq!(headers[header::LOCATION], to, "{uri}");
            assert_eq!(headers[header::CONTENT_SECURITY_POLICY], CONTENT_SECURITY_POLICY);
        }
    }

    #[tokio::test]
    async fn the_sign_in_form_carries_the_token_of_its_cookie() {
        for secure in [false, true] {
            let (status, headers, body) = send(app(secure), get("/console/sign-in")).await;
            assert_eq!(status, StatusCode::OK);
            let cookie = headers[header::SET_COOKIE].to_str().unwrap();
            let token = cookie.strip_prefix("qrgate_sign_in=").unwrap().split(';').next().unwrap();
            assert!(accounts::is_token(token), "{cookie}");
            assert!(cookie.contains("; Path=/console;") && cookie.contains("; HttpOnly; SameSite=Strict"), "{cookie}");
            assert_eq!(cookie.ends_with("; Secure"), secure, "{cookie}");
            assert!(body.contains(&format!("name=\"csrf\" value=\"{token}\"")), "{body}");
            assert!(body.contains("<html lang=\"vi\">") && body.contains("Đăng nhập"));
            assert_eq!(headers[header::CACHE_CONTROL], "no-store");
            assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        }
    }

    #[tokio::test]
    async fn a_sign_in_without_the_forms_token_is_refused_before_the_database() {
        let post = |cookie: Option<&str>, body: &str| {
            let mut request = Request::post("/console/sign-in?lang=en")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            request.body(Body::from(body.to_string())).unwrap()
        };
        let token = "ab".repeat(32);
        let other = "cd".repeat(32);
        for (cookie, body) in [
            (None, format!("login=admin&password=x&csrf={token}")),
            (Some(format!("qrgate_sign_in={token}")), "login=admin&password=x".to_string()),
            (Some(format!("qrgate_sign_in={token}")), format!("login=admin&password=x&csrf={other}")),
            (Some("qrgate_sign_in=".to_string()), "login=admin&password=x&csrf=".to_string()),
        ] {
            let (status, _, page) = send(app(false), post(cookie.as_deref(), &body)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{cookie:?} {body}");
            assert!(page.contains("data-code=\"csrf_refused\""), "{page}");
            assert!(page.contains("The form is not valid or has expired."), "{page}");
        }
        // With the token the form gets as far as the database (down here).
        let (status, _, page) = send(
            app(false),
            post(Some(&format!("qrgate_sign_in={token}")), &format!("login=admin&password=x&csrf={token}")),
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(page.contains("data-code=\"database\""), "{page}");
    }

    #[tokio::test]
    async fn the_stylesheet_is_served_from_the_binary() {
        let (status, headers, css) = send(app(false), get("/console/console.css")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
        assert!(css.contains("@media print") && css.contains("@media (max-width"), "print and phone rules");
        assert!(
            !css.contains("http:") && !css.contains("https:") && !css.contains("@import"),
            "nothing from elsewhere"
        );
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; qrgate_session=abc"));
        headers.append(header::COOKIE, HeaderValue::from_static("qrgate_sign_in=def"));
        assert_eq!(cookie_value(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie_value(&headers, SIGN_IN_COOKIE), Some("def"));
        assert_eq!(cookie_value(&headers, "qrgate"), None);
    }
}
