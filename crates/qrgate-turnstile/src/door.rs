//! A door controller's HTTP interface (for example a Hikvision ISAPI remote door open): one call
//! per opening; the controller times the contact itself. The probe opens a TCP connection to the
//! controller and closes it: a controller whose network is gone is an alert before the next
//! worker stands at a door that will not open.

use std::time::Duration;

use qrgate_core::config::TurnstileConfig;

use crate::error::{Error, Result};
use crate::{Device, Output};

/// A controller on the gate's LAN answers in milliseconds; longer means it is not there.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);
/// A TCP handshake on the gate's LAN takes well under a millisecond.
const CONNECT_WITHIN: Duration = Duration::from_millis(500);

pub(crate) struct Door {
    client: reqwest::blocking::Client,
    config: TurnstileConfig,
}

/// The URL kiosk.conf gives for `output`.
pub(crate) fn url(config: &TurnstileConfig, output: Output) -> Option<&str> {
    match output {
        Output::In => config.in_url.as_deref(),
        Output::Out => config.out_url.as_deref(),
        Output::Alarm => config.alarm_url.as_deref(),
    }
}

/// The URL without its user and password, for messages and logs.
fn shown(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.into() };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{path}")
}

impl Door {
    pub(crate) fn open(config: &TurnstileConfig) -> Result<Door> {
        let client = reqwest::blocking::Client::builder()
            .timeout(ANSWER_WITHIN)
            .build()
            .map_err(|e| Error::unreachable("the door controller")(e.to_string()))?;
        Ok(Door { client, config: config.clone() })
    }
}

impl Device for Door {
    fn set(&mut self, output: Output, on: bool) -> Result<()> {
        if !on {
            return Ok(());
        }
        let url = url(&self.config, output).ok_or(Error::NotWired { output: output.name() })?;
        let method = reqwest::Method::from_bytes(self.config.method.as_bytes()).unwrap_or(reqwest::Method::PUT);
        let device = format!("the door controller at {}", shown(url));
        let answer = self
            .client
            .request(method, url)
            .body(self.config.body.clone())
            .send()
            .map_err(|e| Error::Unreachable { device: device.clone(), why: e.without_url().to_string() })?;
        if !answer.status().is_success() {
            return Err(Error::Refused { device, why: format!("HTTP {}", answer.status()) });
        }
        Ok(())
    }

    /// Asking a controller anything over HTTP may open its door; a TCP handshake with it opens
    /// nothing and tells whether it is there.
    fn probe(&mut self) -> Result<()> {
        let Some(url) = [Output::In, Output::Out, Output::Alarm].into_iter().find_map(|o| url(&self.config, o)) else {
            return Ok(());
        };
        let device = format!("the door controller at {}", shown(url));
        let lost = |why: String| Error::Unreachable { device: device.clone(), why };
        let parsed = reqwest::Url::parse(url).map_err(|e| lost(e.to_string()))?;
        let host = parsed.host_str().ok_or_else(|| lost("the URL names no host".into()))?;
        let port = parsed.port_or_known_default().unwrap_or(80);
        let address = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
            .map_err(|e| lost(e.to_string()))?
            .next()
            .ok_or_else(|| lost(format!("{host} has no address")))?;
        std::net::TcpStream::connect_timeout(&address, CONNECT_WITHIN).map(drop).map_err(|e| lost(e.to_string()))
    }

    fn momentary(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_password_in_the_url_is_never_shown() {
        assert_eq!(super::shown("http://admin:secret@10.0.0.9/ISAPI/door/1"), "http://10.0.0.9/ISAPI/door/1");
        assert_eq!(super::shown("http://10.0.0.9/open?who=a@b"), "http://10.0.0.9/open?who=a@b");
    }
}
