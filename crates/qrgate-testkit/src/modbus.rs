//! A Modbus RTU relay module played on a pseudo-terminal: it answers each request for its address
//! as a real module does (frames parsed and answered by `rmodbus`'s server side), reports each
//! coil written, and reads a passage sensor on one discrete input that the test sets.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use rmodbus::server::storage::ModbusStorageSmall;
use rmodbus::server::ModbusFrame;
use rmodbus::ModbusProto;

use crate::pty::Pty;

/// The discrete input the simulated sensor is wired to.
pub const SENSOR_INPUT: u16 = 4;

/// The passage sensor: whether it sees someone now, and who hears each read of it.
#[derive(Clone, Default)]
pub struct Sensor {
    pub on: Arc<AtomicBool>,
    pub reads: Option<mpsc::Sender<bool>>,
}

/// Plays module `unit` on `line` until the line stays silent for three seconds (the test is
/// over); each coil written goes to `written` as (address, closed).
pub fn module(line: Pty, unit: u8, written: mpsc::Sender<(u16, bool)>, sensor: Sensor) -> JoinHandle<()> {
    module_for(line, unit, written, sensor, Duration::from_secs(3))
}

/// [`module`], silent for at most `patience` before it stops.
pub fn module_for(
    mut line: Pty,
    unit: u8,
    written: mpsc::Sender<(u16, bool)>,
    sensor: Sensor,
    patience: Duration,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut storage = ModbusStorageSmall::new();
        loop {
            // Requests for coils and inputs are 8 bytes in RTU: address, function, register,
            // value or count, CRC.
            let (request, _) = line.read(8, patience);
            if request.len() < 8 {
                return;
            }
            let mut buf = [0u8; 256];
            buf[..8].copy_from_slice(&request);
            let mut answer = Vec::new();
            let mut frame = ModbusFrame::new(unit, &buf, ModbusProto::Rtu, &mut answer);
            frame.parse().expect("a well-formed RTU frame");
            if frame.processing_required {
                if frame.readonly {
                    let on = sensor.on.load(Ordering::SeqCst);
                    storage.discretes[usize::from(SENSOR_INPUT)] = on;
                    frame.process_read(&storage).unwrap();
                    if let (0x02, Some(reads)) = (request[1], &sensor.reads) {
                        let _ = reads.send(on);
                    }
                } else {
                    frame.process_write(&mut storage).unwrap();
                    if request[1] == 0x05 {
                        let coil = u16::from_be_bytes([request[2], request[3]]);
                        let _ = written.send((coil, request[4] == 0xFF));
                    }
                }
            }
            if frame.response_required {
                frame.finalize_response().unwrap();
                line.write(&answer);
            }
        }
    })
}
