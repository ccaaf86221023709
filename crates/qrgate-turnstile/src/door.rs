//! A door controller's HTTP interface (for example a Hikvision ISAPI remote door open): one call
//! per opening; the controller times the contact itself.

use std::time::Duration;

use qrgate_core::config::TurnstileConfig;

use crate::error::{Error, Result};
use crate::{Device, Output};

/// A controller on the gate's LAN answers in milliseconds; longer means it is not there.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);

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

    /// Nothing to ask a controller without opening its door: it is judged by its last call.
    fn probe(&mut self) -> Result<()> {
        Ok(())
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
