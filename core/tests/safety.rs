//! Safety by design: what one partner can do with an unmodified app that
//! the other must see, and what must not work as pressure (a role switched
//! to move the phase, a request that counts without a yes, a summary made
//! behind the other's back).

mod common;

use common::{Couple, DAY, T0};
use kintsugi_core::notify::{NoticeKind, notices};
use kintsugi_core::views::{
    EntryKind, NOTE_NOT_SHARED, RecordKind, SummaryChoice, TimelineFilter, consistency,
    prepare_therapist_summary, timeline,
};
use kintsugi_core::*;

fn all() -> TimelineFilter {
    TimelineFilter::default()
}

#[test]
fn a_role_switched_to_move_the_phase_shows_in_both_timelines() {
    let mut c = Couple::new();
    let before = c.ana.snapshot();
    // Ben, who broke the trust, cannot move the phase forward...
    assert!(c.ben.set_phase(Phase::Attune, None, T0 + DAY).is_err());
    // ...so he switches to "I was hurt", moves it, and switches back.
    c.ben.set_my_role(Role::Hurt, T0 + DAY).unwrap();
    c.ben.set_phase(Phase::Attune, None, T0 + DAY + 1).unwrap();
    c.ben.set_my_role(Role::BrokeTrust, T0 + DAY + 2).unwrap();
    c.sync();

    for doc in [&c.ana, &c.ben] {
        let entries = timeline(&doc.snapshot(), &all());
        let roles: Vec<&str> = entries
            .iter()
            .filter(|e| e.kind == EntryKind::RoleChanged && e.author.as_deref() == Some(&ben_id()))
            .map(|e| e.summary.as_str())
            .collect();
        assert!(
            roles.contains(&"role: “I broke the trust” → “I was hurt”")
                && roles.contains(&"role: “I was hurt” → “I broke the trust”"),
            "{roles:?}"
        );
        let phase = entries
            .iter()
            .find(|e| e.kind == EntryKind::PhaseChange)
            .unwrap();
        assert_eq!(phase.summary, "atone → attune (as “I was hurt”)");
    }
    // Ana is told of each role change, not only of the phase.
    let told = notices(&before, &c.ana.snapshot(), c.ana.me());
    let role_notice = told.iter().find(|n| n.kind == NoticeKind::RoleChanged);
    assert_eq!(role_notice.map(|n| n.count), Some(2), "{told:?}");
    assert!(told.iter().any(|n| n.kind == NoticeKind::PhaseChanged));
    // The phase change keeps the role it was made in.
    assert_eq!(c.ana.phase_changes()[0].role, Some(Role::Hurt));
}

fn ben_id() -> String {
    common::ben_id()
}

#[test]
fn a_request_answered_not_now_never_counts() {
    let mut c = Couple::new();
    let day = |n: i64| T0 + n * DAY + 12 * 3_600_000;
    let hourly = c.ana.make_request("Text me every hour", day(0)).unwrap();
    let lunch = c.ana.make_request("Call me at lunch", day(0)).unwrap();
    c.sync();
    // The asker cannot answer for the asked.
    assert!(matches!(
        c.ana
            .answer_request(&hourly, RequestAnswerKind::Yes, None, day(1)),
        Err(CoreError::NotPermitted(_))
    ));
    c.ben
        .answer_request(
            &hourly,
            RequestAnswerKind::NotNow,
            Some("I need this to be about trust, not tracking"),
            day(1),
        )
        .unwrap();
    c.ben
        .answer_request(&lunch, RequestAnswerKind::Yes, None, day(1))
        .unwrap();
    // After "not now", doing it is not logged as the ledger's; a yes first.
    assert!(matches!(
        c.ben.log_request_done(&hourly, None, day(2)),
        Err(CoreError::NotPermitted(_))
    ));
    c.ben.log_request_done(&lunch, None, day(2)).unwrap();
    c.ben.log_request_done(&lunch, None, day(3)).unwrap();
    // A yes taken back: what was done under it stays, nothing after it counts.
    c.ben
        .answer_request(&lunch, RequestAnswerKind::YesRetired, None, day(4))
        .unwrap();
    assert!(c.ben.log_request_done(&lunch, None, day(5)).is_err());
    assert!(
        c.ben
            .answer_request(&hourly, RequestAnswerKind::YesRetired, None, day(5))
            .is_err(),
        "only a standing yes can be taken back"
    );
    c.sync();

    let today = "2026-01-12";
    for doc in [&c.ana, &c.ben] {
        let snapshot = doc.snapshot();
        let r = &consistency(&snapshot, today, 1)[0].requests;
        assert_eq!(r.done, 2, "only the lunch calls done under a yes");
        let hourly_now = snapshot.requests.iter().find(|r| r.id == hourly).unwrap();
        assert_eq!(hourly_now.answer(), Some(RequestAnswerKind::NotNow));
        // The answer and its note are in both timelines, as what was said.
        assert!(
            timeline(&snapshot, &all())
                .iter()
                .any(|e| e.kind == EntryKind::RequestAnswered
                    && e.summary.starts_with("not now: Text me every hour"))
        );
    }
    // The summary brings only the request Ben said yes to.
    let snapshot = c.ana.snapshot();
    let choice = SummaryChoice::everything(c.ana.me(), "2026-01-01", "2026-01-31", day(6));
    let report = prepare_therapist_summary(&snapshot, None, &choice).unwrap();
    assert!(report.markdown.contains("Call me at lunch"));
    assert!(!report.markdown.contains("Text me every hour"));
    assert!(!report.markdown.to_lowercase().contains("not answered"));
}

