//! Each driver against its device's wire protocol: an LCUS board and a Modbus module played on
//! pseudo-terminals byte for byte, a door controller on a local HTTP server, GPIO on the kernel's
//! gpio-sim where this machine has it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use chrono::Utc;
use qrgate_core::gate::Decision;
use qrgate_core::model::{Direction, Verdict};
use uuid::Uuid;

use qrgate_core::config::{TurnstileConfig, TurnstileDriver};
use qrgate_core::Code;
use qrgate_testkit::modbus::{Sensor, SENSOR_INPUT};
use qrgate_testkit::pty::Pty;
use qrgate_turnstile::{lcus_frame, pulse_once, Health, Output, Turnstile};

/// Long enough for a loaded machine; the tests wait for events, never for this to pass.
const PATIENCE: Duration = Duration::from_secs(10);

fn serial(driver: TurnstileDriver, pty: &Pty) -> TurnstileConfig {
    TurnstileConfig {
        driver,
        port: pty.path().display().to_string(),
        entry: Some(1),
        exit: Some(2),
        ..TurnstileConfig::default()
    }
}

/// Starts the turnstile and waits until it says it can reach its device.
fn started(config: &TurnstileConfig) -> (Turnstile, mpsc::Receiver<Health>) {
    let (tx, rx) = mpsc::channel();
    let turnstile = Turnstile::start(
        config,
        move |h| {
            let _ = tx.send(h.clone());
        },
        |_| {},
    )
    .expect("a driver is set");
    let first = rx.recv_timeout(PATIENCE).expect("the first health report");
    assert!(first.reachable, "{first:?}");
    (turnstile, rx)
}

#[test]
fn an_lcus_board_gets_on_then_off_on_the_wired_channel() {
    let mut board = Pty::open();
    let config = serial(TurnstileDriver::Lcus, &board);
    let (turnstile, _health) = started(&config);
    assert!(!board.readable(Duration::from_millis(50)), "opening the board sends nothing");

    turnstile.pulse(Output::In);
    assert_eq!(board.read(4, PATIENCE).0, [0xA0, 0x01, 0x01, 0xA2]);
    assert_eq!(board.read(4, PATIENCE).0, [0xA0, 0x01, 0x00, 0xA1]);

    turnstile.pulse(Output::Out);
    assert_eq!(board.read(8, PATIENCE).0, [lcus_frame(2, true), lcus_frame(2, false)].concat());
    turnstile.pulse(Output::Alarm);
    drop(turnstile);
    assert!(!board.readable(Duration::from_millis(50)), "an output not wired pulses nothing");

    // How long the contact stays closed is the sender's to keep (the board's side cannot time it
    // on a loaded machine): from the "on" frame written to the "off" frame written.
    let closed = pulse_once(&config, Output::In).unwrap();
    assert!(closed >= Duration::from_millis(200), "closed for {closed:?}");
    assert_eq!(board.read(8, PATIENCE).0, [lcus_frame(1, true), lcus_frame(1, false)].concat());
}

#[test]
fn a_board_pulled_out_is_reported_and_a_pulse_then_fails_loudly() {
    let board = Pty::open();
    let config = serial(TurnstileDriver::Lcus, &board);
    let (turnstile, health) = started(&config);
    board.unplug();
    let down = health.recv_timeout(PATIENCE).expect("the probe notices");
    assert!(!down.reachable);
    assert!(down.problem.as_deref().unwrap().contains(config.port.as_str()), "{down:?}");
    turnstile.pulse(Output::In);
    drop(turnstile);
    let err = pulse_once(&config, Output::In).unwrap_err();
    assert_eq!(err.code(), Code::TurnstileUnreachable);
    assert!(err.to_string().contains(&config.port), "{err}");
}

#[test]
fn a_port_that_is_not_there_is_named_in_the_health() {
    let config = TurnstileConfig {
        driver: TurnstileDriver::Lcus,
        port: "/dev/ttyUSB-qrgate-none".into(),
        entry: Some(1),
        ..TurnstileConfig::default()
    };
    let (tx, rx) = mpsc::channel();
    let _t = Turnstile::start(
        &config,
        move |h| {
            let _ = tx.send(h.clone());
        },
        |_| {},
    )
    .unwrap();
    let health = rx.recv_timeout(PATIENCE).unwrap();
    assert!(!health.reachable);
    assert!(health.problem.unwrap().contains("/dev/ttyUSB-qrgate-none"));
}

/// The Modbus module on the pty, without a sensor.
fn module(line: Pty, unit: u8, written: mpsc::Sender<(u16, bool)>) -> std::thread::JoinHandle<()> {
    qrgate_testkit::modbus::module(line, unit, written, Sensor::default())
}

