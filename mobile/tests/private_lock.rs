//! The private space on a phone someone else holds: the app's lock in
//! front of every call that shows it, and entries edited or deleted for good.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

mod common;

use common::*;
use kintsugi_core::storage::files;
use kintsugi_mobile::{
    BackupOptions, CallbackError, Companion, KintsugiError, PrivateSpaceLock, SummaryChoice,
    generate_storage_key,
};

/// A lock the test opens and shuts, counting how often it was asked.
#[derive(Default)]
struct TestLock {
    open: AtomicBool,
    asked: AtomicUsize,
}

impl PrivateSpaceLock for TestLock {
    fn unlock(&self) -> Result<bool, CallbackError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        Ok(self.open.load(Ordering::SeqCst))
    }
}

/// An app's lock that throws (a biometric prompt that failed).
struct Throwing;

impl PrivateSpaceLock for Throwing {
    fn unlock(&self) -> Result<bool, CallbackError> {
        Err(CallbackError::Failed {
            reason: "no biometrics enrolled".into(),
        })
    }
}

/// A lock whose code panics.
struct Panicking;

impl PrivateSpaceLock for Panicking {
    fn unlock(&self) -> Result<bool, CallbackError> {
        panic!("the lock broke")
    }
}

fn locked(err: KintsugiError) -> String {
    match err {
        KintsugiError::PrivateLocked { message } => message,
        other => panic!("expected PrivateLocked, got {other:?}"),
    }
}

fn summary_of(entry: &str) -> SummaryChoice {
    SummaryChoice {
        first_day: "2026-01-01".into(),
        last_day: "2026-12-31".into(),
        kinds: Vec::new(),
        therapist_questions_only: false,
        private_entries: vec![entry.into()],
        time_zone: Some("UTC".into()),
    }
}

/// Every call that shows something of the private space, each giving the
/// lock's refusal text (or panicking if it was not refused).
async fn refusals(c: &Arc<Companion>, entry: &str) -> Vec<String> {
    let backup = bounded(c.create_backup(
        BackupOptions {
            include_private: true,
            partner_can_open: false,
        },
        None,
    ))
    .await;
    vec![
        locked(c.journal().unwrap_err()),
        locked(c.private_notes().unwrap_err()),
        locked(c.export_json(true).unwrap_err()),
        locked(c.storage_info_with_private().unwrap_err()),
        locked(c.edit_journal(entry.into(), "changed".into()).unwrap_err()),
        locked(c.delete_journal(entry.into()).unwrap_err()),
        locked(
            c.edit_private_note(entry.into(), "changed".into(), None)
                .unwrap_err(),
        ),
        locked(c.delete_private_note(entry.into()).unwrap_err()),
        locked(c.therapist_summary(summary_of(entry)).unwrap_err()),
        locked(backup.unwrap_err()),
    ]
}

