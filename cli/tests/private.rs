//! The private journal and notes at a terminal someone else may sit at:
//! the private lock, and entries edited or deleted for good, through the
//! real `kintsugi` binary.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::str::FromStr;

use common::*;
use kintsugi_core::storage::files;

const LOCK: &str = "willow lantern quietly folds seven maps";
const SECRET: &str = "I still feel sick when his phone buzzes";

/// The command with the private lock's passphrase given (or none), and no
/// terminal to type one at.
fn with_lock(dir: &Path, passphrase: Option<&str>) -> Command {
    let mut cmd = without_terminal(kintsugi(dir));
    if let Some(p) = passphrase {
        cmd.env("KINTSUGI_PRIVATE_PASSPHRASE", p);
    }
    cmd
}

fn output(dir: &Path, passphrase: Option<&str>, args: &[&str]) -> Output {
    bounded_output(with_lock(dir, passphrase).args(args))
}

/// Runs a command the lock must refuse; returns its stderr.
fn refused(dir: &Path, passphrase: Option<&str>, args: &[&str]) -> String {
    let out = output(dir, passphrase, args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{args:?} was not refused: {stdout}");
    assert!(
        !stdout.contains("phone buzzes") && !stdout.contains("for the therapist"),
        "{args:?} showed private text: {stdout}"
    );
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn the_private_lock_asks_its_own_passphrase_even_where_the_device_opens_by_itself() {
    let c = Couple::paired();
    let dir = &c.ana;
    let id = {
        run(dir, &["journal", "write", SECRET]);
        run(dir, &["note", "add", "Ask", "for the therapist: the trip"]);
        first_id(&json(dir, &["journal", "list", "--json"]))
    };
    assert!(run(dir, &["private-lock", "status"]).contains("off"));
    let weak = refused(dir, Some("password1"), &["private-lock", "on"]);
    assert!(weak.contains("too easy to guess"), "{weak}");
    let on = ok(with_lock(dir, Some(LOCK)).args(["private-lock", "on"]));
    assert!(on.contains("The private lock is on"), "{on}");
    assert!(run(dir, &["private-lock", "status"]).contains("on"));

    // The device still opens by itself (a key file), but nothing private
    // shows without the lock's passphrase, and a wrong one is refused alike.
    let tmp = tempfile::tempdir().unwrap();
    let export = tmp.path().join("all.json");
    let backup = tmp.path().join("backup.age");
    let summary = tmp.path().join("summary.md");
    let showing: Vec<Vec<&str>> = vec![
        vec!["journal", "list"],
        vec!["journal", "list", "--json"],
        vec!["note", "list", "--json"],
        vec!["journal", "edit", &id[..8], "changed"],
        vec!["journal", "delete", &id[..8]],
        vec!["note", "edit", "0", "changed"],
        vec!["note", "delete", "0"],
        vec!["storage", "--private"],
        vec![
            "export",
            "--json",
            export.to_str().unwrap(),
            "--include-private",
        ],
        vec!["backup", "create", backup.to_str().unwrap(), "--private"],
        vec![
            "summary",
            "--from",
            "2026-01-01",
            "--until",
            "2026-12-31",
            "--kinds",
            "checkins",
            "--private-entry",
            &id[..8],
            "--markdown",
            summary.to_str().unwrap(),
        ],
        vec!["private-lock", "off"],
    ];
    for (i, args) in showing.iter().enumerate() {
        let no_terminal = refused(dir, None, args);
        assert!(
            no_terminal.contains("the private space is locked")
                && no_terminal.contains("KINTSUGI_PRIVATE_PASSPHRASE"),
            "{args:?}: {no_terminal}"
        );
        // A wrong passphrase costs a second of scrypt: a few are enough.
        if ![0, 8, showing.len() - 1].contains(&i) {
            continue;
        }
        let wrong = refused(dir, Some("willow lantern quietly folds six maps"), args);
        assert!(
            wrong.contains("the private space is locked and that passphrase does not open it"),
            "{args:?}: {wrong}"
        );
    }
    assert!(!export.exists() && !backup.exists() && !summary.exists());

    // What shows nothing private does not ask.
    ok(with_lock(dir, None).args(["journal", "write", "written while locked"]));
    let storage = ok(with_lock(dir, None).args(["storage"]));
    assert!(!storage.contains("private"), "{storage}");
    ok(with_lock(dir, None).args(["export", "--json", export.to_str().unwrap()]));
    assert!(!std::fs::read_to_string(&export).unwrap().contains("buzzes"));
    std::fs::remove_file(&export).unwrap();

    // The owner's passphrase opens it, for this command only.
    let listed = ok(with_lock(dir, Some(LOCK)).args(["journal", "list"]));
    assert!(
        listed.contains(SECRET) && listed.contains("written while locked"),
        "{listed}"
    );
    assert!(
        listed.contains(&id[..8]),
        "ids are listed for edit and delete: {listed}"
    );
    refused(dir, None, &["journal", "list"]);
    let off = ok(with_lock(dir, Some(LOCK)).args(["private-lock", "off"]));
    assert!(off.contains("off"), "{off}");
    assert!(ok(with_lock(dir, None).args(["journal", "list"])).contains(SECRET));
}

/// The device key of a test data directory (unwrapped with its key file),
/// to read what is really in its files.
fn device_key(dir: &Path) -> age::x25519::Identity {
    let text = std::fs::read_to_string(key_file(dir)).unwrap();
    let host_line = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap();
    let host = age::x25519::Identity::from_str(host_line).unwrap();
    let wrapped = std::fs::read(dir.join(files::KEY)).unwrap();
    let device = String::from_utf8(age::decrypt(&host, &wrapped).unwrap()).unwrap();
    age::x25519::Identity::from_str(device.trim()).unwrap()
}

fn holds(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

#[test]
fn entries_and_notes_are_edited_and_deleted_for_good() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ana");
    run(&dir, &["init", "--name", "Ana"]);
    run(&dir, &["journal", "write", SECRET]);
    run(&dir, &["journal", "write", "a first draft"]);
    run(&dir, &["note", "add", "Ask", "what he told his brother"]);
    let journal = json(&dir, &["journal", "list", "--json"]);
    let id_of = |text: &str| {
        journal
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["text"] == text)
            .and_then(|e| e["id"].as_str())
            .unwrap()
            .to_owned()
    };
    let (gone, draft) = (id_of(SECRET), id_of("a first draft"));
    let note = first_id(&json(&dir, &["note", "list", "--json"]));

    let out = run(&dir, &["journal", "delete", &gone[..8]]);
    assert!(out.contains("deleted"), "{out}");
    run(&dir, &["journal", "edit", &draft[..8], "a second draft"]);
    run(
        &dir,
        &[
            "note",
            "edit",
            &note[..8],
            "a gentler question",
            "--title",
            "Later",
        ],
    );
    let err = run_err(&dir, &["journal", "delete", "zzzz"]);
    assert!(err.contains("no journal entry"), "{err}");

    let journal = json(&dir, &["journal", "list", "--json"]);
    assert_eq!(journal.as_array().unwrap().len(), 1, "{journal}");
    assert_eq!(journal[0]["text"], "a second draft");
    let notes = json(&dir, &["note", "list", "--json"]);
    assert_eq!(
        (&notes[0]["title"], &notes[0]["text"]),
        (&"Later".into(), &"a gentler question".into())
    );

    // Gone from the files, decrypted or not, not only from the list.
    let key = device_key(&dir);
    let private = dir.join(files::PRIVATE_DIR);
    let mut read = 0;
    for entry in std::fs::read_dir(&private).unwrap() {
        let raw = std::fs::read(entry.unwrap().path()).unwrap();
        let plain = age::decrypt(&key, &raw).unwrap();
        read += 1;
        for old in ["phone buzzes", "a first draft", "his brother"] {
            assert!(
                !holds(&raw, old) && !holds(&plain, old),
                "{old:?} is on disk"
            );
        }
        assert!(holds(&plain, "a gentler question"));
    }
    assert_eq!(read, 1, "one snapshot in {}", private.display());

    run(&dir, &["note", "delete", &note[..8]]);
    assert_eq!(
        json(&dir, &["note", "list", "--json"]),
        serde_json::json!([])
    );
}
