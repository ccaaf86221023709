//! Talking to the province: one signed, gzipped POST per call, the answer checked and parsed.
//! The time and nonce of each request are the caller's; the client signs on that time corrected
//! by what it last heard of the server's clock, so a kiosk whose clock is hours off still syncs.

use std::sync::Mutex;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use qrgate_core::photo::PhotoKey;
use qrgate_protocol::health::{HealthAnswer, HealthReport, HEALTH_PATH};
use qrgate_protocol::photo::{
    PhotoPullRequest, PhotoPullResponse, PhotoPushRequest, PhotoPushResponse, PHOTOS_PULL_PATH, PHOTOS_PUSH_PATH,
};
use qrgate_protocol::{
    ErrorBody, Nonce, PullRequest, PullResponse, PushRequest, PushResponse, RequestAuth, PULL_PATH, PUSH_PATH,
};

use crate::error::{Error, Result};

pub struct Client {
    http: reqwest::blocking::Client,
    base: String,
    kiosk_id: String,
    key: SigningKey,
    timeout: Duration,
    /// The server's clock minus the kiosk's (ms), as last heard or as the caller set it.
    offset_ms: Mutex<Option<i64>>,
    heard: Mutex<Option<ServerTime>>,
    /// The enterprise's photo key, from its visitor key: without one, photos stay on this gate.
    photo_key: Option<PhotoKey>,
}

/// The server's clock as an answer told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerTime {
    /// The server's time when it answered (ms since the epoch).
    pub server_ms: i64,
    /// The server's clock minus the kiosk's when it sent the request (ms).
    pub offset_ms: i64,
}

