//! The province's web console, served under `/console`: sign-in with personal accounts, the
//! overview of every enterprise, an enterprise's page, the audit log. Handlers only translate:
//! what a page shows is gathered in `view`, written in `html` with the words of `words`.
//!
//! Plain HTML forms and no script. Cookies are HttpOnly, SameSite=Strict and limited to
//! /console (Secure with `--secure-cookies`); every POST carries its form's CSRF token; every
//! answer forbids scripts, framing and anything from another origin.

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

use self::html::Frame;
use self::words::Lang;
use crate::accounts::{self, Session, SignIn};
use crate::error::{Error, Result};
use crate::http::{now_ms, AppState};

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