#[test]
fn a_modbus_module_gets_write_single_coil_on_then_off() {
    let line = Pty::open();
    let config = TurnstileConfig { unit: 3, entry: Some(0), exit: Some(1), ..serial(TurnstileDriver::Modbus, &line) };
    let (tx, written) = mpsc::channel();
    let _module = module(line, 3, tx);
    let (turnstile, _health) = started(&config);
    turnstile.pulse(Output::Out);
    let on = written.recv_timeout(PATIENCE).unwrap();
    let off = written.recv_timeout(PATIENCE).unwrap();
    assert_eq!((on, off), ((1, true), (1, false)), "coil 1 closed, then released");
    drop(turnstile);
    pulse_once(&config, Output::In).unwrap();
    assert_eq!(written.recv_timeout(PATIENCE).unwrap(), (0, true));
    assert_eq!(written.recv_timeout(PATIENCE).unwrap(), (0, false));

    // A coil the module does not have: its exception answer is a refusal, in words.
    let beyond = TurnstileConfig { exit: Some(60_000), ..config.clone() };
    let err = pulse_once(&beyond, Output::Out).unwrap_err();
    assert_eq!(err.code(), Code::TurnstileRefused, "{err}");
    assert!(err.to_string().contains("Modbus module 3"), "{err}");

    // A module set to another address stays silent, as on a real bus.
    let wrong = TurnstileConfig { unit: 4, ..config };
    let err = pulse_once(&wrong, Output::In).unwrap_err();
    assert_eq!(err.code(), Code::TurnstileNoAnswer, "{err}");
    assert!(err.to_string().contains("Modbus module 4"), "{err}");
}

fn accepted(direction: Direction) -> Decision {
    Decision {
        verdict: Verdict::Accepted,
        reason: None,
        warning: None,
        direction: Some(direction),
        person: None,
        event_id: Uuid::now_v7(),
        time: Utc::now().fixed_offset(),
        debounced: false,
        clock_flag: None,
    }
}

#[test]
fn an_opening_nobody_passes_through_is_reported_and_one_the_sensor_saw_is_not() {
    let line = Pty::open();
    let config = TurnstileConfig {
        entry: Some(0),
        passage: Some(SENSOR_INPUT),
        // Time enough for the test to play a passage on a loaded machine.
        passage_seconds: 3,
        ..serial(TurnstileDriver::Modbus, &line)
    };
    let (tx, written) = mpsc::channel();
    let (heard, reads) = mpsc::channel();
    let sensor = Sensor { on: Arc::new(AtomicBool::new(false)), reads: Some(heard) };
    let _module = qrgate_testkit::modbus::module(line, 1, tx, sensor.clone());
    let (missed, not_passed) = mpsc::channel();
    let (health, _) = mpsc::channel();
    let turnstile = Turnstile::start(
        &config,
        move |h| {
            let _ = health.send(h.clone());
        },
        move |event| {
            let _ = missed.send(event);
        },
    )
    .unwrap();

    // Someone goes through: the sensor is read on, then off again.
    let walked = accepted(Direction::In);
    turnstile.follow(&walked);
    assert_eq!(written.recv_timeout(PATIENCE).unwrap(), (0, true));
    assert_eq!(written.recv_timeout(PATIENCE).unwrap(), (0, false));
    sensor.on.store(true, Ordering::SeqCst);
    while !reads.recv_timeout(PATIENCE).expect("the sensor is read while an opening waits") {}
    sensor.on.store(false, Ordering::SeqCst);

    // Nobody goes through the next opening: it, not the first, is reported once its second is up.
    let stayed = accepted(Direction::In);
    turnstile.follow(&stayed);
    assert_eq!(written.recv_timeout(PATIENCE).unwrap(), (0, true));
    assert_eq!(written.recv_timeout(PATIENCE).unwrap(), (0, false));
    assert_eq!(not_passed.recv_timeout(PATIENCE).unwrap(), stayed.event_id);
    drop(turnstile);
    assert!(not_passed.try_recv().is_err(), "the passage the sensor saw is not reported");
}

/// One HTTP request to a local door controller, answered with `status`; returns what it got.
fn door(status: u16) -> (String, std::thread::JoinHandle<(String, Vec<String>, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let served = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        let mut headers = Vec::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end().to_string();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            headers.push(line);
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        write!(stream, "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").unwrap();
        (request_line.trim_end().to_string(), headers, String::from_utf8(body).unwrap())
    });
    (address.to_string(), served)
}

