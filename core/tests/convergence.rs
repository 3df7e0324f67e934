//! Property: any sequence of operations on two phones, synced at random
//! moments through each other's door, ends in identical documents and
//! identical views, and the door never refuses an honest change.

mod common;

use common::{Couple, DAY, T0};
use kintsugi_core::views;
use kintsugi_core::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    CheckIn { day: u8, score: u8 },
    Propose(u8),
    AcceptLatest,
    ReviseLatest(u8),
    Request(u8),
    DoneLatest,
    AnswerLatest(u8),
    AckLatest(bool),
    Disclose(u8),
    Ask { topic: u8 },
    RespondLatest(u8),
    Trigger(u8),
    RepairLatest,
    Appreciate,
    Plan(u8),
    OutcomeLatest(bool),
    Phase(u8),
    Survey { month: u8, score: u8 },
    Commit,
    LogLatest(bool),
    Offer,
    WithdrawLatestOffer,
    Role(u8),
    WordsInSummaries(bool),
    Summary,
    Sync,
    Merge,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..20, 0u8..=10).prop_map(|(day, score)| Op::CheckIn { day, score }),
        any::<u8>().prop_map(Op::Propose),
        Just(Op::AcceptLatest),
        any::<u8>().prop_map(Op::ReviseLatest),
        any::<u8>().prop_map(Op::Request),
        Just(Op::DoneLatest),
        (0u8..4).prop_map(Op::AnswerLatest),
        any::<bool>().prop_map(Op::AckLatest),
        (0u8..4).prop_map(Op::Role),
        any::<bool>().prop_map(Op::WordsInSummaries),
        Just(Op::Summary),
        any::<u8>().prop_map(Op::Disclose),
        (0u8..3).prop_map(|topic| Op::Ask { topic }),
        (0u8..6).prop_map(Op::RespondLatest),
        (0u8..=10).prop_map(Op::Trigger),
        Just(Op::RepairLatest),
        Just(Op::Appreciate),
        (0u8..20).prop_map(Op::Plan),
        any::<bool>().prop_map(Op::OutcomeLatest),
        (0u8..3).prop_map(Op::Phase),
        (0u8..3, 0u8..=4).prop_map(|(month, score)| Op::Survey { month, score }),
        Just(Op::Commit),
        any::<bool>().prop_map(Op::LogLatest),
        Just(Op::Offer),
        Just(Op::WithdrawLatestOffer),
        Just(Op::Sync),
        Just(Op::Merge),
    ]
}

