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
    // Ana's side confirms by flag; Ben answers the question as a person would.
    let mut invite = KillOnDrop(
        kintsugi(&ana)
            .args(["pair", "invite", "--yes"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let anas_lines = Lines::of(&mut invite.0);
    let payload = anas_lines.until(|l| l.starts_with("kintsugi:"));
    let joined =
        bounded_output_with_input(kintsugi(&ben).args(["pair", "join", &payload]), Some("y\n"));
    let joined = String::from_utf8(joined.stdout).unwrap();
    assert!(joined.contains("Paired with Ana"), "{joined}");
    assert!(joined.contains("Does it match? [y/N]"), "{joined}");
    let code_line = |text: &str| {
        text.lines().find_map(|l| {
            l.split_once("Confirmation code: ")
                .map(|(_, c)| c.to_owned())
        })
    };
    let bens_code = code_line(&joined).expect("Ben was shown a code");
    let anas_code = code_line(&anas_lines.until(|l| l.contains("Confirmation code")));
    assert_eq!(Some(bens_code), anas_code, "both screens show one code");
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

#[test]
fn a_checkin_from_another_terminal_reaches_the_serving_partner_live() {
    let couple = Couple::paired();
    let serve = |dir: &std::path::Path| {
        KillOnDrop(
            kintsugi(dir)
                .arg("serve")
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap(),
        )
    };
    let mut anas = serve(&couple.ana);
    let anas_lines = Lines::of(&mut anas.0);
    let mut bens = serve(&couple.ben);
    let bens_lines = Lines::of(&mut bens.0);
    anas_lines.until(|l| l.starts_with("Sync: up to date"));
    bens_lines.until(|l| l.starts_with("Sync: up to date"));

    // Ben records a check-in in another terminal while both serve; nobody
    // runs `sync`. Ana's serving process receives it live.
    run(
        &couple.ben,
        &[
            "checkin",
            "--safety",
            "7",
            "--trust",
            "6",
            "--connection",
            "6",
            "--note",
            "live",
        ],
    );
    let deadline = std::time::Instant::now() + STEP;
    loop {
        let listed = json(&couple.ana, &["checkins", "--json"]);
        if listed.as_array().is_some_and(|a| a.len() == 1) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the check-in did not reach Ana live: {listed}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Ana's terminal says what Ben did, as the unlocked app would.
    anas_lines.until(|l| l.contains("Your partner checked in."));

    // Ben's side goes away; Ana's says so.
    drop(bens);
    let away = anas_lines.until(|l| l.starts_with("Sync: your partner's device is not reachable"));
    // Not since when: that would tell when Ben's device went off.
    assert!(!away.contains(" UTC"), "{away}");
}

#[test]
fn unpairing_is_quiet_unless_asked_and_keeps_the_history_read_only() {
    let couple = Couple::paired();
    let ended = run(&couple.ana, &["unpair", "--yes"]);
    assert!(ended.contains("Nothing was sent"), "{ended}");
    assert!(run(&couple.ana, &["status"]).contains("Not paired"));
    // Ben's device was told nothing: it still thinks it is paired, and its
    // sync reaches nothing.
    assert!(!run(&couple.ben, &["status"]).contains("Not paired"));
    let err = run_err(&couple.ben, &["sync"]);
    assert!(!err.contains("not paired"), "{err}");
    // Ana reads the old space through the same views, and can delete it.
    let list = run(&couple.ana, &["archive", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let exported = couple.ana.parent().unwrap().join("old.json");
    run(
        &couple.ana,
        &[
            "--archive",
            &id,
            "export",
            "--json",
            exported.to_str().unwrap(),
        ],
    );
    assert!(
        std::fs::read_to_string(&exported)
            .unwrap()
            .contains("\"members\"")
    );
    run(&couple.ana, &["archive", "delete", &id, "--yes"]);
    assert!(run(&couple.ana, &["archive", "list"]).contains("no archived spaces"));
}

#[test]
fn unpairing_tells_a_serving_partner_and_wipe_erases_this_device() {
    let couple = Couple::paired();
    let mut bens = KillOnDrop(
        kintsugi(&couple.ben)
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let bens_lines = Lines::of(&mut bens.0);
    bens_lines.until(|l| l.starts_with("Reachable for Ana"));

    let status = json(&couple.ana, &["status", "--json"]);
    assert_eq!(status["partner"]["name"], "Ben", "{status}");
    // When the two were last in sync is when Ben's device was last online: not shown.
    assert!(
        status["partner"].get("last_synced_at").is_none(),
        "{status}"
    );
    // Without --yes and with nothing on stdin, nothing happens.
    let refused = run_err(&couple.ana, &["unpair"]);
    assert!(refused.contains("--yes"), "{refused}");
    let ended = run(&couple.ana, &["unpair", "--yes", "--tell"]);
    assert!(ended.contains("their device was told"), "{ended}");
    // Ben's serving device forgot Ana too, with no alarm: just idle.
    bens_lines.until(|l| l.starts_with("Sync: idle"));
    drop(bens);
    assert!(run(&couple.ana, &["status"]).contains("Not paired"));
    for dir in [&couple.ana, &couple.ben] {
        let err = run_err(dir, &["sync"]);
        assert!(err.contains("not paired"), "{err}");
    }
    // Each keeps the history, read-only; Ben then erases his device.
    let archives = run(&couple.ben, &["archive", "list"]);
    assert!(
        archives.contains("Ana & Ben") || archives.contains("Ben & Ana"),
        "{archives}"
    );
    let archive_id = archives.split_whitespace().next().unwrap().to_owned();
    // The views read it (this couple wrote nothing but their names).
    let timeline = run(&couple.ben, &["--archive", &archive_id, "timeline"]);
    assert!(timeline.contains("nothing here yet"), "{timeline}");
    let refused = run_err(
        &couple.ben,
        &[
            "--archive",
            &archive_id,
            "checkin",
            "--safety",
            "3",
            "--trust",
            "3",
            "--connection",
            "3",
        ],
    );
    assert!(
        refused.contains("--archive reads an archived space"),
        "{refused}"
    );
    let err = run_err(&couple.ben, &["unpair", "--yes"]);
    assert!(err.contains("not paired"), "{err}");
    run(&couple.ben, &["wipe", "--yes"]);
    assert!(!couple.ben.exists());
}
