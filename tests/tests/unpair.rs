//! Ending a pairing over real iroh endpoints on 127.0.0.1.

use anyhow::Result;
use kintsugi_sync::SyncError;
use kintsugi_tests::{Phone, bounded, checkin, pair};

#[tokio::test]
async fn either_partner_can_unpair_alone_and_a_reachable_partner_is_told() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    ben.device().record_checkin(&checkin(6, "before"))?;
    bounded("sync", ben.node.sync_now()).await??;

    let told = bounded("unpair", ana.node.unpair()).await??;
    assert!(told, "Ben's device was reachable");
    assert!(ana.node.partner().is_none());
    assert!(ben.node.partner().is_none(), "Ben's device forgot Ana too");
    // Both keep the history they shared.
    assert_eq!(ana.device().checkins()?.len(), 1);
    assert_eq!(ben.device().checkins()?.len(), 1);
    // Neither can sync any more, and a restart does not bring the pairing back.
    assert!(matches!(
        ana.node.sync_now().await,
        Err(SyncError::NotPaired)
    ));
    assert!(matches!(
        ben.node.sync_now().await,
        Err(SyncError::NotPaired)
    ));
    let ana_dir = ana.dir.clone();
    ana.close().await;
    let ana = Phone::open(&ana_dir).await?;
    assert!(ana.node.partner().is_none());
    // Ana may pair again, with a new code, if she ever wants to.
    assert!(ana.node.create_invite().is_ok());
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn an_unreachable_partner_is_refused_afterwards_and_then_forgets() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    let ben_dir = ben.dir.clone();
    ben.close().await;

    // Ben's phone is off: Ana ends the pairing anyway.
    let told = bounded("unpair", ana.node.unpair()).await??;
    assert!(!told);

    // Ben's phone comes back, still thinking it is paired: refused.
    let ben = Phone::open(&ben_dir).await?;
    assert!(ben.node.partner().is_some());
    ben.device()
        .record_checkin(&checkin(4, "not for Ana any more"))?;
    let refused = bounded("sync", ben.node.sync_now()).await?;
    assert!(refused.is_err(), "{refused:?}");
    // Live sync hears the refusal from Ana's own (authenticated) endpoint
    // and forgets her, without any alarm.
    ben.node.start_live();
    let mut status = ben.node.status();
    bounded("ben forgets", async {
        while ben.node.partner().is_some() {
            let _ =
                tokio::time::timeout(std::time::Duration::from_millis(100), status.changed()).await;
        }
    })
    .await?;
    assert_eq!(ana.device().checkins()?.len(), 0, "nothing reached Ana");
    ana.close().await;
    ben.close().await;
    Ok(())
}
