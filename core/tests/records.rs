//! Every record family of the shared space, and the safety rules as code.

mod common;

use common::{Couple, DAY, T0};
use kintsugi_core::notify::notices;
use kintsugi_core::*;

fn checkin(day: &str, safety: i64) -> CheckInInput {
    CheckInInput {
        day: Some(day.into()),
        safety,
        trust: 4,
        connection: 5,
        heard: Some(6),
        moods: vec!["hopeful".into()],
        free_words: vec!["tender".into()],
        note: Some("we walked".into()),
    }
}

#[test]
fn a_second_checkin_the_same_day_revises_the_first_and_keeps_its_history() {
    let mut c = Couple::new();
    let first = c
        .ben
        .record_checkin(&checkin("2026-01-06", 3), T0 + DAY)
        .unwrap();
    let second = c
        .ben
        .record_checkin(&checkin("2026-01-06", 7), T0 + DAY + 3_600_000)
        .unwrap();
    assert_eq!(first, second);
    let all = c.ben.checkins();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].safety, 7);
    let rev = all[0]
        .revisions
        .iter()
        .find(|r| r.field == "safety")
        .unwrap();
    assert_eq!(rev.before, "3");
    // Another day is another check-in; skipped days leave no trace at all.
    c.ben
        .record_checkin(&checkin("2026-01-09", 5), T0 + 4 * DAY)
        .unwrap();
    assert_eq!(c.ben.checkins().len(), 2);
}

#[test]
fn mood_words_come_from_the_list_and_free_words_are_kept_apart() {
    let mut c = Couple::new();
    let mut input = checkin("2026-01-06", 5);
    input.moods = vec!["wistful".into()];
    assert!(matches!(
        c.ana.record_checkin(&input, T0),
        Err(CoreError::InvalidMood { .. })
    ));
    assert!(c.ana.checkins().is_empty(), "nothing half-written");
    input.moods = vec!["sad".into()];
    input.free_words = vec!["wistful".into()];
    c.ana.record_checkin(&input, T0).unwrap();
    let got = &c.ana.checkins()[0];
    assert_eq!(
        (got.moods.clone(), got.free_words.clone()),
        (vec!["sad".into()], vec!["wistful".into()])
    );
}

#[test]
fn agreement_revisions_are_new_versions_and_old_ones_stay_readable() {
    let mut c = Couple::new();
    let draft = AgreementDraft {
        text: "Phone open to Ana".into(),
        review_on: Some("2026-02-01".into()),
    };
    let id = c.ben.propose_agreement(&draft, T0 + DAY).unwrap();
    c.sync();
    assert_eq!(
        c.ana.agreement(&id).unwrap().status(),
        AgreementStatus::Proposed
    );
    c.ana.accept_agreement(&id, T0 + 2 * DAY).unwrap();
    c.sync();
    assert_eq!(
        c.ben.agreement(&id).unwrap().status(),
        AgreementStatus::InForce
    );

    // Ana proposes new wording: the old version stays in force until Ben accepts.
    c.ana
        .revise_agreement(
            &id,
            &AgreementDraft::new("Phone open to Ana, and location sharing off"),
            T0 + 3 * DAY,
        )
        .unwrap();
    c.sync();
    let a = c.ben.agreement(&id).unwrap();
    assert_eq!(a.status(), AgreementStatus::RevisionPending);
    assert_eq!(a.text(), "Phone open to Ana");
    assert_eq!(a.versions.len(), 2);
    assert_eq!(a.versions[1].by, c.ana.me());
    c.ben.accept_agreement(&id, T0 + 4 * DAY).unwrap();
    let a = c.ben.agreement(&id).unwrap();
    assert_eq!(a.status(), AgreementStatus::InForce);
    assert_eq!(a.versions[0].text, "Phone open to Ana");
    assert_eq!(a.versions[0].review_on.as_deref(), Some("2026-02-01"));
}

