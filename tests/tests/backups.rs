//! Encrypted backups: a lost phone comes back from its backup and its
//! recovery key, and sync with the partner resumes over real iroh
//! endpoints on 127.0.0.1.

use anyhow::Result;
use kintsugi_core::Device;
use kintsugi_sync::backup::{self, BackupOptions, Pairing};
use kintsugi_sync::progress::Silent;
use kintsugi_sync::recovery::RecoveryKey;
use kintsugi_sync::{Identity, SyncError};
use kintsugi_tests::{Phone, bounded, checkin_on, pair, unlock};

fn notes(device: &Device) -> Result<Vec<String>> {
    let mut notes: Vec<String> = device
        .checkins()?
        .into_iter()
        .filter_map(|c| c.note)
        .collect();
    notes.sort();
    Ok(notes)
}

#[tokio::test]
async fn a_lost_phone_comes_back_from_its_backup_and_sync_resumes_without_duplicates() -> Result<()>
{
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    ana.device()
        .record_checkin(&checkin_on(1, 4, "before the backup"))?;
    ana.device()
        .update_private(|p, now| p.write_journal("only mine", now))?;
    bounded("sync", ana.node.sync_now()).await??;

    let (sealed, recovery_key) = {
        let mut device = ana.device();
        let key = RecoveryKey::load_or_create(device.store())?.text();
        (
            backup::create(
                &mut device,
                &BackupOptions {
                    include_private: true,
                    ..BackupOptions::default()
                },
                &Silent,
            )?,
            key,
        )
    };
    assert!(sealed.private);
    assert!(recovery_key.starts_with("AGE-SECRET-KEY-1"));
    let text = String::from_utf8_lossy(&sealed.bytes);
    assert!(!text.contains("before the backup") && !text.contains("only mine"));
    let member = ana.device().member_id().to_owned();
    let endpoint = ana.node.endpoint_id();

    // Written after the backup: it reaches Ben, then the phone is lost.
    ana.device()
        .record_checkin(&checkin_on(2, 5, "after the backup"))?;
    bounded("sync", ana.node.sync_now()).await??;
    let lost = ana.dir.clone();
    ana.close().await;
    std::fs::remove_dir_all(&lost)?;

    // A wrong key opens nothing and writes nothing.
    let new_dir = root.path().join("ana-new-phone");
    let wrong = age::x25519::Identity::generate().to_string();
    let err = backup::restore(
        &new_dir,
        &unlock(),
        &sealed.bytes,
        age::secrecy::ExposeSecret::expose_secret(&wrong),
        Pairing::Keep,
        &Silent,
    )
    .unwrap_err();
    assert!(matches!(err, SyncError::SealedNotForUs { .. }), "{err}");
    assert!(!new_dir.exists());

    let (device, restored) = backup::restore(
        &new_dir,
        &unlock(),
        &sealed.bytes,
        &recovery_key,
        Pairing::Keep,
        &Silent,
    )?;
    assert_eq!(restored.name, "Ana");
    assert_eq!(restored.partner_name.as_deref(), Some("Ben"));
    assert!(restored.private);
    assert_eq!(device.member_id(), member, "the same member");
    assert_eq!(device.private()?.journal()[0].text, "only mine");
    assert_eq!(notes(&device)?, ["before the backup"]);
    drop(device);

    // The same device to Ben's phone, at a new endpoint (a copy of the
    // backup never answers as this phone): it tells Ben's phone, signed by
    // the device key Ben knows, syncs without pairing again, gets back what
    // it wrote after the backup, and writes on without colliding.
    let ana = Phone::open(&new_dir).await?;
    assert_ne!(ana.node.endpoint_id(), endpoint, "a new endpoint key");
    bounded("sync", ana.node.sync_now()).await??;
    assert_eq!(
        notes(&ana.device())?,
        ["after the backup", "before the backup"]
    );
    ana.device()
        .record_checkin(&checkin_on(3, 6, "from the new phone"))?;
    bounded("sync", ana.node.sync_now()).await??;
    let expected = [
        "after the backup",
        "before the backup",
        "from the new phone",
    ];
    assert_eq!(notes(&ben.device())?, expected, "each once on Ben's phone");
    assert_eq!(notes(&ana.device())?, expected);
    assert_eq!(
        ana.device().doc_mut()?.heads(),
        ben.device().doc_mut()?.heads()
    );
    // Her check-ins, old and new, are all hers.
    assert!(ana.device().checkins()?.iter().all(|c| c.author == member));
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn a_restore_refuses_a_used_directory_a_damaged_file_and_a_bad_key() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    ana.device().start_couple()?;
    let (sealed, key) = {
        let mut device = ana.device();
        let key = RecoveryKey::load_or_create(device.store())?.text();
        (
            backup::create(&mut device, &BackupOptions::default(), &Silent)?,
            key,
        )
    };
    assert!(!sealed.private);
    let restore = |dir: &std::path::Path, bytes: &[u8], key: &str| {
        backup::restore(dir, &unlock(), bytes, key, Pairing::Keep, &Silent)
    };
    let err = restore(&ana.dir, &sealed.bytes, &key).unwrap_err();
    assert!(
        err.to_string().contains("already holds a Kintsugi device"),
        "{err}"
    );

    let fresh = root.path().join("fresh");
    let mut damaged = sealed.bytes.clone();
    let at = damaged.len() / 2;
    damaged[at] ^= 1;
    let err = restore(&fresh, &damaged, &key).unwrap_err();
    assert!(matches!(err, SyncError::SealedDamaged { .. }), "{err}");
    let err = restore(&fresh, &sealed.bytes, "not a key").unwrap_err();
    assert!(matches!(err, SyncError::InvalidRecoveryKey), "{err}");
    assert!(!fresh.exists());
    ana.close().await;
    Ok(())
}

