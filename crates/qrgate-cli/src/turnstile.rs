//! `qrgate turnstile test`: the installer pulses one output by hand and sees the gate move.

use qrgate_core::config::Config;
use qrgate_core::datadir::DataDir;
use qrgate_desk::Result;
use qrgate_turnstile::Output;

use crate::Outcome;

#[derive(clap::Subcommand)]
pub enum TurnstileCommand {
    /// Pulse one output now, as an accepted entry (in), exit (out) or a refusal (alarm) would.
    #[command(after_help = "Example: qrgate turnstile test in\n\
        Run it with the kiosk stopped: a serial relay board takes one program at a time.")]
    Test {
        /// in, out or alarm.
        #[arg(default_value = "in")]
        output: Output,
    },
}

pub fn run(cmd: TurnstileCommand, data: &DataDir) -> Result<Outcome> {
    let TurnstileCommand::Test { output } = cmd;
    // Only kiosk.conf matters: an installer wires the turnstile before the kiosk is set up.
    let config = Config::load(&data.config_path())?;
    let closed = qrgate_turnstile::pulse_once(&config.turnstile, output)?;
    println!(
        "pulsed {} on {} ({} ms)",
        output.name(),
        qrgate_turnstile::describe(&config.turnstile),
        closed.as_millis()
    );
    Ok(Outcome::Done)
}
