//! A deterministic couple over N years, written through the real operations
//! on two replicas that sync weekly, at rates drawn from the guidance:
//!
//! - both partners check in every day (a note on 60% of them);
//! - appreciations on 40% of days, from each;
//! - agreements proposed, accepted and, a third of them, revised and
//!   accepted again (about 300 over ten years), each partner noting monthly
//!   whether they kept one;
//! - requests: a new one every nine weeks for the first two years, then
//!   twice a year, the oldest retired once more than three are active; the
//!   partner logs one as done twice a week and the asker acknowledges it;
//! - a date, ritual or recreated memory most weeks, with how it felt;
//! - questions and triggers (with the repair), frequent early and rarer as
//!   the pain eases; a disclosure now and then;
//! - a transparency offer each quarter, for a month;
//! - the monthly trust survey from both, a weekly commitment log, and the
//!   recovery phase moved on by the hurt partner.
//!
//! The same seed and the same days give the same records, so the figures of
//! two runs are comparable (the record ids and change hashes differ: ids are
//! random and actors belong to the devices).

use kintsugi_core::{
    AgreementDraft, AgreementStatus, CheckInInput, CommitmentKind, CoupleDoc, Millis, Phase,
    Respond, Role, TogetherKind,
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

const THANKS: &[&str] = &[
    "Thank you for the way you listened tonight.",
    "Thanks for making coffee before I was up.",
    "I noticed you put your phone away at dinner. Thank you.",
    "Thank you for telling me straight away.",
    "Thanks for the walk; I needed it.",
];

const REQUESTS: &[&str] = &[
    "Send me a message when you leave work",
    "Call me at lunch",
    "Tell me when plans change, before they do",
    "Sit with me for ten minutes after dinner, phones away",
    "Ask me how I am, and wait for the answer",
    "Hold my hand when we walk into a party",
];

/// What the generator wrote, for reports.
#[derive(Debug, Default, Clone, Copy)]
pub struct FixtureCounts {
    pub checkins: u32,
    pub checkin_notes: u32,
    pub agreements: u32,
    pub agreement_revisions: u32,
    pub agreement_checks: u32,
    pub requests: u32,
    pub requests_done: u32,
    pub appreciations: u32,
    pub dates: u32,
    pub questions: u32,
    pub triggers: u32,
    pub disclosures: u32,
    pub offers: u32,
    pub surveys: u32,
    pub commitment_logs: u32,
}

/// Two replicas of one couple's space. `ana` invited and is the hurt
/// partner; `ben` joined.
pub struct CoupleFixture<'a> {
    pub ana: &'a mut CoupleDoc,
    pub ben: &'a mut CoupleDoc,
    rng: StdRng,
    /// Days lived so far: the rates and the easing of pain follow it.
    day: u32,
    pub counts: FixtureCounts,
}

impl<'a> CoupleFixture<'a> {
    pub fn new(ana: &'a mut CoupleDoc, ben: &'a mut CoupleDoc, seed: u64) -> Self {
        CoupleFixture {
            ana,
            ben,
            rng: StdRng::seed_from_u64(seed),
            day: 0,
            counts: FixtureCounts::default(),
        }
    }

