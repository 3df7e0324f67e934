//! One scenario per record family, driven through the `kintsugi` binary on
//! two paired data directories: create, list as JSON, the other partner's
//! part after a sync, and the refusals with plain messages.

mod common;

use common::*;

#[test]
fn roles_are_set_by_each_partner_for_themselves() {
    let c = Couple::paired();
    let out = run(&c.ana, &["role", "hurt"]);
    assert!(out.contains("I was hurt"), "{out}");
    run(&c.ben, &["role", "broke-trust"]);
    c.sync();
    let members = json(&c.ben, &["role", "--json"]);
    let roles: Vec<(&str, &str)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert!(roles.contains(&("Ana", "hurt")), "{roles:?}");
    assert!(roles.contains(&("Ben", "broke_trust")), "{roles:?}");
    let shown = run(&c.ben, &["role"]);
    assert!(shown.contains("Ben (you): I broke the trust"), "{shown}");
    let err = run_err(&c.ben, &["role", "victim"]);
    assert!(err.contains("invalid value"), "{err}");
}

#[test]
fn checkins_take_heard_free_words_and_a_day() {
    let c = Couple::paired();
    let moods = run(&c.ana, &["moods"]);
    assert!(
        moods.contains("hopeful") && moods.contains("jealous"),
        "{moods}"
    );
    let vocabulary = json(&c.ana, &["moods", "--json"]);
    assert!(vocabulary.as_array().unwrap().iter().any(|w| w == "numb"));

    run(
        &c.ana,
        &[
            "checkin",
            "--safety",
            "5",
            "--trust",
            "4",
            "--connection",
            "6",
            "--heard",
            "7",
            "--mood",
            "hopeful",
            "--word",
            "tender",
            "--day",
            "2026-11-20",
            "--note",
            "a calmer evening",
        ],
    );
    let checkins = json(&c.ana, &["checkins", "--json"]);
    assert_eq!(checkins[0]["day"], "2026-11-20");
    assert_eq!(checkins[0]["heard"], 7);
    assert_eq!(checkins[0]["free_words"][0], "tender");
    let listed = run(&c.ana, &["checkins"]);
    assert!(
        listed.contains("heard 7") && listed.contains("hopeful, tender"),
        "{listed}"
    );

    let base = [
        "checkin",
        "--safety",
        "5",
        "--trust",
        "5",
        "--connection",
        "5",
    ];
    let err = run_err(&c.ana, &[&base[..], &["--mood", "sleepy"]].concat());
    assert!(err.contains("not in the mood list"), "{err}");
    let err = run_err(&c.ana, &[&base[..], &["--day", "2026-13-40"]].concat());
    assert!(err.contains("must be a date like"), "{err}");
    let err = run_err(&c.ana, &[&base[..], &["--heard", "11"]].concat());
    assert!(err.contains("between 0 and 10"), "{err}");

    c.sync();
    let on_ben = json(&c.ben, &["checkins", "--json"]);
    assert_eq!(on_ben.as_array().unwrap().len(), 1);
    assert_eq!(on_ben[0]["note"], "a calmer evening");
}

