//! Live sync over real iroh endpoints on 127.0.0.1: nobody presses "sync".

use std::time::Duration;

use anyhow::Result;
use kintsugi_core::Device;
use kintsugi_sync::{SyncState, SyncStatus};
use kintsugi_tests::{Phone, bounded, checkin, checkin_on, copy_dir, pair, unlock};
use tokio::sync::watch;

/// Waits until `phone` holds `n` check-ins, however they arrive.
async fn until_checkins(phone: &Phone, n: usize) -> Result<()> {
    let mut received = phone.node.changes_received();
    bounded("the change to arrive", async {
        loop {
            if phone.device().checkins()?.len() >= n {
                return anyhow::Ok(());
            }
            // Wakes on every received change; the timeout covers a change
            // that landed between the check and the wait.
            let _ = tokio::time::timeout(Duration::from_millis(100), received.changed()).await;
        }
    })
    .await?
}

async fn until_state(
    status: &mut watch::Receiver<SyncStatus>,
    what: &str,
    pred: impl Fn(&SyncState) -> bool,
) -> Result<SyncStatus> {
    Ok(*bounded(what, status.wait_for(|s| pred(&s.state))).await??)
}

#[tokio::test]
async fn a_checkin_reaches_the_partner_without_a_manual_sync() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    let mut anas_status = ana.node.status();
    ana.node.start_live();
    ben.node.start_live();
    let up = until_state(&mut anas_status, "up to date", |s| {
        *s == SyncState::UpToDate
    })
    .await?;
    assert!(up.last_synced_at.is_some());

    // Each writes; each sees the other's check-in, nobody syncs by hand.
    ben.device().record_checkin(&checkin(6, "a calmer day"))?;
    until_checkins(&ana, 1).await?;
    ana.device().record_checkin(&checkin(4, "hard evening"))?;
    until_checkins(&ben, 2).await?;
    assert_eq!(
        ana.device().doc_mut()?.heads(),
        ben.device().doc_mut()?.heads()
    );
    // Received changes are durable: a restart still has them.
    let ana_dir = ana.dir.clone();
    ana.close().await;
    assert_eq!(Device::open(&ana_dir, &unlock())?.checkins()?.len(), 2);
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn live_sync_comes_back_after_the_partner_was_away() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    ana.node.start_live();
    ben.node.start_live();
    until_state(&mut ben.node.status(), "up to date", |s| {
        *s == SyncState::UpToDate
    })
    .await?;

    // Ana's phone goes away; Ben's sees it and keeps working.
    let ana_dir = ana.dir.clone();
    ana.close().await;
    let away = until_state(&mut ben.node.status(), "unreachable", |s| {
        matches!(s, SyncState::Unreachable { .. })
    })
    .await?;
    assert!(away.last_synced_at.is_some(), "{away:?}");
    ben.device()
        .record_checkin(&checkin(7, "written while apart"))?;

    // Ana comes back: the check-in arrives without a manual sync.
    let ana = Phone::open(&ana_dir).await?;
    assert!(
        ana.node.status().borrow().last_synced_at.is_some(),
        "the last sync time survives a restart"
    );
    ana.node.start_live();
    until_checkins(&ana, 1).await?;
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn a_change_saved_by_another_process_is_sent_live() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    ana.node.start_live();
    ben.node.start_live();
    ben.node.watch_data_dir(Duration::from_millis(50));
    until_state(&mut ben.node.status(), "up to date", |s| {
        *s == SyncState::UpToDate
    })
    .await?;

    // Another "terminal": a second, independent Device on Ben's directory.
    let mut other = Device::open(&ben.dir, &unlock())?;
    other.record_checkin(&checkin_on(3, 5, "from the other terminal"))?;
    drop(other);
    until_checkins(&ana, 1).await?;
    // And Ben's serving node kept it: nothing was overwritten.
    assert_eq!(ben.device().checkins()?.len(), 1);
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn a_sync_state_from_an_older_copy_of_the_device_is_reset_not_wedged() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    ben.device().record_checkin(&checkin_on(1, 5, "day one"))?;
    bounded("sync", ben.node.sync_now()).await??;

    // Ben's phone is copied (a backup); then Ana writes and Ben receives.
    let ben_dir = ben.dir.clone();
    ben.close().await;
    let backup = root.path().join("ben-backup");
    copy_dir(&ben_dir, &backup)?;
    let ben = Phone::open(&ben_dir).await?;
    for day in 2..6 {
        ana.device()
            .record_checkin(&checkin_on(day, 6, "before the loss"))?;
        bounded("sync", ben.node.sync_now()).await??;
    }
    assert_eq!(ben.device().checkins()?.len(), 5);
    ben.close().await;

    // Ben's phone is lost and the backup comes back: its saved sync state
    // says Ben holds Ana's last changes, which the backup does not have.
    std::fs::remove_dir_all(&ben_dir)?;
    copy_dir(&backup, &ben_dir)?;
    let ben = Phone::open(&ben_dir).await?;
    assert_eq!(ben.device().checkins()?.len(), 1);
    ben.device()
        .record_checkin(&checkin_on(9, 4, "after the restore"))?;
    let report = bounded("sync after restore", ben.node.sync_now()).await??;
    // Converged in the usual two round trips, with only what was missing.
    assert!(report.frames_sent <= 2, "{report:?}");
    assert_eq!(report.changes_received, 4, "{report:?}");
    assert_eq!(
        ben.device().checkins()?.len(),
        6,
        "Ana sent back what was lost"
    );
    assert_eq!(ana.device().checkins()?.len(), 6);
    assert_eq!(
        ana.device().doc_mut()?.heads(),
        ben.device().doc_mut()?.heads()
    );
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn live_sync_running_while_pairing_keeps_the_new_partner() -> Result<()> {
    // As in the apps: networking, and with it live sync, starts before pairing.
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    ana.node.start_live();
    ben.node.start_live();
    pair(&ana, &ben).await?;
    ben.device().record_checkin(&checkin(5, "first one"))?;
    until_checkins(&ana, 1).await?;
    assert!(ana.node.partner().is_some() && ben.node.partner().is_some());
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn phones_dialling_each_other_at_once_keep_one_conversation() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    // Counts the messages carrying changes that reach Ben.
    let carried = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = carried.clone();
    ben.node
        .set_wire_tap(Some(std::sync::Arc::new(move |direction, frame| {
            let with_changes = automerge::sync::Message::decode(frame)
                .map(|m| !m.changes.is_empty())
                .unwrap_or(false);
            if direction == kintsugi_sync::Direction::Received && with_changes {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        })));
    let (mut anas_status, mut bens_status) = (ana.node.status(), ben.node.status());
    // Both keepers dial at the same moment.
    ana.node.start_live();
    ben.node.start_live();
    until_state(&mut anas_status, "Ana up to date", |s| {
        *s == SyncState::UpToDate
    })
    .await?;
    until_state(&mut bens_status, "Ben up to date", |s| {
        *s == SyncState::UpToDate
    })
    .await?;
    // Let a second connection, if any, settle in.
    tokio::time::sleep(Duration::from_millis(300)).await;

    carried.store(0, std::sync::atomic::Ordering::SeqCst);
    ana.device()
        .record_checkin(&checkin(5, "one message is enough"))?;
    until_checkins(&ben, 1).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        carried.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the check-in travelled more than once: two conversations ran"
    );
    // Still in touch after the duplicate was dropped.
    assert_eq!(ana.node.status().borrow().state, SyncState::UpToDate);
    assert_eq!(ben.node.status().borrow().state, SyncState::UpToDate);
    ana.close().await;
    ben.close().await;
    Ok(())
}
