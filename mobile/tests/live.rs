//! Live sync through the facade: a check-in reaches the partner with no
//! `sync_now`, and the app hears where sync stands through a listener.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use kintsugi_mobile::{SyncStateKind, SyncStatusInfo, SyncStatusListener, generate_storage_key};

#[derive(Default)]
struct Recorder(Mutex<Vec<SyncStatusInfo>>);

impl SyncStatusListener for Recorder {
    fn on_status(&self, status: SyncStatusInfo) {
        self.0.lock().unwrap().push(status);
    }
}

impl Recorder {
    fn seen(&self) -> Vec<SyncStatusInfo> {
        self.0.lock().unwrap().clone()
    }
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    bounded(async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(check(), "{what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checkin_arrives_live_and_the_listener_hears_the_status() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alex = open(&data_dir(&a), "Alex", &generate_storage_key()).unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;

    let recorder = Arc::new(Recorder::default());
    let subscription = bounded(alex.observe_sync_status(recorder.clone()))
        .await
        .unwrap();
    // Sam's app comes to the foreground: live sync starts on his side too.
    bounded(sam.app_foregrounded()).await.unwrap();
    eventually("Alex's status reaches up to date", || {
        recorder
            .seen()
            .iter()
            .any(|s| s.state == SyncStateKind::UpToDate && s.last_synced_at_ms.is_some())
    })
    .await;

    // Nobody calls sync_now.
    sam.record_checkin(checkin(7, Some("a good walk"))).unwrap();
    eventually("the check-in reaches Alex", || {
        alex.checkins().unwrap().len() == 1
    })
    .await;

    // After cancelling, the listener hears nothing more.
    subscription.cancel();
    let heard = recorder.seen().len();
    bounded(sam.shutdown()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(recorder.seen().len(), heard);
    bounded(alex.shutdown()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn unpairing_tells_the_partner_and_wipe_removes_the_data() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alex = open(&data_dir(&a), "Alex", &generate_storage_key()).unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;
    // Sam's app is open (networking on), so his device can be told.
    bounded(sam.app_foregrounded()).await.unwrap();

    assert!(bounded(alex.unpair(true)).await.unwrap(), "Sam was told");
    assert!(!data_dir(&a).exists(), "Alex's data is gone");
    eventually("Sam's device forgot Alex", || {
        sam.partner().unwrap().is_none()
    })
    .await;
    // Sam keeps the shared history, and cannot sync with anyone now.
    assert!(sam.members().unwrap().len() == 2);
    let err = bounded(sam.sync_now()).await.unwrap_err();
    assert!(
        matches!(err, kintsugi_mobile::KintsugiError::NotPaired { .. }),
        "{err:?}"
    );
    bounded(sam.shutdown()).await.unwrap();
}