#[test]
fn only_the_proposer_withdraws_and_only_before_it_is_in_force() {
    let mut c = Couple::new();
    let id = c
        .ben
        .propose_agreement(&AgreementDraft::new("Sunday walks"), T0)
        .unwrap();
    c.sync();
    assert!(matches!(
        c.ana.withdraw_agreement(&id, T0 + 1),
        Err(CoreError::NotPermitted(_))
    ));
    c.ben.withdraw_agreement(&id, T0 + 2).unwrap();
    assert_eq!(
        c.ben.agreement(&id).unwrap().status(),
        AgreementStatus::Withdrawn
    );
    assert!(matches!(
        c.ben.accept_agreement(&id, T0 + 3),
        Err(CoreError::NotPermitted(_))
    ));
}

#[test]
fn transparency_offers_are_the_owners_alone_and_expire_by_themselves() {
    let mut c = Couple::new();
    let id = c
        .ben
        .offer_transparency("My phone is open to you", T0 + 30 * DAY, T0)
        .unwrap();
    c.sync();
    let offer = c.ana.offers().pop().unwrap();
    assert_eq!(offer.owner, c.ben.me());
    assert!(offer.is_active(T0 + DAY));
    assert!(!offer.is_active(T0 + 30 * DAY), "ends on its own date");
    // Ana cannot withdraw (or extend) Ben's offer; Ben withdraws it alone, at once.
    assert!(matches!(
        c.ana.withdraw_offer(&id, T0 + DAY),
        Err(CoreError::NotPermitted(_))
    ));
    c.ben.withdraw_offer(&id, T0 + 2 * DAY).unwrap();
    assert!(!c.ben.offers()[0].is_active(T0 + 3 * DAY));
    assert!(matches!(
        c.ben.offer_transparency("forever", T0 + 400 * DAY, T0),
        Err(CoreError::InvalidValue {
            field: "expires_at",
            ..
        })
    ));
}

#[test]
fn requests_are_done_by_the_asked_and_acknowledged_by_the_asker() {
    let mut c = Couple::new();
    let id = c
        .ana
        .make_request("Text me when you leave work", T0)
        .unwrap();
    c.sync();
    assert!(matches!(
        c.ana.log_request_done(&id, None, T0 + 1),
        Err(CoreError::NotPermitted(_))
    ));
    let done = c
        .ben
        .log_request_done(&id, Some("left at 5"), T0 + DAY)
        .unwrap();
    c.sync();
    assert!(matches!(
        c.ben.acknowledge_done(&id, &done, true, None, T0 + DAY),
        Err(CoreError::NotPermitted(_))
    ));
    c.ana
        .acknowledge_done(&id, &done[..6], false, Some("it came late"), T0 + DAY + 1)
        .unwrap();
    let r = c.ana.requests().pop().unwrap();
    let ack = r.done[0].acknowledgement.clone().unwrap();
    assert!(!ack.landed);
    // Rewording is the asker's; the old words stay visible.
    assert!(matches!(
        c.ben.reword_request(&id, "x", T0),
        Err(CoreError::NotPermitted(_))
    ));
    c.ana
        .reword_request(&id, "Text me when you leave", T0 + 2 * DAY)
        .unwrap();
    let r = c.ana.requests().pop().unwrap();
    assert_eq!(r.revisions[0].before, "Text me when you leave work");
}

#[test]
fn disclosures_are_volunteered_and_only_their_author_changes_them() {
    let mut c = Couple::new();
    let id = c
        .ben
        .disclose("She messaged me today", Some("I did not answer"), T0)
        .unwrap();
    c.sync();
    assert_eq!(c.ana.disclosures()[0].author, c.ben.me());
    assert!(matches!(
        c.ana.update_disclosure_action(&id, "x", T0),
        Err(CoreError::NotPermitted(_))
    ));
    c.ben
        .update_disclosure_action(&id, "I blocked the number", T0 + 1)
        .unwrap();
    let d = &c.ben.disclosures()[0];
    assert_eq!(d.revisions[0].before, "I did not answer");
}