#[test]
fn doing_an_unanswered_request_is_the_doers_own_yes() {
    let mut c = Couple::new();
    let r = c.ana.make_request("Walk with me", T0).unwrap();
    c.sync();
    c.ben.log_request_done(&r, None, T0 + DAY).unwrap();
    let req = c.ben.requests().pop().unwrap();
    assert_eq!(req.answer(), Some(RequestAnswerKind::Yes));
    assert_eq!(req.answers[0].by, ben_id());
    assert!(req.counts(&req.done[0]));
}

#[test]
fn a_summary_made_by_one_is_seen_by_the_other_and_withholds_their_words_until_they_allow_it() {
    let mut c = Couple::new();
    let ben_checkin = c
        .ben
        .record_checkin(
            &CheckInInput {
                day: Some("2026-01-06".into()),
                safety: 6,
                trust: 5,
                connection: 4,
                note: Some("I keep thinking about the lies".into()),
                ..Default::default()
            },
            T0 + DAY,
        )
        .unwrap();
    c.sync();
    let before = c.ben.snapshot();
    let ana = c.ana.me().to_owned();
    let mut choice = SummaryChoice::everything(&ana, "2026-01-01", "2026-01-31", T0 + 3 * DAY);
    choice.kinds = vec![RecordKind::CheckIn, RecordKind::Question];
    let report = prepare_therapist_summary(&c.ana.snapshot(), None, &choice).unwrap();
    // Ben has not allowed his words: his scores are there, his note is not.
    assert!(!report.markdown.contains("I keep thinking about the lies"));
    assert!(report.markdown.contains(NOTE_NOT_SHARED));
    assert!(
        report.markdown.contains("| Ben | 6 | 5 | 4 |"),
        "his scores stay"
    );
    assert!(!report.summary.partner_words);
    assert_eq!(report.summary.drew_on, vec![ben_checkin.clone()]);
    c.ana
        .record_summary_made(&report.summary.trace(), T0 + 3 * DAY)
        .unwrap();
    c.sync();

    // Ben sees that it was made, when, for which period and kinds, and
    // exactly which of his records it drew on: never its text.
    let made = c.ben.summaries_made();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].by, ana);
    assert_eq!(
        (made[0].from.as_str(), made[0].to.as_str()),
        ("2026-01-01", "2026-01-31")
    );
    assert_eq!(made[0].kinds, ["check_in", "question"]);
    assert_eq!(made[0].drew_on, vec![ben_checkin.clone()]);
    let entry = timeline(&c.ben.snapshot(), &all())
        .into_iter()
        .find(|e| e.kind == EntryKind::SummaryPrepared)
        .unwrap();
    assert_eq!(
        entry.summary,
        "prepared a summary for a therapist: 2026-01-01 – 2026-01-31; check in, question"
    );
    let told = notices(&before, &c.ben.snapshot(), c.ben.me());
    assert!(told.iter().any(|n| n.kind == NoticeKind::SummaryPrepared));

    // Ben allows his words; Ana sees that too, and the next summary has them.
    c.ben.set_words_in_summaries(true, T0 + 4 * DAY).unwrap();
    c.sync();
    assert!(
        timeline(&c.ana.snapshot(), &all())
            .iter()
            .any(|e| e.kind == EntryKind::WordsInSummariesChanged
                && e.summary == "allowed their words in summaries for a therapist")
    );
    let again = prepare_therapist_summary(&c.ana.snapshot(), None, &choice).unwrap();
    assert!(again.markdown.contains("I keep thinking about the lies"));
    assert!(again.summary.partner_words);
}
