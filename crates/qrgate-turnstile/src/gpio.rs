//! The gate PC's own GPIO lines, through the kernel's GPIO character device (libgpiod's
//! interface): each output a line held low and driven high for the pulse; a passage sensor a line
//! read as an input.

use gpiocdev::line::Value;
use gpiocdev::Request;
use qrgate_core::config::TurnstileConfig;

use crate::error::{Error, Result};
use crate::{wire, Device, Output};

pub(crate) struct Lines {
    request: Request,
    config: TurnstileConfig,
}

impl Lines {
    pub(crate) fn open(config: &TurnstileConfig) -> Result<Lines> {
        let offsets: Vec<u32> = [Output::In, Output::Out, Output::Alarm]
            .into_iter()
            .filter_map(|o| wire(config, o).ok().map(u32::from))
            .collect();
        let mut builder = Request::builder();
        builder.on_chip(&config.chip).with_consumer("qrgate").with_lines(&offsets).as_output(Value::Inactive);
        if let Some(sensor) = config.passage {
            builder.with_line(u32::from(sensor)).as_input();
        }
        let request = builder.request().map_err(|e| Error::unreachable(&config.chip)(e.to_string()))?;
        Ok(Lines { request, config: config.clone() })
    }
}

impl Device for Lines {
    fn set(&mut self, output: Output, on: bool) -> Result<()> {
        let line = u32::from(wire(&self.config, output)?);
        let value = if on { Value::Active } else { Value::Inactive };
        self.request.set_value(line, value).map_err(|e| Error::unreachable(&self.config.chip)(e.to_string()))
    }

    fn passage(&mut self) -> Result<bool> {
        let Some(sensor) = self.config.passage else { return Ok(false) };
        let value =
            self.request.value(u32::from(sensor)).map_err(|e| Error::unreachable(&self.config.chip)(e.to_string()))?;
        Ok(value == Value::Active)
    }

    fn probe(&mut self) -> Result<()> {
        let line = self.request.config().lines().first().copied().unwrap_or(0);
        self.request.value(line).map(drop).map_err(|e| Error::unreachable(&self.config.chip)(e.to_string()))
    }
}