#[test]
fn agreements_are_proposed_accepted_revised_withdrawn_and_checked() {
    let c = Couple::paired();
    let out = run(
        &c.ana,
        &[
            "agreement",
            "propose",
            "Phone stays open to Ana this month",
            "--review-on",
            "2026-12-01",
        ],
    );
    assert!(
        out.contains("Proposed agreement") && out.contains("2026-12-01"),
        "{out}"
    );
    let list = json(&c.ana, &["agreement", "list", "--json"]);
    let id = first_id(&list);
    assert_eq!(list[0]["status"], "proposed");
    assert_eq!(list[0]["versions"][0]["review_on"], "2026-12-01");
    assert_not_allowed(&c.ana, &["agreement", "accept", &id[..8]]);

    c.sync();
    let out = run(&c.ben, &["agreement", "accept", &id[..8]]);
    assert!(out.contains("now in force"), "{out}");
    let out = run(
        &c.ben,
        &[
            "agreement",
            "check",
            &id[..8],
            "--kept",
            "--note",
            "phone on the table",
        ],
    );
    assert!(out.contains("kept"), "{out}");
    let out = run(
        &c.ben,
        &[
            "agreement",
            "revise",
            &id[..8],
            "Phone stays open to Ana until the new year",
        ],
    );
    assert!(
        out.contains("version 2") && out.contains("version 1 stays in force"),
        "{out}"
    );

    c.sync();
    let shown = json(&c.ana, &["agreement", "show", &id[..6], "--json"]);
    assert_eq!(shown["status"], "revision_pending");
    assert_eq!(shown["versions"].as_array().unwrap().len(), 2);
    assert_eq!(
        shown["versions"][0]["acceptances"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(shown["checks"][0]["kept"], true);
    let human = run(&c.ana, &["agreement", "show", &id[..8]]);
    assert!(
        human.contains("Version 1") && human.contains("Version 2") && human.contains("Ben"),
        "{human}"
    );
    assert!(human.contains("phone on the table"), "{human}");
    run(&c.ana, &["agreement", "accept", &id[..8]]);
    let shown = json(&c.ana, &["agreement", "show", &id, "--json"]);
    assert_eq!(shown["status"], "in_force");

    // A proposal of one's own can be withdrawn before it comes into force.
    run(&c.ana, &["agreement", "propose", "Sunday walks"]);
    let list = json(&c.ana, &["agreement", "list", "--json"]);
    let second = list[1]["id"].as_str().unwrap().to_owned();
    let out = run(&c.ana, &["agreement", "withdraw", &second[..8]]);
    assert!(out.contains("Withdrew"), "{out}");
    let list = json(&c.ana, &["agreement", "list", "--json"]);
    assert_eq!(list[1]["status"], "withdrawn");
    // Nobody is held to an agreement: either partner may step out of one in force.
    let out = run(&c.ana, &["agreement", "withdraw", &id[..8]]);
    assert!(out.contains("stepped out"), "{out}");

    let err = run_err(
        &c.ana,
        &["agreement", "check", &id[..8], "--kept", "--slipped"],
    );
    assert!(err.contains("cannot be used with"), "{err}");
    let err = run_err(&c.ana, &["agreement", "accept", "zzzz"]);
    assert!(err.contains("no agreement with id"), "{err}");
}

#[test]
fn offers_run_out_and_only_their_owner_withdraws_them() {
    let c = Couple::paired();
    let out = run(
        &c.ben,
        &["offer", "make", "My phone is open to Ana", "--days", "30"],
    );
    assert!(out.contains("Only you can withdraw it"), "{out}");
    let list = json(&c.ben, &["offer", "list", "--json"]);
    let id = first_id(&list);
    assert_eq!(list[0]["status"], "active");
    assert_eq!(list[0]["text"], "My phone is open to Ana");
    let err = run_err(&c.ben, &["offer", "make", "later", "--days", "0"]);
    assert!(err.contains("end in the future"), "{err}");
    let err = run_err(&c.ben, &["offer", "make", "longer", "--days", "200"]);
    assert!(err.contains("at most 90 days"), "{err}");

    c.sync();
    assert_not_allowed(&c.ana, &["offer", "withdraw", &id[..8]]);
    let out = run(&c.ben, &["offer", "withdraw", &id[..8]]);
    assert!(
        out.contains(&format!("Withdrew offer {}", &id[..8])),
        "{out}"
    );
    c.sync();
    let list = json(&c.ana, &["offer", "list", "--json"]);
    assert_eq!(list[0]["status"], "withdrawn");
    let human = run(&c.ana, &["offer", "list"]);
    assert!(human.contains("[withdrawn"), "{human}");
}

#[test]
fn requests_are_done_by_one_and_acknowledged_by_the_other() {
    let c = Couple::paired();
    run(&c.ana, &["request", "make", "Text me when you leave work"]);
    let id = first_id(&json(&c.ana, &["request", "list", "--json"]));
    assert_not_allowed(&c.ana, &["request", "done", &id[..8]]);

    c.sync();
    assert_not_allowed(&c.ben, &["request", "reword", &id[..8], "Call me"]);
    assert_not_allowed(&c.ben, &["request", "retire", &id[..8]]);
    let out = run(
        &c.ben,
        &[
            "request",
            "done",
            &id[..8],
            "--note",
            "sent at half past five",
        ],
    );
    assert!(out.contains("Logged that you did it"), "{out}");

    c.sync();
    let list = json(&c.ana, &["request", "list", "--json"]);
    let entry = list[0]["done"][0]["id"].as_str().unwrap().to_owned();
    assert_not_allowed(
        &c.ben,
        &["request", "ack", &id[..8], &entry[..8], "--landed"],
    );
    let out = run(
        &c.ana,
        &[
            "request",
            "ack",
            &id[..8],
            &entry[..8],
            "--did-not-land",
            "--note",
            "it came late",
        ],
    );
    assert!(out.contains("did not land"), "{out}");
    run(
        &c.ana,
        &[
            "request",
            "reword",
            &id[..8],
            "Text me when you leave the office",
        ],
    );
    let list = json(&c.ana, &["request", "list", "--json"]);
    assert_eq!(list[0]["text"], "Text me when you leave the office");
    assert_eq!(
        list[0]["revisions"][0]["before"],
        "Text me when you leave work"
    );
    assert_eq!(list[0]["done"][0]["acknowledgement"]["landed"], false);
    let human = run(&c.ana, &["request", "list"]);
    assert!(
        human.contains("thank you, but it did not land") && human.contains(&entry[..8]),
        "{human}"
    );

    run(&c.ana, &["request", "retire", &id[..8]]);
    c.sync();
    let err = run_err(&c.ben, &["request", "done", &id[..8]]);
    assert!(
        err.contains("not allowed") && err.contains("retired"),
        "{err}"
    );
    let err = run_err(&c.ana, &["request", "ack", &id[..8], "ffff", "--landed"]);
    assert!(err.contains("no done entry"), "{err}");
}

#[test]
fn disclosures_are_volunteered_and_changed_only_by_their_author() {
    let c = Couple::paired();
    let out = run(
        &c.ben,
        &[
            "disclose",
            "She messaged me today",
            "--action",
            "I did not answer",
        ],
    );
    assert!(out.contains("Disclosure"), "{out}");
    let list = json(&c.ben, &["disclosure", "list", "--json"]);
    let id = first_id(&list);
    assert_eq!(list[0]["action_taken"], "I did not answer");

    c.sync();
    assert_not_allowed(
        &c.ana,
        &["disclosure", "update", &id[..8], "--action", "anything"],
    );
    run(
        &c.ben,
        &[
            "disclosure",
            "update",
            &id[..8],
            "--action",
            "I blocked the number and told Ana that evening",
        ],
    );
    c.sync();
    let list = json(&c.ana, &["disclosure", "list", "--json"]);
    assert_eq!(
        list[0]["action_taken"],
        "I blocked the number and told Ana that evening"
    );
    assert_eq!(list[0]["revisions"][0]["before"], "I did not answer");
    let human = run(&c.ana, &["disclosure", "list"]);
    assert!(
        human.contains("She messaged me today") && human.contains("Ben"),
        "{human}"
    );
}

#[test]
fn questions_get_space_a_window_the_therapist_or_an_answer() {
    let c = Couple::paired();
    run(
        &c.ana,
        &[
            "question",
            "ask",
            "Where did you two meet?",
            "--topic",
            "meetings",
        ],
    );
    let id = first_id(&json(&c.ana, &["question", "list", "--json"]));
    assert_not_allowed(&c.ana, &["question", "respond", &id[..8], "not-ready"]);

    c.sync();
    let out = run(&c.ben, &["question", "respond", &id[..8], "not-ready"]);
    assert!(out.contains("not ready yet"), "{out}");
    assert_not_allowed(&c.ben, &["question", "respond", &id[..8], "park"]);
    let err = run_err(
        &c.ben,
        &["question", "respond", &id[..8], "schedule", "someday"],
    );
    assert!(err.contains("must be a date like"), "{err}");
    run(
        &c.ben,
        &["question", "respond", &id[..8], "schedule", "2026-12-01"],
    );
    let out = run(&c.ben, &["question", "respond", &id[..8], "therapist"]);
    assert!(out.contains("for the therapist"), "{out}");

    c.sync();
    let list = json(&c.ana, &["question", "list", "--json"]);
    assert_eq!(list[0]["status"], "scheduled");
    assert_eq!(list[0]["scheduled_for"], "2026-12-01");
    assert_eq!(list[0]["for_therapist"], true);
    assert_eq!(list[0]["topic"], "meetings");
    assert_eq!(list[0]["responses"].as_array().unwrap().len(), 3);
    assert_not_allowed(
        &c.ana,
        &["question", "respond", &id[..8], "answer", "my own answer"],
    );
    run(&c.ana, &["question", "respond", &id[..8], "park"]);
    assert_eq!(
        json(&c.ana, &["question", "list", "--json"])[0]["status"],
        "parked"
    );
    run(&c.ana, &["question", "respond", &id[..8], "reopen"]);

    c.sync();
    run(
        &c.ben,
        &["question", "respond", &id[..8], "answer", "At a conference"],
    );
    let list = json(&c.ben, &["question", "list", "--json"]);
    assert_eq!(list[0]["status"], "answered");
    let human = run(&c.ben, &["question", "list"]);
    assert!(
        human.contains("[answered]") && human.contains("At a conference"),
        "{human}"
    );
}

#[test]
fn triggers_are_noted_and_repaired_by_the_other_partner() {
    let c = Couple::paired();
    run(
        &c.ana,
        &["trigger", "log", "A song in the car", "--intensity", "7"],
    );
    let err = run_err(&c.ana, &["trigger", "log", "x", "--intensity", "11"]);
    assert!(err.contains("between 0 and 10"), "{err}");
    let id = first_id(&json(&c.ana, &["trigger", "list", "--json"]));
    assert_not_allowed(&c.ana, &["trigger", "repair", &id[..8], "I am sorry"]);

    c.sync();
    let out = run(
        &c.ben,
        &[
            "trigger",
            "repair",
            &id[..8],
            "I pulled over and held your hand",
        ],
    );
    assert!(out.contains(&id[..8]), "{out}");
    c.sync();
    let list = json(&c.ana, &["trigger", "list", "--json"]);
    assert_eq!(list[0]["intensity"], 7);
    assert_eq!(
        list[0]["repairs"][0]["text"],
        "I pulled over and held your hand"
    );
}

#[test]
fn appreciations_go_to_the_partner() {
    let root = tempfile::tempdir().unwrap();
    let alone = root.path().join("alone");
    run(&alone, &["init", "--name", "Sam"]);
    let err = run_err(&alone, &["appreciate", "thank you"]);
    assert!(err.contains("no shared space yet"), "{err}");

    let c = Couple::paired();
    run(
        &c.ana,
        &["appreciate", "Thank you for telling me about the message"],
    );
    c.sync();
    let list = json(&c.ben, &["appreciations", "--json"]);
    assert_eq!(list[0]["to"], member_id(&c.ben, "Ben").as_str());
    assert_eq!(list[0]["author"], member_id(&c.ben, "Ana").as_str());
    let human = run(&c.ben, &["appreciations"]);
    assert!(human.contains("Ana → Ben (you)"), "{human}");
}

#[test]
fn time_together_is_planned_and_each_says_how_it_went() {
    let c = Couple::paired();
    let out = run(
        &c.ana,
        &[
            "together",
            "plan",
            "memory",
            "Walk where we first met",
            "--on",
            "2026-12-05",
        ],
    );
    assert!(out.contains("2026-12-05"), "{out}");
    let err = run_err(
        &c.ana,
        &["together", "plan", "date", "Dinner", "--on", "tomorrow"],
    );
    assert!(err.contains("must be a date like"), "{err}");
    let list = json(&c.ana, &["together", "list", "--json"]);
    let id = first_id(&list);
    assert_eq!(list[0]["kind"], "recreate_memory");

    c.sync();
    let err = run_err(&c.ben, &["together", "outcome", &id[..8], "--felt", "8"]);
    assert!(err.contains("--happened"), "{err}");
    let err = run_err(
        &c.ben,
        &[
            "together",
            "outcome",
            &id[..8],
            "--happened",
            "--felt",
            "12",
        ],
    );
    assert!(err.contains("between 0 and 10"), "{err}");
    run(
        &c.ben,
        &[
            "together",
            "outcome",
            &id[..8],
            "--happened",
            "--felt",
            "8",
            "--note",
            "felt close",
        ],
    );
    run(
        &c.ana,
        &["together", "outcome", &id[..8], "--happened", "--felt", "6"],
    );
    c.sync();
    let list = json(&c.ana, &["together", "list", "--json"]);
    assert_eq!(list[0]["outcomes"].as_array().unwrap().len(), 2);
    let human = run(&c.ana, &["together", "list"]);
    assert!(
        human.contains("recreate a memory") && human.contains("felt 8"),
        "{human}"
    );
}

#[test]
fn only_the_hurt_partner_moves_the_phase_forward() {
    let c = Couple::with_roles();
    let phase = json(&c.ben, &["phase", "--json"]);
    assert_eq!(phase["current"], "atone");
    assert_eq!(phase["history"], serde_json::json!([]));
    assert!(run(&c.ben, &["phase"]).contains("Current phase: atone"));

    assert_not_allowed(&c.ben, &["phase", "set", "attune"]);
    run(
        &c.ana,
        &["phase", "set", "attune", "--note", "ready to talk more"],
    );
    assert_not_allowed(&c.ana, &["phase", "set", "attune"]);

    c.sync();
    let phase = json(&c.ben, &["phase", "--json"]);
    assert_eq!(phase["current"], "attune");
    assert_eq!(phase["history"][0]["from"], "atone");
    assert_eq!(phase["history"][0]["note"], "ready to talk more");
    // Either partner may move it back.
    run(&c.ben, &["phase", "set", "atone"]);
    let human = run(&c.ben, &["phase"]);
    assert!(
        human.contains("atone → attune") && human.contains("attune → atone"),
        "{human}"
    );
}

#[test]
fn the_trust_survey_is_answered_once_a_month() {
    let c = Couple::paired();
    let items = run(&c.ana, &["survey", "items"]);
    assert!(items.contains("1.") && items.contains("6."), "{items}");
    assert_eq!(
        json(&c.ana, &["survey", "items", "--json"])
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let out = run(
        &c.ana,
        &[
            "survey",
            "answer",
            "3",
            "3",
            "2",
            "4",
            "1",
            "2",
            "--day",
            "2026-11-20",
        ],
    );
    assert!(out.contains("2026-11") && out.contains("score 63"), "{out}");
    let out = run(
        &c.ana,
        &[
            "survey",
            "answer",
            "4",
            "4",
            "4",
            "4",
            "4",
            "4",
            "--day",
            "2026-11-25",
        ],
    );
    assert!(
        out.contains("updated") && out.contains("score 100"),
        "{out}"
    );
    let err = run_err(&c.ana, &["survey", "answer", "1", "2", "3"]);
    assert!(err.contains("expected 6 answers"), "{err}");
    let err = run_err(&c.ana, &["survey", "answer", "5", "5", "5", "5", "5", "-1"]);
    assert!(err.contains("between 0 and 4"), "{err}");

    c.sync();
    let list = json(&c.ben, &["survey", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["month"], "2026-11");
    assert_eq!(list[0]["score"], 100);
    assert_eq!(list[0]["revisions"].as_array().unwrap().len(), 1);
}

#[test]
fn commitments_are_logged_and_ended_by_their_author() {
    let c = Couple::paired();
    run(
        &c.ben,
        &[
            "commitment",
            "make",
            "no-contact",
            "No contact with her, in any form",
        ],
    );
    let id = first_id(&json(&c.ben, &["commitment", "list", "--json"]));
    run(
        &c.ben,
        &[
            "commitment",
            "log",
            &id[..8],
            "--kept",
            "--day",
            "2026-11-20",
        ],
    );
    let out = run(
        &c.ben,
        &[
            "commitment",
            "log",
            &id[..8],
            "--slipped",
            "--note",
            "she called and I picked up; I told Ana",
        ],
    );
    assert!(out.contains("Thank you for saying so"), "{out}");

    c.sync();
    assert_not_allowed(&c.ana, &["commitment", "log", &id[..8], "--kept"]);
    assert_not_allowed(&c.ana, &["commitment", "end", &id[..8]]);
    run(&c.ben, &["commitment", "end", &id[..8]]);
    let err = run_err(&c.ben, &["commitment", "log", &id[..8], "--kept"]);
    assert!(
        err.contains("not allowed") && err.contains("ended"),
        "{err}"
    );
    let err = run_err(&c.ben, &["commitment", "make", "promise", "x"]);
    assert!(err.contains("invalid value"), "{err}");

    c.sync();
    let list = json(&c.ana, &["commitment", "list", "--json"]);
    assert_eq!(list[0]["kind"], "no_contact");
    assert_eq!(list[0]["log"].as_array().unwrap().len(), 2);
    assert!(list[0]["ended_at"].is_i64());
    let human = run(&c.ana, &["commitment", "list"]);
    assert!(
        human.contains("[no contact]") && human.contains("kept 1 day, slipped 1"),
        "{human}"
    );
}

#[test]
fn sync_says_what_the_partner_added_without_its_content() {
    let c = Couple::paired();
    run(
        &c.ben,
        &[
            "checkin",
            "--safety",
            "6",
            "--trust",
            "5",
            "--connection",
            "6",
            "--note",
            "a private worry",
        ],
    );
    run(&c.ben, &["appreciate", "Thank you for the walk"]);
    run(
        &c.ana,
        &[
            "checkin",
            "--safety",
            "4",
            "--trust",
            "3",
            "--connection",
            "5",
        ],
    );
    let out = c.sync();
    assert!(out.contains("Your partner checked in."), "{out}");
    assert!(out.contains("Your partner appreciated you."), "{out}");
    assert!(
        !out.contains("private worry") && !out.contains("walk"),
        "{out}"
    );
    // Nothing new the second time.
    let again = c.sync();
    assert!(!again.contains("Your partner"), "{again}");
    // In the user's language (--lang; LANG alike, see lang.rs).
    run(&c.ben, &["appreciate", "Thank you for dinner"]);
    let spanish = c.sync_between_with(&c.ben, &c.ana, &["--lang", "es", "sync"]);
    assert!(
        spanish.contains("Tu pareja te expresó su aprecio."),
        "{spanish}"
    );
}

#[test]
fn a_request_is_answered_by_the_asked_and_not_now_never_counts() {
    let c = Couple::with_roles();
    run(&c.ana, &["request", "make", "Text me every hour"]);
    let id = first_id(&json(&c.ana, &["request", "list", "--json"]));
    c.sync();
    assert_not_allowed(&c.ana, &["request", "answer", &id[..8], "yes"]);
    let out = run(
        &c.ben,
        &[
            "request",
            "answer",
            &id[..8],
            "not-now",
            "--note",
            "can we talk about it with the therapist",
        ],
    );
    assert!(out.contains("not now"), "{out}");
    // Having said not now, logging it done is refused until a yes.
    assert_not_allowed(&c.ben, &["request", "done", &id[..8]]);
    c.sync();
    let human = run(&c.ana, &["request", "list"]);
    assert!(human.contains("Ben said: not now"), "{human}");
    let windows = json(&c.ana, &["consistency", "--json"]);
    assert_eq!(windows[0]["requests"]["done"], 0);
    let timeline = run(&c.ana, &["timeline", "--kind", "request"]);
    assert!(
        timeline.contains("Ben answered a request: not now: Text me every hour"),
        "{timeline}"
    );
}

#[test]
fn a_role_change_and_a_summary_show_on_the_other_phone() {
    let c = Couple::with_roles();
    run(&c.ben, &["role", "hurt"]);
    run(
        &c.ben,
        &[
            "checkin",
            "--safety",
            "6",
            "--trust",
            "5",
            "--connection",
            "4",
            "--note",
            "I keep thinking about it",
        ],
    );
    c.sync();
    let timeline = run(&c.ana, &["timeline", "--kind", "member"]);
    assert!(
        timeline.contains("Ben changed their role: role: “I broke the trust” → “I was hurt”"),
        "{timeline}"
    );

    let today = jiff::Zoned::now().date();
    let from = today
        .checked_sub(jiff::Span::new().days(7))
        .unwrap()
        .to_string();
    let until = today
        .checked_add(jiff::Span::new().days(1))
        .unwrap()
        .to_string();
    let out = tempfile::tempdir().unwrap();
    let summary = |dir: &str| {
        let target = out.path().join(dir);
        run(
            &c.ana,
            &[
                "summary",
                "--from",
                &from,
                "--until",
                &until,
                "--kinds",
                "checkins",
                "--out",
                target.to_str().unwrap(),
            ],
        );
        std::fs::read_to_string(target.join("summary.md")).unwrap()
    };
    let first = summary("first");
    assert!(!first.contains("I keep thinking about it"), "{first}");
    assert!(first.contains("(note not shared)"), "{first}");
    c.sync();

    // Ben sees that Ana made one, and which of his records it drew on.
    let ben_checkin = first_id(&json(&c.ben, &["checkins", "--json"]));
    let traces = json(&c.ben, &["summaries", "list", "--json"]);
    assert_eq!(traces[0]["drew_on"][0], ben_checkin.as_str(), "{traces}");
    let human = run(&c.ben, &["summaries", "list"]);
    assert!(
        human.contains("Ana prepared a summary for a therapist")
            && human.contains("drew on 1 of your records"),
        "{human}"
    );
    let timeline = run(&c.ben, &["timeline", "--kind", "summary"]);
    assert!(timeline.contains("Ana prepared a summary"), "{timeline}");

    // Once Ben allows his words, the next summary carries his note.
    run(&c.ben, &["summaries", "my-words", "on"]);
    c.sync();
    let second = summary("second");
    assert!(second.contains("I keep thinking about it"), "{second}");
}
