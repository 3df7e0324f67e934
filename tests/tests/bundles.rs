//! Sealed bundles: two phones that are never online at the same time.
//! Pairing runs once over real iroh endpoints on 127.0.0.1; everything
//! after it travels only as bundles (files, a shared folder).

use std::path::{Path, PathBuf};

use anyhow::Result;
use kintsugi_core::Device;
use kintsugi_core::storage::files;
use kintsugi_sync::SyncError;
use kintsugi_sync::bundle;
use kintsugi_sync::progress::Silent;
use kintsugi_tests::{Phone, bounded, checkin_on, copy_dir, pair, unlock};

/// Pairs two phones, then switches both off: from here on they are never
/// online together. Returns their data directories.
async fn paired_then_apart(root: &tempfile::TempDir) -> Result<(PathBuf, PathBuf)> {
    let ana = Phone::new(root, "Ana").await?;
    let ben = Phone::new(root, "Ben").await?;
    pair(&ana, &ben).await?;
    let dirs = (ana.dir.clone(), ben.dir.clone());
    ana.close().await;
    ben.close().await;
    Ok(dirs)
}

fn open(dir: &Path) -> Result<Device> {
    Ok(Device::open(dir, &unlock())?)
}

fn heads(device: &mut Device) -> Result<Vec<automerge::ChangeHash>> {
    let mut heads = device.doc_mut()?.heads();
    heads.sort();
    Ok(heads)
}