#[tokio::test]
async fn a_backup_the_partner_can_open_gives_them_the_shared_history_but_not_the_device()
-> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    ana.device().record_checkin(&checkin_on(1, 4, "synced"))?;
    bounded("sync", ana.node.sync_now()).await??;
    // Written, backed up, and never synced: then the phone is gone.
    ana.device()
        .record_checkin(&checkin_on(2, 5, "only in the backup"))?;
    ana.device()
        .update_private(|p, now| p.write_journal("only mine", now))?;
    let options = BackupOptions {
        partner_can_open: true,
        ..BackupOptions::default()
    };
    let (sealed, ana_key) = {
        let mut device = ana.device();
        let with_private = BackupOptions {
            include_private: true,
            partner_can_open: true,
        };
        let err = backup::create(&mut device, &with_private, &Silent).unwrap_err();
        assert!(matches!(err, SyncError::PrivateNotForPartner), "{err}");
        let key = RecoveryKey::load_or_create(device.store())?.text();
        (backup::create(&mut device, &options, &Silent)?, key)
    };
    assert!(sealed.partner_can_open && !sealed.private);

    // Ben's phone opens it but cannot make Ana's device from it: her keys
    // are sealed to her recovery key alone; his recovery key opens nothing.
    let ben_device_key = age::secrecy::ExposeSecret::expose_secret(
        &Identity::load_or_create(ben.device().store())?
            .age_identity()
            .to_string(),
    )
    .to_owned();
    let elsewhere = root.path().join("ben-as-ana");
    let err = backup::restore(
        &elsewhere,
        &unlock(),
        &sealed.bytes,
        &ben_device_key,
        Pairing::Keep,
        &Silent,
    )
    .unwrap_err();
    assert!(
        matches!(&err, SyncError::BackupOfPartner { name } if name == "Ana"),
        "{err}"
    );
    let ben_key = RecoveryKey::load_or_create(ben.device().store())?.text();
    let err = backup::restore(
        &elsewhere,
        &unlock(),
        &sealed.bytes,
        &ben_key,
        Pairing::Keep,
        &Silent,
    )
    .unwrap_err();
    assert!(matches!(err, SyncError::SealedNotForUs { .. }), "{err}");
    assert!(!elsewhere.exists());

    // Ben's phone takes in the check-in that never synced, once.
    assert_eq!(notes(&ben.device())?, ["synced"]);
    let absorbed = backup::absorb(&mut ben.device(), &sealed.bytes, &Silent)?;
    assert_eq!(absorbed.from_name, "Ana");
    assert!(absorbed.new_changes >= 1, "{absorbed:?}");
    assert_eq!(notes(&ben.device())?, ["only in the backup", "synced"]);
    let again = backup::absorb(&mut ben.device(), &sealed.bytes, &Silent)?;
    assert_eq!(again.new_changes, 0);
    let text = ben.device().export_json(true)?;
    assert!(!text.contains("only mine"));

    // Ana's device cannot absorb it (its own keys do not open it), and a
    // stranger cannot open it.
    let err = backup::absorb(&mut ana.device(), &sealed.bytes, &Silent).unwrap_err();
    assert!(matches!(err, SyncError::SealedNotForUs { .. }), "{err}");
    let cleo = Phone::new(&root, "Cleo").await?;
    cleo.device().start_couple()?;
    let err = backup::absorb(&mut cleo.device(), &sealed.bytes, &Silent).unwrap_err();
    assert!(matches!(err, SyncError::SealedNotForUs { .. }), "{err}");
    // Cleo, knowing Ben's recipient, seals a "partner-readable backup" to
    // him: not signed by Ana's device, so Ben's phone takes nothing in.
    let mut posing = kintsugi_sync::Partner::load(ana.device().store())?.unwrap();
    posing.name = "Ben".into();
    posing.member_id = ben.device().member_id().to_owned();
    posing.save(cleo.device().store())?;
    cleo.device()
        .record_checkin(&checkin_on(3, 9, "from someone else"))?;
    let forged = backup::create(&mut cleo.device(), &options, &Silent)?;
    let before = ben.device().doc_mut()?.heads();
    let err = backup::absorb(&mut ben.device(), &forged.bytes, &Silent).unwrap_err();
    assert!(matches!(err, SyncError::BackupNotFromPartner), "{err}");
    assert_eq!(ben.device().doc_mut()?.heads(), before);

    // Her own recovery key still restores her device from it.
    let (device, restored) = backup::restore(
        &root.path().join("ana-new"),
        &unlock(),
        &sealed.bytes,
        &ana_key,
        Pairing::Keep,
        &Silent,
    )?;
    assert_eq!(restored.name, "Ana");
    assert_eq!(notes(&device)?, ["only in the backup", "synced"]);
    for phone in [ana, ben, cleo] {
        phone.close().await;
    }
    Ok(())
}

