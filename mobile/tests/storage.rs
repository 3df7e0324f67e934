//! The storage key, export and import, sizes, damaged files and wiping, as
//! an app sees them through `Companion` (the Rust side of the facade; the
//! binding tests in `python/` and `kotlin/` cover the same through the
//! generated bindings).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod common;

use common::*;
use kintsugi_mobile::{
    CheckInInput, Companion, KintsugiError, generate_storage_key, wipe_data_dir,
};

/// Automerge's magic bytes, the start of every saved document.
const AUTOMERGE_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// A device with a shared space of its own: showing an invite starts it, no
/// partner needed.
async fn with_space(dir: &Path, key: &str) -> Arc<Companion> {
    let companion = open(dir, "Alex", key).unwrap();
    bounded(companion.create_invite()).await.unwrap();
    companion
}

#[test]
fn generated_keys_are_distinct_age_identities() {
    let (a, b) = (generate_storage_key(), generate_storage_key());
    assert!(a.starts_with("AGE-SECRET-KEY-1"), "{a}");
    assert_ne!(a, b);
}

#[test]
fn the_same_key_reopens_the_data() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = data_dir(&tmp);
    let key = generate_storage_key();
    let first = open(&dir, "Alex", &key).unwrap();
    let member = first.member_id().unwrap();
    first.write_journal("the first night".into()).unwrap();
    drop(first);

    let again = open(&dir, "Alex", &key).unwrap();
    assert_eq!(again.member_id().unwrap(), member);
    let journal = again.journal().unwrap();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].text, "the first night");
}

#[test]
fn no_file_holds_the_data_in_the_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = data_dir(&tmp);
    let key = generate_storage_key();
    let companion = open(&dir, "Alex", &key).unwrap();
    companion
        .write_journal("a sentence nobody else may read".into())
        .unwrap();
    for file in files_under(&dir) {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("nobody else"),
            "{} holds the journal in the clear",
            file.display()
        );
        assert!(
            !text.contains(&key),
            "{} holds the storage key",
            file.display()
        );
    }
}

#[test]
fn another_key_is_wrong_key_and_the_data_stays() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = data_dir(&tmp);
    let key = generate_storage_key();
    open(&dir, "Alex", &key)
        .unwrap()
        .write_journal("still here".into())
        .unwrap();
    let before = contents(&dir);

    let err = open(&dir, "Alex", &generate_storage_key())
        .err()
        .expect("another key opened the data");
    assert!(matches!(err, KintsugiError::WrongKey { .. }), "{err:?}");
    assert!(
        !err.to_string().contains("AGE-SECRET-KEY"),
        "the message shows a key: {err}"
    );
    assert!(
        contents(&dir) == before,
        "a wrong key changed the data directory"
    );

    let journal = open(&dir, "Alex", &key).unwrap().journal().unwrap();
    assert_eq!(journal[0].text, "still here");
}

#[test]
fn a_malformed_key_is_invalid_input_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = data_dir(&tmp);
    for key in ["", "hunter2", "AGE-SECRET-KEY-1NOTAKEY"] {
        let err = open(&dir, "Alex", key)
            .err()
            .expect("a malformed key was accepted");
        assert!(
            matches!(err, KintsugiError::InvalidInput { .. }),
            "{key:?}: {err:?}"
        );
    }
    assert!(!dir.exists(), "a refused key created the data directory");
}

#[test]
fn the_config_does_not_print_its_key() {
    let key = generate_storage_key();
    let printed = format!("{:?}", config(Path::new("/data"), "Alex", &key));
    assert!(printed.contains("/data"), "{printed}");
    assert!(!printed.contains(&key), "{printed}");
}