impl Client {
    /// `server` is the province's base URL, e.g. `https://sync.example.gov.vn` (a path prefix
    /// is kept, for a server mounted under one by a reverse proxy).
    pub fn new(server: &str, kiosk_id: &str, key: SigningKey, timeout: Duration) -> Result<Client> {
        let base = server.trim().trim_end_matches('/');
        let parsed = reqwest::Url::parse(base).map_err(|_| Error::BadServerUrl(server.into()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() || parsed.query().is_some() {
            return Err(Error::BadServerUrl(server.into()));
        }
        let http = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("qrgate-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Offline(e.to_string()))?;
        Ok(Client {
            http,
            base: base.into(),
            kiosk_id: kiosk_id.into(),
            key,
            timeout,
            offset_ms: Mutex::new(None),
            heard: Mutex::new(None),
            photo_key: None,
        })
    }

    /// Photos travel sealed under `key` to and from the enterprise's other gates.
    pub fn with_photo_key(self, key: PhotoKey) -> Client {
        Client { photo_key: Some(key), ..self }
    }

    pub fn photo_key(&self) -> Option<&PhotoKey> {
        self.photo_key.as_ref()
    }

    /// Signs from now on with the kiosk's clock corrected by `offset_ms` (what the store kept
    /// from an earlier round), until an answer says otherwise.
    pub fn use_offset(&self, offset_ms: Option<i64>) {
        *self.offset_ms.lock().unwrap_or_else(|e| e.into_inner()) = offset_ms;
    }

    /// The server's clock as the latest answer carrying it told it.
    pub fn heard(&self) -> Option<ServerTime> {
        *self.heard.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn offset(&self) -> i64 {
        self.offset_ms.lock().unwrap_or_else(|e| e.into_inner()).unwrap_or(0)
    }

    /// Reads the server's clock off an answer; `sent_ms` is the kiosk's time of the request.
    fn hear(&self, headers: &reqwest::header::HeaderMap, sent_ms: i64) -> Option<ServerTime> {
        let server_ms: i64 = headers.get(qrgate_protocol::HEADER_SERVER_TIME)?.to_str().ok()?.trim().parse().ok()?;
        let heard = ServerTime { server_ms, offset_ms: server_ms.saturating_sub(sent_ms) };
        *self.heard.lock().unwrap_or_else(|e| e.into_inner()) = Some(heard);
        *self.offset_ms.lock().unwrap_or_else(|e| e.into_inner()) = Some(heard.offset_ms);
        Some(heard)
    }

    pub fn push(&self, request: &PushRequest, now_ms: i64, nonce: Nonce) -> Result<PushResponse> {
        let answer: PushResponse = self.post(PUSH_PATH, request, now_ms, nonce)?;
        Ok(answer)
    }

    pub fn pull(&self, request: &PullRequest, now_ms: i64, nonce: Nonce) -> Result<PullResponse> {
        self.post(PULL_PATH, request, now_ms, nonce)
    }

    pub fn health(&self, report: &HealthReport, now_ms: i64, nonce: Nonce) -> Result<HealthAnswer> {
        self.post(HEALTH_PATH, report, now_ms, nonce)
    }

    pub fn push_photos(&self, request: &PhotoPushRequest, now_ms: i64, nonce: Nonce) -> Result<PhotoPushResponse> {
        self.post(PHOTOS_PUSH_PATH, request, now_ms, nonce)
    }

    pub fn pull_photos(&self, request: &PhotoPullRequest, now_ms: i64, nonce: Nonce) -> Result<PhotoPullResponse> {
        self.post(PHOTOS_PULL_PATH, request, now_ms, nonce)
    }

    /// Sends once; when the server refuses the time and its answer told a clock far from the one
    /// signed with, once more on the corrected clock. The second try's nonce is the first's
    /// complement: as unpredictable, never the same (a stale request's nonce is not kept anyway).
    fn post<T: serde::Serialize, A: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &T,
        now_ms: i64,
        nonce: Nonce,
    ) -> Result<A> {
        let wire = qrgate_protocol::gzip(&serde_json::to_vec(body).expect("plain data serialises"));
        let offset = self.offset();
        match self.post_once(path, &wire, now_ms, offset, nonce) {
            Err(Error::Refused { code, .. }) if code == "stale_request" && self.offset() != offset => {
                self.post_once(path, &wire, now_ms, self.offset(), Nonce(nonce.0.map(|b| !b)))
            }
            other => other,
        }
    }

    fn post_once<A: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        wire: &[u8],
        now_ms: i64,
        offset_ms: i64,
        nonce: Nonce,
    ) -> Result<A> {
        let signed_ms = now_ms.saturating_add(offset_ms);
        let auth = RequestAuth::sign(&self.key, &self.kiosk_id, "POST", path, signed_ms, nonce, wire);
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .header("accept-encoding", "gzip");
        for (name, value) in auth.headers() {
            request = request.header(name, value);
        }
        let response = request.body(wire.to_vec()).send().map_err(|e| self.transport(e))?;
        self.hear(response.headers(), now_ms);
        let status = response.status();
        let gzipped =
            response.headers().get("content-encoding").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let bytes = read_bounded(response, qrgate_protocol::MAX_INFLATED_BYTES).map_err(|e| match e {
            Bounded::TooLarge => {
                Error::BadAnswer(format!("the answer is larger than {} bytes", qrgate_protocol::MAX_INFLATED_BYTES))
            }
            Bounded::Read(e) if is_timeout(&e) => Error::Timeout(self.timeout.as_secs().max(1)),
            Bounded::Read(e) => Error::Offline(error_chain(&e)),
        })?;
        let bytes = if gzipped {
            qrgate_protocol::gunzip(&bytes, qrgate_protocol::MAX_INFLATED_BYTES)
                .map_err(|e| Error::BadAnswer(e.to_string()))?
        } else {
            bytes
        };
        if !status.is_success() {
            let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
            let (code, message) = match body {
                Some(b) => (b.code, b.message),
                // A proxy's own error page: keep the status, say where it came from.
                None => {
                    (format!("http_{}", status.as_u16()), String::from_utf8_lossy(&bytes).chars().take(200).collect())
                }
            };
            return Err(Error::Refused { status: status.as_u16(), code, message });
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::BadAnswer(e.to_string()))
    }

    fn transport(&self, e: reqwest::Error) -> Error {
        if e.is_timeout() {
            Error::Timeout(self.timeout.as_secs().max(1))
        } else {
            Error::Offline(error_chain(&e))
        }
    }
}

enum Bounded {
    TooLarge,
    Read(std::io::Error),
}

/// Reads an answer, refusing one larger than `limit` whether it declares its length or not: a
/// server's answer is read into memory, so its size is ours to bound, gzipped or plain.
fn read_bounded(response: reqwest::blocking::Response, limit: usize) -> std::result::Result<Vec<u8>, Bounded> {
    use std::io::Read;
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(Bounded::TooLarge);
    }
    let mut out = Vec::new();
    response.take(limit as u64 + 1).read_to_end(&mut out).map_err(Bounded::Read)?;
    if out.len() > limit {
        return Err(Bounded::TooLarge);
    }
    Ok(out)
}

fn is_timeout(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::TimedOut
        || e.get_ref().and_then(|inner| inner.downcast_ref::<reqwest::Error>()).is_some_and(reqwest::Error::is_timeout)
}

/// reqwest's top-level message is "error sending request"; the cause is what helps a technician.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
