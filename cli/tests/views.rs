//! The derived views and the private space, through the `kintsugi` binary.

mod common;

use common::*;
use serde_json::Value;

fn checkin(dir: &std::path::Path, day: &str, safety: &str) {
    run(
        dir,
        &[
            "checkin",
            "--safety",
            safety,
            "--trust",
            "5",
            "--connection",
            "6",
            "--day",
            day,
        ],
    );
}

fn list(value: &Value) -> &Vec<Value> {
    value.as_array().expect("a JSON list")
}

#[test]
fn views_describe_a_calm_couple_without_alarm() {
    let c = Couple::with_roles();
    let (ana_id, ben_id) = (member_id(&c.ana, "Ana"), member_id(&c.ana, "Ben"));
    // An up-and-down week for Ana: Monday 2, Wednesday 9.
    checkin(&c.ana, "2026-11-16", "2");
    checkin(&c.ana, "2026-11-18", "9");
    run(&c.ana, &["request", "make", "Text me when you leave work"]);
    c.sync();
    let request = first_id(&json(&c.ben, &["request", "list", "--json"]));
    run(&c.ben, &["request", "done", &request[..8]]);
    run(&c.ben, &["agreement", "propose", "Sunday walks together"]);
    c.sync();
    let entry = json(&c.ana, &["request", "list", "--json"])[0]["done"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run(
        &c.ana,
        &["request", "ack", &request[..8], &entry[..8], "--landed"],
    );
    run(&c.ana, &["appreciate", "Thank you for the text"]);

    // Timeline: everything, newest first, with who did it.
    let timeline = json(&c.ana, &["timeline", "--json"]);
    let entries = list(&timeline);
    // Each partner's first choice of role is an entry (roles decide who
    // moves the phase), and Ben's logging it done is also his yes to Ana's
    // request: an entry too.
    assert_eq!(entries.len(), 10, "{timeline}");
    let times: Vec<i64> = entries.iter().map(|e| e["at"].as_i64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert_eq!(entries[0]["kind"], "appreciation");
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "check_in",
        "request_made",
        "request_done",
        "request_acknowledged",
        "request_answered",
        "agreement_proposed",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let only_checkins = json(&c.ana, &["timeline", "--kind", "checkin", "--json"]);
    assert_eq!(list(&only_checkins).len(), 2);
    assert!(
        list(&only_checkins)
            .iter()
            .all(|e| e["record_kind"] == "check_in")
    );
    let two_kinds = json(
        &c.ana,
        &[
            "timeline",
            "--kind",
            "request",
            "--kind",
            "agreement",
            "--json",
        ],
    );
    assert!(
        list(&two_kinds)
            .iter()
            .all(|e| e["record_kind"] == "request" || e["record_kind"] == "agreement")
    );
    let partner = json(&c.ana, &["timeline", "--partner", "partner", "--json"]);
    assert!(!list(&partner).is_empty());
    assert!(
        list(&partner)
            .iter()
            .all(|e| e["author"] == ben_id.as_str())
    );
    let mine = json(&c.ana, &["timeline", "--partner", "me", "--json"]);
    assert!(list(&mine).iter().all(|e| e["author"] == ana_id.as_str()));
    let limited = json(&c.ana, &["timeline", "--limit", "2", "--json"]);
    assert_eq!(list(&limited).len(), 2);
    // The human listing says where the older entries start; that page
    // follows on from the first.
    let first = run(&c.ana, &["timeline", "--limit", "2"]);
    let cursor = first
        .lines()
        .find_map(|l| l.strip_prefix("(older entries: --after "))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no cursor in {first}"));
    let older = json(
        &c.ana,
        &["timeline", "--limit", "2", "--after", cursor, "--json"],
    );
    let everything = json(&c.ana, &["timeline", "--json"]);
    assert_eq!(list(&older)[..], list(&everything)[2..4]);
    let human = run(&c.ana, &["timeline"]);
    assert!(
        human.contains("Ben did something asked for") && human.contains("Ana (you) checked in"),
        "{human}"
    );
    // The newest pages and the trends come from what the last close saved
    // when it still speaks for the document: the same as from the document.
    let saved = c.ana.join("first-screen.age");
    assert!(saved.exists());
    let quick = [
        run(&c.ana, &["timeline", "--limit", "3"]),
        run(&c.ana, &["timeline", "--partner", "me", "--limit", "2"]),
        run(&c.ana, &["trends"]),
    ];
    std::fs::remove_file(&saved).unwrap();
    let read = [
        run(&c.ana, &["timeline", "--limit", "3"]),
        run(&c.ana, &["timeline", "--partner", "me", "--limit", "2"]),
        run(&c.ana, &["trends"]),
    ];
    assert_eq!(quick, read);

    // Trends: a band per week, median and range.
    let trends = json(&c.ana, &["trends", "--json"]);
    let week = list(&trends)
        .iter()
        .find(|b| b["member"] == ana_id.as_str() && b["week"] == "2026-W47")
        .expect("Ana's week 47");
    assert_eq!(week["checkins"], 2);
    assert_eq!(week["safety"]["median"], 5.5);
    assert_eq!(
        (&week["safety"]["low"], &week["safety"]["high"]),
        (&2.into(), &9.into())
    );
    let human = run(&c.ana, &["trends"]);
    assert!(
        human.contains("2026-W47") && human.contains("safety median 5.5 (range 2–9)"),
        "{human}"
    );
    for word in ["fail", "streak", "missed"] {
        assert!(!human.to_lowercase().contains(word), "{human}");
    }

    // Consistency: what was done, and what was acknowledged.
    let windows = json(&c.ana, &["consistency", "--json"]);
    assert_eq!(list(&windows).len(), 1);
    let requests = &windows[0]["requests"];
    assert_eq!(
        (&requests["done"], &requests["acknowledged"]),
        (&1.into(), &1.into())
    );
    assert_eq!(requests["flows"][0]["doer"], ben_id.as_str());
    assert_eq!(
        list(&json(&c.ana, &["consistency", "--windows", "3", "--json"])).len(),
        3
    );
    let human = run(&c.ana, &["consistency"]);
    assert!(
        human.contains("Ben did 1 thing Ana asked for; for Ana, 1 landed."),
        "{human}"
    );

    // Signs of progress: three signs for each partner.
    let progress = json(&c.ana, &["progress", "--json"]);
    assert_eq!(list(&progress["signs"]).len(), 6);
    assert!(progress["now_period"]["end"].is_string());
    let human = run(&c.ana, &["progress"]);
    assert!(human.contains("feeling safe to talk"), "{human}");

    // No counselling prompt for a calm couple, and nothing alarming said.
    assert_eq!(json(&c.ana, &["counselling", "--json"]), Value::Null);
    assert_eq!(run(&c.ana, &["counselling"]).trim(), "No prompt right now.");
}

#[test]
fn the_counselling_prompt_names_what_keeps_returning() {
    let c = Couple::paired();
    for _ in 0..3 {
        run(
            &c.ana,
            &[
                "trigger",
                "log",
                "The song from that summer",
                "--intensity",
                "8",
            ],
        );
    }
    let prompt = json(&c.ana, &["counselling", "--json"]);
    assert!(prompt["message"].as_str().unwrap().contains("therapist"));
    assert_eq!(prompt["reasons"][0]["reason"]["kind"], "trigger_returns");
    assert_eq!(prompt["reasons"][0]["reason"]["triggers"], 3);
    let human = run(&c.ana, &["counselling"]);
    assert!(
        human.contains("only a suggestion") && human.contains("What was noticed"),
        "{human}"
    );
}

#[test]
fn the_low_safety_prompt_shows_only_in_the_terminal_of_the_one_who_feels_unsafe() {
    let c = Couple::paired();
    let today = jiff::Zoned::now().date();
    for weeks_ago in [2, 1, 0] {
        let day = (today - jiff::Span::new().days(7 * weeks_ago)).to_string();
        run(
            &c.ana,
            &[
                "checkin",
                "--safety",
                "2",
                "--trust",
                "6",
                "--connection",
                "5",
                "--day",
                &day,
            ],
        );
    }
    c.sync();
    assert_eq!(
        json(&c.ben, &["checkins", "--json"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // Ben's terminal: nothing.
    assert_eq!(json(&c.ben, &["counselling", "--json"]), Value::Null);
    // Ana's: safety first, individual support named first.
    let prompt = json(&c.ana, &["counselling", "--json"]);
    assert_eq!(prompt["kind"], "safety_first");
    assert_eq!(prompt["couples_counselling_advised"], false);
    assert_eq!(prompt["resources"][0]["kind"], "individual_counsellor");
    let human = run(&c.ana, &["counselling"]);
    assert!(
        human.contains("Support for you:") && human.contains("individual counsellor"),
        "{human}"
    );
    assert!(!human.contains("couples therapist"), "{human}");
}

#[test]
fn the_notice_interval_is_a_setting_of_this_device_alone() {
    let c = Couple::paired();
    assert!(run(&c.ana, &["settings", "notices"]).contains("every 15 minute"));
    let set = run(&c.ana, &["settings", "notices", "--interval", "45"]);
    assert!(set.contains("every 45 minute"), "{set}");
    let err = run_err(&c.ana, &["settings", "notices", "--interval", "0"]);
    assert!(err.contains("between 1 and 1440"), "{err}");
    c.sync();
    assert!(run(&c.ben, &["settings", "notices"]).contains("every 15 minute"));
    assert!(run(&c.ana, &["settings", "notices"]).contains("every 45 minute"));
}

#[test]
fn the_private_journal_stays_on_its_device() {
    let c = Couple::paired();
    let out = run(
        &c.ana,
        &["journal", "write", "I am scared this will happen again"],
    );
    assert!(out.contains("never synced"), "{out}");
    run(
        &c.ana,
        &[
            "note",
            "add",
            "For the therapist",
            "Ask about the trip in May",
        ],
    );
    let journal = json(&c.ana, &["journal", "list", "--json"]);
    assert_eq!(list(&journal).len(), 1);
    assert_eq!(journal[0]["text"], "I am scared this will happen again");
    assert!(run(&c.ana, &["journal", "list"]).contains("I am scared this will happen again"));
    let notes = json(&c.ana, &["note", "list", "--json"]);
    assert_eq!(notes[0]["title"], "For the therapist");

    let synced = c.sync();
    assert!(!synced.contains("scared"), "{synced}");
    assert_eq!(
        json(&c.ben, &["journal", "list", "--json"]),
        serde_json::json!([])
    );
    assert_eq!(
        json(&c.ben, &["note", "list", "--json"]),
        serde_json::json!([])
    );
    assert!(run(&c.ben, &["journal", "list"]).contains("(your journal is empty)"));
    let timeline = run(&c.ben, &["timeline", "--json"]);
    assert!(
        !timeline.contains("scared") && !timeline.contains("trip in May"),
        "{timeline}"
    );
    // Still there on Ana's device.
    assert_eq!(list(&json(&c.ana, &["journal", "list", "--json"])).len(), 1);
}
