//! The phone's notification through the facade, on two real paired devices
//! on loopback: a partner flooding changes makes the other's phone show one
//! neutral notification per interval, the in-app list still has everything,
//! the interval is the receiving user's private setting, and a restart
//! keeps the limit.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use kintsugi_mobile::{
    CallbackError, Companion, CompanionConfig, CompanionEvent, CompanionObserver, KintsugiError,
    NoticeKind, OsNotification, RecordKind, generate_storage_key,
};

/// Words that would tell the lock screen what the partner did (or who).
const KIND_WORDS: &[&str] = &[
    "check",
    "agreement",
    "request",
    "hard moment",
    "phase",
    "question",
    "trigger",
    "appreciat",
    "offer",
    "commitment",
    "disclos",
    "together",
    "partner",
    "sam",
    "alex",
];

fn assert_neutral(n: &OsNotification) {
    assert_free_of(n, KIND_WORDS);
    assert_eq!(n.body, "Something new in Kintsugi");
}

fn assert_free_of(n: &OsNotification, words: &[&str]) {
    let text = format!("{} {}", n.title, n.body).to_lowercase();
    for word in words {
        assert!(
            !text.contains(word),
            "{word:?} on the lock screen: {text:?}"
        );
    }
}

/// How many of the partner's notices of `kind` an in-app list holds.
fn count_of(list: &[kintsugi_mobile::Notice], kind: NoticeKind) -> i32 {
    list.iter()
        .filter(|n| n.kind == kind)
        .map(|n| n.count)
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_hard_moments_from_the_partner_give_one_coalesced_os_notification() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let key = generate_storage_key();
    let alex = open(&data_dir(&a), "Alex", &key).unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;
    assert_eq!(alex.take_os_notification().unwrap().notification, None);

    // Alex's phone is offline while Sam logs ten hard moments in a minute.
    bounded(alex.shutdown()).await.unwrap();
    for i in 0..10 {
        sam.log_trigger(format!("moment {i}"), 6).unwrap();
    }
    let summary = bounded(alex.sync_now()).await.unwrap();
    // The in-app list has every one of them, by kind.
    assert_eq!(count_of(&summary.notices, NoticeKind::Trigger), 10);

    // The lock screen: one notification, neutral, standing for all ten.
    let check = alex.take_os_notification().unwrap();
    let posted_at = kintsugi_core_now();
    let first = check.notification.expect("one notification for the ten");
    assert_neutral(&first);
    assert_eq!(first.coalesced, 10);
    assert_eq!(check.next_check_at_ms, None);
    assert_eq!(alex.take_os_notification().unwrap().notification, None);

    // An eleventh within the interval waits, with a time to ask again.
    sam.log_trigger("moment 10".into(), 6).unwrap();
    bounded(alex.sync_now()).await.unwrap();
    let check = alex.take_os_notification().unwrap();
    assert_eq!(check.notification, None, "still within 15 minutes");
    let next = check.next_check_at_ms.expect("a time to ask again");
    let fifteen = 15 * 60_000;
    assert!(
        (posted_at - 2_000 + fifteen..=posted_at + fifteen).contains(&next),
        "{next} vs {posted_at}"
    );

    // A restart keeps the limit: the same wait, nothing posted early.
    bounded(alex.shutdown()).await.unwrap();
    drop(alex);
    let alex = open(&data_dir(&a), "Alex", &key).unwrap();
    let check = alex.take_os_notification().unwrap();
    assert_eq!(check.notification, None);
    assert_eq!(check.next_check_at_ms, Some(next));
    bounded(sam.shutdown()).await.unwrap();
}

/// Keeps every event.
#[derive(Default)]
struct Recorder(Mutex<Vec<CompanionEvent>>);

impl CompanionObserver for Recorder {
    fn on_event(&self, event: CompanionEvent) -> Result<(), CallbackError> {
        self.0.lock().unwrap().push(event);
        Ok(())
    }
}