/// Every file in the data directory, with a digest of its bytes.
fn files(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for entry in walk(dir)? {
        // The lock files are touched by every open, and the read-model
        // caches (copies of what the document says) are saved at every close.
        if entry.extension().is_some_and(|e| e == "lock")
            || entry
                .file_name()
                .is_some_and(|n| n == files::READ_CACHE || n == files::FIRST_SCREEN)
        {
            continue;
        }
        let digest = blake3::hash(&std::fs::read(&entry)?).to_hex().to_string();
        out.push((entry.clone(), digest));
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

#[tokio::test]
async fn two_devices_never_online_together_converge_through_a_shared_folder() -> Result<()> {
    let root = tempfile::tempdir()?;
    let (ana_dir, ben_dir) = paired_then_apart(&root).await?;
    let folder = root.path().join("cloud-drive");
    std::fs::create_dir(&folder)?;

    // Each writes while apart, the same days: concurrent edits on both sides.
    let mut day = 0;
    for round in 0..4 {
        {
            let mut ana = open(&ana_dir)?;
            for _ in 0..3 {
                day += 1;
                ana.record_checkin(&checkin_on(day, 5, "from Ana's night shift"))?;
            }
            let done = bundle::sync_dir(&mut ana, &folder, &Silent)?;
            if round > 0 {
                assert!(done.opened.is_some(), "Ana finds Ben's bundle");
            }
        }
        {
            let mut ben = open(&ben_dir)?;
            for _ in 0..2 {
                ben.record_checkin(&checkin_on(day, 7, "from Ben's early start"))?;
                day += 1;
            }
            let done = bundle::sync_dir(&mut ben, &folder, &Silent)?;
            assert!(done.opened.is_some(), "Ben finds Ana's bundle");
        }
        // Nothing readable is ever written there.
        for path in walk(&folder)? {
            let bytes = std::fs::read(&path)?;
            assert!(
                bytes.starts_with(b"age-encryption.org/v1"),
                "{} is not sealed",
                path.display()
            );
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains("night shift") && !text.contains("Ana"));
        }
    }
    // A few more turns with nothing new: acknowledgements travel, then the
    // folder empties itself.
    for _ in 0..3 {
        bundle::sync_dir(&mut open(&ana_dir)?, &folder, &Silent)?;
        bundle::sync_dir(&mut open(&ben_dir)?, &folder, &Silent)?;
    }
    let (mut ana, mut ben) = (open(&ana_dir)?, open(&ben_dir)?);
    assert_eq!(heads(&mut ana)?, heads(&mut ben)?);
    assert_eq!(ana.checkins()?.len(), 4 * 5);
    assert_eq!(ben.checkins()?.len(), 4 * 5);
    assert!(
        std::fs::read_dir(&folder)?.next().is_none(),
        "every bundle was absorbed and removed"
    );
    Ok(())
}

#[tokio::test]
async fn a_bundle_carries_only_what_the_partner_lacks_and_its_size_says_little() -> Result<()> {
    let root = tempfile::tempdir()?;
    let (ana_dir, ben_dir) = paired_then_apart(&root).await?;
    let (mut ana, mut ben) = (open(&ana_dir)?, open(&ben_dir)?);

    // Right after pairing both hold the same changes: nothing to carry.
    let empty = bundle::create(&mut ana, false, &Silent)?;
    assert_eq!(empty.changes, 0);

    ana.record_checkin(&checkin_on(1, 4, "a hard day"))?;
    let one = bundle::create(&mut ana, false, &Silent)?;
    assert_eq!(one.changes, 1);
    let opened = bundle::open(&mut ben, &one.bytes, &Silent)?;
    assert_eq!(
        (opened.new_changes, opened.partner_name.as_str()),
        (1, "Ana")
    );

    // Ben's answer tells Ana what he holds: her next bundle starts there.
    let answer = bundle::create(&mut ben, false, &Silent)?;
    assert_eq!(answer.changes, 0);
    bundle::open(&mut ana, &answer.bytes, &Silent)?;
    for n in 2..=6 {
        ana.record_checkin(&checkin_on(n, 6, "better"))?;
    }
    let five = bundle::create(&mut ana, false, &Silent)?;
    assert_eq!(five.changes, 5, "the check-in Ben has is not sent again");
    // One check-in or five: the same padded size. (age adds a few random
    // header bytes of its own to every file.)
    assert_eq!(one.padded, five.padded);
    assert!(one.bytes.len().abs_diff(five.bytes.len()) < 256);
    bundle::open(&mut ben, &five.bytes, &Silent)?;
    assert_eq!(heads(&mut ana)?, heads(&mut ben)?);
    Ok(())
}

#[tokio::test]
async fn opening_is_idempotent_and_old_tampered_cut_or_foreign_bundles_change_nothing() -> Result<()>
{
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    let cara = Phone::new(&root, "Cara").await?;
    // Cara was Ben's partner once; she still holds his recipient.
    pair(&cara, &ben).await?;
    cara.device()
        .record_checkin(&checkin_on(1, 2, "from an old pairing"))?;
    let from_cara = bundle::create(&mut cara.device(), false, &Silent)?;
    bounded("unpair", ben.node.unpair(false)).await??;
    // Ben's old space is archived and his keys rotated; Ana joins a new one.
    let ben = Phone::open(&ben.dir).await?;
    pair(&ben, &ana).await?;
    let (ana_dir, ben_dir) = (ana.dir.clone(), ben.dir.clone());
    for phone in [ana, ben, cara] {
        phone.close().await;
    }
    let (mut ana, mut ben) = (open(&ana_dir)?, open(&ben_dir)?);

    ana.record_checkin(&checkin_on(2, 5, "first"))?;
    let first = bundle::create(&mut ana, false, &Silent)?;
    ana.record_checkin(&checkin_on(3, 6, "second"))?;
    let second = bundle::create(&mut ana, false, &Silent)?;
    assert_eq!((first.seq + 1, second.changes), (second.seq, 2));

    let opened = bundle::open(&mut ben, &second.bytes, &Silent)?;
    assert_eq!(opened.new_changes, 2);
    let before = (heads(&mut ben)?, files(&ben_dir)?);
    let unchanged = |ben: &mut Device| -> Result<()> {
        drop(std::mem::replace(ben, open(&ben_dir)?));
        assert_eq!((heads(ben)?, files(&ben_dir)?), before);
        Ok(())
    };

    let again = bundle::open(&mut ben, &second.bytes, &Silent)?;
    assert!(again.already_opened);
    assert_eq!(again.new_changes, 0);
    unchanged(&mut ben)?;

    let err = bundle::open(&mut ben, &first.bytes, &Silent).unwrap_err();
    assert!(
        matches!(err, SyncError::BundleOutOfOrder { seq: 1, newest: 2 }),
        "{err}"
    );
    unchanged(&mut ben)?;

    let mut tampered = second.bytes.clone();
    let at = tampered.len() - 200;
    tampered[at] ^= 0x40;
    let err = bundle::open(&mut ben, &tampered, &Silent).unwrap_err();
    assert!(matches!(err, SyncError::SealedDamaged { .. }), "{err}");
    unchanged(&mut ben)?;

    let cut = &second.bytes[..second.bytes.len() / 2];
    let err = bundle::open(&mut ben, cut, &Silent).unwrap_err();
    assert!(matches!(err, SyncError::SealedDamaged { .. }), "{err}");
    unchanged(&mut ben)?;

    // Sealed to Ben's key from before he left Cara: his keys rotated since.
    let err = bundle::open(&mut ben, &from_cara.bytes, &Silent).unwrap_err();
    assert!(matches!(err, SyncError::SealedNotForUs { .. }), "{err}");
    unchanged(&mut ben)?;

    // Ana's bundle for Ben means nothing to Ana herself.
    let err = bundle::open(&mut ana, &second.bytes, &Silent).unwrap_err();
    assert!(matches!(err, SyncError::SealedNotForUs { .. }), "{err}");

    let err = bundle::open(&mut ben, b"not a bundle at all", &Silent).unwrap_err();
    assert!(matches!(err, SyncError::SealedDamaged { .. }), "{err}");
    unchanged(&mut ben)?;
    Ok(())
}

#[tokio::test]
async fn a_bundle_building_on_changes_the_partner_lost_is_refused_and_a_full_one_heals()
-> Result<()> {
    let root = tempfile::tempdir()?;
    let (ana_dir, ben_dir) = paired_then_apart(&root).await?;
    let old_copy = root.path().join("ben-old-copy");
    copy_dir(&ben_dir, &old_copy)?;
    {
        // Ben receives a check-in and says so.
        let (mut ana, mut ben) = (open(&ana_dir)?, open(&ben_dir)?);
        ana.record_checkin(&checkin_on(1, 6, "lost with Ben's phone"))?;
        bundle::open(
            &mut ben,
            &bundle::create(&mut ana, false, &Silent)?.bytes,
            &Silent,
        )?;
        bundle::open(
            &mut ana,
            &bundle::create(&mut ben, false, &Silent)?.bytes,
            &Silent,
        )?;
    }
    // Ben's phone goes back to the older copy of its data.
    std::fs::remove_dir_all(&ben_dir)?;
    copy_dir(&old_copy, &ben_dir)?;

    let mut ana = open(&ana_dir)?;
    ana.record_checkin(&checkin_on(2, 5, "after"))?;
    let next = bundle::create(&mut ana, false, &Silent)?;
    let mut ben = open(&ben_dir)?;
    let before = heads(&mut ben)?;
    let err = bundle::open(&mut ben, &next.bytes, &Silent).unwrap_err();
    assert!(matches!(err, SyncError::BundleGap { missing: 1 }), "{err}");
    assert_eq!(heads(&mut ben)?, before);

    let full = bundle::create(&mut ana, true, &Silent)?;
    let opened = bundle::open(&mut ben, &full.bytes, &Silent)?;
    assert_eq!(opened.new_changes, 2, "the lost check-in comes back too");
    assert_eq!(heads(&mut ana)?, heads(&mut ben)?);
    Ok(())
}

#[tokio::test]
async fn a_device_that_is_not_paired_makes_no_bundle() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let dir = ana.dir.clone();
    ana.close().await;
    let mut ana = open(&dir)?;
    let err = bundle::create(&mut ana, false, &Silent).unwrap_err();
    assert!(matches!(err, SyncError::NotPaired), "{err}");
    Ok(())
}
