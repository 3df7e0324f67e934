//! Ending a pairing over real iroh endpoints on 127.0.0.1: quiet by
//! default, the shared space archived, keys rotated, and a new partner
//! starting from nothing.

use anyhow::Result;
use kintsugi_sync::SyncError;
use kintsugi_tests::{Phone, bounded, checkin, pair};

#[tokio::test]
async fn unpairing_is_quiet_and_the_ex_meets_only_a_phone_that_is_offline() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    ben.device().record_checkin(&checkin(6, "before"))?;
    bounded("sync", ben.node.sync_now()).await??;
    let old_id = ana.node.endpoint_id();

    // Nothing goes on the network: Ben is not told.
    let told = bounded("unpair", ana.node.unpair(false)).await??;
    assert!(!told);
    assert!(ana.node.partner().is_none());
    assert!(
        ben.node.partner().is_some(),
        "Ben's device was told nothing"
    );
    // Ana keeps the history, read-only, in an archive; no shared space is live.
    {
        let device = ana.device();
        assert!(!device.has_couple());
        let archives = device.archives()?;
        assert_eq!(archives.len(), 1);
        let archived = device.open_archive(&archives[0].id)?;
        assert_eq!(archived.checkins().len(), 1);
    }

    // Ana's phone starts again: a new endpoint, and Ben's dials reach
    // nothing. Not "not paired", not "ended": unreachable, as when offline.
    let ana_dir = ana.dir.clone();
    ana.close().await;
    let ana = Phone::open(&ana_dir).await?;
    assert_ne!(ana.node.endpoint_id(), old_id, "the endpoint key rotated");
    assert!(ana.node.partner().is_none());
    ben.device()
        .record_checkin(&checkin(4, "not for Ana any more"))?;
    let dialled = bounded("ben dials", ben.node.sync_now()).await?;
    assert!(
        matches!(dialled, Err(SyncError::Connect(_) | SyncError::Timeout(..))),
        "{dialled:?}"
    );
    // Ana's archive holds nothing new, and Ana can invite again.
    let archives = ana.device().archives()?;
    assert_eq!(
        ana.device().open_archive(&archives[0].id)?.checkins().len(),
        1
    );
    assert!(ana.node.create_invite().is_ok());
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn a_partner_told_on_request_leaves_too_and_keeps_an_archive() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    ben.device().record_checkin(&checkin(6, "before"))?;
    bounded("sync", ben.node.sync_now()).await??;

    let told = bounded("unpair", ana.node.unpair(true)).await??;
    assert!(told, "Ben's device was reachable");
    assert!(ben.node.partner().is_none(), "Ben's device forgot Ana too");
    for phone in [&ana, &ben] {
        let device = phone.device();
        assert!(!device.has_couple());
        let archives = device.archives()?;
        assert_eq!(device.open_archive(&archives[0].id)?.checkins().len(), 1);
    }
    assert!(matches!(
        ben.node.sync_now().await,
        Err(SyncError::NotPaired)
    ));
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn a_new_partner_receives_nothing_of_the_old_couple() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    let cat = Phone::new(&root, "Cat").await?;
    pair(&ana, &ben).await?;
    ben.device()
        .update(|d, now| d.disclose("She called me on Tuesday; I hung up", None, now))?;
    ben.device().record_checkin(&checkin(3, "Ben's hard day"))?;
    ana.device().record_checkin(&checkin(5, "Ana, with Ben"))?;
    bounded("sync", ben.node.sync_now()).await??;

    bounded("unpair", ana.node.unpair(false)).await??;
    let ana_dir = ana.dir.clone();
    ana.close().await;
    let ana = Phone::open(&ana_dir).await?;
    pair(&ana, &cat).await?;
    ana.device().record_checkin(&checkin(7, "Ana, with Cat"))?;
    bounded("sync", cat.node.sync_now()).await??;

    // Cat's device holds the new space only: nothing Ben or Ana wrote with Ben.
    let exported = cat.device().export_automerge()?;
    for old in ["She called me", "Ben's hard day", "Ana, with Ben", "Ben"] {
        assert!(
            !exported.windows(old.len()).any(|w| w == old.as_bytes()),
            "{old:?} reached Cat"
        );
    }
    assert!(cat.device().doc()?.disclosures().is_empty());
    let notes: Vec<_> = cat
        .device()
        .checkins()?
        .into_iter()
        .filter_map(|c| c.note)
        .collect();
    assert_eq!(notes, vec!["Ana, with Cat".to_owned()]);
    // Ana still reads the old space, read-only.
    let archives = ana.device().archives()?;
    assert_eq!(archives.len(), 1);
    let old = ana.device().open_archive(&archives[0].id)?;
    assert_eq!(old.disclosures().len(), 1);
    assert_eq!(old.checkins().len(), 2);
    // And Ben gets nothing from Ana any more.
    let dialled = bounded("ben dials", ben.node.sync_now()).await?;
    assert!(dialled.is_err());
    assert!(
        ben.device()
            .checkins()?
            .iter()
            .all(|c| c.note.as_deref() != Some("Ana, with Cat"))
    );
    for phone in [ana, ben, cat] {
        phone.close().await;
    }
    Ok(())
}
