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

/// Every record of a snapshot by family and root-map key (a summary's
/// trace lives in its preparer's member entry), as JSON to compare.
fn records_of(
    s: &Snapshot,
) -> std::collections::BTreeMap<(views::RecordKind, String), Vec<String>> {
    use views::RecordKind as K;
    let mut out: std::collections::BTreeMap<(K, String), Vec<String>> = Default::default();
    let mut put = |kind: K, key: &str, record: String| {
        out.entry((kind, key.to_owned())).or_default().push(record)
    };
    let json = |v: &dyn erased::Json| v.json();
    for r in &s.members {
        put(K::Member, &r.id, json(r));
    }
    for r in &s.summaries {
        put(K::Summary, &r.by, json(r));
    }
    for r in &s.agreements {
        put(K::Agreement, &r.id, json(r));
    }
    for r in &s.offers {
        put(K::Offer, &r.id, json(r));
    }
    for r in &s.checkins {
        put(K::CheckIn, &r.id, json(r));
    }
    for r in &s.requests {
        put(K::Request, &r.id, json(r));
    }
    for r in &s.disclosures {
        put(K::Disclosure, &r.id, json(r));
    }
    for r in &s.questions {
        put(K::Question, &r.id, json(r));
    }
    for r in &s.triggers {
        put(K::Trigger, &r.id, json(r));
    }
    for r in &s.appreciations {
        put(K::Appreciation, &r.id, json(r));
    }
    for r in &s.together {
        put(K::TimeTogether, &r.id, json(r));
    }
    for r in &s.phase_changes {
        put(K::Phase, &r.id, json(r));
    }
    for r in &s.surveys {
        put(K::Survey, &r.id, json(r));
    }
    for r in &s.commitments {
        put(K::Commitment, &r.id, json(r));
    }
    out
}

mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).expect("records serialize")
        }
    }
}

/// The read model of `doc` equals the document read again, and the event
/// it reports since `seen` names exactly the records that differ, with
/// their versions before and after.
fn check_model(
    doc: &mut CoupleDoc,
    seen: &mut std::sync::Arc<Snapshot>,
    local: Option<bool>,
) -> Result<(), TestCaseError> {
    let event = doc.take_change_event();
    let now = doc.snapshot();
    let fresh = doc.read_snapshot();
    prop_assert_eq!(&*now, &fresh);
    // So are the weekly bands kept with it.
    prop_assert_eq!(
        doc.weekly_bands(),
        kintsugi_core::views::weekly_bands(&fresh)
    );
    // The timeline paged through the model's index is the timeline of the
    // document read again, for everyone's entries and for one family.
    for kinds in [vec![], vec![kintsugi_core::views::RecordKind::Request]] {
        let all = kintsugi_core::views::TimelineFilter {
            kinds,
            now: T0 + 20 * 86_400_000,
            ..Default::default()
        };
        let whole = kintsugi_core::views::timeline(&fresh, &all);
        let mut paged = Vec::new();
        let mut filter = kintsugi_core::views::TimelineFilter {
            limit: Some(7),
            ..all.clone()
        };
        loop {
            let page = doc.timeline(&filter).unwrap();
            paged.extend(page.entries);
            match page.next {
                Some(next) => filter.cursor = Some(next),
                None => break,
            }
        }
        prop_assert_eq!(paged, whole);
    }
    // The views that look at spans of days read the model's week index,
    // and see what a look at every record sees.
    let english = kintsugi_core::i18n::Messages::english();
    for today in ["2026-01-12", "2026-01-20", "2026-02-10"] {
        prop_assert_eq!(
            doc.signs_of_progress(today),
            views::signs_of_progress(&fresh, today)
        );
        for viewer in fresh.members.iter().map(|m| m.id.as_str()) {
            prop_assert_eq!(
                doc.counselling_prompt(today, viewer, &english),
                views::counselling_prompt_in(&fresh, today, viewer, &english)
            );
        }
    }
    if let Some(me) = fresh.members.first() {
        // Every kind: each family's part of the period is cut through the
        // model's order, and must be what a look at every record finds.
        let choice = views::SummaryChoice {
            time_zone: Some("Pacific/Auckland".into()),
            ..views::SummaryChoice::everything(&me.id, "2026-01-08", "2026-01-15", T0)
        };
        prop_assert_eq!(
            doc.therapist_summary(&choice).ok(),
            views::therapist_summary(&fresh, None, &choice).ok()
        );
    }
    let (before, after) = (records_of(seen), records_of(&now));
    let mut keys: Vec<_> = before.keys().chain(after.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    let changed: Vec<_> = keys
        .into_iter()
        .filter(|k| before.get(k) != after.get(k))
        .collect();
    let event = event.unwrap_or_default();
    let named: Vec<_> = event
        .records
        .iter()
        .map(|r| (r.kind, r.id.clone()))
        .collect();
    prop_assert_eq!(&named, &changed);
    let only = |all: &std::collections::BTreeMap<_, Vec<String>>| -> std::collections::BTreeMap<_, Vec<String>> {
        all.iter().filter(|(k, _)| changed.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    prop_assert_eq!(records_of(&event.delta.before), only(&before));
    prop_assert_eq!(records_of(&event.delta.after), only(&after));
    if let (Some(local), false) = (local, changed.is_empty()) {
        prop_assert_eq!(event.local, local);
        prop_assert_eq!(event.from_partner, !local);
    }
    *seen = now;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The read model kept from patches on two phones and a third replica
    /// (which only receives, from either, whole documents at random
    /// moments) always equals the model read again from the document, and
    /// each change event is exactly the record-level difference.
    #[test]
    fn the_read_model_kept_from_patches_equals_a_fresh_read(
        ops in proptest::collection::vec((0u8..3, op()), 1..40)
    ) {
        let mut c = Couple::new();
        let mut third = CoupleDoc::load(&c.ana.save(), &kintsugi_core::automerge::ActorId::from(vec![0xc; 16])).unwrap();
        for doc in [&mut c.ana, &mut c.ben, &mut third] {
            doc.build_read_model();
        }
        let mut seen = [c.ana.snapshot(), c.ben.snapshot(), third.snapshot()];
        for (i, (who, op)) in ops.iter().enumerate() {
            let now = T0 + (i as i64) * 3_600_000;
            match (who, op) {
                (_, Op::Sync) => c.sync(),
                (_, Op::Merge) => c.merge(),
                (2, _) => {
                    // The third replica takes in one phone's whole document.
                    let from = if i % 2 == 0 { c.ana.save() } else { c.ben.save() };
                    third.merge_bytes(&from).unwrap();
                    check_model(&mut third, &mut seen[2], Some(false))?;
                    continue;
                }
                (0, op) => apply(&mut c.ana, op, now),
                (_, op) => apply(&mut c.ben, op, now),
            }
            let local = match op { Op::Sync | Op::Merge => Some(false), _ => Some(true) };
            let (ana_local, ben_local) = match (who, local) {
                (_, Some(false)) => (Some(false), Some(false)),
                (0, _) => (Some(true), None),
                _ => (None, Some(true)),
            };
            check_model(&mut c.ana, &mut seen[0], ana_local)?;
            check_model(&mut c.ben, &mut seen[1], ben_local)?;
        }
    }
}