#[test]
fn questions_get_space_windows_and_the_therapist_tag() {
    let mut c = Couple::new();
    let id = c
        .ana
        .ask_question("Where did you meet?", Some("details"), T0)
        .unwrap();
    c.sync();
    assert!(matches!(
        c.ana
            .respond_to_question(&id, Respond::Answer("x".into()), T0),
        Err(CoreError::NotPermitted(_))
    ));
    c.ben
        .respond_to_question(&id, Respond::NotReadyYet, T0 + 1)
        .unwrap();
    assert_eq!(c.ben.questions()[0].status, QuestionStatus::NotReadyYet);
    c.ben
        .respond_to_question(&id, Respond::Schedule("2026-01-10".into()), T0 + 2)
        .unwrap();
    c.ben
        .respond_to_question(&id, Respond::ForTherapist, T0 + 3)
        .unwrap();
    let q = &c.ben.questions()[0];
    assert_eq!(
        (q.status, q.scheduled_for.as_deref(), q.for_therapist),
        (QuestionStatus::Scheduled, Some("2026-01-10"), true)
    );
    c.sync();
    assert!(matches!(
        c.ben.respond_to_question(&id, Respond::Park, T0),
        Err(CoreError::NotPermitted(_))
    ));
    c.ana
        .respond_to_question(&id, Respond::Park, T0 + 4)
        .unwrap();
    assert_eq!(c.ana.questions()[0].status, QuestionStatus::Parked);
}

#[test]
fn triggers_appreciations_time_together_and_commitments() {
    let mut c = Couple::new();
    let t = c.ana.log_trigger("Our song on the radio", 8, T0).unwrap();
    c.sync();
    assert!(c.ana.respond_to_trigger(&t, "x", T0).is_err());
    c.ben
        .respond_to_trigger(&t, "I pulled over and held your hand", T0 + 1)
        .unwrap();
    assert_eq!(c.ben.triggers()[0].repairs.len(), 1);

    c.ben
        .appreciate("Thank you for staying to talk", T0)
        .unwrap();
    assert_eq!(c.ben.appreciations()[0].to, c.ana.me());

    let date = c
        .ben
        .plan_together(
            TogetherKind::RecreateMemory,
            "Dinner where we met",
            "2026-01-17",
            T0,
        )
        .unwrap();
    c.sync();
    c.ana
        .record_together_outcome(&date, true, Some(7), Some("it felt new"), T0 + 12 * DAY)
        .unwrap();
    c.ben
        .record_together_outcome(&date, true, Some(9), None, T0 + 12 * DAY)
        .unwrap();
    c.sync();
    let together = &c.ana.together()[0];
    assert!(together.happened());
    assert_eq!(together.outcomes.len(), 2);

    let k = c
        .ben
        .make_commitment(CommitmentKind::NoContact, "No contact with her", T0)
        .unwrap();
    c.sync();
    assert!(
        c.ana
            .log_commitment(&k, Some("2026-01-06"), true, None, T0)
            .is_err()
    );
    c.ben
        .log_commitment(&k, Some("2026-01-06"), true, None, T0 + DAY)
        .unwrap();
    assert_eq!(c.ben.commitments()[0].log.len(), 1);
}

#[test]
fn only_the_hurt_partner_moves_the_phase_forward_and_either_moves_it_back() {
    let mut c = Couple::new();
    assert_eq!(c.ben.current_phase(), Phase::Atone);
    assert!(matches!(
        c.ben.set_phase(Phase::Attune, None, T0),
        Err(CoreError::NotPermitted(_))
    ));
    c.ana
        .set_phase(Phase::Attune, Some("I feel ready"), T0 + DAY)
        .unwrap();
    c.sync();
    assert_eq!(c.ben.current_phase(), Phase::Attune);
    c.ben
        .set_phase(Phase::Atone, Some("I need to do more"), T0 + 2 * DAY)
        .unwrap();
    assert_eq!(c.ben.current_phase(), Phase::Atone);
}

