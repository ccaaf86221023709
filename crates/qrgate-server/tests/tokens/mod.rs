//! The province's API answered per account: a token made with `qrgate-server token add` opens
//! what its account may see (an enterprise viewer its own enterprise, no tracing), a trace made
//! with it names its account in the record of processing and the audit log, only the token's hash
//! is kept, and a revoked token or a disabled account's opens nothing. The server's own query
//! token keeps working for the scripts written before accounts.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::*;
use crate::{start, A, B, T};

const OFFICER: &str = "can.bo.tinh";
const VIEWER: &str = "dien.tu.bd";

fn add_account(db: &str, login: &str, role: &str, enterprise: Option<&str>) {
    let mut args = vec!["user", "add", "--login", login, "--name", "Người dùng thử", "--role", role];
    if let Some(enterprise) = enterprise {
        args.extend(["--enterprise", enterprise]);
    }
    let (ok, out, err) = server_cli_input(db, &args, "một mật khẩu đủ dài 2026\n");
    assert!(ok, "user add {login}: {out}{err}");
}

fn token_add(db: &str, login: &str, name: &str) -> Result<String, String> {
    let (ok, out, err) = server_cli_input(db, &["token", "add", "--login", login, "--name", name], "");
    if ok {
        Ok(out.trim().to_string())
    } else {
        Err(err)
    }
}

