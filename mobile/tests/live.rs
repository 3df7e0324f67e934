//! Live sync through the facade: a check-in reaches the partner with no
//! `sync_now`, and an observer started with `subscribe` hears the state,
//! the partner's changes, the sync status and the pairing events.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use kintsugi_mobile::{
    CallbackError, CompanionEvent, CompanionObserver, RecordKind, SyncStateKind,
    generate_storage_key,
};

/// Keeps every event; fails (throws) on the first `fail_first` of them.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<CompanionEvent>>,
    fail_first: Mutex<usize>,
}

impl CompanionObserver for Recorder {
    fn on_event(&self, event: CompanionEvent) -> Result<(), CallbackError> {
        self.events.lock().unwrap().push(event);
        let mut fail = self.fail_first.lock().unwrap();
        if *fail > 0 {
            *fail -= 1;
            return Err(CallbackError::Failed {
                reason: "the app's observer threw".into(),
            });
        }
        Ok(())
    }
}

impl Recorder {
    fn failing(n: usize) -> Arc<Self> {
        let recorder = Recorder::default();
        *recorder.fail_first.lock().unwrap() = n;
        Arc::new(recorder)
    }

    fn seen(&self) -> Vec<CompanionEvent> {
        self.events.lock().unwrap().clone()
    }

    fn any(&self, f: impl Fn(&CompanionEvent) -> bool) -> bool {
        self.seen().iter().any(f)
    }
}

/// A status (the current one, or a change) saying both devices agree.
fn up_to_date(e: &CompanionEvent) -> bool {
    let status = match e {
        CompanionEvent::Current { state } => state.sync_status,
        CompanionEvent::SyncStatusChanged { status } => *status,
        _ => return false,
    };
    status.state == SyncStateKind::UpToDate
}

