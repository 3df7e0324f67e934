//! Sealed bundles through the facade: two paired companions with their
//! networking off converge by handing bundles over; a bundle from a
//! stranger, a tampered one or an old one changes nothing; a shared folder
//! empties once both have everything; progress reaches the listener.

mod common;

use std::sync::Arc;

use common::*;
use kintsugi_mobile::{
    Companion, KintsugiError, NoticeKind, ProgressListener, ProgressStep, generate_storage_key,
};

/// Two companions paired over loopback, then with their networking off: from
/// here only bundles carry anything between them.
async fn apart(a: &tempfile::TempDir, b: &tempfile::TempDir) -> (Arc<Companion>, Arc<Companion>) {
    let alex = open(a.path(), "Alex", &generate_storage_key()).unwrap();
    let sam = open(b.path(), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;
    // Both hold the shared space once the first sync after pairing is done.
    bounded(sam.sync_now()).await.unwrap();
    bounded(alex.shutdown()).await.unwrap();
    bounded(sam.shutdown()).await.unwrap();
    (alex, sam)
}

fn invalid(err: KintsugiError) -> String {
    match err {
        KintsugiError::InvalidInput { message } => message,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bundles_carry_checkins_both_ways_with_networking_off() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (alex, sam) = apart(&a, &b).await;
    alex.record_checkin(checkin(4, Some("written on the plane")))
        .unwrap();
    sam.record_checkin(checkin(6, Some("night shift again")))
        .unwrap();

    let steps = Steps::new(false);
    let listener: Arc<dyn ProgressListener> = steps.clone();
    let bundle = bounded(alex.create_bundle(false, Some(listener.clone())))
        .await
        .unwrap();
    assert_eq!(bundle.seq, 1);
    assert!(bundle.changes >= 1, "{}", bundle.changes);
    assert!(steps.has(ProgressStep::Sealing), "{:?}", steps.monotonic());
    let opened = bounded(sam.open_bundle(bundle.bytes.clone(), Some(listener)))
        .await
        .unwrap();
    assert!(
        opened.new_changes >= 1 && !opened.already_opened,
        "{opened:?}"
    );
    assert_eq!(opened.partner_name, "Alex");
    let kinds: Vec<_> = opened.notices.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, vec![NoticeKind::CheckedIn]);
    assert!(steps.has(ProgressStep::Opening) && steps.has(ProgressStep::Applying));
    steps.monotonic();

    // Sam's answer carries his check-in (and says Alex's arrived).
    let back = bounded(sam.create_bundle(false, None)).await.unwrap();
    let opened_back = bounded(alex.open_bundle(back.bytes, None)).await.unwrap();
    assert!(opened_back.new_changes >= 1, "{opened_back:?}");
    let both = vec![
        "night shift again".to_string(),
        "written on the plane".into(),
    ];
    assert_eq!(notes(&alex), both);
    assert_eq!(notes(&sam), both);

    // The same bundle again merges nothing; nothing more to say is a bundle
    // with no changes.
    let again = bounded(sam.open_bundle(bundle.bytes, None)).await.unwrap();
    assert!(again.already_opened && again.new_changes == 0, "{again:?}");
    assert!(again.notices.is_empty());
    let nothing_new = bounded(alex.create_bundle(false, None)).await.unwrap();
    assert_eq!(nothing_new.changes, 0);
    // A full bundle carries everything.
    let full = bounded(alex.create_bundle(true, None)).await.unwrap();
    assert!(
        full.changes > bundle.changes,
        "{} vs {}",
        full.changes,
        bundle.changes
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stranger_tampered_or_old_bundle_is_invalid_input_and_changes_nothing() {
    let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let (alex, sam) = apart(&dirs[0], &dirs[1]).await;
    let (kim, lee) = apart(&dirs[2], &dirs[3]).await;
    alex.record_checkin(checkin(5, Some("first"))).unwrap();
    let first = bounded(alex.create_bundle(false, None)).await.unwrap();
    alex.appreciate("second".into()).unwrap();
    let second = bounded(alex.create_bundle(false, None)).await.unwrap();
    kim.record_checkin(checkin(3, None)).unwrap();
    let strangers = bounded(kim.create_bundle(false, None)).await.unwrap();
    let mut tampered = second.bytes.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;

    let cases: [(&str, Vec<u8>); 4] = [
        ("another couple's bundle", strangers.bytes.clone()),
        ("a tampered bundle", tampered),
        ("Sam's own bundle back to him", {
            bounded(sam.create_bundle(false, None)).await.unwrap().bytes
        }),
        ("not a bundle at all", b"hello".to_vec()),
    ];
    // Making his own bundle moved Sam's book on: compare from here.
    let before = contents(dirs[1].path());
    for (what, bytes) in cases {
        let err = bounded(sam.open_bundle(bytes, None)).await.unwrap_err();
        let message = invalid(err);
        assert!(!message.is_empty(), "{what}");
        assert!(
            contents(dirs[1].path()) == before,
            "{what} changed Sam's files"
        );
    }
    assert!(notes(&sam).is_empty());

    // The newer bundle, then the older one: refused as out of order.
    bounded(sam.open_bundle(second.bytes, None)).await.unwrap();
    let after = contents(dirs[1].path());
    let message = invalid(
        bounded(sam.open_bundle(first.bytes, None))
            .await
            .unwrap_err(),
    );
    assert!(message.contains("older"), "{message}");
    assert!(contents(dirs[1].path()) == after);
    assert_eq!(notes(&sam), vec!["first".to_string(), "second".into()]);

    // Lee never hears of any of it; his partner's bundle still opens.
    let opened = bounded(lee.open_bundle(strangers.bytes, None))
        .await
        .unwrap();
    assert!(opened.new_changes >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shared_folder_converges_and_empties() {
    let (a, b, shared) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (alex, sam) = apart(&a, &b).await;
    alex.record_checkin(checkin(7, Some("from Alex"))).unwrap();
    sam.record_checkin(checkin(5, Some("from Sam"))).unwrap();
    let dir = shared.path().to_string_lossy().into_owned();

    let first = bounded(alex.sync_bundle_dir(dir.clone(), None))
        .await
        .unwrap();
    assert!(
        first.opened.is_none() && first.written.is_some(),
        "{first:?}"
    );
    let steps = Steps::new(true); // a listener that throws: the work goes on
    let second = bounded(sam.sync_bundle_dir(dir.clone(), Some(steps.clone())))
        .await
        .unwrap();
    assert!(
        second.opened.as_ref().is_some_and(|o| o.new_changes >= 1),
        "{second:?}"
    );
    assert!(steps.has(ProgressStep::Opening) && steps.has(ProgressStep::Sealing));
    steps.monotonic();
    for round in 0..4 {
        bounded(alex.sync_bundle_dir(dir.clone(), None))
            .await
            .unwrap();
        bounded(sam.sync_bundle_dir(dir.clone(), None))
            .await
            .unwrap();
        if files_under(shared.path()).is_empty() {
            break;
        }
        assert!(
            round < 3,
            "the folder never emptied: {:?}",
            files_under(shared.path())
        );
    }
    let both = vec!["from Alex".to_string(), "from Sam".into()];
    assert_eq!(notes(&alex), both);
    assert_eq!(notes(&sam), both);
}

#[tokio::test(flavor = "multi_thread")]
async fn bundles_need_a_partner_and_a_wiped_companion_refuses_them() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = open(tmp.path(), "Alex", &generate_storage_key()).unwrap();
    let err = bounded(alex.create_bundle(false, None)).await.unwrap_err();
    assert!(matches!(err, KintsugiError::NotPaired { .. }), "{err:?}");
    let err = bounded(alex.open_bundle(vec![0; 64], None))
        .await
        .unwrap_err();
    assert!(matches!(err, KintsugiError::NotPaired { .. }), "{err:?}");
    bounded(alex.wipe()).await.unwrap();
    let err = bounded(alex.create_bundle(false, None)).await.unwrap_err();
    assert!(matches!(err, KintsugiError::NotAllowed { .. }), "{err:?}");
}

/// A progress bar that reads the companion on each report, as a screen
/// refreshing itself might.
struct ReadsBack {
    companion: Arc<Companion>,
    reads: std::sync::Mutex<usize>,
}

impl ProgressListener for ReadsBack {
    fn on_progress(
        &self,
        _: ProgressStep,
        _: u64,
        _: u64,
    ) -> Result<(), kintsugi_mobile::CallbackError> {
        self.companion.checkins().unwrap();
        *self.reads.lock().unwrap() += 1;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listener_that_calls_the_companion_does_not_deadlock() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (alex, sam) = apart(&a, &b).await;
    alex.record_checkin(checkin(5, None)).unwrap();
    let listener = Arc::new(ReadsBack {
        companion: alex.clone(),
        reads: Default::default(),
    });
    let bundle = bounded(alex.create_bundle(false, Some(listener.clone())))
        .await
        .unwrap();
    // Every report was delivered before the call returned.
    let reads = *listener.reads.lock().unwrap();
    assert!(reads >= 2, "{reads}");
    let reader = Arc::new(ReadsBack {
        companion: sam.clone(),
        reads: Default::default(),
    });
    bounded(sam.open_bundle(bundle.bytes, Some(reader.clone())))
        .await
        .unwrap();
    assert!(*reader.reads.lock().unwrap() >= 2);
}

#[derive(Default)]
struct Heard(std::sync::Mutex<Vec<kintsugi_mobile::CompanionEvent>>);

impl kintsugi_mobile::CompanionObserver for Heard {
    fn on_event(
        &self,
        event: kintsugi_mobile::CompanionEvent,
    ) -> Result<(), kintsugi_mobile::CallbackError> {
        self.0.lock().unwrap().push(event);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn observers_hear_what_a_bundle_brought_from_the_partner() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (alex, sam) = apart(&a, &b).await;
    let heard = Arc::new(Heard::default());
    let subscription = sam.subscribe(heard.clone()).unwrap();
    alex.record_checkin(checkin(6, None)).unwrap();
    let bundle = bounded(alex.create_bundle(false, None)).await.unwrap();
    bounded(sam.open_bundle(bundle.bytes, None)).await.unwrap();
    bounded(async {
        loop {
            let found = heard.0.lock().unwrap().iter().any(|e| {
                matches!(e, kintsugi_mobile::CompanionEvent::DocumentChanged { kinds, from_partner: true, .. }
                    if kinds.contains(&kintsugi_mobile::RecordKind::CheckIn))
            });
            if found {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    subscription.cancel();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bundle_is_staged_in_the_cache_for_the_share_sheet_and_wipe_clears_it() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cache = tempfile::tempdir().unwrap();
    let mut with_cache = config(a.path(), "Alex", &generate_storage_key());
    with_cache.cache_dir = Some(cache.path().to_string_lossy().into_owned());
    let alex = Companion::new(with_cache).unwrap();
    let sam = open(b.path(), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;
    bounded(sam.sync_now()).await.unwrap();
    bounded(alex.shutdown()).await.unwrap();
    bounded(sam.shutdown()).await.unwrap();

    alex.record_checkin(checkin(5, Some("shared from the sheet")))
        .unwrap();
    let bundle = bounded(alex.create_bundle(false, None)).await.unwrap();
    let path = alex
        .stage_for_sharing(bundle.bytes.clone(), "for-sam.bundle".into())
        .unwrap();
    let staged = std::path::PathBuf::from(&path);
    assert!(
        staged.starts_with(cache.path().join("kintsugi-share")),
        "{path}"
    );
    // What the share sheet hands over opens on the partner's phone.
    let carried = std::fs::read(&staged).unwrap();
    assert_eq!(carried, bundle.bytes);
    bounded(sam.open_bundle(carried, None)).await.unwrap();
    assert!(notes(&sam).contains(&"shared from the sheet".to_owned()));

    // Plaintext never lands in the cache, nor anything outside its folder.
    let plain = alex.export_automerge().unwrap();
    invalid(
        alex.stage_for_sharing(plain, "export.automerge".into())
            .unwrap_err(),
    );
    for name in ["../escape.bundle", "", ".hidden", "a/b"] {
        invalid(
            alex.stage_for_sharing(bundle.bytes.clone(), name.into())
                .unwrap_err(),
        );
    }
    let files: Vec<_> = std::fs::read_dir(cache.path().join("kintsugi-share"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 1);
    assert!(!cache.path().join("escape.bundle").exists());

    // Without a cache directory nothing can be staged.
    match sam.stage_for_sharing(bundle.bytes.clone(), "x.bundle".into()) {
        Err(KintsugiError::NotAllowed { .. }) => {}
        other => panic!("expected NotAllowed, got {other:?}"),
    }
    // Wiping the device takes its staged files too.
    bounded(alex.wipe()).await.unwrap();
    assert!(!cache.path().join("kintsugi-share").exists());
    assert!(
        cache.path().exists(),
        "the app's cache directory itself stays"
    );
}