#[test]
fn exports_need_a_shared_space() {
    let tmp = tempfile::tempdir().unwrap();
    let companion = open(&data_dir(&tmp), "Alex", &generate_storage_key()).unwrap();
    let err = companion.export_automerge().unwrap_err();
    assert!(matches!(err, KintsugiError::NotPaired { .. }), "{err:?}");
    assert!(companion.damaged_files().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn export_and_import_of_the_shared_space() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = with_space(&data_dir(&tmp), &generate_storage_key()).await;
    alex.record_checkin(checkin(6, Some("a long talk after dinner")))
        .unwrap();
    alex.write_journal("only mine".into()).unwrap();

    let document = alex.export_automerge().unwrap();
    assert_eq!(document[..4], AUTOMERGE_MAGIC);

    let shared_only = alex.export_json(false).unwrap();
    let json: serde_json::Value = serde_json::from_str(&shared_only).unwrap();
    assert_eq!(json["format"], "kintsugi-export");
    assert!(shared_only.contains("a long talk after dinner"));
    assert!(!shared_only.contains("only mine"));
    assert!(alex.export_json(true).unwrap().contains("only mine"));

    assert_eq!(alex.import_automerge(document).unwrap(), 0);
    let err = alex
        .import_automerge(b"not a document".to_vec())
        .unwrap_err();
    assert!(matches!(err, KintsugiError::InvalidInput { .. }), "{err:?}");

    // Another couple's space is refused.
    let other_tmp = tempfile::tempdir().unwrap();
    let kim = with_space(&data_dir(&other_tmp), &generate_storage_key()).await;
    let err = alex
        .import_automerge(kim.export_automerge().unwrap())
        .unwrap_err();
    assert!(matches!(err, KintsugiError::InvalidInput { .. }), "{err:?}");
    assert_eq!(alex.checkins().unwrap().len(), 1);
    for c in [alex, kim] {
        bounded(c.shutdown()).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn importing_the_partners_export_brings_their_changes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alex = open(&data_dir(&a), "Alex", &generate_storage_key()).unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;
    // Apart: nothing travels live, so only the import can bring the change.
    bounded(alex.shutdown()).await.unwrap();
    bounded(sam.shutdown()).await.unwrap();

    sam.record_checkin(checkin(4, Some("written while offline")))
        .unwrap();
    let new = alex
        .import_automerge(sam.export_automerge().unwrap())
        .unwrap();
    assert!(new > 0, "{new}");
    let notes: Vec<_> = alex
        .checkins()
        .unwrap()
        .into_iter()
        .filter_map(|c| c.note)
        .collect();
    assert_eq!(notes, ["written while offline"]);
    for c in [alex, sam] {
        bounded(c.shutdown()).await.unwrap();
    }
}

#[test]
fn a_damaged_file_is_reported_and_moved_aside() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = data_dir(&tmp);
    let key = generate_storage_key();
    let alex = open(&dir, "Alex", &key).unwrap();
    alex.write_journal("first".into()).unwrap();
    alex.write_journal("second".into()).unwrap();
    drop(alex);
    let victim = files_under(&dir.join("private")).into_iter().max().unwrap();
    std::fs::write(&victim, b"scribbled over").unwrap();

    let alex = open(&dir, "Alex", &key).unwrap();
    let damaged = alex.damaged_files().unwrap();
    assert_eq!(damaged.len(), 1, "{damaged:?}");
    assert_eq!(damaged[0].path, victim.to_string_lossy());
    assert!(!damaged[0].reason.is_empty());
    let moved_to = PathBuf::from(damaged[0].moved_to.as_ref().expect("not moved aside"));
    assert!(moved_to.starts_with(dir.join("damaged")), "{moved_to:?}");
    assert!(moved_to.exists() && !victim.exists());
    // The rest still opens, and the device keeps working.
    assert!(alex.journal().unwrap().len() <= 2);
    alex.write_journal("third".into()).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn storage_info_and_compaction() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = with_space(&data_dir(&tmp), &generate_storage_key()).await;
    for day in 1..=9 {
        alex.record_checkin(CheckInInput {
            day: Some(format!("2026-01-0{day}")),
            ..checkin(day, Some("a day"))
        })
        .unwrap();
    }
    alex.write_journal("mine".into()).unwrap();

    // Without asking, the private space is not counted: a settings screen
    // someone else sees does not tell that a journal exists.
    let info = alex.storage_info().unwrap();
    assert!(info.shared.total_bytes > 0, "{info:?}");
    assert_eq!(info.private, None, "{info:?}");
    assert_eq!(info.total_bytes, info.shared.total_bytes, "{info:?}");
    assert!(info.shared.snapshots + info.shared.chunks >= 1, "{info:?}");
    let full = alex.storage_info_with_private().unwrap();
    let private = full.private.clone().expect("asked for");
    assert!(private.total_bytes > 0, "{full:?}");
    for doc in [&full.shared, &private] {
        assert_eq!(
            doc.total_bytes,
            doc.snapshot_bytes + doc.chunk_bytes,
            "{full:?}"
        );
    }
    assert_eq!(
        full.total_bytes,
        full.shared.total_bytes + private.total_bytes
    );

    let compacted = alex.compact().unwrap();
    assert_eq!(compacted.private, None, "{compacted:?}");
    let after = alex.storage_info_with_private().unwrap();
    for doc in [&compacted.shared, &after.private.clone().unwrap()] {
        assert_eq!((doc.snapshots, doc.chunks), (1, 0), "{after:?}");
        assert!(doc.snapshot_bytes > 0, "{after:?}");
    }
    assert_eq!(alex.storage_info().unwrap(), compacted);
    assert_eq!(alex.checkins().unwrap().len(), 9);
    bounded(alex.shutdown()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn wipe_removes_everything_and_the_companion_refuses_further_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = data_dir(&tmp);
    let key = generate_storage_key();
    let alex = with_space(&dir, &key).await;
    alex.record_checkin(checkin(7, None)).unwrap();
    alex.write_journal("gone soon".into()).unwrap();

    let summary = bounded(alex.wipe()).await.unwrap();
    assert!(summary.removed_files > 0, "{summary:?}");
    assert!(summary.left.is_empty(), "{summary:?}");
    assert!(!dir.exists(), "the data directory is still there");

    for err in [
        alex.checkins().unwrap_err(),
        alex.journal().unwrap_err(),
        alex.write_journal("again".into()).unwrap_err(),
        alex.member_id().unwrap_err(),
        alex.storage_info().unwrap_err(),
        alex.export_automerge().unwrap_err(),
        alex.notices_since_last_call().unwrap_err(),
        bounded(alex.create_invite()).await.unwrap_err(),
        bounded(alex.sync_now()).await.unwrap_err(),
    ] {
        assert!(matches!(err, KintsugiError::NotAllowed { .. }), "{err:?}");
        assert!(err.to_string().contains("wiped"), "{err}");
    }
    assert!(
        !dir.exists(),
        "a call after the wipe recreated the data directory"
    );
    // Shutting down and wiping again are harmless.
    bounded(alex.shutdown()).await.unwrap();
    assert_eq!(bounded(alex.wipe()).await.unwrap().removed_files, 0);

    // A new companion starts from nothing.
    let fresh = open(&dir, "Alex", &key).unwrap();
    assert!(fresh.journal().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn wipe_keeps_files_that_are_not_kintsugis() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = data_dir(&tmp);
    let alex = open(&dir, "Alex", &generate_storage_key()).unwrap();
    alex.write_journal("x".into()).unwrap();
    std::fs::write(dir.join("app-settings.json"), "{}").unwrap();
    let summary = bounded(alex.wipe()).await.unwrap();
    assert_eq!(
        summary.left,
        [dir.join("app-settings.json").to_string_lossy()]
    );
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["app-settings.json"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn wipe_cancels_a_call_waiting_for_the_partner() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = data_dir(&tmp);
    let alex = with_space(&dir, &generate_storage_key()).await;
    let waiting = tokio::spawn({
        let alex = alex.clone();
        async move { alex.wait_for_partner().await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    bounded(alex.wipe()).await.unwrap();
    let err = bounded(waiting).await.unwrap().unwrap_err();
    assert!(matches!(err, KintsugiError::NotAllowed { .. }), "{err:?}");
    assert!(!dir.exists());
}

#[test]
fn wipe_data_dir_needs_no_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = data_dir(&tmp);
    let key = generate_storage_key();
    open(&dir, "Alex", &key)
        .unwrap()
        .write_journal("the key is lost".into())
        .unwrap();
    let summary = wipe_data_dir(dir.to_string_lossy().into_owned()).unwrap();
    assert!(summary.removed_files > 0, "{summary:?}");
    assert!(!dir.exists());
    // Already gone: nothing to do.
    assert_eq!(
        wipe_data_dir(dir.to_string_lossy().into_owned())
            .unwrap()
            .removed_files,
        0
    );
    // A new key sets the directory up afresh.
    let fresh = open(&dir, "Alex", &generate_storage_key()).unwrap();
    assert!(fresh.journal().unwrap().is_empty());
}

#[test]
fn a_directory_that_is_not_a_devices_is_not_wiped() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("photo.jpg"), "not ours").unwrap();
    let err = wipe_data_dir(tmp.path().to_string_lossy().into_owned()).unwrap_err();
    assert!(matches!(err, KintsugiError::NotAllowed { .. }), "{err:?}");
    assert!(tmp.path().join("photo.jpg").exists());
}
