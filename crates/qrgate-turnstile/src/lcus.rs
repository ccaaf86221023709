//! LCUS USB relay boards: a CH340 serial port at 9600 baud, one 4-byte frame per switch
//! (`A0`, channel, `01` on or `00` off, the sum of the three), and no answer.

use std::io::Write;
use std::time::Duration;

use qrgate_core::config::TurnstileConfig;
use serialport::TTYPort;

use crate::error::{Error, Result};
use crate::{serial, wire, Device, Output};

/// The frame that switches `channel` on or off.
pub fn frame(channel: u8, on: bool) -> [u8; 4] {
    let state = u8::from(on);
    [0xA0, channel, state, 0xA0u8.wrapping_add(channel).wrapping_add(state)]
}

pub(crate) struct Board {
    port: TTYPort,
    config: TurnstileConfig,
}

impl Board {
    pub(crate) fn open(config: &TurnstileConfig) -> Result<Board> {
        let port = serial::open(&config.port, config.baud, Duration::from_millis(500))?;
        Ok(Board { port, config: config.clone() })
    }
}

impl Device for Board {
    fn set(&mut self, output: Output, on: bool) -> Result<()> {
        let channel = wire(&self.config, output)?;
        // Checked when kiosk.conf was read: channels 1 to 8.
        let bytes = frame(channel as u8, on);
        let written = self.port.write_all(&bytes).and_then(|_| self.port.flush());
        written.map_err(|e| Error::unreachable(&self.config.port)(e.to_string()))
    }

    fn probe(&mut self) -> Result<()> {
        if serial::hung_up(&self.port) {
            return Err(Error::unreachable(&self.config.port)("the port hung up (unplugged?)".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn frames_carry_the_sum_of_their_bytes() {
        assert_eq!(super::frame(1, true), [0xA0, 0x01, 0x01, 0xA2]);
        assert_eq!(super::frame(1, false), [0xA0, 0x01, 0x00, 0xA1]);
        assert_eq!(super::frame(8, true), [0xA0, 0x08, 0x01, 0xA9]);
    }
}
