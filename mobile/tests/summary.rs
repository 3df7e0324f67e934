//! The therapist summary through the facade: only what was chosen goes in
//! (kinds, and private entries one by one), as data, Markdown and HTML, and
//! sealed so that only the therapist's identity opens it.

mod common;

use common::*;
use kintsugi_mobile::{KintsugiError, RecordKind, SummaryChoice, generate_storage_key};

fn days_ago(n: i64) -> String {
    let today = jiff::Zoned::now().date();
    today
        .checked_sub(jiff::Span::new().days(n))
        .unwrap()
        .to_string()
}

fn choice(kinds: Vec<RecordKind>, private_entries: Vec<String>) -> SummaryChoice {
    SummaryChoice {
        first_day: days_ago(7),
        last_day: days_ago(0),
        kinds,
        therapist_questions_only: false,
        private_entries,
        time_zone: Some("Europe/Berlin".into()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_holds_what_was_chosen_and_nothing_else() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alex = open(a.path(), "Alex", &generate_storage_key()).unwrap();
    let sam = open(b.path(), "Sam", &generate_storage_key()).unwrap();
    pair(&alex, &sam).await;
    alex.record_checkin(checkin(3, Some("the drive home was hard")))
        .unwrap();
    sam.record_checkin(checkin(6, Some("we talked at dinner")))
        .unwrap();
    sam.appreciate("Thank you for staying".into()).unwrap();
    bounded(sam.sync_now()).await.unwrap();
    let chosen = alex
        .write_journal("I keep replaying the phone call".into())
        .unwrap();
    alex.write_journal("Not for anyone else".into()).unwrap();
    alex.add_private_note("List".into(), "Things I never said".into())
        .unwrap();

    let rendered = alex
        .therapist_summary(choice(vec![RecordKind::CheckIn], vec![chosen.clone()]))
        .unwrap();
    let s = &rendered.summary;
    assert_eq!(s.prepared_by.name, "Alex");
    assert!(s.prepared_by.is_me);
    assert_eq!(s.partner.as_ref().map(|p| p.name.as_str()), Some("Sam"));
    assert_eq!(s.included, vec![RecordKind::CheckIn]);
    assert!(s.left_out.contains(&RecordKind::Appreciation));
    assert_eq!(s.time_zone, "Europe/Berlin");
    assert_eq!(s.sections.len(), 1);
    assert_eq!(s.sections[0].kind, RecordKind::CheckIn);
    assert_eq!(s.sections[0].items.len(), 2);
    assert!(s.sections[0].items.iter().all(|i| i.scores.is_some()));
    assert_eq!(s.private_entries.len(), 1);
    assert_eq!(s.private_entries[0].record_id, chosen);
    assert!(!s.charts.trends.is_empty() && !s.charts.checkin_frequency.is_empty());
    assert!(
        s.charts.request_consistency.is_empty(),
        "requests were not chosen"
    );

    // Sam has not allowed his words in summaries: his scores are there, his note is not.
    assert!(!s.partner_words);
    let sams_checkin = sam
        .checkins()
        .unwrap()
        .into_iter()
        .find(|c| c.by_me)
        .unwrap()
        .id;
    assert_eq!(s.drew_on, vec![sams_checkin.clone()]);
    for (what, text) in [("markdown", &rendered.markdown), ("html", &rendered.html)] {
        assert!(text.contains("the drive home was hard"), "{what}");
        assert!(!text.contains("we talked at dinner"), "{what}: Sam's note");
        assert!(text.contains("(note not shared)"), "{what}");
        assert!(
            text.contains("replaying the phone call"),
            "{what}: the chosen entry"
        );
        assert!(
            !text.contains("Not for anyone else"),
            "{what}: an unchosen entry"
        );
        assert!(!text.contains("never said"), "{what}: an unchosen note");
        assert!(
            !text.contains("Thank you for staying"),
            "{what}: a kind left out"
        );
    }
    assert!(
        rendered.html.starts_with("<!DOCTYPE html>"),
        "{}",
        &rendered.html[..40]
    );
    assert!(rendered.html.contains("<svg"));

    // Sam sees that Alex prepared one, and exactly which of his records it drew on.
    bounded(sam.sync_now()).await.unwrap();
    let made = sam.summaries_made().unwrap();
    assert_eq!(made.len(), 1);
    assert!(!made[0].by_me);
    assert_eq!(made[0].kinds, vec![RecordKind::CheckIn]);
    // Nothing of Alex's private space: not even that entries of it were added.
    let line = sam
        .timeline(Default::default())
        .unwrap()
        .into_iter()
        .find(|e| e.kind == kintsugi_mobile::EntryKind::SummaryPrepared)
        .unwrap()
        .summary;
    assert!(!line.contains("private"), "{line}");
    assert_eq!(made[0].drew_on, vec![sams_checkin]);
    assert!(
        sam.timeline(Default::default())
            .unwrap()
            .iter()
            .any(|e| e.kind == kintsugi_mobile::EntryKind::SummaryPrepared && !e.by_me)
    );

    // Once Sam allows his words, the next summary carries his note.
    sam.set_words_in_summaries(true).unwrap();
    bounded(sam.sync_now()).await.unwrap();
    // Nothing private unless named.
    let plain = alex
        .therapist_summary(choice(vec![RecordKind::CheckIn], Vec::new()))
        .unwrap();
    assert!(plain.summary.private_entries.is_empty());
    assert!(!plain.markdown.contains("replaying the phone call"));
    assert!(plain.summary.partner_words);
    assert!(plain.markdown.contains("we talked at dinner"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sealed_summary_opens_only_with_the_therapists_identity() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = open(tmp.path(), "Alex", &generate_storage_key()).unwrap();
    // Showing an invite starts the shared space; no partner needed.
    bounded(alex.create_invite()).await.unwrap();
    alex.record_checkin(checkin(5, Some("a quiet evening")))
        .unwrap();
    let therapist = age::x25519::Identity::generate();
    let recipient = therapist.to_public().to_string();

    let sealed = alex
        .sealed_therapist_summary(choice(vec![RecordKind::CheckIn], Vec::new()), recipient)
        .unwrap();
    let markdown = age::decrypt(&therapist, &sealed.markdown_sealed).unwrap();
    let html = age::decrypt(&therapist, &sealed.html_sealed).unwrap();
    assert!(
        String::from_utf8(markdown)
            .unwrap()
            .contains("a quiet evening")
    );
    assert!(String::from_utf8(html).unwrap().contains("a quiet evening"));
    assert!(!String::from_utf8_lossy(&sealed.html_sealed).contains("a quiet evening"));
    let stranger = age::x25519::Identity::generate();
    assert!(age::decrypt(&stranger, &sealed.html_sealed).is_err());
    assert_eq!(sealed.summary.sections.len(), 1);

    let err = alex
        .sealed_therapist_summary(choice(vec![], Vec::new()), "2026-09-01".into())
        .unwrap_err();
    assert!(
        matches!(&err, KintsugiError::InvalidInput { message } if message.contains("age1")),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_choice_is_refused_with_the_kind_to_act_on() {
    let tmp = tempfile::tempdir().unwrap();
    let alex = open(tmp.path(), "Alex", &generate_storage_key()).unwrap();
    let err = alex
        .therapist_summary(choice(vec![], Vec::new()))
        .unwrap_err();
    assert!(matches!(err, KintsugiError::NotPaired { .. }), "{err:?}");
    bounded(alex.create_invite()).await.unwrap();

    let mut backwards = choice(vec![RecordKind::CheckIn], Vec::new());
    std::mem::swap(&mut backwards.first_day, &mut backwards.last_day);
    let mut bad_day = choice(vec![], Vec::new());
    bad_day.first_day = "1 September".into();
    let mut bad_zone = choice(vec![], Vec::new());
    bad_zone.time_zone = Some("Atlantis/Capital".into());
    for bad in [backwards, bad_day, bad_zone] {
        let err = alex.therapist_summary(bad.clone()).unwrap_err();
        assert!(
            matches!(err, KintsugiError::InvalidInput { .. }),
            "{bad:?}: {err:?}"
        );
    }
    let err = alex
        .therapist_summary(choice(vec![], vec!["no-such-entry".into()]))
        .unwrap_err();
    assert!(matches!(err, KintsugiError::NotFound { .. }), "{err:?}");
    // With no zone given, the device's own is used.
    let mut local = choice(vec![], Vec::new());
    local.time_zone = None;
    assert!(
        !alex
            .therapist_summary(local)
            .unwrap()
            .summary
            .time_zone
            .is_empty()
    );
}
