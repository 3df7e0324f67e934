//! A hostile partner built from the real crates: Ben's own device, its
//! shared document edited with the raw Automerge API (what a modified app
//! does), sends the result to Ana over real iroh endpoints on 127.0.0.1,
//! in a bundle and in a partner-readable backup; and an edited export is
//! imported. Each time Ana's door refuses the whole of it: her files stay
//! byte for byte as they were, her device still opens, and her sync status
//! says syncing is paused (until she syncs again).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use kintsugi_core::automerge::transaction::Transactable;
use kintsugi_core::automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use kintsugi_core::storage::files;
use kintsugi_core::{CoreError, Device};
use kintsugi_sync::backup::{self, BackupOptions};
use kintsugi_sync::progress::Silent;
use kintsugi_sync::{SyncError, SyncState, bundle};
use kintsugi_tests::{Phone, bounded, checkin, pair, unlock};

/// Every file of a data directory and its bytes, but the ones a refusal
/// itself writes (the pause marker), the empty lock files and the
/// read-model cache (a copy of what the document says, saved at close).
fn files_of(dir: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if name != files::SYNC_PAUSED
                && name != files::READ_CACHE
                && name != files::FIRST_SCREEN
                && !name.ends_with(".lock")
            {
                out.insert(path.clone(), std::fs::read(&path)?);
            }
        }
    }
    Ok(out)
}

/// What Ben's modified app writes into his own document.
#[derive(Debug, Clone, Copy)]
enum Attack {
    /// `checkins` becomes a string: every check-in vanishes from view.
    RetypeCheckins,
    /// `members` becomes a string: names vanish.
    RetypeMembers,
    /// The schema version is deleted: an app would not open the space.
    DeleteSchemaVersion,
    /// Ana's check-in is deleted.
    DeleteAnasRecord,
    /// A disclosure "by Ana".
    WriteInAnasName,
}

/// What a modified app can send from a device that still works: one that
/// deletes its own schema version cannot open its own space any more, so
/// that attack is sent raw (core/tests/door.rs, and the import below).
const ATTACKS: [Attack; 4] = [
    Attack::RetypeCheckins,
    Attack::RetypeMembers,
    Attack::DeleteAnasRecord,
    Attack::WriteInAnasName,
];

fn attack(doc: &mut AutoCommit, attack: Attack, ana: &str) {
    let map = |doc: &AutoCommit, key: &str| doc.get(ROOT, key).unwrap().unwrap().1;
    match attack {
        Attack::RetypeCheckins => doc.put(ROOT, "checkins", "gone").unwrap(),
        Attack::RetypeMembers => doc.put(ROOT, "members", "gone").unwrap(),
        Attack::DeleteSchemaVersion => doc.delete(ROOT, "schema_version").unwrap(),
        Attack::DeleteAnasRecord => {
            let checkins = map(doc, "checkins");
            let hers = doc
                .keys(&checkins)
                .find(|id| {
                    let c = doc.get(&checkins, id.as_str()).unwrap().unwrap().1;
                    matches!(
                        doc.get(&c, "author").unwrap(),
                        Some((v, _)) if v.as_str() == Some(ana)
                    )
                })
                .expect("Ana's check-in");
            doc.delete(&checkins, hers.as_str()).unwrap();
        }
        Attack::WriteInAnasName => {
            let disclosures = map(doc, "disclosures");
            let d = doc
                .put_object(
                    &disclosures,
                    "d15c105ed15c105ed15c105ed15c105e",
                    ObjType::Map,
                )
                .unwrap();
            doc.put(&d, "author", ana).unwrap();
            doc.put(&d, "at", 1_767_571_200_000i64).unwrap();
            doc.put(&d, "what", "I made it all up").unwrap();
        }
    }
}

/// Ben's device writes the attack into its own files, as a modified app would.
fn ben_attacks(ben: &mut Device, which: Attack, ana: &str) -> Result<()> {
    ben.update(|doc, _| {
        attack(doc.automerge_mut(), which, ana);
        doc.automerge_mut().commit();
        Ok(())
    })?;
    Ok(())
}

/// Ana and Ben paired, each with a check-in, in sync.
async fn couple(root: &tempfile::TempDir) -> Result<(Phone, Phone)> {
    let ana = Phone::new(root, "Ana").await?;
    let ben = Phone::new(root, "Ben").await?;
    pair(&ana, &ben).await?;
    ana.device().record_checkin(&checkin(3, "Ana's evening"))?;
    ben.device().record_checkin(&checkin(4, "Ben's evening"))?;
    bounded("sync", ana.node.sync_now()).await??;
    Ok((ana, ben))
}

fn refused(e: &SyncError) -> bool {
    matches!(
        e,
        SyncError::Core(CoreError::Refused(_) | CoreError::InvalidValue { .. })
    )
}