#[tokio::test]
async fn a_backup_from_before_an_unpairing_never_brings_the_pairing_back() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    ben.device().record_checkin(&checkin_on(1, 4, "shared"))?;
    bounded("sync", ben.node.sync_now()).await??;
    let (sealed, key) = {
        let mut device = ana.device();
        let key = RecoveryKey::load_or_create(device.store())?.text();
        (
            backup::create(&mut device, &BackupOptions::default(), &Silent)?,
            key,
        )
    };
    let old_endpoint = ana.node.endpoint_id();
    bounded("unpair", ana.node.unpair(false)).await??;
    ana.close().await;

    // Ana restores that backup, choosing not to pair again: the history is
    // kept read-only, nothing is paired, the keys are new.
    let dir = root.path().join("ana-restored");
    let (device, restored) =
        backup::restore(&dir, &unlock(), &sealed.bytes, &key, Pairing::Drop, &Silent)?;
    assert!(restored.had_partner && restored.partner_name.is_none());
    assert!(kintsugi_sync::Partner::load(device.store())?.is_none());
    assert!(!device.has_couple());
    let archives = device.archives()?;
    assert_eq!(archives.len(), 1);
    assert_eq!(device.open_archive(&archives[0].id)?.checkins().len(), 1);
    drop(device);
    let ana = Phone::open(&dir).await?;
    assert_ne!(ana.node.endpoint_id(), old_endpoint);
    assert!(ana.node.partner().is_none());
    // Ben's phone reaches nothing that answers as Ana.
    assert!(bounded("ben dials", ben.node.sync_now()).await?.is_err());
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn a_rotated_recovery_key_opens_new_backups_and_the_old_key_the_old_ones() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    ana.device().start_couple()?;
    let (old_backup, old_key) = {
        let mut device = ana.device();
        let key = RecoveryKey::load_or_create(device.store())?.text();
        (
            backup::create(&mut device, &BackupOptions::default(), &Silent)?,
            key,
        )
    };
    // The device's own identity is not the recovery key.
    let identity = age::secrecy::ExposeSecret::expose_secret(
        &Identity::load_or_create(ana.device().store())?
            .age_identity()
            .to_string(),
    )
    .to_owned();
    assert_ne!(identity, old_key.as_str());

    let new_key = RecoveryKey::rotate(ana.device().store())?.text();
    assert_ne!(new_key, old_key);
    let new_backup = backup::create(&mut ana.device(), &BackupOptions::default(), &Silent)?;
    ana.close().await;

    let restore = |dir: &str, bytes: &[u8], key: &str| {
        backup::restore(
            &root.path().join(dir),
            &unlock(),
            bytes,
            key,
            Pairing::Drop,
            &Silent,
        )
    };
    let err = restore("a", &new_backup.bytes, &old_key).unwrap_err();
    assert!(matches!(err, SyncError::SealedNotForUs { .. }), "{err}");
    let err = restore("b", &old_backup.bytes, &new_key).unwrap_err();
    assert!(matches!(err, SyncError::SealedNotForUs { .. }), "{err}");
    restore("c", &old_backup.bytes, &old_key)?;
    restore("d", &new_backup.bytes, &new_key)?;
    Ok(())
}
