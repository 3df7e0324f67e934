//! The `kintsugi` binary driven as a user would: separate processes per
//! command, two data directories, loopback networking.

mod common;

use std::process::Stdio;

use common::*;

#[test]
fn two_devices_pair_write_and_sync_through_the_cli() {
    let root = tempfile::tempdir().unwrap();
    let (ana, ben) = (root.path().join("ana"), root.path().join("ben"));
    run(&ana, &["init", "--name", "Ana"]);
    run(&ben, &["init", "--name", "Ben"]);

    // `pair invite` prints the payload on its own line at once, then waits.
    let mut invite = KillOnDrop(
        kintsugi(&ana)
            .args(["pair", "invite"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let payload = read_until(&mut invite.0, |l| l.starts_with("kintsugi:"));
    let joined = run(&ben, &["pair", "join", &payload]);
    assert!(joined.contains("Paired with Ana"), "{joined}");
    let status = wait_bounded(&mut invite.0);
    assert!(status.success(), "pair invite exited with {status}");

    // Apart: both write.
    run(
        &ana,
        &[
            "checkin",
            "--safety",
            "4",
            "--trust",
            "3",
            "--connection",
            "5",
            "--mood",
            "doubtful",
            "--note",
            "hard day",
        ],
    );
    run(
        &ben,
        &[
            "checkin",
            "--safety",
            "7",
            "--trust",
            "6",
            "--connection",
            "6",
        ],
    );
    let proposed = run(
        &ana,
        &["agreement", "propose", "Phone stays open to Ben this month"],
    );
    assert!(proposed.contains("Proposed agreement"), "{proposed}");

    // Ben stays reachable; Ana syncs.
    let mut serve = KillOnDrop(
        kintsugi(&ben)
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    read_until(&mut serve.0, |l| l.starts_with("Reachable"));
    // Ben writes from another terminal while his `serve` runs.
    run(
        &ben,
        &[
            "checkin",
            "--safety",
            "8",
            "--trust",
            "7",
            "--connection",
            "7",
            "--note",
            "written beside serve",
        ],
    );
    let synced = run(&ana, &["sync"]);
    assert!(synced.contains("Up to date"), "{synced}");
    drop(serve);
    let on_ana: serde_json::Value =
        serde_json::from_str(&run(&ana, &["checkins", "--json"])).unwrap();
    let notes: Vec<&str> = on_ana
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["note"].as_str())
        .collect();
    assert!(notes.contains(&"written beside serve"), "{notes:?}");

    let list: serde_json::Value =
        serde_json::from_str(&run(&ben, &["agreement", "list", "--json"])).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list[0]["status"], "proposed");
    run(&ben, &["agreement", "accept", &id[..8]]);
    let checkins: serde_json::Value =
        serde_json::from_str(&run(&ben, &["checkins", "--json"])).unwrap();
    assert_eq!(
        checkins.as_array().unwrap().len(),
        2,
        "Ben's second check-in that day revised his first"
    );

    // And back to Ana.
    let mut serve = KillOnDrop(
        kintsugi(&ana)
            .arg("serve")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    read_until(&mut serve.0, |l| l.starts_with("Reachable"));
    run(&ben, &["sync"]);
    drop(serve);
    let list: serde_json::Value =
        serde_json::from_str(&run(&ana, &["agreement", "list", "--json"])).unwrap();
    assert_eq!(list[0]["status"], "in_force");
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("solo");
    let out = bounded_output(kintsugi(&dir).args([
        "checkin",
        "--safety",
        "1",
        "--trust",
        "1",
        "--connection",
        "1",
    ]));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("init"),
        "{out:?}"
    );

    run(&dir, &["init", "--name", "Sam"]);
    let out = bounded_output(kintsugi(&dir).args(["pair", "join", "kintsugi:nonsense"]));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a valid Kintsugi pairing code"),
        "{out:?}"
    );
}
