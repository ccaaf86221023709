//! Fixtures shared by the integration tests of the kiosk crates: a real data directory with a small roster and its keys.

pub mod modbus;
pub mod pty;

use chrono::{DateTime, NaiveDate, Utc};
use qrgate_core::badge::{Badge, BadgeSigningKey};
use qrgate_core::config::Config;
use qrgate_core::datadir::{DataDir, InitOptions};
use qrgate_core::gate::{Decision, Gate, Scan};
use qrgate_core::model::{GateMode, PersonRef};
use qrgate_core::presence::InsideRule;
use qrgate_core::store::{Event, Store};
use qrgate_hr::roster;
use rand::SeedableRng;

pub const ENTERPRISE: &str = "0101234567";

/// An initialised kiosk in a temporary directory, with five workers on the roster.
pub struct Kiosk {
    pub dir: tempfile::TempDir,
    pub data: DataDir,
    pub store: Store,
    pub gate: Gate,
    pub key: BadgeSigningKey,
}

pub const ROSTER: &str = "\u{feff}Mã NV;Họ và tên;Bộ phận;Ca;Số điện thoại;Trạng thái
NV001;Nguyễn Thị Hương;May 1;CA1;0912345678;Đang làm
NV002;Trần Văn Dũng;Cắt;CA3;;1
NV003;Lê Hoàng Yến;Văn phòng;HC;;1
NV004;Phạm Quốc Bảo;Kho;CA2;;Nghỉ việc
NV005;Đặng Thu Trang;QC;CA1;;1
";

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).expect("test time").with_timezone(&Utc)
}

impl Kiosk {
    pub fn new(mode: GateMode, edit: impl FnOnce(&mut Config)) -> Kiosk {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = DataDir::new(dir.path().join("data"));
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(42);
        data.init(
            InitOptions {
                enterprise: ENTERPRISE.parse().unwrap(),
                enterprise_name: "Công ty TNHH Thử Nghiệm".into(),
                kiosk_id: "gate-1".parse().unwrap(),
                gate: Some("Cổng A".into()),
                mode: Some(mode),
                keys_dir: None,
                badge_public_key: None,
                visitor_key: None,
            },
            &mut rng,
            at("2026-11-01T08:00:00+07:00"),
        )
        .expect("init");
        let (mut store, mut config) = data.open().expect("open");
        edit(&mut config);
        let rows = roster::rows_from_table(roster::read_csv(ROSTER.as_bytes()).unwrap(), &config).unwrap();
        roster::import(&mut store, &rows, false, at("2026-11-01T08:00:00+07:00"), &mut |_, _| {}).unwrap();
        let key = data.badge_signing_key(None).expect("signing key");
        let gate = Gate::new(&store, config).expect("gate");
        Kiosk { dir, data, store, gate, key }
    }

    /// A badge for `code` signed with this enterprise's key, serial 1, issued 2026-11-01.
    pub fn badge(&self, code: &str) -> String {
        self.badge_with(code, 1, None)
    }

    pub fn badge_with(&self, code: &str, serial: u32, expires: Option<NaiveDate>) -> String {
        Badge {
            key_id: self.key.key_id,
            enterprise: ENTERPRISE.parse().unwrap(),
            employee: code.parse().unwrap(),
            serial,
            issued: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            expires,
        }
        .sign(&self.key)
        .unwrap()
    }

    pub fn check(&mut self, text: &str, when: &str) -> Decision {
        self.gate.check(&mut self.store, &Scan::camera(text), at(when), uuid::Uuid::now_v7()).expect("check")
    }

    pub fn scan(&mut self, scan: &Scan<'_>, when: &str) -> Decision {
        self.gate.check(&mut self.store, scan, at(when), uuid::Uuid::now_v7()).expect("check")
    }

    pub fn events(&self) -> u64 {
        self.store.event_count().unwrap()
    }

    /// Who is inside at `when`, by the kiosk's one rule, with the events they entered by.
    pub fn inside(&self, when: &str) -> Vec<(PersonRef, Event)> {
        self.store.inside(InsideRule::of(&self.gate.config), at(when)).expect("inside")
    }
}
