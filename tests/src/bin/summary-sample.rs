//! The demo couple behind the sample therapist summary (docs/sample-summary/):
//! Ana, who was hurt, and Ben, who broke the trust, from mid-May to the end
//! of August 2026, written through the real operations with the times
//! they happened (Europe/Berlin), on two replicas merged into two real data
//! directories. Ana's phone also holds a private journal and a note.
//!
//!   cargo run -p kintsugi-tests --bin summary-sample -- OUT_DIR
//!
//! Writes OUT_DIR/ana and OUT_DIR/ben (each unlocked by the key file beside
//! it, OUT_DIR/ana.key and OUT_DIR/ben.key) and prints the ids of Ana's
//! private entries, one `private <id> <what>` line each. Deterministic
//! apart from the random record ids.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use age::secrecy::ExposeSecret;
use anyhow::{Context, Result, bail};
use kintsugi_core::{
    AgreementDraft, CheckInInput, CommitmentKind, CoupleDoc, Device, Millis, Phase, Respond, Role,
    TogetherKind, Unlock,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ZONE: &str = "Europe/Berlin";
const FIRST_DAY: &str = "2026-05-10";
const LAST_DAY: &str = "2026-08-31";

/// An instant on a local day in the couple's zone.
fn at(day: &str, hour: i8, minute: i8) -> Millis {
    let date: jiff::civil::Date = day.parse().expect("a day");
    date.at(hour, minute, 0, 0)
        .in_tz(ZONE)
        .expect("a zone")
        .timestamp()
        .as_millisecond()
}

fn days() -> Vec<String> {
    let mut d: jiff::civil::Date = FIRST_DAY.parse().unwrap();
    let last: jiff::civil::Date = LAST_DAY.parse().unwrap();
    let mut out = Vec::new();
    while d <= last {
        out.push(d.to_string());
        d = d.tomorrow().unwrap();
    }
    out
}

const ANA_NOTES: &[&str] = &[
    "A hard morning. I kept checking the time he would be home.",
    "We talked after dinner and it went better than I feared.",
    "He told me about the message before I asked. That mattered.",
    "Quiet day. Tired, but we held hands on the walk.",
    "I felt listened to tonight, not managed.",
    "Old anger came back in the evening; we paused and came back to it.",
    "Laughed together for the first time in a while.",
    "Therapy session today. Heavy, but I came out lighter.",
    "I don't know what I feel today. Numb, mostly.",
    "He noticed I was quiet and asked instead of guessing.",
];

const BEN_NOTES: &[&str] = &[
    "Ana was distant today and I tried not to take it personally.",
    "Told Ana about the call from the office before she had to ask.",
    "Good evening. We cooked together.",
    "I got defensive when she asked about the conference. I want to do better.",
    "Therapy today. Hard to hear, but fair.",
    "Felt like we were a team today.",
    "Tired and ashamed after the talk. Still glad we had it.",
];

const ANA_THANKS: &[&str] = &[
    "Thank you for texting when you left the office.",
    "Thank you for staying with me when the song came on.",
    "I noticed you put your phone away at dinner. Thank you.",
    "Thank you for listening without explaining.",
    "You made the morning easy. Thank you.",
];

const BEN_THANKS: &[&str] = &[
    "Thank you for giving us another chance, every day.",
    "Thank you for telling me what you needed instead of going quiet.",
    "I loved our walk by the river. Thank you for coming.",
    "Thank you for laughing at my terrible joke.",
    "You were brave at the session today.",
    "Thank you for asking how my day was.",
];

const MOODS_HARD: &[&str] = &[
    "sad", "angry", "doubtful", "anxious", "numb", "jealous", "hurt",
];
const MOODS_SOFT: &[&str] = &[
    "hopeful", "calm", "close", "grateful", "tired", "safe", "relieved",
];
const BEN_MOODS: &[&str] = &[
    "ashamed", "hopeful", "tired", "sad", "close", "anxious", "grateful",
];

fn main() -> Result<()> {
    let out = std::env::args()
        .nth(1)
        .context("usage: summary-sample OUT_DIR")?;
    let out = Path::new(&out);
    if out.join("ana").exists() || out.join("ben").exists() {
        bail!("{} already holds a sample couple", out.display());
    }
    std::fs::create_dir_all(out)?;
    let (ana_unlock, ben_unlock) = (key_file(out, "ana")?, key_file(out, "ben")?);
    let mut ana_dev = Device::init(out.join("ana"), "Ana", &ana_unlock)?;
    ana_dev.start_couple()?;
    let mut ben_dev = Device::init(out.join("ben"), "Ben", &ben_unlock)?;
    let roster = kintsugi_core::Roster::new(kintsugi_core::RosterMember::new(ben_dev.member_id()))
        .with_partner(kintsugi_core::RosterMember::new(ana_dev.member_id()));
    ben_dev.join_couple(&ana_dev.export_automerge()?, &roster)?;
    let mut ana = CoupleDoc::load(&ben_dev.export_automerge()?, &ana_dev.profile().actor()?)?;
    let mut ben = CoupleDoc::load(&ben_dev.export_automerge()?, &ben_dev.profile().actor()?)?;

    live(&mut ana, &mut ben)?;

    for (device, doc) in [(&mut ana_dev, &mut ana), (&mut ben_dev, &mut ben)] {
        let bytes = doc.save();
        device.update(|d, _| d.merge_bytes(&bytes))?;
    }
    let mut private = Vec::new();
    for (day, hour, text) in [
        (
            "2026-05-21",
            23,
            "I can't sleep. Every time his phone lights up my stomach drops.",
        ),
        (
            "2026-06-13",
            22,
            "I tagged the conference question for the therapist. I need to know, and I'm \
             afraid of knowing. I want someone else in the room when he answers.",
        ),
        (
            "2026-07-18",
            21,
            "Something shifted this week. He told me about his day without me asking, and I \
             didn't check his story in my head. First time.",
        ),
        (
            "2026-08-14",
            22,
            "I'm scared that feeling better means I'm letting it go too easily.",
        ),
    ] {
        let id = ana_dev.update_private(|p, _| p.write_journal(text, at(day, hour, 10)))?;
        private.push((id, format!("journal {day}")));
    }
    let id = ana_dev.update_private(|p, _| {
        p.add_note(
            "For the next session",
            "Ask how to talk about the spring without it turning into a trial.",
            at("2026-08-25", 20, 0),
        )
    })?;
    private.push((id, "note 2026-08-25".into()));
    for (id, what) in private {
        println!("private {id} {what}");
    }
    Ok(())
}

/// A key file beside the data directory, readable by its owner only.
fn key_file(out: &Path, name: &str) -> Result<Unlock> {
    let key = Unlock::generate_host_key();
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(out.join(format!("{name}.key")))?;
    writeln!(file, "# sample key for {name}\n{}", key.expose_secret())?;
    Ok(Unlock::host_key(key.expose_secret())?)
}

fn sync(a: &mut CoupleDoc, b: &mut CoupleDoc) -> Result<()> {
    a.automerge_mut().merge(b.automerge_mut())?;
    b.automerge_mut().merge(a.automerge_mut())?;
    Ok(())
}

fn live(ana: &mut CoupleDoc, ben: &mut CoupleDoc) -> Result<()> {
    let mut r = StdRng::seed_from_u64(2026);
    let t0 = at(FIRST_DAY, 9, 0);
    ana.set_my_role(Role::Hurt, t0)?;
    ben.set_my_role(Role::BrokeTrust, t0 + 60_000)?;
    // Ben agrees that his own words may go into Ana's summaries (without it
    // his notes would read "(note not shared)").
    ben.set_words_in_summaries(true, t0 + 120_000)?;
    sync(ana, ben)?;

    // Before the period: the first agreement, the no-contact commitment and
    // the first request.
    let no_contact = ben.propose_agreement(
        &AgreementDraft::new(
            "No contact with J. in any form; if she reaches out, I tell Ana the same day.",
        ),
        at("2026-05-12", 19, 30),
    )?;
    sync(ana, ben)?;
    ana.accept_agreement(&no_contact, at("2026-05-12", 21, 0))?;
    let commitment = ben.make_commitment(
        CommitmentKind::NoContact,
        "No contact with J., in any form, for good",
        at("2026-05-12", 19, 40),
    )?;
    let pickups_day = "2026-06-08";
    let text_me = ana.make_request("Text me when you leave work", at("2026-05-15", 10, 0))?;
    sync(ana, ben)?;

    let mut pickups: Option<String> = None;
    let mut dinner_thing: Option<String> = None;
    let mut space_request: Option<String> = None;
    let mut phones: Option<String> = None;

    for (n, day) in days().iter().enumerate() {
        let progress = n as f64 / 112.0;
        // Check-ins: most days, pain slowly easing, with ups and downs.
        for who in 0..2 {
            if r.random_bool(0.13) {
                continue;
            }
            let base = if who == 0 { 2.6 } else { 4.2 } + 3.4 * progress;
            let bump = if day.as_str() == "2026-06-03" || day.as_str() == "2026-07-15" {
                -2.5
            } else {
                0.0
            };
            let score = |r: &mut StdRng, spread: f64| {
                (base + bump + r.random_range(-spread..spread))
                    .round()
                    .clamp(0.0, 10.0) as i64
            };
            let (safety, trust, connection) = (
                score(&mut r, 1.6),
                score(&mut r, 1.8) - 1,
                score(&mut r, 1.5) + 1,
            );
            let heard = r.random_bool(0.6).then(|| score(&mut r, 1.5));
            let moods: Vec<String> = if who == 0 {
                let hard = r.random_bool((0.75 - 0.5 * progress).clamp(0.1, 0.9));
                let list = if hard { MOODS_HARD } else { MOODS_SOFT };
                let mut m = vec![list[r.random_range(0..list.len())].to_owned()];
                if r.random_bool(0.4) {
                    let other = if hard { MOODS_SOFT } else { MOODS_HARD };
                    m.push(other[r.random_range(0..other.len())].to_owned());
                }
                m
            } else {
                vec![BEN_MOODS[r.random_range(0..BEN_MOODS.len())].to_owned()]
            };
            let notes = if who == 0 { ANA_NOTES } else { BEN_NOTES };
            let note = r
                .random_bool(0.3)
                .then(|| notes[r.random_range(0..notes.len())].to_owned());
            let input = CheckInInput {
                day: Some(day.clone()),
                safety: safety.clamp(0, 10),
                trust: trust.clamp(0, 10),
                connection: connection.clamp(0, 10),
                heard: heard.map(|h| h.clamp(0, 10)),
                moods,
                free_words: Vec::new(),
                note,
            };
            let doc = if who == 0 { &mut *ana } else { &mut *ben };
            doc.record_checkin(&input, at(day, 21, 30 + who as i8 * 7))?;
        }
        // Appreciations, a few a week each.
        if r.random_bool(0.35) {
            ana.appreciate(
                ANA_THANKS[r.random_range(0..ANA_THANKS.len())],
                at(day, 22, 0),
            )?;
        }
        if r.random_bool(0.45) {
            ben.appreciate(
                BEN_THANKS[r.random_range(0..BEN_THANKS.len())],
                at(day, 22, 5),
            )?;
        }
        // Ben texts when he leaves work, most weekdays; Ana answers.
        let weekday = day
            .parse::<jiff::civil::Date>()?
            .weekday()
            .to_monday_one_offset();
        if weekday <= 5 && r.random_bool(0.8) {
            let done = ben.log_request_done(&text_me, None, at(day, 17, 40))?;
            sync(ana, ben)?;
            if r.random_bool(0.9) {
                let landed = r.random_bool(0.86);
                let note = (!landed).then_some("Thank you, but it came an hour after you left.");
                ana.acknowledge_done(&text_me, &done, landed, note, at(day, 18, 30))?;
            }
        }
        if let Some(id) = &dinner_thing
            && r.random_bool(0.5)
        {
            let done = ben.log_request_done(id, None, at(day, 20, 0))?;
            sync(ana, ben)?;
            if r.random_bool(0.85) {
                ana.acknowledge_done(id, &done, true, None, at(day, 22, 15))?;
            }
        }
        if let Some(id) = &space_request
            && r.random_bool(0.15)
        {
            let note = [
                Some("Said I needed an hour on my own."),
                None,
                Some("Told him I was too tired to talk tonight."),
            ][r.random_range(0..3)];
            let done = ana.log_request_done(id, note, at(day, 19, 0))?;
            sync(ana, ben)?;
            ben.acknowledge_done(id, &done, true, None, at(day, 21, 0))?;
        }
        // Weekly commitment logs (Sundays) and the pickups (Tue/Thu).
        if weekday == 7 {
            ben.log_commitment(&commitment, Some(day), true, None, at(day, 20, 0))?;
        }
        if let Some(id) = &pickups
            && (weekday == 2 || weekday == 4)
        {
            let kept = day.as_str() != "2026-07-22";
            let note = (!kept).then_some("Stuck in a meeting; I called Ana and her sister went.");
            ben.log_commitment(id, Some(day), kept, note, at(day, 16, 30))?;
        }
        // Time together most weekends.
        if weekday == 6 && r.random_bool(0.8) {
            let (kind, title) = match n % 3 {
                0 => (TogetherKind::Ritual, "Saturday walk by the river"),
                1 => (TogetherKind::Date, "Dinner out, phones at home"),
                _ => (
                    TogetherKind::RecreateMemory,
                    "Back to the café where we had our first breakfast",
                ),
            };
            let id = ben.plan_together(kind, title, day, at(day, 9, 0) - 3 * 86_400_000)?;
            sync(ana, ben)?;
            let happened = day.as_str() != "2026-06-27";
            let felt_a = (3.0 + 5.0 * progress + r.random_range(-1.5..1.5)).round() as i64;
            let note_a = match day.as_str() {
                "2026-07-11" => Some("It felt like us again, for an afternoon."),
                "2026-06-27" => Some("I cancelled; I was not up to it."),
                _ => None,
            };
            ana.record_together_outcome(
                &id,
                happened,
                happened.then_some(felt_a.clamp(0, 10)),
                note_a,
                at(day, 21, 0),
            )?;
            ben.record_together_outcome(
                &id,
                happened,
                happened.then_some((felt_a + 1).clamp(0, 10)),
                None,
                at(day, 21, 10),
            )?;
        }
        // Monthly surveys.
        if day.ends_with("-01") && day.as_str() != "2026-05-01" {
            let a = (1.0 + 2.2 * progress).round() as i64;
            ana.answer_survey(
                Some(day),
                &[a, a, (a + 1).min(4), a - 1, a, a],
                at(day, 20, 0),
            )?;
            let b = (2.0 + 1.5 * progress).round() as i64;
            ben.answer_survey(
                Some(day),
                &[b, b, b, b + 1, b, b].map(|x| x.min(4)),
                at(day, 20, 20),
            )?;
        }

        // The story's particular days.
        match day.as_str() {
            "2026-06-01" => {
                ben.offer_transparency(
                    "My phone and laptop are open to you whenever you want to look, this month.",
                    at("2026-07-01", 0, 0),
                    at(day, 8, 0),
                )?;
            }
            "2026-06-03" => {
                let t = ana.log_trigger(
                    "The song from the restaurant came on in the car.",
                    8,
                    at(day, 18, 10),
                )?;
                sync(ana, ben)?;
                ben.respond_to_trigger(
                    &t,
                    "I pulled over, turned it off, and we sat together until you were ready.",
                    at(day, 18, 25),
                )?;
            }
            "2026-06-05" => {
                let draft = AgreementDraft {
                    review_on: Some("2026-07-20".into()),
                    ..AgreementDraft::new(
                        "Phones stay face up when we are together in the evening.",
                    )
                };
                let id = ana.propose_agreement(&draft, at(day, 20, 0))?;
                sync(ana, ben)?;
                ben.accept_agreement(&id, at(day, 20, 45))?;
                phones = Some(id);
            }
            d if d == pickups_day => {
                pickups = Some(ben.make_commitment(
                    CommitmentKind::AddedResponsibility,
                    "I do the school pickups on Tuesdays and Thursdays",
                    at(day, 8, 0),
                )?);
            }
            "2026-06-10" => {
                let q = ana.ask_question(
                    "Where did you two meet when you said you were at the conference?",
                    Some("conference"),
                    at(day, 21, 0),
                )?;
                sync(ana, ben)?;
                ben.respond_to_question(&q, Respond::NotReadyYet, at(day, 21, 40))?;
                sync(ana, ben)?;
                ana.respond_to_question(&q, Respond::ForTherapist, at("2026-06-12", 10, 0))?;
            }
            "2026-06-17" => {
                ben.disclose(
                    "J. sent me a message asking how I was.",
                    Some("I did not reply, blocked her number and showed Ana the message that evening."),
                    at(day, 19, 5),
                )?;
            }
            "2026-06-20" => {
                dinner_thing = Some(ana.make_request(
                    "At dinner, tell me one thing you appreciated about the day",
                    at(day, 20, 30),
                )?);
            }
            "2026-06-21" => {
                let t = ana.log_trigger("Ben's phone buzzed late at night.", 6, at(day, 23, 20))?;
                sync(ana, ben)?;
                ben.respond_to_trigger(
                    &t,
                    "I showed Ana it was my brother and put the phone in the kitchen.",
                    at(day, 23, 30),
                )?;
            }
            "2026-06-25" => {
                let q = ana.ask_question(
                    "Did you tell her things about us?",
                    Some("her"),
                    at(day, 20, 0),
                )?;
                sync(ana, ben)?;
                ben.respond_to_question(
                    &q,
                    Respond::Schedule("2026-07-02".into()),
                    at(day, 20, 30),
                )?;
                sync(ana, ben)?;
                ben.respond_to_question(
                    &q,
                    Respond::Answer(
                        "Yes, some, and I regret it. I told her we were distant, which was not \
                         fair to you."
                            .into(),
                    ),
                    at("2026-07-02", 20, 15),
                )?;
            }
            "2026-07-01" => {
                ben.offer_transparency(
                    "My phone and laptop stay open to you until the autumn.",
                    at("2026-09-20", 0, 0),
                    at(day, 8, 0),
                )?;
            }
            "2026-07-03" => {
                let id = ben.propose_agreement(
                    &AgreementDraft::new(
                        "When a talk gets too heated, either of us can call a break of at most \
                         an hour, and we come back to it.",
                    ),
                    at(day, 11, 0),
                )?;
                sync(ana, ben)?;
                ana.accept_agreement(&id, at(day, 19, 0))?;
            }
            "2026-07-10" => {
                space_request = Some(ben.make_request(
                    "Tell me when you need space, instead of going quiet",
                    at(day, 22, 0),
                )?);
            }
            "2026-07-15" => {
                let t = ana.log_trigger("We drove past the hotel.", 7, at(day, 17, 50))?;
                sync(ana, ben)?;
                ben.respond_to_trigger(
                    &t,
                    "We took the other road home and I asked what it brought up, and listened.",
                    at(day, 19, 0),
                )?;
            }
            "2026-07-20" => {
                if let Some(id) = &phones {
                    ana.revise_agreement(
                        id,
                        &AgreementDraft::new(
                            "Phones face up in the evening; a work call is fine if Ben says who \
                             it is.",
                        ),
                        at(day, 20, 0),
                    )?;
                    sync(ana, ben)?;
                    ben.accept_agreement(id, at("2026-07-21", 8, 0))?;
                    ben.check_agreement(id, true, None, at(day, 22, 0))?;
                }
            }
            "2026-07-28" => {
                let q = ana.ask_question(
                    "How many times did you see her in the spring?",
                    Some("spring"),
                    at(day, 21, 0),
                )?;
                sync(ana, ben)?;
                ben.respond_to_question(&q, Respond::ForTherapist, at(day, 21, 30))?;
            }
            "2026-08-02" => {
                ben.disclose(
                    "I ran into J.'s brother at the gym. We said hello and nothing else.",
                    Some("Told Ana as soon as I got home."),
                    at(day, 19, 40),
                )?;
                ben.check_agreement(
                    &no_contact,
                    true,
                    Some("Told Ana the same evening."),
                    at(day, 20, 0),
                )?;
            }
            "2026-08-05" => {
                let q = ben.ask_question(
                    "Is there anything I do in the evenings that makes them harder for you?",
                    Some("evenings"),
                    at(day, 21, 0),
                )?;
                sync(ana, ben)?;
                ana.respond_to_question(
                    &q,
                    Respond::Answer(
                        "When you go to another room with your phone. Even when it's nothing."
                            .into(),
                    ),
                    at("2026-08-06", 20, 0),
                )?;
            }
            "2026-08-08" => {
                ana.set_phase(
                    Phase::Attune,
                    Some("I think we can start on the next part. Not done, but ready."),
                    at(day, 11, 0),
                )?;
            }
            "2026-08-12" => {
                let t = ana.log_trigger("A perfume in the shop.", 4, at(day, 16, 0))?;
                sync(ana, ben)?;
                ben.respond_to_trigger(
                    &t,
                    "I held your hand and we left the shop.",
                    at(day, 16, 5),
                )?;
            }
            "2026-08-16" => {
                if let Some(id) = &phones {
                    ben.check_agreement(
                        id,
                        false,
                        Some("Took a call in the hallway without saying who it was. It was work; I should have said."),
                        at(day, 21, 0),
                    )?;
                }
            }
            "2026-08-20" => {
                ana.propose_agreement(
                    &AgreementDraft::new(
                        "Evenings out with friends are fine, with a message when leaving and \
                         when heading home.",
                    ),
                    at(day, 19, 0),
                )?;
            }
            _ => {}
        }
        // The phones sync at least daily.
        sync(ana, ben)?;
    }
    sync(ana, ben)?;
    Ok(())
}