async fn with_space(dir: &Path, name: &str) -> Arc<Companion> {
    let companion = open(dir, name, &generate_storage_key()).unwrap();
    bounded(companion.create_invite()).await.unwrap();
    companion
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shut_lock_shows_nothing_of_the_private_space_not_even_whether_it_holds_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let writer = with_space(&tmp.path().join("writer"), "Alex").await;
    let empty = with_space(&tmp.path().join("empty"), "Sam").await;
    let id = writer
        .write_journal("I am not ready to forgive".into())
        .unwrap();
    writer
        .add_private_note("For me".into(), "a note".into())
        .unwrap();

    let lock = Arc::new(TestLock::default());
    writer.set_private_lock(Some(lock.clone())).unwrap();
    empty
        .set_private_lock(Some(Arc::new(TestLock::default())))
        .unwrap();
    let before = contents(&tmp.path().join("writer"));
    let from_writer = refusals(&writer, &id).await;
    // The same refusal whether there is a journal or not, whatever the id.
    assert_eq!(from_writer, refusals(&empty, "0000").await);
    assert!(
        from_writer
            .iter()
            .all(|m| m == "the private space is locked"),
        "{from_writer:?}"
    );
    assert_eq!(lock.asked.load(Ordering::SeqCst), from_writer.len());
    assert_eq!(
        contents(&tmp.path().join("writer")),
        before,
        "nothing changed"
    );

    // What shows nothing private does not ask: the shared space, its size,
    // a new entry.
    let asked = lock.asked.load(Ordering::SeqCst);
    let info = writer.storage_info().unwrap();
    assert_eq!(info.private, None);
    assert!(!writer.export_json(false).unwrap().contains("forgive"));
    writer.write_journal("written while locked".into()).unwrap();
    writer.compact().unwrap();
    assert_eq!(lock.asked.load(Ordering::SeqCst), asked);

    // A shut lock cannot be taken away or replaced.
    locked(writer.set_private_lock(None).unwrap_err());
    locked(
        writer
            .set_private_lock(Some(Arc::new(TestLock::default())))
            .unwrap_err(),
    );

    // Once the owner unlocks, everything is there.
    lock.open.store(true, Ordering::SeqCst);
    assert_eq!(writer.journal().unwrap().len(), 2);
    assert_eq!(writer.private_notes().unwrap().len(), 1);
    assert!(writer.export_json(true).unwrap().contains("forgive"));
    assert!(
        writer
            .storage_info_with_private()
            .unwrap()
            .private
            .is_some()
    );
    writer.therapist_summary(summary_of(&id)).unwrap();
    writer.set_private_lock(None).unwrap();
    lock.open.store(false, Ordering::SeqCst);
    assert_eq!(writer.journal().unwrap().len(), 2, "no lock any more");
    for c in [writer, empty] {
        bounded(c.shutdown()).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_that_throws_or_panics_counts_as_shut_and_crashes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let key = generate_storage_key();
    let alex = open(&data_dir(&tmp), "Alex", &key).unwrap();
    let id = alex.write_journal("mine".into()).unwrap();
    alex.set_private_lock(Some(Arc::new(Throwing))).unwrap();
    locked(alex.journal().unwrap_err());
    locked(alex.delete_journal(id.clone()).unwrap_err());
    locked(alex.set_private_lock(None).unwrap_err());
    drop(alex);

    // The lock lives in memory: the app registers it each time it opens.
    let alex = open(&data_dir(&tmp), "Alex", &key).unwrap();
    alex.set_private_lock(Some(Arc::new(Panicking))).unwrap();
    locked(alex.journal().unwrap_err());
    locked(alex.export_json(true).unwrap_err());
    // The companion goes on working.
    alex.write_journal("still here".into()).unwrap();
    assert_eq!(alex.storage_info().unwrap().private, None);
}

/// The device key of a data directory opened with `storage_key`, to read
/// what is really in its files.
fn device_key(dir: &Path, storage_key: &str) -> age::x25519::Identity {
    let host = age::x25519::Identity::from_str(storage_key).unwrap();
    let wrapped = std::fs::read(dir.join(files::KEY)).unwrap();
    let text = String::from_utf8(age::decrypt(&host, &wrapped).unwrap()).unwrap();
    age::x25519::Identity::from_str(text.trim()).unwrap()
}

fn holds(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_or_deleted_entry_is_gone_from_the_files_not_only_from_view() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = data_dir(&tmp);
    let key = generate_storage_key();
    let alex = open(&dir, "Alex", &key).unwrap();
    let lock = Arc::new(TestLock::default());
    lock.open.store(true, Ordering::SeqCst);
    alex.set_private_lock(Some(lock.clone())).unwrap();
    let gone = alex
        .write_journal("the night I read her messages".into())
        .unwrap();
    let kept = alex.write_journal("a first draft".into()).unwrap();
    let note = alex
        .add_private_note("Ask".into(), "what he told his brother".into())
        .unwrap();

    alex.delete_journal(gone[..8].to_owned()).unwrap();
    alex.edit_journal(kept.clone(), "a second draft".into())
        .unwrap();
    alex.edit_private_note(
        note.clone(),
        "a gentler question".into(),
        Some("Later".into()),
    )
    .unwrap();
    let journal = alex.journal().unwrap();
    assert_eq!(journal.len(), 1);
    assert_eq!(
        (journal[0].id.as_str(), journal[0].text.as_str()),
        (kept.as_str(), "a second draft")
    );
    let notes = alex.private_notes().unwrap();
    assert_eq!(
        (notes[0].title.as_str(), notes[0].text.as_str()),
        ("Later", "a gentler question")
    );
    assert!(matches!(
        alex.delete_journal("zzzz".into()).unwrap_err(),
        KintsugiError::NotFound { .. }
    ));

    let identity = device_key(&dir, &key);
    let private_dir = dir.join(files::PRIVATE_DIR);
    let mut read = 0;
    for entry in std::fs::read_dir(&private_dir).unwrap() {
        let raw = std::fs::read(entry.unwrap().path()).unwrap();
        let plain = age::decrypt(&identity, &raw).unwrap();
        read += 1;
        for old in ["read her messages", "a first draft", "his brother"] {
            assert!(
                !holds(&raw, old) && !holds(&plain, old),
                "{old:?} is still on disk"
            );
        }
        assert!(holds(&plain, "a second draft"));
    }
    assert_eq!(read, 1, "one snapshot left in {}", private_dir.display());
    drop(alex);
    let alex = open(&dir, "Alex", &key).unwrap();
    assert_eq!(alex.journal().unwrap()[0].text, "a second draft");
}
