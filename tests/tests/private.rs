//! The private space never reaches the wire: every sync frame is captured and
//! decoded down to Automerge operations, and none carries a private word or
//! a change of the private document.

use std::sync::{Arc, Mutex};

use anyhow::Result;
use kintsugi_core::automerge::sync::Message;
use kintsugi_core::automerge::{AutoCommit, Change};
use kintsugi_sync::Direction;
use kintsugi_tests::{Phone, bounded, checkin, pair};

type Frames = Vec<(Direction, Vec<u8>)>;

#[tokio::test]
async fn the_private_journal_never_crosses_the_wire() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;

    let marker = "Kestrel-private-7731";
    ana.device().update_private(|p, now| {
        p.write_journal(&format!("{marker}: what I cannot say yet"), now)
    })?;
    ana.device()
        .update_private(|p, now| p.add_note("for me", &format!("{marker} note"), now))?;
    ana.device().record_checkin(&checkin(4, "shared words"))?;
    // Her notification setting is private too.
    ana.device()
        .update_private(|p, now| p.set_notice_interval(240, now))?;
    let private_hashes = ana.device().private()?.change_hashes();
    assert!(!private_hashes.is_empty());

    let ben_before = ben.device().doc_mut()?.save();

    let frames: Arc<Mutex<Frames>> = Arc::default();
    let sink = frames.clone();
    ana.node.set_wire_tap(Some(Arc::new(move |d, f: &[u8]| {
        sink.lock().unwrap().push((d, f.to_vec()))
    })));
    bounded("sync", ben.node.sync_now()).await??;
    assert_eq!(
        ben.device().checkins()?.len(),
        1,
        "the shared check-in did travel"
    );

    // Replay exactly what Ana sent onto a copy of Ben's document as it was,
    // the way Automerge applies it (chunks may be changes, bundles or a
    // whole document), then inspect every change that arrived.
    let frames = std::mem::take(&mut *frames.lock().unwrap());
    let mut replay = AutoCommit::load(&ben_before)?;
    let known: Vec<_> = replay.get_changes(&[]).iter().map(|c| c.hash()).collect();
    for (direction, frame) in frames.iter() {
        assert!(
            !String::from_utf8_lossy(frame).contains(marker),
            "private words in a frame"
        );
        if *direction == Direction::Sent && !frame.is_empty() {
            for chunk in Message::decode(frame)?.changes.iter() {
                replay.load_incremental(chunk)?;
            }
        }
    }
    let arrived: Vec<Change> = replay
        .get_changes(&[])
        .into_iter()
        .filter(|c| !known.contains(&c.hash()))
        .collect();
    assert!(!arrived.is_empty(), "the check could see inside the frames");
    for change in &arrived {
        assert!(
            !private_hashes.contains(&change.hash()),
            "a private change was sent"
        );
        let ops = format!("{:?}", change.decode());
        assert!(!ops.contains(marker), "private words inside a sent change");
        assert!(
            !ops.contains("notice_interval"),
            "a private setting inside a sent change"
        );
    }
    assert!(
        arrived
            .iter()
            .any(|c| format!("{:?}", c.decode()).contains("shared words")),
        "the shared check-in is among what was sent"
    );
    // And the partner's device has no private file from us.
    assert!(ben.device().private()?.journal().is_empty());
    assert_eq!(ana.device().notice_interval().get(), 240);
    assert_eq!(ben.device().notice_interval().get(), 15);
    ana.close().await;
    ben.close().await;
    Ok(())
}
