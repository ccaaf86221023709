//! `qrgate pin`: the guards' and admins' PINs that confirm manual entries, open the HR pages and
//! let a person leave the kiosk. Each operator has their own, so a manual entry names who made it.

use std::io::{BufRead, IsTerminal, Write};

use qrgate_core::datadir::DataDir;
use qrgate_desk::pin::{Pin, Pins, Role};
use qrgate_desk::{Error, Result};

use crate::Outcome;

#[derive(clap::Subcommand)]
pub enum PinCommand {
    /// Set (or change) an operator's PIN, 4 to 12 digits, read from standard input.
    Set {
        /// The operator's name, as manual entries will record it.
        name: String,
        /// guard: manual entries; admin: also the HR pages and leaving the kiosk.
        #[arg(long, default_value = "guard")]
        role: String,
    },
    /// List who has a PIN (never the PINs).
    List,
    /// Remove an operator's PIN.
    Remove { name: String },
}

pub fn run(cmd: PinCommand, data: &DataDir) -> Result<Outcome> {
    // The store must exist: PINs belong to an initialised kiosk.
    data.open()?;
    let mut pins = Pins::load(&data.root)?;
    match cmd {
        PinCommand::Set { name, role } => {
            let role: Role = role.parse()?;
            let pin = read_pin()?;
            pins.set(&name, role, &pin, &mut rand::rngs::OsRng, chrono::Utc::now())?;
            pins.save()?;
            println!("PIN set for {name} ({})", role_word(role));
        }
        PinCommand::List => {
            for op in pins.operators() {
                println!("{}\t{}", op.name, role_word(op.role));
            }
        }
        PinCommand::Remove { name } => {
            if !pins.remove(&name) {
                return Err(Error::invalid("operator", format!("{name:?} has no PIN")));
            }
            pins.save()?;
            println!("PIN removed for {name}");
        }
    }
    Ok(Outcome::Done)
}

fn role_word(role: Role) -> &'static str {
    match role {
        Role::Guard => "guard",
        Role::Admin => "admin",
    }
}

/// One line from a pipe; at a terminal, asked twice so a typing slip is caught.
fn read_pin() -> Result<Pin> {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let ask = |prompt: &str| -> Result<String> {
        if interactive {
            eprint!("{prompt}");
            let _ = std::io::stderr().flush();
        }
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(|e| Error::invalid("PIN", e.to_string()))?;
        Ok(line.trim().to_string())
    };
    let pin = ask("PIN (4-12 digits): ")?;
    if interactive && ask("Again: ")? != pin {
        return Err(Error::invalid("PIN", "the two PINs differ"));
    }
    pin.parse()
}
