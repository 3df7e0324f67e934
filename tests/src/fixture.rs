//! A deterministic couple over N years, written through the real operations
//! on two replicas that sync weekly, at rates drawn from the guidance:
//! both check in most days (notes on many), appreciations a few times a
//! week, a date most weeks, requests done and acknowledged, triggers that
//! grow rarer, monthly surveys, commitments logged weekly, agreements
//! proposed, revised and accepted (300 over ten years).

use kintsugi_core::{
    AgreementDraft, CheckInInput, CommitmentKind, CoupleDoc, Millis, Phase, Respond, Role,
    TogetherKind,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const DAY_MS: Millis = 86_400_000;

const NOTES: &[&str] = &[
    "We talked after dinner and it went better than I feared.",
    "A hard morning; the song came on in the car.",
    "He told me about the message before I asked.",
    "Quiet day. Tired, but we held hands on the walk.",
    "I felt listened to when we went through the question window.",
    "Old anger came back tonight; we paused and came back to it.",
    "Good day. Laughed together for the first time in a while.",
    "Therapy session today; heavy but useful.",
];

/// What the generator wrote, for reports.
#[derive(Debug, Default, Clone, Copy)]
pub struct FixtureCounts {
    pub checkins: u32,
    pub agreements: u32,
    pub requests_done: u32,
    pub appreciations: u32,
    pub dates: u32,
    pub questions: u32,
    pub triggers: u32,
    pub surveys: u32,
    pub commitment_logs: u32,
}

/// Two replicas of one couple's space. `ana` invited; `ben` joined.
pub struct CoupleFixture<'a> {
    pub ana: &'a mut CoupleDoc,
    pub ben: &'a mut CoupleDoc,
    rng: StdRng,
    pub counts: FixtureCounts,
}

impl<'a> CoupleFixture<'a> {
    pub fn new(ana: &'a mut CoupleDoc, ben: &'a mut CoupleDoc, seed: u64) -> Self {
        CoupleFixture {
            ana,
            ben,
            rng: StdRng::seed_from_u64(seed),
            counts: FixtureCounts::default(),
        }
    }

    /// Lets both replicas exchange everything (a weekly sync).
    pub fn sync(&mut self) {
        self.ana
            .automerge_mut()
            .merge(self.ben.automerge_mut())
            .expect("merge");
        self.ben
            .automerge_mut()
            .merge(self.ana.automerge_mut())
            .expect("merge");
    }

    /// Lives `days` days starting at `start` (ms), syncing every `sync_every` days
    /// (0 = never: the two live apart).
    /// With `sync_every == 0` the two live apart: each writes only what needs
    /// nothing from the other (check-ins, thanks, own requests and logs).
    pub fn live(&mut self, start: Millis, days: u32, sync_every: u32) {
        if self.ana.current_phase() == Phase::Atone && days > 0 {
            let _ = self.ana.set_my_role(Role::Hurt, start);
            let _ = self.ben.set_my_role(Role::BrokeTrust, start);
        }
        for d in 0..days {
            let day_start = start + i64::from(d) * DAY_MS;
            self.one_day(d, day_start, sync_every > 0);
            if sync_every > 0 && (d + 1).is_multiple_of(sync_every) {
                self.sync();
            }
        }
    }

