//! Sync between two paired phones over real iroh endpoints on 127.0.0.1.

use anyhow::Result;
use iroh::endpoint::{ConnectionError, VarInt, presets};
use kintsugi_core::Device;
use kintsugi_sync::protocol::{NOT_PAIRED, SYNC_ALPN};
use kintsugi_tests::{Phone, bounded, checkin, checkin_on, pair};

#[tokio::test]
async fn concurrent_offline_edits_converge_to_the_same_heads() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;

    // Apart: each writes without the other.
    let proposal = ana
        .device()
        .propose_agreement("No contact with the affair partner")?;
    ana.device().record_checkin(&checkin(3, "hard evening"))?;
    ben.device().record_checkin(&checkin(7, "good talk"))?;
    ben.device()
        .propose_agreement("Phone open to Ana until the review")?;

    let report = bounded("sync", ben.node.sync_now()).await??;
    assert!(report.changes_received >= 2, "{report:?}");

    let heads_a = ana.device().doc_mut()?.heads();
    let heads_b = ben.device().doc_mut()?.heads();
    assert_eq!(heads_a, heads_b);
    assert_eq!(ana.device().checkins()?, ben.device().checkins()?);
    assert_eq!(ana.device().agreements()?.len(), 2);

    // Ben accepts Ana's proposal; after the next sync it is in force on both.
    ben.device().accept_agreement(&proposal)?;
    bounded("sync", ana.node.sync_now()).await??;
    let on_ana = ana.device().doc()?.agreement(&proposal)?;
    assert_eq!(on_ana.status(), kintsugi_core::AgreementStatus::InForce);

    // What was received is on disk, not only in memory.
    let ana_dir = ana.dir.clone();
    ana.close().await;
    ben.close().await;
    let reopened = Device::open(&ana_dir, &kintsugi_tests::unlock())?;
    assert_eq!(reopened.checkins()?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn after_a_restart_only_the_missing_changes_travel() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    for day in 0..150u32 {
        let note = format!("day {day}: we talked about the week");
        ana.device()
            .record_checkin(&checkin_on(day, i64::from(day % 11), &note))?;
    }
    let first = bounded("first sync", ana.node.sync_now()).await??;
    // Ben's member entry already came over in the sync that follows joining.
    assert_eq!(first.changes_received, 0);
    let full_doc = ana.device().doc_mut()?.save().len() as u64;
    assert!(
        first.bytes_sent > full_doc / 2,
        "first sync sends the history: {first:?}"
    );

    // Both apps restart from disk.
    let (ana_dir, ben_dir) = (ana.dir.clone(), ben.dir.clone());
    ana.close().await;
    ben.close().await;
    let ana = Phone::open(&ana_dir).await?;
    let ben = Phone::open(&ben_dir).await?;

    ana.device()
        .record_checkin(&checkin_on(200, 8, "one more"))?;
    let second = bounded("second sync", ana.node.sync_now()).await??;
    // One check-in plus the protocol's heads and bloom filter: a few hundred
    // bytes, against the whole history the first session carried.
    eprintln!("document {full_doc} B; first sync {first:?}; after restart {second:?}");
    assert!(second.bytes_sent < 1_500, "{second:?}");
    assert!(
        second.bytes_sent * 5 < first.bytes_sent,
        "{second:?} vs first {first:?}"
    );
    assert_eq!(ben.device().checkins()?.len(), 151);
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn an_unpaired_endpoint_is_refused_before_any_document_byte() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    ana.device().record_checkin(&checkin(4, "private to us"))?;
    let heads_before = ana.device().doc_mut()?.heads();

    // A stranger with its own key dials Ana's sync protocol directly.
    let stranger = iroh::Endpoint::builder(presets::Minimal)
        .relay_mode(iroh::RelayMode::Disabled)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0")?
        .bind()
        .await?;
    let conn = bounded("dial", stranger.connect(ana.node.addr(), SYNC_ALPN)).await??;
    let outcome = bounded("stranger's stream", async {
        let (mut send, mut recv) = conn.open_bi().await?;
        // A well-formed sync request would be answered by a partner; here it never is.
        send.write_all(&[0, 0, 0, 1, 0x42]).await?;
        let read = recv.read_to_end(1 << 20).await;
        anyhow::Ok(read)
    })
    .await?;
    // Either the stream is reset, or it ends without a single byte.
    if let Ok(Ok(bytes)) = outcome {
        assert!(bytes.is_empty(), "a stranger read {} bytes", bytes.len());
    }
    let reason = bounded("closed", conn.closed()).await?;
    match reason {
        ConnectionError::ApplicationClosed(close) => {
            assert_eq!(close.error_code, VarInt::from_u32(NOT_PAIRED))
        }
        other => panic!("expected an application close, got {other:?}"),
    }
    assert_eq!(ana.device().doc_mut()?.heads(), heads_before);
    stranger.close().await;
    ana.close().await;
    ben.close().await;
    Ok(())
}

#[tokio::test]
async fn syncing_before_pairing_is_a_clear_error() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let err = ana.node.sync_now().await.unwrap_err();
    assert!(matches!(err, kintsugi_sync::SyncError::NotPaired), "{err}");
    assert!(matches!(
        ana.device().record_checkin(&checkin(5, "x")),
        Err(kintsugi_core::CoreError::NoCouple)
    ));
    ana.close().await;
    Ok(())
}
