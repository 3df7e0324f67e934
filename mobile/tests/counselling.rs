//! The counselling prompt through the facade, on two real paired devices on
//! loopback: a partner's own low safety gives a safety-first prompt on
//! their phone only, and the other phone shows nothing of it.

mod common;

use common::*;
use kintsugi_mobile::{
    CheckInInput, CounsellingPromptKind, CounsellingReasonKind, PainMeasure, SupportResourceKind,
    generate_storage_key,
};

/// A check-in `weeks_ago` weeks before today with this safety (trust fine).
fn checkin_weeks_ago(weeks_ago: i64, safety: i32) -> CheckInInput {
    let day = jiff::Zoned::now().date() - jiff::Span::new().days(7 * weeks_ago);
    CheckInInput {
        safety,
        trust: 6,
        connection: 5,
        moods: Vec::new(),
        note: None,
        day: Some(day.to_string()),
        heard: None,
        free_words: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_low_safety_prompt_appears_on_one_device_only_and_names_individual_support_first() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alex = open(&data_dir(&a), "Alex", &generate_storage_key()).unwrap();
    let sam = open(&data_dir(&b), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;

    // Sam feels unsafe, three weeks running; Alex checks in fine.
    for weeks_ago in [2, 1, 0] {
        sam.record_checkin(checkin_weeks_ago(weeks_ago, 2)).unwrap();
        alex.record_checkin(checkin_weeks_ago(weeks_ago, 8))
            .unwrap();
    }
    bounded(sam.sync_now()).await.unwrap();
    bounded(alex.sync_now()).await.unwrap();
    assert_eq!(
        alex.checkins().unwrap().len(),
        6,
        "both hold every check-in"
    );

    // Alex's phone shows nothing at all.
    assert!(alex.counselling_prompt().unwrap().is_none());

    // Sam's phone: safety first.
    let prompt = sam.counselling_prompt().unwrap().expect("a prompt for Sam");
    assert_eq!(prompt.kind, CounsellingPromptKind::SafetyFirst);
    assert!(!prompt.couples_counselling_advised);
    let kinds: Vec<_> = prompt.resources.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        vec![
            SupportResourceKind::IndividualCounsellor,
            SupportResourceKind::SupportService,
            SupportResourceKind::EmergencyServices,
            SupportResourceKind::TrustedPerson,
        ]
    );
    assert!(
        prompt
            .message
            .contains("Couples counselling is not advised while someone feels unsafe")
    );
    let sam_id = sam.member_id().unwrap();
    assert!(matches!(
        &prompt.reasons[0].reason,
        CounsellingReasonKind::PainStaysHigh { member, measure: PainMeasure::Safety, weeks: 3, .. }
            if *member == sam_id
    ));

    // A host catalog replaces the words, English fills the gaps.
    sam.set_locale(
        "de".into(),
        Some("counselling-resource-individual = Eine Beratung nur für dich.\n".into()),
    )
    .unwrap();
    let german = sam.counselling_prompt().unwrap().unwrap();
    assert_eq!(german.resources[0].text, "Eine Beratung nur für dich.");
    assert_eq!(german.message, prompt.message);

    bounded(sam.shutdown()).await.unwrap();
    bounded(alex.shutdown()).await.unwrap();
}