#[test]
fn one_trust_survey_per_partner_per_month_with_documented_scoring() {
    let mut c = Couple::new();
    let first = c
        .ana
        .answer_survey(Some("2026-01-10"), &[1, 1, 1, 1, 1, 1], T0)
        .unwrap();
    let again = c
        .ana
        .answer_survey(Some("2026-01-25"), &[4, 4, 4, 4, 4, 4], T0 + DAY)
        .unwrap();
    assert_eq!(first, again);
    let s = &c.ana.surveys()[0];
    assert_eq!((s.month.as_str(), s.score), ("2026-01", 100));
    assert_eq!(s.revisions[0].before, "[1,1,1,1,1,1]");
    c.ana
        .answer_survey(Some("2026-02-01"), &[2; 6], T0 + 30 * DAY)
        .unwrap();
    assert_eq!(c.ana.surveys()[1].score, 50);
    assert!(matches!(
        c.ana.answer_survey(None, &[5, 0, 0, 0, 0, 0], T0),
        Err(CoreError::InvalidValue {
            field: "answers",
            ..
        })
    ));
}

#[test]
fn notifications_carry_no_content() {
    let mut c = Couple::new();
    let before = c.ana.snapshot();
    let marker = "Zanzibar";
    c.ben
        .record_checkin(
            &CheckInInput {
                note: Some(format!("{marker} 7")),
                ..checkin("2026-01-06", 2)
            },
            T0,
        )
        .unwrap();
    c.ben
        .disclose(&format!("{marker} called"), None, T0)
        .unwrap();
    c.ben.appreciate(&format!("{marker} thanks"), T0).unwrap();
    c.ben.make_request(&format!("{marker} please"), T0).unwrap();
    c.sync();
    let found = notices(&before, &c.ana.snapshot(), c.ana.me());
    assert_eq!(found.len(), 4, "{found:?}");
    let text = serde_json::to_string(&found).unwrap();
    assert!(!text.contains(marker) && !text.contains("Ben"), "{text}");
    // Nothing of one's own is announced back to oneself.
    assert!(notices(&before, &c.ben.snapshot(), c.ben.me()).is_empty());
}

#[test]
fn no_record_tracks_location_contacts_or_device_activity() {
    let mut c = Couple::new();
    populate(&mut c);
    let json = serde_json::to_value(c.ana.snapshot()).unwrap();
    let mut keys = Vec::new();
    collect_keys(&json, &mut keys);
    for forbidden in [
        "location",
        "latitude",
        "longitude",
        "gps",
        "contacts",
        "phone_number",
        "call_log",
        "sms",
        "screen",
        "app_usage",
        "browser",
    ] {
        assert!(
            !keys.iter().any(|k| k.contains(forbidden)),
            "a record has a {forbidden} field"
        );
    }
    assert!(keys.len() > 40, "the walk saw the records: {}", keys.len());
}

fn collect_keys(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                collect_keys(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_keys(v, out)),
        _ => {}
    }
}

/// One of every record.
pub fn populate(c: &mut Couple) {
    let a = c
        .ben
        .propose_agreement(&AgreementDraft::new("Phone open"), T0)
        .unwrap();
    c.ben
        .offer_transparency("Phone open", T0 + DAY, T0)
        .unwrap();
    c.ben.record_checkin(&checkin("2026-01-05", 5), T0).unwrap();
    let r = c.ana.make_request("Call at lunch", T0).unwrap();
    c.ben.disclose("She wrote", None, T0).unwrap();
    let q = c.ana.ask_question("Why?", None, T0).unwrap();
    let t = c.ana.log_trigger("That street", 6, T0).unwrap();
    c.ben.appreciate("Thanks", T0).unwrap();
    c.ana
        .plan_together(TogetherKind::Date, "Walk", "2026-01-10", T0)
        .unwrap();
    c.ana.set_phase(Phase::Attune, None, T0).unwrap();
    c.ana
        .answer_survey(Some("2026-01-05"), &[2; 6], T0)
        .unwrap();
    c.ben
        .make_commitment(CommitmentKind::SmallChange, "Home by six", T0)
        .unwrap();
    c.sync();
    c.ana.accept_agreement(&a, T0 + 1).unwrap();
    c.ben.log_request_done(&r, None, T0 + 1).unwrap();
    c.ben
        .respond_to_question(&q, Respond::NotReadyYet, T0 + 1)
        .unwrap();
    c.ben.respond_to_trigger(&t, "I'm here", T0 + 1).unwrap();
    c.sync();
}

