//! Roster import against a real store: all or nothing, updates, and --deactivate-missing.

use qrgate_core::config::Config;
use qrgate_core::model::GateMode;
use qrgate_hr::roster::{self, ImportSummary};
use qrgate_hr::{Error, RowProblem};

use qrgate_testkit::{at, Kiosk};

fn import(k: &mut Kiosk, csv: &str, deactivate: bool) -> Result<ImportSummary, Error> {
    let rows = roster::rows_from_table(roster::read_csv(csv.as_bytes())?, &Config::default())?;
    roster::import(&mut k.store, &rows, deactivate, at("2026-11-25T12:00:00+07:00"), &mut |_, _| {})
}

#[test]
fn a_bad_file_changes_nothing() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let before = k.store.workers(None, None).unwrap();
    let err = import(&mut k, "employee_code,full_name,shift\nNV001,Tên Mới,CA1\nNV006,,CA1\nNV 7,X,CA1\n", false)
        .unwrap_err();
    let Error::RosterRows(rows) = &err else { panic!("{err}") };
    assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(rows[0].problems, vec![RowProblem::NameEmpty]);
    assert_eq!(rows[1].problems, vec![RowProblem::CodeBadCharacter { value: "NV 7".into(), character: ' ' }]);
    assert!(err.to_string().contains("row 3"), "{err}");
    assert_eq!(k.store.workers(None, None).unwrap(), before);
}

#[test]
fn reimport_updates_and_keeps_or_deactivates_the_missing() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let s = import(
        &mut k,
        "employee_code,full_name,department,shift\nNV001,Nguyễn Thị Hương,May 2,CA1\nNV006,Võ Minh Tâm,Kho,CA2\n",
        false,
    )
    .unwrap();
    assert_eq!((s.added, s.updated, s.deactivated), (1, 1, 0));
    assert_eq!(k.store.worker(&"NV001".parse().unwrap()).unwrap().unwrap().department, "May 2");
    assert!(k.store.worker(&"NV002".parse().unwrap()).unwrap().unwrap().active, "kept");
    let s =
        import(&mut k, "employee_code,full_name,department,shift\nNV001,Nguyễn Thị Hương,May 2,CA1\n", true).unwrap();
    assert_eq!((s.added, s.unchanged), (0, 1));
    assert_eq!(s.deactivated, 4, "NV002, NV003, NV005, NV006 (NV004 was already inactive)");
    assert!(!k.store.worker(&"NV002".parse().unwrap()).unwrap().unwrap().active);
}

#[test]
fn twenty_thousand_rows_in_one_go() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let mut csv = String::from("Mã NV,Họ và tên,Bộ phận,Ca\n");
    for i in 0..20_000 {
        csv.push_str(&format!("W{i:05},Người Thứ {i},Tổ {},CA{}\n", i % 40, 1 + i % 3));
    }
    let mut calls = 0;
    let rows = roster::rows_from_table(roster::read_csv(csv.as_bytes()).unwrap(), &Config::default()).unwrap();
    let s =
        roster::import(&mut k.store, &rows, false, at("2026-11-25T12:00:00+07:00"), &mut |_, _| calls += 1).unwrap();
    assert_eq!(s.added, 20_000);
    assert!(calls > 10, "progress is reported along the way");
    assert_eq!(k.store.worker_count().unwrap(), 20_005);
}

#[test]
fn a_start_date_column_is_read_and_old_files_keep_it() {
    let mut k = Kiosk::new(GateMode::Auto, |_| {});
    let code = |c: &str| c.parse().unwrap();
    let started = |k: &Kiosk, c: &str| k.store.worker(&code(c)).unwrap().unwrap().started;
    let s = import(
        &mut k,
        "Mã NV;Họ và tên;Ca;Ngày vào làm\nNV001;Nguyễn Thị Hương;CA1;18/11/2026\nNV006;Võ Minh Tâm;CA2;2026-11-02\n",
        false,
    )
    .unwrap();
    assert_eq!((s.added, s.updated), (1, 1));
    assert_eq!(started(&k, "NV001"), Some("2026-11-18".parse().unwrap()));
    assert_eq!(started(&k, "NV006"), Some("2026-11-02".parse().unwrap()));
    // A roster from before the column existed changes nothing of it, and is no change at all.
    let s = import(&mut k, "Mã NV;Họ và tên;Ca\nNV001;Nguyễn Thị Hương;CA1\n", false).unwrap();
    assert_eq!(s.unchanged, 1);
    assert_eq!(started(&k, "NV001"), Some("2026-11-18".parse().unwrap()));

    let err = import(&mut k, "Mã NV;Họ và tên;Ngày vào làm\nNV001;Hương;31/02/2026\nNV002;Dũng;tháng 11\n", false)
        .unwrap_err();
    let Error::RosterRows(rows) = &err else { panic!("{err}") };
    assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(rows[0].problems, vec![RowProblem::BadStartDate { value: "31/02/2026".into() }]);
    assert!(err.to_string().contains("row 3: start date \"tháng 11\" is not a date"), "{err}");
}