    fn one_day(&mut self, d: u32, t: Millis, together: bool) {
        let day = jiff::Timestamp::from_millisecond(t)
            .expect("valid time")
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_string();
        let r = &mut self.rng;
        // Early on pain is high and slowly eases, with ups and downs.
        let ease = (f64::from(d) / 900.0).min(1.0);
        let counts = &mut self.counts;
        for (who, doc) in [(0u8, &mut *self.ana), (1u8, &mut *self.ben)] {
            let base = 3.0 + 4.0 * ease + if who == 1 { 1.0 } else { 0.0 };
            let score =
                |r: &mut StdRng| (base + r.random_range(-2.0..2.0)).round().clamp(0.0, 10.0) as i64;
            let note = r
                .random_bool(0.6)
                .then(|| NOTES[r.random_range(0..NOTES.len())].to_owned());
            let input = CheckInInput {
                day: Some(day.clone()),
                safety: score(r),
                trust: score(r),
                connection: score(r),
                heard: r.random_bool(0.5).then(|| score(r)),
                moods: vec![
                    ["hopeful", "sad", "tired", "calm", "anxious", "close"][r.random_range(0..6)]
                        .into(),
                ],
                free_words: Vec::new(),
                note,
            };
            doc.record_checkin(&input, t + 20 * 3_600_000 + i64::from(who) * 60_000)
                .expect("check-in");
            counts.checkins += 1;
            if r.random_bool(0.4) {
                doc.appreciate(
                    "Thank you for the way you listened tonight.",
                    t + 21 * 3_600_000,
                )
                .expect("appreciate");
                counts.appreciations += 1;
            }
        }
        let (ana, ben) = (&mut *self.ana, &mut *self.ben);
        let noon = t + 12 * 3_600_000;
        // Agreements: ~300 over ten years, about a third revised later.
        if !together {
            if d.is_multiple_of(7) {
                ana.make_request("Call me at lunch", noon).expect("request");
                if let Some(c) = ben.commitments().first().map(|c| c.id.clone()) {
                    ben.log_commitment(&c, Some(&day), true, None, noon)
                        .expect("log");
                }
            }
            if r.random_bool(0.05) {
                ana.log_trigger("A song on the radio", r.random_range(3..10), noon)
                    .expect("trigger");
            }
            return;
        }
        if r.random_bool(300.0 / 3650.0) {
            let id = ben
                .propose_agreement(
                    &AgreementDraft::new(format!(
                        "Agreement {d}: tell each other when plans change"
                    )),
                    noon,
                )
                .expect("propose");
            ana.automerge_mut()
                .merge(ben.automerge_mut())
                .expect("merge");
            ana.accept_agreement(&id, noon + 3_600_000).expect("accept");
            counts.agreements += 1;
            if r.random_bool(0.3) {
                ana.revise_agreement(
                    &id,
                    &AgreementDraft::new(format!("Agreement {d}, revised after review")),
                    noon + 2 * 3_600_000,
                )
                .expect("revise");
                ben.automerge_mut()
                    .merge(ana.automerge_mut())
                    .expect("merge");
                ben.accept_agreement(&id, noon + 3 * 3_600_000)
                    .expect("accept revision");
            }
        }
        if d.is_multiple_of(7) {
            // A new request now and then, done and acknowledged through the week.
            if d.is_multiple_of(60) {
                ana.make_request("Send me a message when you leave work", noon)
                    .expect("request");
            }
            ben.automerge_mut()
                .merge(ana.automerge_mut())
                .expect("merge");
            if let Some(req) = ben
                .requests()
                .into_iter()
                .rev()
                .find(|q| q.retired_at.is_none())
            {
                for k in 0..2 {
                    let done = ben
                        .log_request_done(&req.id, None, noon + k * DAY_MS)
                        .expect("done");
                    ana.automerge_mut()
                        .merge(ben.automerge_mut())
                        .expect("merge");
                    ana.acknowledge_done(
                        &req.id,
                        &done,
                        r.random_bool(0.85),
                        None,
                        noon + k * DAY_MS + 3_600_000,
                    )
                    .expect("ack");
                    counts.requests_done += 1;
                }
            }
            // A date or ritual most weeks, with how it felt.
            if r.random_bool(0.8) {
                let kind = [
                    TogetherKind::Date,
                    TogetherKind::Ritual,
                    TogetherKind::RecreateMemory,
                ][r.random_range(0..3)];
                let id = ben
                    .plan_together(kind, "Walk by the river", &day, noon)
                    .expect("plan");
                ana.automerge_mut()
                    .merge(ben.automerge_mut())
                    .expect("merge");
                ana.record_together_outcome(
                    &id,
                    true,
                    Some(r.random_range(4..10)),
                    None,
                    noon + DAY_MS,
                )
                .expect("outcome");
                counts.dates += 1;
            }
            // Commitment logs, weekly.
            if ben.commitments().is_empty() {
                ben.make_commitment(
                    CommitmentKind::NoContact,
                    "No contact with the affair partner",
                    noon,
                )
                .expect("commit");
            }
            let c = ben.commitments()[0].id.clone();
            ben.log_commitment(&c, Some(&day), true, None, noon)
                .expect("log");
            counts.commitment_logs += 1;
        }
        // Questions and triggers, rarer as time passes.
        if r.random_bool(0.08 * (1.0 - ease) + 0.01) {
            let id = ana
                .ask_question("Why did you not tell me then?", Some("why"), noon)
                .expect("ask");
            ben.automerge_mut()
                .merge(ana.automerge_mut())
                .expect("merge");
            let response = if r.random_bool(0.5) {
                Respond::Schedule(day.clone())
            } else {
                Respond::NotReadyYet
            };
            ben.respond_to_question(&id, response, noon + 3_600_000)
                .expect("respond");
            counts.questions += 1;
        }
        if r.random_bool(0.1 * (1.0 - ease) + 0.01) {
            let id = ana
                .log_trigger("A song on the radio", r.random_range(3..10), noon)
                .expect("trigger");
            ben.automerge_mut()
                .merge(ana.automerge_mut())
                .expect("merge");
            ben.respond_to_trigger(&id, "I stopped and stayed with you", noon + 3_600_000)
                .expect("repair");
            counts.triggers += 1;
        }
        if r.random_bool(0.01) {
            ben.disclose(
                "She sent a message; I did not answer and told you the same hour.",
                Some("Blocked the number"),
                noon,
            )
            .expect("disclose");
        }
        // Monthly surveys.
        if day.ends_with("-01") {
            for doc in [&mut *ana, &mut *ben] {
                let a = (2.0 + 2.0 * ease).round() as i64;
                doc.answer_survey(Some(&day), &[a, a, a.min(3), a, a, a], noon)
                    .expect("survey");
                counts.surveys += 1;
            }
        }
        if d == 400 {
            let _ = ana.set_phase(Phase::Attune, Some("I feel ready for the next part"), noon);
        }
        if d == 1200 {
            let _ = ana.set_phase(Phase::Attach, None, noon);
        }
    }
}