fn changed(e: &CompanionEvent, kind: RecordKind, from_partner: bool) -> bool {
    matches!(e, CompanionEvent::DocumentChanged { kinds, from_partner: p, .. }
        if kinds == &vec![kind] && *p == from_partner)
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
async fn a_checkin_arrives_live_and_the_observer_hears_it_and_the_status() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alex = open(&data_dir(&a), "Alex", &generate_storage_key()).unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;

    let recorder = Arc::new(Recorder::default());
    let subscription = alex.subscribe(recorder.clone()).unwrap();
    eventually("the current state comes first", || {
        matches!(recorder.seen().first(), Some(CompanionEvent::Current { state })
            if state.partner.as_ref().is_some_and(|p| p.name == "Sam")
                && state.pending_pairing.is_none())
    })
    .await;
    // Both apps come to the foreground: live sync runs on both sides.
    bounded(alex.app_foregrounded()).await.unwrap();
    bounded(sam.app_foregrounded()).await.unwrap();
    eventually("Alex's status reaches up to date", || {
        recorder.any(up_to_date)
    })
    .await;

    // Nobody calls sync_now.
    sam.record_checkin(checkin(7, Some("a good walk"))).unwrap();
    eventually(
        "the check-in reaches Alex, reported as the partner's",
        || recorder.any(|e| changed(e, RecordKind::CheckIn, true)),
    )
    .await;
    assert_eq!(alex.checkins().unwrap().len(), 1);

    // Alex's own change is reported as his.
    alex.appreciate("thank you for the walk".into()).unwrap();
    eventually("Alex's own appreciation is reported as his", || {
        recorder.any(|e| changed(e, RecordKind::Appreciation, false))
    })
    .await;

    // After cancelling, the observer hears nothing more.
    subscription.cancel();
    let heard = recorder.seen().len();
    sam.record_checkin(checkin(8, None)).unwrap();
    bounded(sam.shutdown()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(recorder.seen().len(), heard);
    bounded(alex.shutdown()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn observers_hear_the_pairing_from_request_to_unpaired() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alex = open(&data_dir(&a), "Alex", &generate_storage_key()).unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    let (alex_hears, sam_hears) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
    let _alex_sub = alex.subscribe(alex_hears.clone()).unwrap();
    let _sam_sub = sam.subscribe(sam_hears.clone()).unwrap();

    // Alex shows a code and does not await next_pairing_request: the
    // observer hears the request all the same.
    let invite = bounded(alex.create_invite()).await.unwrap();
    let joiners = bounded(sam.join(invite.payload)).await.unwrap();
    eventually("Alex's observer hears the pairing request", || {
        alex_hears.any(
            |e| matches!(e, CompanionEvent::PairingRequested { code } if code.code == joiners.code),
        )
    })
    .await;
    eventually("Sam hears his side of the request", || {
        sam_hears.any(
            |e| matches!(e, CompanionEvent::PairingRequested { code } if code.code == joiners.code),
        )
    })
    .await;
    // The method still answers, with the same code.
    let inviters = bounded(alex.next_pairing_request()).await.unwrap();
    assert_eq!(inviters.code, joiners.code);
    let (x, y) = tokio::join!(
        bounded(alex.confirm_pairing()),
        bounded(sam.confirm_pairing())
    );
    x.unwrap();
    y.unwrap();
    // Who the other is (name, and the inviter's role) arrives with Paired.
    for (who, hears, partner, role) in [
        ("Alex", &alex_hears, "Sam", None),
        (
            "Sam",
            &sam_hears,
            "Alex",
            Some(kintsugi_mobile::Role::Unsaid),
        ),
    ] {
        eventually(&format!("{who} hears Paired"), || {
            hears.any(|e| matches!(e, CompanionEvent::Paired { partner: p } if p.name == partner && p.role == role))
        })
        .await;
    }
    eventually("Sam hears the shared space arrive from Alex", || {
        sam_hears.any(|e| {
            matches!(
                e,
                CompanionEvent::DocumentChanged {
                    members_changed: true,
                    from_partner: true,
                    ..
                }
            )
        })
    })
    .await;

    bounded(sam.app_foregrounded()).await.unwrap();
    assert!(
        bounded(alex.unpair(true, false)).await.unwrap(),
        "Sam was told"
    );
    for (who, hears) in [("Alex", &alex_hears), ("Sam", &sam_hears)] {
        eventually(&format!("{who} hears Unpaired"), || {
            hears.any(|e| matches!(e, CompanionEvent::Unpaired))
        })
        .await;
    }
    bounded(alex.shutdown()).await.unwrap();
    bounded(sam.shutdown()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_observer_that_throws_keeps_its_subscription() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = open(&data_dir(&tmp), "Alex", &generate_storage_key()).unwrap();
    let recorder = Recorder::failing(2);
    let subscription = alex.subscribe(recorder.clone()).unwrap();
    // Networking starts: the shared space is created for the invitation.
    bounded(alex.create_invite()).await.unwrap();
    alex.record_checkin(checkin(5, None)).unwrap();
    eventually("the events after the failures arrive", || {
        recorder.any(|e| changed(e, RecordKind::CheckIn, false))
    })
    .await;
    assert!(matches!(recorder.seen()[0], CompanionEvent::Current { .. }));
    drop(subscription);
    bounded(alex.shutdown()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_call_leaves_the_companion_usable() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alex = open(&data_dir(&a), "Alex", &generate_storage_key()).unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    // Nobody joins: the wait is dropped midway.
    let waited = tokio::time::timeout(Duration::from_millis(200), alex.wait_for_partner()).await;
    assert!(waited.is_err(), "nobody had joined");
    pair(&alex, &sam).await;
    // A sync dropped at once, then one to the end.
    let _ = tokio::time::timeout(Duration::from_millis(1), sam.sync_now()).await;
    sam.record_checkin(checkin(6, None)).unwrap();
    bounded(sam.sync_now()).await.unwrap();
    assert_eq!(alex.checkins().unwrap().len(), 1);
    assert_eq!(bounded(alex.wait_for_partner()).await.unwrap().name, "Sam");
    bounded(alex.shutdown()).await.unwrap();
    bounded(sam.shutdown()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn unpairing_tells_the_partner_and_wipe_removes_the_data() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alex = open(&data_dir(&a), "Alex", &generate_storage_key()).unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;
    // Sam's app is open (networking on), so his device can be told.
    bounded(sam.app_foregrounded()).await.unwrap();

    assert!(
        bounded(alex.unpair(true, true)).await.unwrap(),
        "Sam was told"
    );
    assert!(!data_dir(&a).exists(), "Alex's data is gone");
    eventually("Sam's device forgot Alex", || {
        sam.partner().unwrap().is_none()
    })
    .await;
    // Sam keeps the shared history, read-only, and cannot sync with anyone now.
    let archives = sam.archives().unwrap();
    assert_eq!(archives.len(), 1);
    assert_eq!(archives[0].member_names.len(), 2);
    let err = bounded(sam.sync_now()).await.unwrap_err();
    assert!(
        matches!(err, kintsugi_mobile::KintsugiError::NotPaired { .. }),
        "{err:?}"
    );
    bounded(sam.shutdown()).await.unwrap();
}