#[test]
fn history_is_kept_for_every_change_a_partner_makes() {
    let mut c = Couple::new();
    // Mood words of a revised check-in.
    c.ana.record_checkin(&checkin("2026-01-06", 4), T0).unwrap();
    let mut again = checkin("2026-01-06", 4);
    again.moods = vec!["calm".into()];
    c.ana.record_checkin(&again, T0 + 1).unwrap();
    let rev = c.ana.checkins()[0]
        .revisions
        .iter()
        .find(|r| r.field == "moods")
        .cloned()
        .unwrap();
    assert_eq!(rev.before, r#"["hopeful"]"#);
    // A changed acknowledgement.
    let r = c.ana.make_request("Call at lunch", T0).unwrap();
    c.sync();
    let done = c.ben.log_request_done(&r, None, T0 + 1).unwrap();
    c.sync();
    c.ana
        .acknowledge_done(&r, &done, false, None, T0 + 2)
        .unwrap();
    c.ana
        .acknowledge_done(&r, &done, true, Some("on reflection, it did"), T0 + 3)
        .unwrap();
    let ack = c.ana.requests()[0].done[0].acknowledgement.clone().unwrap();
    assert!(ack.landed);
    assert_eq!(
        ack.revisions
            .iter()
            .find(|r| r.field == "landed")
            .unwrap()
            .before,
        "false"
    );
    // A changed word on time together.
    let t = c
        .ana
        .plan_together(TogetherKind::Date, "Walk", "2026-01-10", T0)
        .unwrap();
    c.ana
        .record_together_outcome(&t, false, None, None, T0 + 5)
        .unwrap();
    c.ana
        .record_together_outcome(&t, true, Some(8), None, T0 + 6)
        .unwrap();
    let outcome = c.ana.together()[0].outcomes[0].clone();
    assert!(outcome.happened);
    assert_eq!(
        outcome
            .revisions
            .iter()
            .find(|r| r.field == "happened")
            .unwrap()
            .before,
        "false"
    );
    // A new name.
    c.ben.set_my_name("Benjamin", T0 + 7).unwrap();
    let change = c.ben.automerge_mut().get_last_local_change().unwrap();
    assert_eq!(
        (change.message(), change.timestamp()),
        (Some("set my name"), (T0 + 7) / 1000)
    );
    c.sync();
    let ben = c
        .ana
        .members()
        .into_iter()
        .find(|m| m.name == "Benjamin")
        .unwrap();
    assert_eq!(
        ben.revisions
            .iter()
            .find(|r| r.field == "name")
            .unwrap()
            .before,
        "Ben"
    );
}

#[test]
fn either_partner_may_step_out_of_an_agreement_in_force_visibly() {
    let mut c = Couple::new();
    let id = c
        .ana
        .propose_agreement(
            &AgreementDraft::new("Phone stays in the kitchen at night"),
            T0,
        )
        .unwrap();
    c.sync();
    c.ben.accept_agreement(&id, T0 + 1).unwrap();
    c.sync();
    // Ben did not propose it, yet no one is held to an agreement by the app.
    let a = c.ben.withdraw_agreement(&id, T0 + DAY).unwrap();
    assert_eq!(a.status(), AgreementStatus::Withdrawn);
    c.sync();
    let seen = c.ana.agreement(&id).unwrap();
    assert_eq!(
        (seen.withdrawn_by.as_deref(), seen.withdrawn_at),
        (Some(c.ben.me()), Some(T0 + DAY))
    );
}