impl Recorder {
    fn posted(&self) -> Vec<OsNotification> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                CompanionEvent::PostNotification { notification } => Some(notification.clone()),
                _ => None,
            })
            .collect()
    }

    fn triggers_from_partner(&self) -> bool {
        self.0.lock().unwrap().iter().any(|e| {
            matches!(e, CompanionEvent::DocumentChanged { kinds, from_partner: true, .. }
                if kinds.contains(&RecordKind::Trigger))
        })
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
async fn live_changes_reach_the_observer_through_the_same_gate() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alex = open(&data_dir(&a), "Alex", &generate_storage_key()).unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;
    let recorder = Arc::new(Recorder::default());
    let _subscription = alex.subscribe(recorder.clone()).unwrap();
    bounded(alex.app_foregrounded()).await.unwrap();
    bounded(sam.app_foregrounded()).await.unwrap();

    // Sam's ten hard moments arrive live, one sync each or a few together.
    for i in 0..10 {
        sam.log_trigger(format!("moment {i}"), 7).unwrap();
    }
    eventually("all ten reach Alex", || {
        alex.triggers().map(|t| t.len() == 10).unwrap_or(false)
    })
    .await;
    eventually("the observer heard them", || {
        recorder.triggers_from_partner()
    })
    .await;
    eventually("and was told to post once", || {
        !recorder.posted().is_empty()
    })
    .await;
    // Let any late arrival reach the gate.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posted = recorder.posted();
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert_neutral(&posted[0]);
    // Asking directly gets nothing more: each notification goes out once.
    assert_eq!(alex.take_os_notification().unwrap().notification, None);
    // The in-app list still has all ten.
    let list = alex.notices_since_last_call().unwrap();
    assert_eq!(count_of(&list, NoticeKind::Trigger), 10, "{list:?}");

    bounded(sam.shutdown()).await.unwrap();
    bounded(alex.shutdown()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_interval_is_the_receivers_private_setting() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let key = generate_storage_key();
    let alex = open(&data_dir(&a), "Alex", &key).unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;

    assert_eq!(alex.notice_interval_minutes().unwrap(), 15);
    for bad in [0, -1, 1441] {
        assert!(
            matches!(
                alex.set_notice_interval_minutes(bad),
                Err(KintsugiError::InvalidInput { .. })
            ),
            "{bad} accepted"
        );
    }
    alex.set_notice_interval_minutes(240).unwrap();
    sam.log_trigger("a hard moment".into(), 5).unwrap();
    bounded(sam.sync_now()).await.unwrap();
    bounded(alex.sync_now()).await.unwrap();

    // Sam's phone neither has nor sees it.
    assert_eq!(sam.notice_interval_minutes().unwrap(), 15);
    // Not in what can leave the device without the private part.
    let shared = alex.export_json(false).unwrap();
    assert!(!shared.contains("notice_interval"), "{shared}");
    assert!(
        alex.export_json(true)
            .unwrap()
            .contains("\"notice_interval_minutes\": 240")
    );
    // Kept across a restart.
    bounded(alex.shutdown()).await.unwrap();
    drop(alex);
    let alex = open(&data_dir(&a), "Alex", &key).unwrap();
    assert_eq!(alex.notice_interval_minutes().unwrap(), 240);
    bounded(sam.shutdown()).await.unwrap();
}

#[test]
fn set_locale_checks_the_catalog_and_lists_what_to_translate() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = open(&data_dir(&tmp), "Alex", &generate_storage_key()).unwrap();
    assert!(kintsugi_mobile::catalog_message_ids().contains(&"os-notification-body".to_owned()));
    let english = kintsugi_mobile::shipped_catalog("en".into()).unwrap();
    assert!(english.contains("os-notification-body = Something new in Kintsugi"));
    assert!(matches!(
        alex.set_locale("de".into(), Some("os-notification-body = { broken".into())),
        Err(KintsugiError::InvalidInput { .. })
    ));
    alex.set_locale(
        "de".into(),
        Some("os-notification-body = Etwas Neues\n".into()),
    )
    .unwrap();
    assert!(matches!(
        alex.set_locale("not a locale!".into(), None),
        Err(KintsugiError::InvalidInput { .. })
    ));
}

/// The in-app list and the lock screen speak the companion's language: a
/// shipped one (Spanish) with no catalog from the app, English by default.
#[tokio::test(flavor = "multi_thread")]
async fn notices_speak_the_companions_language() {
    let phones = paired().await;
    let (alex, sam) = (&phones.alex, &phones.sam);
    alex.take_os_notification().unwrap();
    sam.log_trigger("the song".into(), 6).unwrap();
    let english = bounded(alex.sync_now()).await.unwrap();
    let texts: Vec<&str> = english.notices.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(texts, ["Your partner noted a hard moment."]);

    alex.set_locale("es-ES".into(), None).unwrap();
    sam.log_trigger("the car".into(), 5).unwrap();
    sam.appreciate("Thank you".into()).unwrap();
    let spanish = bounded(alex.sync_now()).await.unwrap();
    let mut texts: Vec<&str> = spanish.notices.iter().map(|n| n.text.as_str()).collect();
    texts.sort();
    assert_eq!(
        texts,
        [
            "Tu pareja anotó un momento difícil.",
            "Tu pareja te expresó su aprecio."
        ]
    );
    // The lock screen stays neutral in Spanish too: no kind, no name.
    let posted = alex.take_os_notification().unwrap().notification;
    let n = posted.expect("the first notification since pairing");
    assert_eq!(n.body, "Hay algo nuevo en Kintsugi");
    assert_free_of(&n, KIND_WORDS);
    assert_free_of(
        &n,
        &[
            "pareja",
            "momento",
            "aprecio",
            "acuerdo",
            "pregunta",
            "petición",
        ],
    );
    bounded(alex.shutdown()).await.unwrap();
    bounded(sam.shutdown()).await.unwrap();
}

/// The language can come with the config, before anything is opened; a
/// tag that is not a locale opens nothing.
#[tokio::test(flavor = "multi_thread")]
async fn the_config_carries_the_language() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let bad = CompanionConfig {
        locale: Some("not a locale!".into()),
        ..config(&data_dir(&a), "Alex", &generate_storage_key())
    };
    assert!(matches!(
        Companion::new(bad),
        Err(KintsugiError::InvalidInput { .. })
    ));
    assert!(!data_dir(&a).exists(), "nothing is written");
    let alex = Companion::new(CompanionConfig {
        locale: Some("es".into()),
        ..config(&data_dir(&a), "Alex", &generate_storage_key())
    })
    .unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;
    sam.appreciate("Thank you".into()).unwrap();
    let summary = bounded(alex.sync_now()).await.unwrap();
    let texts: Vec<&str> = summary.notices.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(texts, ["Tu pareja te expresó su aprecio."]);
    bounded(alex.shutdown()).await.unwrap();
    bounded(sam.shutdown()).await.unwrap();
}

fn kintsugi_core_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
