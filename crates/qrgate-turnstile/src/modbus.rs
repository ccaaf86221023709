//! Modbus RTU relay modules on RS-485: each output a coil, switched with "write single coil"
//! (function 05) and answered by the module's echo; the probe reads the coil back (function 01),
//! a passage sensor is a discrete input (function 02). Frames are built and checked by `rmodbus`.

use std::io::{Read, Write};
use std::time::Duration;

use qrgate_core::config::TurnstileConfig;
use rmodbus::client::ModbusRequest;
use rmodbus::{guess_response_frame_len, ModbusProto};
use serialport::{ClearBuffer, SerialPort, TTYPort};

use crate::error::{Error, Result};
use crate::{serial, wire, Device, Output};

/// How long a module may take to answer: Modbus RTU modules answer within tens of milliseconds,
/// and a slower answer means a broken line, not a busy module.
const ANSWER_WITHIN: Duration = Duration::from_millis(300);

pub(crate) struct Module {
    port: TTYPort,
    config: TurnstileConfig,
}

impl Module {
    pub(crate) fn open(config: &TurnstileConfig) -> Result<Module> {
        let port = serial::open(&config.port, config.baud, ANSWER_WITHIN)?;
        Ok(Module { port, config: config.clone() })
    }

    fn device(&self) -> String {
        format!("Modbus module {} on {}", self.config.unit, self.config.port)
    }

    /// Sends one request and checks that its answer is no exception.
    fn ask(&mut self, request: &ModbusRequest, frame: &[u8]) -> Result<()> {
        let answer = self.exchange(frame)?;
        request.parse_ok(&answer).map_err(|e| Error::Refused { device: self.device(), why: format!("{e:?}") })
    }

    /// Sends one request and returns its answer's whole frame.
    fn exchange(&mut self, frame: &[u8]) -> Result<Vec<u8>> {
        let device = self.device();
        let lost = |e: std::io::Error| Error::Unreachable { device: device.clone(), why: e.to_string() };
        // A late answer to an earlier request must not be read as this one's.
        self.port.clear(ClearBuffer::Input).map_err(|e| lost(e.into()))?;
        self.port.write_all(frame).and_then(|_| self.port.flush()).map_err(lost)?;
        let mut answer = Vec::with_capacity(8);
        let mut byte = [0u8; 1];
        loop {
            match self.port.read(&mut byte) {
                Ok(1) => answer.push(byte[0]),
                Ok(_) => return Err(lost(std::io::ErrorKind::UnexpectedEof.into())),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    let why = format!("no answer within {} ms", ANSWER_WITHIN.as_millis());
                    return Err(Error::NoAnswer { device, why });
                }
                Err(e) => return Err(lost(e)),
            }
            match guess_response_frame_len(&answer, ModbusProto::Rtu) {
                Ok(n) if answer.len() >= usize::from(n) => break,
                Ok(_) | Err(rmodbus::ErrorKind::OOB) => {}
                Err(e) => return Err(Error::Refused { device, why: format!("a broken answer ({e:?})") }),
            }
        }
        Ok(answer)
    }
}

impl Device for Module {
    fn set(&mut self, output: Output, on: bool) -> Result<()> {
        let coil = wire(&self.config, output)?;
        let mut request = ModbusRequest::new(self.config.unit, ModbusProto::Rtu);
        let mut frame = Vec::with_capacity(8);
        request.generate_set_coil(coil, u8::from(on), &mut frame).expect("a single coil's frame fits");
        self.ask(&request, &frame)
    }

    fn probe(&mut self) -> Result<()> {
        let coil =
            [Output::In, Output::Out, Output::Alarm].into_iter().find_map(|o| wire(&self.config, o).ok()).unwrap_or(0);
        let mut request = ModbusRequest::new(self.config.unit, ModbusProto::Rtu);
        let mut frame = Vec::with_capacity(8);
        request.generate_get_coils(coil, 1, &mut frame).expect("a one-coil read fits");
        self.ask(&request, &frame)
    }

    fn passage(&mut self) -> Result<bool> {
        let Some(input) = self.config.passage else { return Ok(false) };
        let mut request = ModbusRequest::new(self.config.unit, ModbusProto::Rtu);
        let mut frame = Vec::with_capacity(8);
        request.generate_get_discretes(input, 1, &mut frame).expect("a one-input read fits");
        let answer = self.exchange(&frame)?;
        let mut state: Vec<bool> = Vec::with_capacity(1);
        request
            .parse_bool(&answer, &mut state)
            .map_err(|e| Error::Refused { device: self.device(), why: format!("{e:?}") })?;
        Ok(state.first().copied().unwrap_or(false))
    }
}
