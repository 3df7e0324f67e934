//! `kintsugi bundle …` driven as a user would: two paired devices that are
//! never online together exchange sealed files.

mod common;

use common::*;

fn checkin(dir: &std::path::Path, note: &str) {
    run(
        dir,
        &[
            "checkin",
            "--safety",
            "5",
            "--trust",
            "4",
            "--connection",
            "6",
            "--note",
            note,
        ],
    );
}

fn notes(dir: &std::path::Path) -> Vec<String> {
    json(dir, &["checkins", "--json"])
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["note"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn partners_apart_exchange_a_bundle_file_and_then_a_shared_folder() {
    let couple = Couple::paired();
    let carry = tempfile::tempdir().unwrap();

    checkin(&couple.ana, "written on the plane");
    let file = carry.path().join("for-ben.bundle");
    let made = run(&couple.ana, &["bundle", "create", file.to_str().unwrap()]);
    assert!(made.contains("bundle 1, 1 change"), "{made}");
    let sealed = std::fs::read(&file).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1"));
    assert!(!String::from_utf8_lossy(&sealed).contains("plane"));

    let opened = run(&couple.ben, &["bundle", "open", file.to_str().unwrap()]);
    assert!(
        opened.contains("Opened bundle 1 from Ana") && opened.contains("1 change new here"),
        "{opened}"
    );
    assert!(notes(&couple.ben).contains(&"written on the plane".to_owned()));
    let again = run(&couple.ben, &["bundle", "open", file.to_str().unwrap()]);
    assert!(again.contains("already opened"), "{again}");

    // A damaged copy is refused plainly and changes nothing.
    let mut damaged = sealed.clone();
    let at = damaged.len() - 50;
    damaged[at] ^= 1;
    let bad = carry.path().join("damaged.bundle");
    std::fs::write(&bad, &damaged).unwrap();
    let err = run_err(&couple.ben, &["bundle", "open", bad.to_str().unwrap()]);
    assert!(
        err.contains("damaged") && err.contains("nothing was changed"),
        "{err}"
    );

    // Ana's own bundle is not for Ana.
    let err = run_err(&couple.ana, &["bundle", "open", file.to_str().unwrap()]);
    assert!(err.contains("not sealed for this device"), "{err}");

    // A folder both reach: each side runs sync-dir when it is online.
    let folder = carry.path().join("shared-drive");
    std::fs::create_dir(&folder).unwrap();
    checkin(&couple.ben, "night shift again");
    let ben_out = run(
        &couple.ben,
        &["bundle", "sync-dir", folder.to_str().unwrap()],
    );
    assert!(ben_out.contains("Left bundle"), "{ben_out}");
    let ana_out = run(
        &couple.ana,
        &["bundle", "sync-dir", folder.to_str().unwrap()],
    );
    assert!(ana_out.contains("from Ben"), "{ana_out}");
    assert!(notes(&couple.ana).contains(&"night shift again".to_owned()));
    for _ in 0..2 {
        run(
            &couple.ben,
            &["bundle", "sync-dir", folder.to_str().unwrap()],
        );
        run(
            &couple.ana,
            &["bundle", "sync-dir", folder.to_str().unwrap()],
        );
    }
    assert_eq!(
        std::fs::read_dir(&folder).unwrap().count(),
        0,
        "both bundles were absorbed and cleaned up"
    );
    let err = run_err(
        &couple.ana,
        &["bundle", "sync-dir", "/nonexistent/kintsugi"],
    );
    assert!(err.contains("is not a folder"), "{err}");
}

#[test]
fn a_lost_device_is_restored_from_its_backup_and_syncs_again() {
    let couple = Couple::paired();
    let safe = tempfile::tempdir().unwrap();
    checkin(&couple.ana, "kept in the backup");
    let file = safe.path().join("ana.backup");
    let made = run(&couple.ana, &["backup", "create", file.to_str().unwrap()]);
    assert!(made.contains("without your private journal"), "{made}");
    let key = run(&couple.ana, &["backup", "recovery-key"]);
    assert!(key.trim().starts_with("AGE-SECRET-KEY-1"), "{key}");
    let key_file = safe.path().join("recovery-key.txt");
    std::fs::write(&key_file, key.trim()).unwrap();

    // The phone is lost; a new one restores into an empty directory.
    std::fs::remove_dir_all(&couple.ana).unwrap();
    let err = run_err(
        &couple.ben,
        &[
            "backup",
            "restore",
            file.to_str().unwrap(),
            "--recovery-key-file",
            key_file.to_str().unwrap(),
        ],
    );
    assert!(err.contains("already holds a Kintsugi device"), "{err}");
    // Asked whether to pair again, with no terminal to answer: nothing done.
    let unanswered = run_err(
        &couple.ana,
        &[
            "backup",
            "restore",
            file.to_str().unwrap(),
            "--recovery-key-file",
            key_file.to_str().unwrap(),
        ],
    );
    assert!(unanswered.contains("--keep-pairing"), "{unanswered}");
    assert!(!couple.ana.join("key.age").exists());
    let restored = run(
        &couple.ana,
        &[
            "backup",
            "restore",
            file.to_str().unwrap(),
            "--recovery-key-file",
            key_file.to_str().unwrap(),
            "--keep-pairing",
        ],
    );
    assert!(
        restored.contains("Restored Ana") && restored.contains("with Ben"),
        "{restored}"
    );
    assert!(notes(&couple.ana).contains(&"kept in the backup".to_owned()));
    // Ben's phone still knows this device: they sync without pairing again.
    checkin(&couple.ana, "from the new phone");
    couple.sync();
    assert!(notes(&couple.ben).contains(&"from the new phone".to_owned()));
}

#[test]
fn a_backup_made_for_the_partner_too_is_absorbed_on_their_phone() {
    let couple = Couple::paired();
    let safe = tempfile::tempdir().unwrap();
    checkin(&couple.ana, "never synced");
    let file = safe.path().join("ana.backup");
    let path = file.to_str().unwrap();
    let err = run_err(
        &couple.ana,
        &["backup", "create", path, "--private", "--partner-can-open"],
    );
    assert!(err.contains("cannot be used with"), "{err}");
    let made = run(
        &couple.ana,
        &["backup", "create", path, "--partner-can-open"],
    );
    assert!(
        made.contains("your partner's phone can also read"),
        "{made}"
    );

    let absorbed = run(&couple.ben, &["backup", "absorb", path]);
    assert!(
        absorbed.contains("Took in Ana's backup") && absorbed.contains("1 change(s)"),
        "{absorbed}"
    );
    assert!(notes(&couple.ben).contains(&"never synced".to_owned()));
    // Ana's own device cannot absorb it: only her recovery key opens it.
    let own = run_err(&couple.ana, &["backup", "absorb", path]);
    assert!(own.contains("not sealed for this device"), "{own}");
}