/// Applies one operation; refusals (not allowed, not found) are part of the game.
fn apply(doc: &mut CoupleDoc, op: &Op, now: i64) {
    let day = |d: u8| format!("2026-01-{:02}", 5 + d);
    let _ = match op {
        Op::CheckIn { day: d, score } => doc
            .record_checkin(
                &CheckInInput {
                    day: Some(day(*d)),
                    safety: i64::from(*score),
                    trust: i64::from(*score),
                    connection: 5,
                    heard: Some(i64::from(*score)),
                    ..Default::default()
                },
                now,
            )
            .map(drop),
        Op::Propose(n) => doc
            .propose_agreement(&AgreementDraft::new(format!("agreement {n}")), now)
            .map(drop),
        Op::AcceptLatest => latest(doc.agreements().iter().map(|a| a.id.clone()))
            .map_or(Ok(()), |id| doc.accept_agreement(&id, now).map(drop)),
        Op::ReviseLatest(n) => {
            latest(doc.agreements().iter().map(|a| a.id.clone())).map_or(Ok(()), |id| {
                doc.revise_agreement(&id, &AgreementDraft::new(format!("revised {n}")), now)
                    .map(drop)
            })
        }
        Op::Request(n) => doc.make_request(&format!("request {n}"), now).map(drop),
        Op::DoneLatest => latest(doc.requests().iter().map(|r| r.id.clone()))
            .map_or(Ok(()), |id| doc.log_request_done(&id, None, now).map(drop)),
        Op::AnswerLatest(k) => {
            latest(doc.requests().iter().map(|r| r.id.clone())).map_or(Ok(()), |id| {
                let kind = [
                    RequestAnswerKind::Yes,
                    RequestAnswerKind::TalkFirst,
                    RequestAnswerKind::NotNow,
                    RequestAnswerKind::YesRetired,
                ][*k as usize];
                doc.answer_request(&id, kind, Some("a note"), now).map(drop)
            })
        }
        Op::Role(r) => doc.set_my_role(
            [Role::Hurt, Role::BrokeTrust, Role::Both, Role::Unsaid][*r as usize],
            now,
        ),
        Op::WordsInSummaries(on) => doc.set_words_in_summaries(*on, now),
        Op::Summary => {
            let me = doc.me().to_owned();
            let choice = views::SummaryChoice::everything(&me, "2026-01-01", "2026-02-28", now);
            views::therapist_summary(&doc.snapshot(), None, &choice)
                .and_then(|s| doc.record_summary_made(&s.trace(), now).map(drop))
        }
        Op::AckLatest(landed) => {
            let target = doc
                .requests()
                .into_iter()
                .rev()
                .find_map(|r| r.done.last().map(|d| (r.id.clone(), d.id.clone())));
            target.map_or(Ok(()), |(r, d)| {
                doc.acknowledge_done(&r, &d, *landed, None, now)
            })
        }
        Op::Disclose(n) => doc
            .disclose(&format!("disclosure {n}"), None, now)
            .map(drop),
        Op::Ask { topic } => doc
            .ask_question(
                "a question",
                Some(["why", "when", "who"][*topic as usize]),
                now,
            )
            .map(drop),
        Op::RespondLatest(k) => {
            let response = match k {
                0 => Respond::NotReadyYet,
                1 => Respond::Schedule("2026-02-01".into()),
                2 => Respond::ForTherapist,
                3 => Respond::Answer("an answer".into()),
                4 => Respond::Park,
                _ => Respond::Reopen,
            };
            latest(doc.questions().iter().map(|q| q.id.clone())).map_or(Ok(()), |id| {
                doc.respond_to_question(&id, response, now).map(drop)
            })
        }
        Op::Trigger(i) => doc.log_trigger("a moment", i64::from(*i), now).map(drop),
        Op::RepairLatest => latest(doc.triggers().iter().map(|t| t.id.clone()))
            .map_or(Ok(()), |id| {
                doc.respond_to_trigger(&id, "here", now).map(drop)
            }),
        Op::Appreciate => doc.appreciate("thank you", now).map(drop),
        Op::Plan(d) => doc
            .plan_together(TogetherKind::Ritual, "tea", &day(*d), now)
            .map(drop),
        Op::OutcomeLatest(h) => latest(doc.together().iter().map(|t| t.id.clone()))
            .map_or(Ok(()), |id| {
                doc.record_together_outcome(&id, *h, Some(7), None, now)
            }),
        Op::Phase(p) => doc
            .set_phase(
                [Phase::Atone, Phase::Attune, Phase::Attach][*p as usize],
                None,
                now,
            )
            .map(drop),
        Op::Survey { month, score } => doc
            .answer_survey(
                Some(&format!("2026-{:02}-03", month + 1)),
                &[i64::from(*score); 6],
                now,
            )
            .map(drop),
        Op::Commit => doc
            .make_commitment(CommitmentKind::SmallChange, "home by six", now)
            .map(drop),
        Op::LogLatest(kept) => latest(doc.commitments().iter().map(|c| c.id.clone()))
            .map_or(Ok(()), |id| {
                doc.log_commitment(&id, None, *kept, None, now).map(drop)
            }),
        Op::Offer => doc
            .offer_transparency("phone open", now + 10 * DAY, now)
            .map(drop),
        Op::WithdrawLatestOffer => latest(doc.offers().iter().map(|o| o.id.clone()))
            .map_or(Ok(()), |id| doc.withdraw_offer(&id, now)),
        Op::Sync | Op::Merge => Ok(()),
    };
}

fn latest(ids: impl Iterator<Item = String>) -> Option<String> {
    ids.last()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn two_phones_converge_to_identical_documents_and_views(
        ops in proptest::collection::vec((any::<bool>(), op()), 1..40)
    ) {
        let mut c = Couple::new();
        for (i, (on_ana, op)) in ops.iter().enumerate() {
            let now = T0 + (i as i64) * 3_600_000;
            // Every exchange goes through the receiver's door: honest
            // operations in any order are never refused.
            match op {
                Op::Sync => { c.sync(); continue; }
                Op::Merge => { c.merge(); continue; }
                _ => {}
            }
            let doc = if *on_ana { &mut c.ana } else { &mut c.ben };
            apply(doc, op, now);
        }
        c.sync();
        prop_assert_eq!(c.ana.heads(), c.ben.heads());
        let (a, b) = (c.ana.snapshot(), c.ben.snapshot());
        prop_assert_eq!(&a, &b);
        let filter = views::TimelineFilter { now: T0 + 60 * DAY, ..Default::default() };
        prop_assert_eq!(views::timeline(&a, &filter), views::timeline(&b, &filter));
        prop_assert_eq!(views::weekly_bands(&a), views::weekly_bands(&b));
        // The same viewer gets the same prompt on either copy.
        for viewer in [c.ana.me(), c.ben.me()] {
            prop_assert_eq!(
                views::counselling_prompt(&a, "2026-02-01", viewer),
                views::counselling_prompt(&b, "2026-02-01", viewer)
            );
        }
    }
}