#[tokio::test]
async fn over_sync_every_attack_is_refused_and_syncing_pauses() -> Result<()> {
    for which in ATTACKS {
        let root = tempfile::tempdir()?;
        let (ana, ben) = couple(&root).await?;
        let ana_id = ana.device().member_id().to_owned();
        ben_attacks(&mut ben.device(), which, &ana_id)?;
        let before = files_of(&ana.dir)?;

        // Ben's device dials Ana's: her door refuses what it sends.
        let sent = bounded("ben syncs", ben.node.sync_now()).await?;
        assert!(sent.is_err(), "{which:?}: {sent:?}");
        assert_eq!(
            files_of(&ana.dir)?,
            before,
            "{which:?}: Ana's files changed"
        );
        let status = *ana.node.status().borrow();
        assert!(
            matches!(status.state, SyncState::Paused { .. }),
            "{which:?}: {status:?}"
        );
        assert_eq!(ana.device().checkins()?.len(), 2, "{which:?}");
        assert!(ana.device().doc()?.disclosures().is_empty(), "{which:?}");

        // Paused: Ben's next dial is closed before a byte of it is read.
        assert!(bounded("ben again", ben.node.sync_now()).await?.is_err());
        // The pause holds across a restart; Ana's device still opens.
        let dir = ana.dir.clone();
        ana.close().await;
        let ana = Phone::open(&dir).await?;
        assert!(matches!(
            ana.node.status().borrow().state,
            SyncState::Paused { .. }
        ));
        assert_eq!(ana.device().checkins()?.len(), 2);
        // Ana asks to sync again: the same changes are refused again.
        let retried = bounded("ana retries", ana.node.sync_now()).await?;
        assert!(
            retried.as_ref().is_err_and(refused),
            "{which:?}: {retried:?}"
        );
        assert_eq!(files_of(&ana.dir)?, before, "{which:?}");
        ana.close().await;
        ben.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn in_a_bundle_or_a_backup_every_attack_is_refused() -> Result<()> {
    for which in ATTACKS {
        let root = tempfile::tempdir()?;
        let (ana, ben) = couple(&root).await?;
        let ana_id = ana.device().member_id().to_owned();
        ben_attacks(&mut ben.device(), which, &ana_id)?;
        let sealed = bundle::create(&mut ben.device(), false, &Silent)?;
        let backup = backup::create(
            &mut ben.device(),
            &BackupOptions {
                partner_can_open: true,
                ..BackupOptions::default()
            },
            &Silent,
        )?;
        let (dir, ben_dir) = (ana.dir.clone(), ben.dir.clone());
        ana.close().await;
        ben.close().await;
        let before = files_of(&dir)?;

        let mut device = Device::open(&dir, &unlock())?;
        let err = bundle::open(&mut device, &sealed.bytes, &Silent).unwrap_err();
        assert!(refused(&err), "{which:?}: {err}");
        assert_eq!(
            files_of(&dir)?,
            before,
            "{which:?}: a bundle changed Ana's files"
        );
        let err = backup::absorb(&mut device, &backup.bytes, &Silent).unwrap_err();
        assert!(refused(&err), "{which:?}: {err}");
        assert_eq!(
            files_of(&dir)?,
            before,
            "{which:?}: a backup changed Ana's files"
        );
        drop(device);
        let device = Device::open(&dir, &unlock())?;
        assert_eq!(device.checkins()?.len(), 2);
        let _ = ben_dir;
    }
    Ok(())
}

#[tokio::test]
async fn an_edited_export_is_refused_on_import() -> Result<()> {
    let root = tempfile::tempdir()?;
    let (ana, ben) = couple(&root).await?;
    let ana_id = ana.device().member_id().to_owned();
    let exported = ana.device().export_automerge()?;
    let dir = ana.dir.clone();
    ana.close().await;
    ben.close().await;
    let ana_actor =
        kintsugi_core::automerge::ActorId::from(data_encoding::HEXLOWER.decode(ana_id.as_bytes())?);
    let attacks = ATTACKS
        .into_iter()
        .chain([Attack::DeleteSchemaVersion])
        .flat_map(|a| [(a, false), (a, true)])
        // Ana writing a disclosure of her own is no attack.
        .filter(|(a, as_ana)| !(matches!(a, Attack::WriteInAnasName) && *as_ana));
    for (which, as_ana) in attacks {
        // Any Automerge tool edits the file (under an actor of its own), or
        // someone crafts the edit under Ana's own actor id.
        let mut doc = AutoCommit::load(&exported)?;
        if as_ana {
            doc.set_actor(ana_actor.clone());
        }
        attack(&mut doc, which, &ana_id);
        doc.commit();
        let edited = doc.save();
        let before = files_of(&dir)?;
        let mut device = Device::open(&dir, &unlock())?;
        let roster = kintsugi_sync::roster::load(&device)?;
        let err = device.import_automerge(&edited, &roster).unwrap_err();
        assert!(
            matches!(err, CoreError::InvalidValue { .. } | CoreError::Refused(_)),
            "{which:?}: {err}"
        );
        drop(device);
        assert_eq!(
            files_of(&dir)?,
            before,
            "{which:?}: the import changed files"
        );
        assert_eq!(Device::open(&dir, &unlock())?.checkins()?.len(), 2);
    }
    Ok(())
}