    /// Goes on from a history `days` long (written by an earlier fixture),
    /// at the rates of that point in the couple's life.
    pub fn after_days(mut self, days: u32) -> Self {
        self.day = days;
        self
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

    /// Lives `days` days starting at `start` (ms), syncing every
    /// `sync_every` days. With `sync_every == 0` the two live apart: each
    /// writes only what needs nothing from the other (check-ins, thanks,
    /// surveys, a new request, logs of what was asked before).
    pub fn live(&mut self, start: Millis, days: u32, sync_every: u32) {
        if self.ana.current_phase() == Phase::Atone && days > 0 {
            let _ = self.ana.set_my_role(Role::Hurt, start);
            let _ = self.ben.set_my_role(Role::BrokeTrust, start);
        }
        for d in 0..days {
            let day_start = start + i64::from(d) * DAY_MS;
            self.one_day(day_start, sync_every > 0);
            self.day += 1;
            if sync_every > 0 && (d + 1).is_multiple_of(sync_every) {
                self.sync();
            }
        }
    }

    fn one_day(&mut self, t: Millis, together: bool) {
        let d = self.day;
        let day = jiff::Timestamp::from_millisecond(t)
            .expect("valid time")
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_string();
        // Early on pain is high and slowly eases, with ups and downs.
        let ease = (f64::from(d) / 900.0).min(1.0);
        let noon = t + 12 * 3_600_000;
        self.requests(d, &day, noon, together);
        if together {
            self.shared_life(d, &day, noon, ease);
        } else if self.rng.random_bool(0.05) {
            self.ana
                .log_trigger("A song on the radio", self.rng.random_range(3..10), noon)
                .expect("trigger");
            self.counts.triggers += 1;
        }
        self.monthly(&day, noon, ease);
        // Check-ins come last: `record_checkin` finds the writer's earlier
        // days through an index valid only at the heads it last saw, so a
        // later write the same day would make every next check-in rescan
        // all check-ins (the generator would take minutes more).
        self.thanks_and_checkins(t, &day, ease);
    }

    /// Each partner's day: thanks now and then, and a check-in.
    fn thanks_and_checkins(&mut self, t: Millis, day: &str, ease: f64) {
        let r = &mut self.rng;
        let counts = &mut self.counts;
        for (who, doc) in [(0u8, &mut *self.ana), (1u8, &mut *self.ben)] {
            if r.random_bool(0.4) {
                doc.appreciate(THANKS[r.random_range(0..THANKS.len())], t + 19 * 3_600_000)
                    .expect("appreciate");
                counts.appreciations += 1;
            }
            let base = 3.0 + 4.0 * ease + if who == 1 { 1.0 } else { 0.0 };
            let score =
                |r: &mut StdRng| (base + r.random_range(-2.0..2.0)).round().clamp(0.0, 10.0) as i64;
            let note = r
                .random_bool(0.6)
                .then(|| NOTES[r.random_range(0..NOTES.len())].to_owned());
            counts.checkin_notes += u32::from(note.is_some());
            let input = CheckInInput {
                day: Some(day.to_owned()),
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
        }
    }

    /// Ana's requests and Ben's logs of them, weekly; acknowledged when the
    /// two are in touch.
    fn requests(&mut self, d: u32, day: &str, noon: Millis, together: bool) {
        if !d.is_multiple_of(7) {
            return;
        }
        let (ana, ben, r) = (&mut *self.ana, &mut *self.ben, &mut self.rng);
        let every = if d < 730 { 63 } else { 182 };
        if d.is_multiple_of(every) {
            ana.make_request(REQUESTS[r.random_range(0..REQUESTS.len())], noon)
                .expect("request");
            self.counts.requests += 1;
            let mut active: Vec<_> = ana
                .requests()
                .into_iter()
                .filter(|q| q.retired_at.is_none())
                .collect();
            active.sort_by_key(|q| q.created_at);
            if active.len() > 3 {
                ana.retire_request(&active[0].id, noon).expect("retire");
            }
        }
        if together {
            ben.automerge_mut()
                .merge(ana.automerge_mut())
                .expect("merge");
        }
        let active: Vec<String> = ben
            .requests()
            .into_iter()
            .filter(|q| q.retired_at.is_none())
            .map(|q| q.id)
            .collect();
        if !active.is_empty() {
            for k in 0..2 {
                let req = &active[r.random_range(0..active.len())];
                let done = ben
                    .log_request_done(req, None, noon + k * DAY_MS)
                    .expect("done");
                self.counts.requests_done += 1;
                if together {
                    ana.automerge_mut()
                        .merge(ben.automerge_mut())
                        .expect("merge");
                    ana.acknowledge_done(
                        req,
                        &done,
                        r.random_bool(0.85),
                        None,
                        noon + k * DAY_MS + 3_600_000,
                    )
                    .expect("ack");
                }
            }
        }
        // Ben's commitment, logged weekly.
        if ben.commitments().is_empty() {
            ben.make_commitment(
                CommitmentKind::NoContact,
                "No contact with the affair partner",
                noon,
            )
            .expect("commit");
        }
        let c = ben.commitments()[0].id.clone();
        ben.log_commitment(&c, Some(day), true, None, noon)
            .expect("log");
        self.counts.commitment_logs += 1;
    }

    /// What the two do together: agreements, dates, questions, triggers and
    /// their repair, disclosures, offers, the recovery phase.
    fn shared_life(&mut self, d: u32, day: &str, noon: Millis, ease: f64) {
        let (ana, ben, r) = (&mut *self.ana, &mut *self.ben, &mut self.rng);
        let counts = &mut self.counts;
        // Agreements: ~300 over ten years, about a third revised later.
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
                counts.agreement_revisions += 1;
            }
        }
        // A date or ritual most weeks, with how it felt.
        if d.is_multiple_of(7) && r.random_bool(0.8) {
            let kind = [
                TogetherKind::Date,
                TogetherKind::Ritual,
                TogetherKind::RecreateMemory,
            ][r.random_range(0..3)];
            let id = ben
                .plan_together(kind, "Walk by the river", day, noon)
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
        // Questions and triggers, rarer as time passes.
        if r.random_bool(0.08 * (1.0 - ease) + 0.01) {
            let id = ana
                .ask_question("Why did you not tell me then?", Some("why"), noon)
                .expect("ask");
            ben.automerge_mut()
                .merge(ana.automerge_mut())
                .expect("merge");
            let response = if r.random_bool(0.5) {
                Respond::Schedule(day.to_owned())
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
            counts.disclosures += 1;
        }
        // A transparency offer each quarter, for a month.
        if d % 91 == 45 {
            ben.offer_transparency(
                "My calendar is open to you this month",
                noon + 30 * DAY_MS,
                noon,
            )
            .expect("offer");
            counts.offers += 1;
        }
        if d == 400 {
            let _ = ana.set_phase(Phase::Attune, Some("I feel ready for the next part"), noon);
        }
        if d == 1200 {
            let _ = ana.set_phase(Phase::Attach, None, noon);
        }
    }

    /// The monthly trust survey on the 1st, and on the 15th each partner
    /// notes whether they kept an agreement in force.
    fn monthly(&mut self, day: &str, noon: Millis, ease: f64) {
        let (r, counts) = (&mut self.rng, &mut self.counts);
        for doc in [&mut *self.ana, &mut *self.ben] {
            if day.ends_with("-01") {
                let a = (2.0 + 2.0 * ease).round() as i64;
                doc.answer_survey(Some(day), &[a, a, a.min(3), a, a, a], noon)
                    .expect("survey");
                counts.surveys += 1;
            }
            if day.ends_with("-15") {
                let in_force: Vec<String> = doc
                    .agreements()
                    .into_iter()
                    .filter(|a| a.status() == AgreementStatus::InForce)
                    .map(|a| a.id)
                    .collect();
                if !in_force.is_empty() {
                    let id = &in_force[r.random_range(0..in_force.len())];
                    doc.check_agreement(id, r.random_bool(0.9), None, noon)
                        .expect("check");
                    counts.agreement_checks += 1;
                }
            }
        }
    }
}
