//! Backups through the facade: a lost phone comes back from its backup with
//! the recovery key (and syncs with its partner again), a wrong key writes
//! nothing, and the partner's phone takes in a backup made for it.

mod common;

use std::sync::Arc;

use age::secrecy::ExposeSecret;

use common::*;
use kintsugi_mobile::{
    BackupOptions, Companion, KintsugiError, NoticeKind, ProgressListener, ProgressStep,
    generate_storage_key, restore_from_backup,
};

async fn paired(a: &tempfile::TempDir, b: &tempfile::TempDir) -> (Arc<Companion>, Arc<Companion>) {
    let alex = open(&data_dir(a), "Alex", &generate_storage_key()).unwrap();
    let sam = open(&data_dir(b), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;
    bounded(sam.sync_now()).await.unwrap();
    (alex, sam)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_phone_comes_back_from_its_backup_and_syncs_again() {
    let (a, b, fresh) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (alex, sam) = paired(&a, &b).await;
    alex.record_checkin(checkin(4, Some("before the backup")))
        .unwrap();
    alex.write_journal("only mine".into()).unwrap();
    let member = alex.member_id().unwrap();
    let steps = Steps::new(false);
    let listener: Arc<dyn ProgressListener> = steps.clone();
    let options = BackupOptions {
        include_private: true,
        partner_can_open: false,
    };
    let backup = bounded(alex.create_backup(options, Some(listener.clone())))
        .await
        .unwrap();
    assert!(backup.includes_private && !backup.partner_can_open);
    assert!(steps.has(ProgressStep::Collecting) && steps.has(ProgressStep::Sealing));
    let key = alex.recovery_key().unwrap();
    assert!(key.starts_with("AGE-SECRET-KEY-1"), "a recovery key");
    // Sam's phone gets what Alex writes after the backup; then Alex's phone is lost.
    alex.appreciate("after the backup".into()).unwrap();
    bounded(alex.sync_now()).await.unwrap();
    bounded(alex.shutdown()).await.unwrap();
    drop(alex);

    steps.seen.lock().unwrap().clear();
    let dir = data_dir(&fresh);
    let restored = bounded(restore_from_backup(
        config(&dir, "ignored", &generate_storage_key()),
        backup.bytes,
        key,
        true,
        Some(listener),
    ))
    .await
    .unwrap();
    assert!(steps.has(ProgressStep::Opening) && steps.has(ProgressStep::Saving));
    steps.monotonic();
    let back = restored;
    assert_eq!(back.member_id().unwrap(), member);
    let me = back
        .members()
        .unwrap()
        .into_iter()
        .find(|m| m.is_me)
        .unwrap();
    assert_eq!(me.name, "Alex", "the name comes from the backup");
    assert_eq!(back.partner().unwrap().unwrap().name, "Sam");
    assert_eq!(back.journal().unwrap()[0].text, "only mine");
    assert_eq!(notes(&back), vec!["before the backup".to_string()]);

    // Sam's phone still admits it; the sync brings back what came after.
    bounded(back.sync_now()).await.unwrap();
    assert_eq!(
        notes(&back),
        vec!["after the backup".to_string(), "before the backup".into()]
    );
    // What the restored phone writes reaches Sam.
    back.appreciate("thank you for waiting".into()).unwrap();
    bounded(back.sync_now()).await.unwrap();
    assert!(notes(&sam).contains(&"thank you for waiting".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_recovery_key_writes_nothing() {
    let (a, b, fresh) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (alex, sam) = paired(&a, &b).await;
    let backup = bounded(alex.create_backup(BackupOptions::default(), None))
        .await
        .unwrap();
    let dir = data_dir(&fresh);
    let restore = |key: String| {
        restore_from_backup(
            config(&dir, "Alex", &generate_storage_key()),
            backup.bytes.clone(),
            key,
            true,
            None,
        )
    };

    // Sam's recovery key, or any other: the key does not open it.
    for key in [
        sam.recovery_key().unwrap(),
        age::x25519::Identity::generate()
            .to_string()
            .expose_secret()
            .to_owned(),
    ] {
        let err = bounded(restore(key)).await.err().expect("restored");
        assert!(matches!(err, KintsugiError::WrongKey { .. }), "{err:?}");
        assert!(!dir.exists(), "a wrong key wrote {:?}", files_under(&dir));
    }
    let err = bounded(restore("my dog's name".into()))
        .await
        .err()
        .expect("restored");
    assert!(matches!(err, KintsugiError::InvalidInput { .. }), "{err:?}");
    let mut damaged = backup.bytes.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 1;
    let err = bounded(restore_from_backup(
        config(&dir, "Alex", &generate_storage_key()),
        damaged,
        alex.recovery_key().unwrap(),
        true,
        None,
    ))
    .await
    .err()
    .expect("restored");
    assert!(matches!(err, KintsugiError::InvalidInput { .. }), "{err:?}");
    assert!(!dir.exists());

    // The right key works; a second restore into the same place is refused.
    alex.write_journal("stays on the old phone".into()).unwrap();
    let restored = bounded(restore(alex.recovery_key().unwrap()))
        .await
        .unwrap();
    assert_eq!(restored.member_id().unwrap(), alex.member_id().unwrap());
    assert!(
        restored.journal().unwrap().is_empty(),
        "the private space was not chosen"
    );
    let before = contents(&dir);
    let err = bounded(restore(alex.recovery_key().unwrap()))
        .await
        .err()
        .expect("restored twice");
    assert!(matches!(err, KintsugiError::NotAllowed { .. }), "{err:?}");
    assert!(contents(&dir) == before);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_partner_absorbs_a_backup_made_for_it() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (alex, sam) = paired(&a, &b).await;
    bounded(alex.shutdown()).await.unwrap();
    bounded(sam.shutdown()).await.unwrap();
    alex.record_checkin(checkin(3, Some("never synced")))
        .unwrap();

    let both = BackupOptions {
        include_private: true,
        partner_can_open: true,
    };
    let err = bounded(alex.create_backup(both, None)).await.unwrap_err();
    assert!(matches!(err, KintsugiError::InvalidInput { .. }), "{err:?}");
    let shared = BackupOptions {
        include_private: false,
        partner_can_open: true,
    };
    let backup = bounded(alex.create_backup(shared, None)).await.unwrap();
    assert!(backup.partner_can_open);
    let plain = bounded(alex.create_backup(BackupOptions::default(), None))
        .await
        .unwrap();

    let steps = Steps::new(true); // throws on every report: the work goes on
    let absorbed = bounded(sam.absorb_backup(backup.bytes.clone(), Some(steps.clone())))
        .await
        .unwrap();
    assert_eq!(absorbed.from_name, "Alex");
    assert!(absorbed.new_changes >= 1);
    let kinds: Vec<_> = absorbed.notices.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, vec![NoticeKind::CheckedIn]);
    assert!(steps.has(ProgressStep::Opening));
    steps.monotonic();
    assert_eq!(notes(&sam), vec!["never synced".to_string()]);
    let again = bounded(sam.absorb_backup(backup.bytes.clone(), None))
        .await
        .unwrap();
    assert_eq!(again.new_changes, 0);

    // Not sealed for Sam: refused. Alex's own device's keys do not open it
    // (only her recovery key does). Sam cannot restore Alex's backup with
    // his own recovery key.
    let err = bounded(sam.absorb_backup(plain.bytes, None))
        .await
        .unwrap_err();
    assert!(matches!(err, KintsugiError::InvalidInput { .. }), "{err:?}");
    let err = bounded(alex.absorb_backup(backup.bytes.clone(), None))
        .await
        .unwrap_err();
    assert!(matches!(err, KintsugiError::InvalidInput { .. }), "{err:?}");
    let fresh = tempfile::tempdir().unwrap();
    let err = bounded(restore_from_backup(
        config(&data_dir(&fresh), "Sam", &generate_storage_key()),
        backup.bytes,
        sam.recovery_key().unwrap(),
        true,
        None,
    ))
    .await
    .err()
    .expect("Sam restored Alex's device");
    assert!(matches!(err, KintsugiError::WrongKey { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_needs_a_shared_space() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = open(&data_dir(&tmp), "Alex", &generate_storage_key()).unwrap();
    let err = bounded(alex.create_backup(BackupOptions::default(), None))
        .await
        .unwrap_err();
    assert!(matches!(err, KintsugiError::NotPaired { .. }), "{err:?}");
}