#[test]
fn a_door_controller_is_called_with_its_method_body_and_credentials() {
    let (address, served) = door(200);
    let body = "<RemoteControlDoor><cmd>open</cmd></RemoteControlDoor>";
    let config = TurnstileConfig {
        driver: TurnstileDriver::Http,
        in_url: Some(format!("http://admin:s3cret@{address}/ISAPI/AccessControl/RemoteControl/door/1")),
        body: body.into(),
        ..TurnstileConfig::default()
    };
    pulse_once(&config, Output::In).unwrap();
    let (request, headers, got) = served.join().unwrap();
    assert_eq!(request, "PUT /ISAPI/AccessControl/RemoteControl/door/1 HTTP/1.1");
    assert_eq!(got, body);
    // admin:s3cret in base64
    assert!(headers.iter().any(|h| h.eq_ignore_ascii_case("authorization: Basic YWRtaW46czNjcmV0")), "{headers:?}");

    let (address, _served) = door(401);
    let config = TurnstileConfig { in_url: Some(format!("http://admin:s3cret@{address}/door")), ..config };
    let err = pulse_once(&config, Output::In).unwrap_err();
    assert_eq!(err.code(), Code::TurnstileRefused);
    assert!(err.to_string().contains("401") && !err.to_string().contains("s3cret"), "{err}");
    assert_eq!(pulse_once(&config, Output::Out).unwrap_err().code(), Code::TurnstileNotWired);
}

#[test]
fn a_door_controller_that_leaves_the_network_is_reported() {
    let controller = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = controller.local_addr().unwrap();
    let config = TurnstileConfig {
        driver: TurnstileDriver::Http,
        in_url: Some(format!("http://admin:s3cret@{address}/ISAPI/AccessControl/RemoteControl/door/1")),
        ..TurnstileConfig::default()
    };
    let (_turnstile, health) = started(&config);
    drop(controller);
    let down = health.recv_timeout(PATIENCE).expect("the next probe's report");
    assert!(!down.reachable, "{down:?}");
    let problem = down.problem.unwrap();
    assert!(problem.contains(&format!("http://{address}/ISAPI")) && !problem.contains("s3cret"), "{problem}");
}

#[test]
fn gpio_lines_on_the_kernels_simulated_chip() {
    // gpio-sim is configured through configfs; this machine's kernel may not offer it.
    let sim = std::path::Path::new("/sys/kernel/config/gpio-sim");
    if !sim.is_dir() {
        // Straight to the process's standard error, past the test harness's capture: the run's
        // output says that GPIO was not driven here, and why.
        let _ = writeln!(
            std::io::stderr(),
            "gpio test: no GPIO chip driven here: {} does not exist (no configfs mount or no gpio-sim \
             module in this kernel); the driver is built and its error for a missing chip tested",
            sim.display()
        );
        let config = TurnstileConfig {
            driver: TurnstileDriver::Gpio,
            chip: "/dev/gpiochip-none".into(),
            entry: Some(3),
            ..TurnstileConfig::default()
        };
        let err = pulse_once(&config, Output::In).unwrap_err();
        assert_eq!(err.code(), Code::TurnstileUnreachable);
        assert!(err.to_string().contains("/dev/gpiochip-none"), "{err}");
        return;
    }
    let chip = gpio_sim::Chip::new(sim, 8);
    let config = TurnstileConfig {
        driver: TurnstileDriver::Gpio,
        chip: chip.device(),
        entry: Some(3),
        ..TurnstileConfig::default()
    };
    let (turnstile, _health) = started(&config);
    turnstile.pulse(Output::In);
    let deadline = Instant::now() + PATIENCE;
    while chip.value(3) != 1 {
        assert!(Instant::now() < deadline, "line 3 never went high");
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(turnstile);
    assert_eq!(chip.value(3), 0, "released once the pulse ended");
}

/// The kernel's gpio-sim, set up through configfs (root only): one bank of `lines` lines.
mod gpio_sim {
    use std::fs;
    use std::path::{Path, PathBuf};

    pub struct Chip {
        dir: PathBuf,
        sysfs: PathBuf,
        device: String,
    }

    impl Chip {
        pub fn new(sim: &Path, lines: u32) -> Chip {
            let dir = sim.join(format!("qrgate-{}", std::process::id()));
            fs::create_dir(&dir).unwrap();
            fs::create_dir(dir.join("bank0")).unwrap();
            fs::write(dir.join("bank0/num_lines"), lines.to_string()).unwrap();
            fs::write(dir.join("live"), "1").unwrap();
            let device = fs::read_to_string(dir.join("dev_name")).unwrap().trim().to_string();
            let chip = fs::read_to_string(dir.join("bank0/chip_name")).unwrap().trim().to_string();
            let sysfs = PathBuf::from(format!("/sys/devices/platform/{device}/{chip}"));
            Chip { dir, sysfs, device: format!("/dev/{chip}") }
        }

        pub fn device(&self) -> String {
            self.device.clone()
        }

        /// What the consumer drives line `offset` to.
        pub fn value(&self, offset: u32) -> u8 {
            let v = fs::read_to_string(self.sysfs.join(format!("sim_gpio{offset}/value"))).unwrap();
            v.trim().parse().unwrap()
        }
    }

    impl Drop for Chip {
        fn drop(&mut self) {
            let _ = fs::write(self.dir.join("live"), "0");
            let _ = fs::remove_dir(self.dir.join("bank0"));
            let _ = fs::remove_dir(&self.dir);
        }
    }
}
