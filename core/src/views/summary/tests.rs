use std::str::FromStr;

use age::secrecy::ExposeSecret;
use automerge::ActorId;

use super::*;
use crate::views::fixtures::*;

const FROM: &str = "2026-09-01";
const TO: &str = "2026-09-30";

fn choice(kinds: &[RecordKind]) -> SummaryChoice {
    SummaryChoice {
        kinds: kinds.to_vec(),
        ..SummaryChoice::everything(ANA, FROM, TO, ms("2026-10-02"))
    }
}

/// Ana and Ben with a bit of everything in September and some before and after.
fn september() -> Snapshot {
    let mut s = couple();
    // Ben allowed his own words in summaries (see the withholding tests).
    s.members[1].words_in_summaries = true;
    for (id, day, safety) in [
        ("c-aug", "2026-08-31", 1),
        ("c1", "2026-09-01", 3),
        ("c2", "2026-09-02", 5),
        ("c3", "2026-09-15", 6),
        ("c-oct", "2026-10-01", 9),
    ] {
        let mut c = checkin(id, ANA, day, safety, 4, 5);
        c.moods = vec!["hopeful".into()];
        c.note = Some(format!("note of {day}"));
        s.checkins.push(c);
    }
    s.checkins
        .push(heard(checkin("b1", BEN, "2026-09-03", 6, 6, 7), 5));
    let mut r = request("r1", ANA, "Text me when you leave work", "2026-08-20");
    r.done.push(done("d-aug", BEN, "2026-08-28", Some(true)));
    r.done.push(done("d1", BEN, "2026-09-10", Some(true)));
    r.done.push(done("d2", BEN, "2026-09-11", Some(false)));
    let mut late = done("d3", BEN, "2026-09-29", None);
    // Acknowledged only after the period: not answered within it.
    late.acknowledgement = Some(Acknowledgement {
        at: ms("2026-10-01"),
        landed: true,
        note: None,
        revisions: vec![],
    });
    r.done.push(late);
    s.requests.push(r);
    let mut a = agreement("a1", BEN, "No contact with J.", "2026-08-12");
    a.checks.push(kept_check("k1", BEN, "2026-09-05", true));
    a.checks.push(kept_check("k-oct", BEN, "2026-10-05", false));
    s.agreements.push(a);
    s.appreciations.push(appreciation(
        "ap1",
        BEN,
        ANA,
        "2026-09-09",
        "Thank you for the walk",
    ));
    s.appreciations.push(appreciation(
        "ap-oct",
        BEN,
        ANA,
        "2026-10-09",
        "Thank you for October",
    ));
    s.triggers
        .push(trigger("t1", ANA, "2026-09-03", "The song in the car", 8));
    let mut tagged = question(
        "q1",
        ANA,
        "2026-09-10",
        "Where did you meet her?",
        Some("conference"),
    );
    tagged.responses.push(QuestionResponse {
        id: "qr1".into(),
        by: ANA.into(),
        at: ms("2026-09-12"),
        kind: ResponseKind::ForTherapist,
        window: None,
        text: None,
    });
    tagged.for_therapist = true;
    s.questions.push(tagged);
    s.questions.push(question(
        "q2",
        ANA,
        "2026-09-20",
        "Did you tell her about us?",
        None,
    ));
    s.disclosures.push(Disclosure {
        id: "dis1".into(),
        author: BEN.into(),
        at: ms("2026-09-17"),
        what: "She sent me a message".into(),
        action_taken: Some("Blocked the number".into()),
        revisions: vec![],
    });
    s
}

fn all_text(s: &TherapistSummary) -> String {
    format!("{}\n{}", s.to_markdown(), s.to_html())
}

