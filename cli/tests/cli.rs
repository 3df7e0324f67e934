//! The `kintsugi` binary driven as a user would: separate processes per
//! command, two data directories, loopback networking.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const STEP: Duration = Duration::from_secs(60);

fn kintsugi(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kintsugi"));
    cmd.arg("--data-dir")
        .arg(dir)
        .arg("--network")
        .arg("loopback");
    cmd
}

fn run(dir: &Path, args: &[&str]) -> String {
    let out = bounded_output(kintsugi(dir).args(args));
    assert!(
        out.status.success(),
        "kintsugi {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn bounded_output(cmd: &mut Command) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(STEP) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("command did not finish within {STEP:?}");
        }
    }
}

/// Waits for the first line of the child's stdout that satisfies `pred`.
fn read_until(child: &mut Child, pred: impl Fn(&str) -> bool + Send + 'static) -> String {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Keep draining after the match so the child never writes into a closed pipe.
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if pred(&line) {
                let _ = tx.send(line);
            }
        }
    });
    rx.recv_timeout(STEP)
        .expect("expected output did not appear in time")
}

struct KillOnDrop(Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

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

fn wait_bounded(child: &mut Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + STEP;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "process did not exit in time"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