#[test]
fn tokens_answer_as_their_accounts_and_name_them_in_the_records() {
    let pg = Postgres::start(false);
    let server = Server::start(&pg.url, 0);
    let (gate_a, gate_b) = (Kiosk::init(A, "a-gate-1", 41), Kiosk::init(B, "b-gate-1", 42));
    for k in [&gate_a, &gate_b] {
        k.register(&pg.url, &k.enterprise);
        // NV0000 in 07:30, NV0001 in 07:31, NV0000 out 07:32, NV0001 out 07:33 (+07:00).
        k.add_events(4, 2, start());
        k.sync(&server.url, T).unwrap();
    }
    add_account(&pg.url, OFFICER, "province_officer", None);
    add_account(&pg.url, VIEWER, "enterprise_viewer", Some(B));
    let officer = token_add(&pg.url, OFFICER, "xuất hằng đêm").unwrap();
    let viewer = token_add(&pg.url, VIEWER, "báo cáo").unwrap();
    assert!(officer.starts_with("qrgate_") && officer.len() == 7 + 64, "{officer}");
    assert_ne!(officer, viewer);

    // Only the hash is kept.
    let stored = pg.query("SELECT string_agg(token_sha256, ',') FROM api_tokens");
    assert!(!stored.contains(&officer[7..]) && !stored.contains(&viewer[7..]), "{stored}");
    assert!(stored.contains(&hex::encode(Sha256::digest(officer.as_bytes()))), "{stored}");

    // A second live token of the same name is refused, with words saying what to do.
    let again = token_add(&pg.url, OFFICER, "xuất hằng đêm").unwrap_err();
    assert!(again.contains("already has a token named") && again.contains("[invalid_input]"), "{again}");
    assert!(token_add(&pg.url, "nobody.here", "x").unwrap_err().contains("[unknown_account]"));

    let http = reqwest::blocking::Client::new();
    let get = |token: &str, path: &str| {
        let answer = http.get(format!("{}{path}", server.url)).bearer_auth(token).send().unwrap();
        let status = answer.status().as_u16();
        (status, answer.json::<Value>().unwrap())
    };
    let daily = "/api/v1/province/daily?from=2025-03-03&to=2025-03-03";
    let trace =
        |e: &str| format!("/api/v1/province/contacts?enterprise={e}&person=NV0001&from=2025-03-03&to=2025-03-03");

    // The officer's token sees every enterprise and traces; the record names the officer.
    let (status, rows) = get(&officer, daily);
    assert_eq!(status, 200);
    assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");
    for e in [A, B] {
        let (status, contacts) = get(&officer, &trace(e));
        assert_eq!(status, 200, "{contacts}");
        assert_eq!(contacts[0]["person_ref"], "NV0000", "{contacts}");
    }
    assert_eq!(pg.count(&format!("SELECT count(*) FROM processing_log WHERE actor = '{OFFICER}'")), 2);
    let audit =
        pg.query("SELECT string_agg(coalesce(account, '-') || ' ' || action || ' ' || detail, E'\\n') FROM audit_log");
    assert_eq!(audit.matches(&format!("{OFFICER} trace API: {A}:")).count(), 1, "{audit}");
    assert_eq!(audit.matches(&format!("{OFFICER} trace API: {B}:")).count(), 1, "{audit}");
    assert!(audit.contains("- token_add can.bo.tinh (xuất hằng đêm)"), "{audit}");
    assert!(!audit.contains("NV0001"), "never whom a trace was about: {audit}");

    // The viewer's token: its own enterprise whatever it leaves out, another one refused, no trace.
    let (status, rows) = get(&viewer, daily);
    assert_eq!(status, 200);
    let enterprises: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["enterprise"].as_str().unwrap()).collect();
    assert_eq!(enterprises, [B]);
    for path in [
        format!("{daily}&enterprise={A}"),
        format!("/api/v1/province/kiosks?enterprise={A}"),
        format!("/api/v1/province/processing?enterprise={A}"),
        format!("/api/v1/province/inside?enterprise={A}"),
        trace(B),
    ] {
        let (status, refusal) = get(&viewer, &path);
        assert_eq!((status, refusal["code"].as_str()), (403, Some("forbidden")), "{path}: {refusal}");
    }
    let (_, kiosks) = get(&viewer, "/api/v1/province/kiosks");
    let ids: Vec<&str> = kiosks.as_array().unwrap().iter().map(|k| k["kiosk_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["b-gate-1"]);
    // Its enterprise's record of processing: the officer's trace at B, not the one at A.
    let (_, record) = get(&viewer, "/api/v1/province/processing");
    let record = record.as_array().unwrap().clone();
    assert_eq!(record.len(), 1, "{record:?}");
    assert_eq!((record[0]["enterprise"].as_str(), record[0]["actor"].as_str()), (Some(B), Some(OFFICER)));
    assert_eq!(pg.count(&format!("SELECT count(*) FROM processing_log WHERE actor = '{VIEWER}'")), 0);

    // The server's own token answers as before; anything else is refused before any question.
    assert_eq!(get(QUERY_TOKEN, daily).0, 200);
    for bad in [&officer[7..], "qrgate_", "Bearer", &format!("{officer}0")] {
        let (status, refusal) = get(bad, daily);
        assert_eq!((status, refusal["code"].as_str()), (401, Some("query_unauthorized")), "{bad}");
    }

    // Revoked, it opens nothing; the name can be given again to a new token.
    let (ok, out) = server_cli(&pg.url, &["token", "revoke", "--login", OFFICER, "--name", "xuất hằng đêm"]);
    assert!(ok, "{out}");
    assert_eq!(get(&officer, daily).0, 401);
    let (ok, out) = server_cli(&pg.url, &["token", "revoke", "--login", OFFICER, "--name", "xuất hằng đêm"]);
    assert!(!ok && out.contains("no live token named"), "{out}");
    let renewed = token_add(&pg.url, OFFICER, "xuất hằng đêm").unwrap();
    assert_eq!(get(&renewed, daily).0, 200);
    let (ok, list) = server_cli(&pg.url, &["token", "list"]);
    assert!(ok, "{list}");
    assert_eq!(list.lines().count(), 3, "{list}");
    assert_eq!(list.matches("revoked ").count(), 1, "{list}");
    assert!(!list.contains(&renewed) && !list.contains(&officer), "{list}");

    // A disabled account's token opens nothing either.
    let (ok, out) = server_cli(&pg.url, &["user", "disable", "--login", VIEWER]);
    assert!(ok, "{out}");
    assert_eq!(get(&viewer, daily).0, 401);
    assert!(token_add(&pg.url, VIEWER, "mới").unwrap_err().contains("is disabled"));

    // No token ever reached the server's log.
    let log = server.log();
    for token in [&officer, &viewer, &renewed] {
        assert!(!log.contains(&token[7..]), "{log}");
    }
}