#[test]
fn the_period_decides_what_appears() {
    let s = therapist_summary(&september(), None, &choice(&SUMMARY_KIND_ORDER)).unwrap();
    let text = all_text(&s);
    for inside in [
        "note of 2026-09-01",
        "note of 2026-09-15",
        "Thank you for the walk",
        "The song in the car",
        "She sent me a message",
    ] {
        assert!(text.contains(inside), "{inside} is missing");
    }
    for outside in [
        "note of 2026-08-31",
        "note of 2026-10-01",
        "Thank you for October",
    ] {
        assert!(!text.contains(outside), "{outside} is outside the period");
    }
    // The request made before the period appears with what was done in it.
    let requests = s
        .sections
        .iter()
        .find(|x| x.kind == RecordKind::Request)
        .unwrap();
    assert_eq!(requests.items.len(), 1);
    let details = requests.items[0].details.join("\n");
    assert!(
        details.contains("Ben did it 3 times; for Ana, 1 landed and 1 did not land"),
        "{details}"
    );
    assert!(
        !details.contains("28 Aug"),
        "done before the period: {details}"
    );
    // The kept-check after the period is not there; the one in it is.
    let agreements = s
        .sections
        .iter()
        .find(|x| x.kind == RecordKind::Agreement)
        .unwrap();
    let details = agreements.items[0].details.join("\n");
    assert!(details.contains("noted they kept it"), "{details}");
    assert!(!details.contains("slipped"), "{details}");
    // Weekly bands only from check-ins in the period.
    let ana_weeks: Vec<&str> = s
        .charts
        .trends
        .iter()
        .filter(|b| b.member == ANA)
        .map(|b| b.week.as_str())
        .collect();
    assert_eq!(ana_weeks, ["2026-W36", "2026-W38"]);
    assert_eq!(s.charts.weeks.first().unwrap().week_start, "2026-08-31");
}

#[test]
fn acknowledgements_after_the_period_do_not_count() {
    let s = therapist_summary(&september(), None, &choice(&[RecordKind::Request])).unwrap();
    let details = s.sections[0].items[0].details.join("\n");
    assert!(
        details
            .contains("In the period: Ben did it 3 times; for Ana, 1 landed and 1 did not land."),
        "{details}"
    );
    assert!(
        details.contains("The other 2 times were without notes."),
        "{details}"
    );
    assert!(!details.contains("not answered"), "{details}");
    let last = s.charts.request_consistency.last().unwrap();
    assert_eq!(last.end, TO);
    let flow = &last.flows[0];
    assert_eq!((flow.done, flow.acknowledged, flow.landed), (3, 2, 1));
}

#[test]
fn a_period_that_ends_before_it_starts_is_refused() {
    let mut c = choice(&[RecordKind::CheckIn]);
    c.from = "2026-11-30".into();
    c.to = "2026-09-01".into();
    let err = therapist_summary(&september(), None, &c).unwrap_err();
    assert!(
        matches!(
            err,
            CoreError::InvalidValue {
                field: "period",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("before it starts"), "{err}");
    c.to = "someday".into();
    assert!(matches!(
        therapist_summary(&september(), None, &c),
        Err(CoreError::InvalidDate { .. })
    ));
    let mut c = choice(&[]);
    c.time_zone = Some("Mars/Olympus".into());
    assert!(therapist_summary(&september(), None, &c).is_err());
}

#[test]
fn only_the_chosen_kinds_appear_and_the_rest_are_named_as_left_out() {
    let s = therapist_summary(&september(), None, &choice(&[RecordKind::Appreciation])).unwrap();
    assert_eq!(s.included, [RecordKind::Appreciation]);
    assert_eq!(s.left_out.len(), 11);
    assert_eq!(s.sections.len(), 1);
    let text = all_text(&s);
    assert!(text.contains("Thank you for the walk"));
    for absent in [
        "note of 2026-09-01",
        "The song in the car",
        "She sent me a message",
        "Text me when you leave work",
        "Where did you meet her",
        "No contact with J.",
    ] {
        assert!(!text.contains(absent), "{absent} was not chosen");
    }
    // No chart carries what was not chosen.
    assert!(s.charts.trends.is_empty() && s.charts.checkin_frequency.is_empty());
    assert!(s.charts.request_consistency.is_empty());
    assert!(!s.to_html().contains("<svg"));
    assert!(text.contains("Left out by Ana’s choice: recovery phase changes"));

    let s = therapist_summary(&september(), None, &choice(&[RecordKind::CheckIn])).unwrap();
    assert!(s.charts.request_consistency.is_empty());
    assert!(!s.charts.trends.is_empty());
    assert!(!all_text(&s).contains("Text me when you leave work"));
}

#[test]
fn questions_tagged_for_the_therapist_come_first_and_can_come_alone() {
    let s = therapist_summary(&september(), None, &choice(&[RecordKind::Question])).unwrap();
    assert_eq!(s.sections.len(), 2);
    assert_eq!(s.sections[0].title, "Questions kept for you");
    assert_eq!(s.sections[0].items[0].record_id, "q1");
    assert!(
        s.sections[0].items[0]
            .details
            .iter()
            .any(|d| d.contains("Ana kept it for a session with the therapist"))
    );
    assert_eq!(s.sections[1].items[0].record_id, "q2");

    let mut c = choice(&[RecordKind::Question]);
    c.therapist_questions_only = true;
    let s = therapist_summary(&september(), None, &c).unwrap();
    assert_eq!(s.sections.len(), 1);
    let text = all_text(&s);
    assert!(text.contains("Where did you meet her?"));
    assert!(!text.contains("Did you tell her about us?"));
    assert!(text.contains("the questions tagged “for the therapist” (no others)"));
}

fn private_doc() -> (PrivateDoc, String, String, String) {
    let mut p = PrivateDoc::new(&ActorId::random()).unwrap();
    let one = p
        .write_journal("I am afraid of the conference answer", ms("2026-09-11"))
        .unwrap();
    let two = p
        .write_journal("Nobody else may read this", ms("2026-09-12"))
        .unwrap();
    let note = p
        .add_note("For the session", "Ask about the spring", ms("2026-09-20"))
        .unwrap();
    (p, one, two, note)
}

#[test]
fn private_entries_appear_only_when_added_by_id() {
    let (p, one, _two, note) = private_doc();
    let s = therapist_summary(&september(), Some(&p), &choice(&SUMMARY_KIND_ORDER)).unwrap();
    let text = all_text(&s);
    assert!(s.private_entries.is_empty());
    for private in [
        "afraid of the conference",
        "Nobody else may read",
        "Ask about the spring",
    ] {
        assert!(!text.contains(private), "{private} was not added");
    }
    assert!(text.contains("Nothing from Ana’s private journal or notes."));

    let mut c = choice(&[]);
    c.private_entries = vec![one.clone(), note[..10].to_owned()];
    let s = therapist_summary(&september(), Some(&p), &c).unwrap();
    let text = all_text(&s);
    assert!(text.contains("afraid of the conference"));
    assert!(text.contains("For the session: Ask about the spring"));
    assert!(!text.contains("Nobody else may read"));
    assert_eq!(s.private_entries.len(), 2);
    assert_eq!(s.private_entries[0].record_id, one);
    assert_eq!(s.private_entries[0].by.as_deref(), Some("Ana"));
    assert!(text.contains("2 entries from Ana’s private journal and notes"));

    c.private_entries = vec!["0000nothing".into()];
    assert!(matches!(
        therapist_summary(&september(), Some(&p), &c),
        Err(CoreError::UnknownId { .. })
    ));
    c.private_entries = vec![String::new()];
    assert!(therapist_summary(&september(), Some(&p), &c).is_err());
}

/// Each `<svg …>…</svg>` in a page.
fn svgs(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("a closed svg") + start + "</svg>".len();
        out.push(&rest[start..end]);
        rest = &rest[end..];
    }
    out
}

#[test]
fn the_page_is_standalone_and_every_chart_is_well_formed_xml() {
    let mut snapshot = september();
    // Names and words with markup in them stay text.
    snapshot.members[1].name = "Ben <b>&\"'</b>".into();
    snapshot.checkins[2].note = Some("</td><script>alert(1)</script> & <svg>".into());
    let mut r = request("r2", BEN, "Say <when> & \"why\"", "2026-09-02");
    r.done.push(done("x1", ANA, "2026-09-05", Some(true)));
    snapshot.requests.push(r);
    let s = therapist_summary(&snapshot, None, &choice(&SUMMARY_KIND_ORDER)).unwrap();
    let html = s.to_html();
    let lower = html.to_lowercase();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for banned in [
        "http:",
        "https:",
        "<script",
        "src=",
        "<link",
        "@import",
        "url(",
        "<iframe",
        "<img",
        "@font-face",
        "<object",
        "<embed",
    ] {
        assert!(!lower.contains(banned), "the page holds {banned:?}");
    }
    assert!(html.contains("&lt;/td&gt;&lt;script&gt;"));
    let charts = svgs(&html);
    // Two partners' bands, the frequency, and two flows of requests.
    assert_eq!(charts.len(), 5, "{charts:?}");
    for svg in charts {
        let doc = roxmltree::Document::parse(svg)
            .unwrap_or_else(|e| panic!("an svg is not XML ({e}): {svg}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(doc.descendants().any(|n| n.has_tag_name("title")));
    }
    // Standalone, each chart is SVG in its namespace.
    let alone = svg::frequency_chart(&s, &s.chart_members());
    let doc = roxmltree::Document::parse(&alone).unwrap();
    assert_eq!(
        doc.root_element().tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    // The Markdown escapes markup too.
    let md = s.to_markdown();
    assert!(md.contains("Ben \\<b\\>&\"'\\</b\\>"), "{md}");
    assert!(!md.contains("<script>"));
}

#[test]
fn no_chart_without_check_ins_in_the_period_and_no_streaks_anywhere() {
    let mut c = choice(&[RecordKind::CheckIn, RecordKind::Request]);
    c.from = "2027-01-01".into();
    c.to = "2027-01-31".into();
    let s = therapist_summary(&september(), None, &c).unwrap();
    assert!(s.charts.trends.is_empty());
    let html = s.to_html();
    assert!(html.contains("No check-ins in this period."));
    assert!(html.contains("Nothing requested was logged as done in this period."));
    let s = therapist_summary(&september(), None, &choice(&SUMMARY_KIND_ORDER)).unwrap();
    let text = all_text(&s).to_lowercase();
    for word in ["streak", "missed", "failure", "failed"] {
        assert!(!text.contains(word), "the report says {word:?}");
    }
}

#[test]
fn dates_are_the_couples_own_days() {
    let mut s = couple();
    // 23:30 UTC on 31 August is already 1 September in Berlin.
    let late = ms("2026-08-31") + 11 * 3_600_000 + 30 * 60_000;
    s.appreciations.push(Appreciation {
        id: "late".into(),
        author: BEN.into(),
        to: ANA.into(),
        at: late,
        text: "Thank you for tonight".into(),
    });
    let mut c = choice(&[RecordKind::Appreciation]);
    let utc = therapist_summary(&s, None, &c).unwrap();
    assert!(utc.sections[0].items.is_empty());
    c.time_zone = Some("Europe/Berlin".into());
    let berlin = therapist_summary(&s, None, &c).unwrap();
    let item = &berlin.sections[0].items[0];
    assert_eq!(item.date, "Tue 1 Sep 2026, 01:30");
    assert_eq!(item.by.as_deref(), Some("Ben to Ana"));
    assert_eq!(berlin.period, "Tue 1 Sep 2026 to Wed 30 Sep 2026");
    assert!(berlin.to_markdown().contains("Europe/Berlin time"));
}

#[test]
fn the_header_says_who_prepared_it_and_that_it_is_their_selection() {
    let s = therapist_summary(&september(), None, &choice(&[RecordKind::CheckIn])).unwrap();
    let md = s.to_markdown();
    assert!(md.contains("Prepared by Ana on Fri 2 Oct 2026"), "{md}");
    assert!(md.contains("This is Ana’s own selection."));
    assert!(md.contains("Brought: check-ins."));
    assert!(md.contains("Ben: the partner who broke the trust."));
    let mut c = choice(&[]);
    c.prepared_by = "stranger".into();
    assert!(matches!(
        therapist_summary(&september(), None, &c),
        Err(CoreError::UnknownId { kind: "member", .. })
    ));
}

#[test]
fn sealed_reports_open_with_the_therapists_identity_only() {
    let therapist = age::x25519::Identity::generate();
    let stranger = age::x25519::Identity::generate();
    let rendered =
        prepare_therapist_summary(&september(), None, &choice(&SUMMARY_KIND_ORDER)).unwrap();
    let recipient = therapist.to_public().to_string();
    let sealed = seal_for_therapist(&recipient, rendered.html.as_bytes()).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    assert!(
        !sealed
            .windows(b"Summary for the therapist".len())
            .any(|w| w == b"Summary for the therapist")
    );
    let opened = age::decrypt(&therapist, &sealed).unwrap();
    assert_eq!(opened, rendered.html.as_bytes());
    assert!(age::decrypt(&stranger, &sealed).is_err());
    // The identity round-trips through its text form, as a therapist keeps it.
    let kept = age::x25519::Identity::from_str(therapist.to_string().expose_secret()).unwrap();
    assert_eq!(age::decrypt(&kept, &sealed).unwrap(), opened);

    for bad in ["", "age1nope", "ssh-ed25519 AAAA", "2026-11-30"] {
        let err = seal_for_therapist(bad, b"x").unwrap_err();
        assert!(err.to_string().contains("not an age recipient"), "{err}");
    }
}

/// September with years of daily entries around it: a commitment logged
/// every day, a request done every other day, an agreement checked weekly,
/// dates, offers and questions on both sides of the period's edges.
fn september_among_years() -> Snapshot {
    let mut s = september();
    let start: jiff::civil::Date = "2025-01-01".parse().unwrap();
    let mut c = commitment("co1", BEN, "Phone stays on the table", "2025-01-01");
    let mut r = request("r2", ANA, "Say goodnight", "2025-01-01");
    r.answers
        .push(answer("an1", BEN, "2025-01-02", RequestAnswerKind::Yes));
    r.answers.push(answer(
        "an2",
        BEN,
        "2026-09-20",
        RequestAnswerKind::YesRetired,
    ));
    r.answers
        .push(answer("an3", BEN, "2026-09-25", RequestAnswerKind::Yes));
    for i in 0..700 {
        let day = start
            .checked_add(jiff::Span::new().days(i))
            .unwrap()
            .to_string();
        let mut log = commitment_log(&format!("l{i}"), &day, i % 9 != 0);
        // Some days are logged the next morning.
        if i % 3 == 0 {
            log.at += 20 * 3_600_000;
        }
        c.log.push(log);
        if i % 2 == 0 {
            // Some times done are never answered.
            let landed = (i % 4 != 0).then_some(i % 6 != 0);
            r.done.push(done(&format!("rd{i}"), BEN, &day, landed));
        }
        if i % 7 == 0 {
            s.agreements[0]
                .checks
                .push(kept_check(&format!("kc{i}"), BEN, &day, i % 5 != 0));
        }
        if i % 30 == 0 {
            let mut t = together(&format!("tg{i}"), ANA, &day);
            // Planned ten days ahead.
            t.created_at -= 10 * 86_400_000;
            t.outcomes.push(outcome(BEN, &day, i % 60 == 0, Some(7)));
            s.together.push(t);
            s.offers.push(TransparencyOffer {
                id: format!("of{i}"),
                owner: BEN.into(),
                text: "My phone, any time".into(),
                offered_at: ms(&day),
                expires_at: ms(&day) + 20 * 86_400_000,
                withdrawn_at: (i % 90 == 0).then(|| ms(&day) + 86_400_000),
            });
            // Asked, and answered some forty days later.
            let mut q = question(&format!("qq{i}"), ANA, &day, "Why then?", None);
            q.responses.push(QuestionResponse {
                id: format!("qa{i}"),
                by: BEN.into(),
                at: ms(&day) + 40 * 86_400_000,
                kind: ResponseKind::Answer,
                window: None,
                text: Some("Because I was hiding".into()),
            });
            s.questions.push(q);
        }
    }
    c.ended_at = Some(ms("2026-09-14"));
    s.commitments.push(c);
    s.requests.push(r);
    s
}

#[test]
fn the_periods_part_gives_the_summary_the_whole_history_gives() {
    let whole: fn(&Period, &Span<'_>) -> Snapshot = |_, span| span.s.clone();
    for words in [true, false] {
        let mut s = september_among_years();
        s.members[1].words_in_summaries = words;
        for (from, to) in [
            ("2026-09-01", "2026-09-30"),
            ("2026-09-11", "2026-09-11"),
            ("2025-02-01", "2025-04-30"),
            ("2024-01-01", "2024-12-31"),
            ("2026-08-15", "2026-10-15"),
        ] {
            let choice = SummaryChoice::everything(ANA, from, to, ms("2026-11-02"));
            let span = Span::bare(&s);
            let cut = summary_in(&span, None, &choice).unwrap();
            let uncut = summary_with(&span, None, &choice, whole).unwrap();
            assert_eq!(cut, uncut, "{from} to {to}, Ben's words {words}");
            assert!(!cut.sections.is_empty());
        }
    }
}
