//! A hostile partner: Ben's device runs a modified app that edits the
//! shared document with the raw Automerge API, under Ben's own (bound)
//! actor or under one it made up, and sends the result to Ana. Each case
//! is one thing the door refuses; each is sent both as a sync message of
//! single changes (checked before anything is applied) and as a whole
//! document (the trial copy of pairing, imports, backups), and Ana's
//! document must come out byte for byte as it was.

mod common;

use common::{Couple, DAY, T0, ana_door, ana_id, ben_id};
use kintsugi_core::automerge::sync::{ChunkList, Message, MessageVersion, State};
use kintsugi_core::automerge::transaction::Transactable;
use kintsugi_core::automerge::{ActorId, AutoCommit, Change, ObjId, ObjType, ROOT, ReadDoc};
use kintsugi_core::*;

/// Ana's records Ben's app will go after.
struct Scene {
    couple: Couple,
    checkin: String,
    agreement: String,
    ben_agreement: String,
    request: String,
    done: String,
    question: String,
}

fn scene() -> Scene {
    let mut couple = Couple::new();
    let now = T0 + DAY;
    let checkin = couple
        .ana
        .record_checkin(
            &CheckInInput {
                day: Some("2026-01-06".into()),
                safety: 3,
                trust: 2,
                connection: 4,
                note: Some("a hard evening".into()),
                ..Default::default()
            },
            now,
        )
        .unwrap();
    let agreement = couple
        .ana
        .propose_agreement(&AgreementDraft::new("No contact with her"), now)
        .unwrap();
    let request = couple.ana.make_request("Text me at lunch", now).unwrap();
    let question = couple
        .ana
        .ask_question("Where were you that night?", Some("night"), now)
        .unwrap();
    let ben_agreement = couple
        .ben
        .propose_agreement(&AgreementDraft::new("Sunday walks"), now)
        .unwrap();
    couple.sync();
    let done = couple.ben.log_request_done(&request, None, now).unwrap();
    couple.sync();
    Scene {
        couple,
        checkin,
        agreement,
        ben_agreement,
        request,
        done,
        question,
    }
}

/// The object at `path` (map keys from the root) in `doc`.
fn at(doc: &AutoCommit, path: &[&str]) -> ObjId {
    let mut obj = ROOT;
    for key in path {
        obj = match doc.get(&obj, *key).unwrap() {
            Some((_, id)) => id,
            None => panic!("nothing at {path:?}"),
        };
    }
    obj
}

/// Ben's modified app: his own document and actor, edited raw.
fn ben_writes(scene: &mut Scene, edit: impl FnOnce(&mut AutoCommit)) -> Vec<Change> {
    let mut doc = scene.couple.ben.automerge_mut().clone();
    let ana_heads = scene.couple.ana.heads();
    edit(&mut doc);
    doc.commit();
    doc.get_changes(&ana_heads)
}

/// Another actor altogether, on a copy of Ben's document.
fn stranger_writes(scene: &mut Scene, edit: impl FnOnce(&mut AutoCommit)) -> Vec<Change> {
    let mut doc = scene
        .couple
        .ben
        .automerge_mut()
        .clone()
        .with_actor(ActorId::from(vec![0xe; 16]));
    let ana_heads = scene.couple.ana.heads();
    edit(&mut doc);
    doc.commit();
    doc.get_changes(&ana_heads)
}

/// One raw edit a modified app makes.
type Edit = Box<dyn FnOnce(&mut AutoCommit)>;

fn fingerprint(doc: &mut CoupleDoc) -> (Vec<kintsugi_core::automerge::ChangeHash>, Vec<u8>) {
    (doc.heads(), doc.save())
}

/// Sends `changes` to Ana both ways; both must be refused for `why`, and
/// Ana's document must not change.
fn assert_refused(scene: &mut Scene, changes: &[Change], why: impl Fn(&Reason) -> bool) {
    assert!(!changes.is_empty());
    let before = fingerprint(&mut scene.couple.ana);
    let message = Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(
            changes
                .iter()
                .map(|c| c.raw_bytes().to_vec())
                .collect::<Vec<_>>(),
        ),
        flags: None,
        version: MessageVersion::V1,
    };
    let mut state = State::new();
    let sync =
        scene
            .couple
            .ana
            .receive_sync_message(&mut state, message, T0 + 2 * DAY, &ana_door());
    match &sync {
        Err(CoreError::Refused(refusal)) if why(&refusal.reason) => {}
        other => panic!("a sync message: expected a refusal, got {other:?}"),
    }
    assert_eq!(fingerprint(&mut scene.couple.ana), before);

    // The same changes as a saved document (the trial copy).
    let mut whole = scene.couple.ana.automerge_mut().clone();
    whole.apply_changes(changes.to_vec()).unwrap();
    let saved = whole.save();
    let merged = scene.couple.ana.merge_received(&saved, &ana_door());
    match &merged {
        Err(CoreError::Refused(refusal)) if why(&refusal.reason) => {}
        other => panic!("a whole document: expected a refusal, got {other:?}"),
    }
    assert_eq!(fingerprint(&mut scene.couple.ana), before);

    // And Ana still syncs with the honest Ben afterwards.
    scene
        .couple
        .ben
        .appreciate("Thank you for today", T0 + 2 * DAY)
        .unwrap();
    scene.couple.sync();
    assert_eq!(scene.couple.ana.heads(), scene.couple.ben.heads());
}

fn root(r: &Reason) -> bool {
    matches!(r, Reason::Root { .. })
}
fn not_theirs(r: &Reason) -> bool {
    matches!(r, Reason::NotTheirs { .. })
}
fn wrong_value(r: &Reason) -> bool {
    matches!(r, Reason::WrongValue { .. })
}

#[test]
fn a_root_map_retyped_is_refused_and_the_record_stays() {
    let mut s = scene();
    for (key, kind) in [
        ("checkins", "text"),
        ("members", "text"),
        ("phase_changes", "list"),
        ("agreements", "map"),
    ] {
        let changes = ben_writes(&mut s, |doc| match kind {
            "text" => doc.put(ROOT, key, "gone").unwrap(),
            "list" => drop(doc.put_object(ROOT, key, ObjType::List).unwrap()),
            _ => drop(doc.put_object(ROOT, key, ObjType::Map).unwrap()),
        });
        assert_refused(&mut s, &changes, root);
    }
    assert_eq!(s.couple.ana.checkins().len(), 1);
    assert_eq!(s.couple.ana.members().len(), 2);
}

#[test]
fn the_schema_version_and_couple_id_cannot_be_deleted_or_retyped() {
    let mut s = scene();
    let edits: Vec<Edit> = vec![
        Box::new(|doc| doc.delete(ROOT, "schema_version").unwrap()),
        Box::new(|doc| doc.put(ROOT, "schema_version", 3u64).unwrap()),
        Box::new(|doc| doc.put(ROOT, "schema_version", "two").unwrap()),
        Box::new(|doc| doc.put(ROOT, "couple_id", 7i64).unwrap()),
        Box::new(|doc| doc.delete(ROOT, "couple_id").unwrap()),
        Box::new(|doc| doc.put(ROOT, "created_by", ben_id()).unwrap()),
        Box::new(|doc| doc.put(ROOT, "location", "52.52,13.40").unwrap()),
    ];
    for edit in edits {
        let changes = ben_writes(&mut s, edit);
        assert_refused(&mut s, &changes, root);
    }
    // Ana's device still opens its document.
    let saved = s.couple.ana.save();
    let actor = s.couple.ana.automerge_mut().get_actor().clone();
    assert!(CoupleDoc::load(&saved, &actor).is_ok());
}

#[test]
fn a_record_is_never_deleted_or_replaced() {
    let mut s = scene();
    let id = s.checkin.clone();
    let changes = ben_writes(&mut s, |doc| {
        let checkins = at(doc, &["checkins"]);
        doc.delete(&checkins, id.as_str()).unwrap();
    });
    assert_refused(&mut s, &changes, |r| matches!(r, Reason::Deleted { .. }));

    let id = s.checkin.clone();
    let changes = ben_writes(&mut s, |doc| {
        let checkins = at(doc, &["checkins"]);
        let fake = doc
            .put_object(&checkins, id.as_str(), ObjType::Map)
            .unwrap();
        doc.put(&fake, "author", ben_id()).unwrap();
    });
    assert_refused(&mut s, &changes, |r| matches!(r, Reason::Replaced { .. }));

    // A map made "concurrently" at the same id would hide Ana's if it won
    // the conflict: Ben's app writes it on top of what it held before her
    // check-in arrived, so it names nothing it replaces.
    let mut couple = Couple::new();
    let ben_heads = couple.ben.heads();
    let id = couple
        .ana
        .record_checkin(
            &CheckInInput {
                day: Some("2026-01-06".into()),
                safety: 3,
                trust: 2,
                connection: 4,
                ..Default::default()
            },
            T0 + DAY,
        )
        .unwrap();
    couple.sync();
    let mut fork = couple.ben.automerge_mut().fork_at(&ben_heads).unwrap();
    fork.set_actor(couple.ben.automerge_mut().get_actor().clone());
    let checkins = at(&fork, &["checkins"]);
    let shadow = fork
        .put_object(&checkins, id.as_str(), ObjType::Map)
        .unwrap();
    fork.put(&shadow, "author", ben_id()).unwrap();
    fork.commit();
    let changes = fork.get_changes(&ben_heads);
    let mut s = Scene { couple, ..s };
    assert_refused(&mut s, &changes, |r| matches!(r, Reason::Replaced { .. }));
    assert_eq!(s.couple.ana.checkins().len(), 1);
}

#[test]
fn another_members_record_cannot_be_edited() {
    let mut s = scene();
    let id = s.checkin.clone();
    let changes = ben_writes(&mut s, |doc| {
        let checkin = at(doc, &["checkins", &id]);
        doc.put(&checkin, "note", "all fine, really").unwrap();
    });
    assert_refused(&mut s, &changes, not_theirs);

    // Nor a name or a role.
    let changes = ben_writes(&mut s, |doc| {
        let ana = at(doc, &["members", &ana_id()]);
        doc.put(&ana, "role", "broke_trust").unwrap();
    });
    assert_refused(&mut s, &changes, not_theirs);

    // Nor Ana's acknowledgement of what Ben did for her request.
    let (request, done) = (s.request.clone(), s.done.clone());
    let changes = ben_writes(&mut s, |doc| {
        let ack = at(doc, &["requests", &request, "done", &done, "ack"]);
        doc.put(&ack, "landed", true).unwrap();
        doc.put(&ack, "at", T0).unwrap();
    });
    assert_refused(&mut s, &changes, not_theirs);
}

#[test]
fn nothing_is_written_in_the_other_members_name() {
    let mut s = scene();
    // A disclosure "by Ana".
    let changes = ben_writes(&mut s, |doc| {
        let disclosures = at(doc, &["disclosures"]);
        let d = doc
            .put_object(
                &disclosures,
                "d15c105ed15c105ed15c105ed15c105e",
                ObjType::Map,
            )
            .unwrap();
        doc.put(&d, "author", ana_id()).unwrap();
        doc.put(&d, "at", T0).unwrap();
        doc.put(&d, "what", "I made it all up").unwrap();
        doc.put_object(&d, "revisions", ObjType::Map).unwrap();
    });
    assert_refused(&mut s, &changes, wrong_value);

    // "Ana accepted" Ben's agreement.
    let agreement = s.ben_agreement.clone();
    let changes = ben_writes(&mut s, |doc| {
        let versions = at(doc, &["agreements", &agreement, "versions"]);
        let version = doc.keys(&versions).next().unwrap();
        let accepted = at(
            doc,
            &["agreements", &agreement, "versions", &version, "accepted"],
        );
        doc.put(&accepted, ana_id().as_str(), T0 + DAY).unwrap();
    });
    assert_refused(&mut s, &changes, not_theirs);

    // Ana "withdrew" her own proposal.
    let agreement = s.agreement.clone();
    let changes = ben_writes(&mut s, |doc| {
        let a = at(doc, &["agreements", &agreement]);
        doc.put(&a, "withdrawn_at", T0 + DAY).unwrap();
        doc.put(&a, "withdrawn_by", ana_id()).unwrap();
    });
    assert_refused(&mut s, &changes, wrong_value);

    // A member entry for Ana written by Ben.
    let changes = ben_writes(&mut s, |doc| {
        let members = at(doc, &["members"]);
        let m = doc
            .put_object(&members, "0c".repeat(16).as_str(), ObjType::Map)
            .unwrap();
        doc.put(&m, "name", "Cat").unwrap();
    });
    assert_refused(&mut s, &changes, not_theirs);
    assert!(s.couple.ana.disclosures().is_empty());
}

#[test]
fn fields_keep_their_type_and_nothing_unknown_comes_in() {
    let mut s = scene();
    let changes = ben_writes(&mut s, |doc| {
        let checkins = at(doc, &["checkins"]);
        let c = doc
            .put_object(&checkins, "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0", ObjType::Map)
            .unwrap();
        doc.put(&c, "author", ben_id()).unwrap();
        doc.put(&c, "safety", "very").unwrap();
    });
    assert_refused(&mut s, &changes, wrong_value);

    let changes = ben_writes(&mut s, |doc| {
        let checkins = at(doc, &["checkins"]);
        let c = doc
            .put_object(&checkins, "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1", ObjType::Map)
            .unwrap();
        doc.put(&c, "author", ben_id()).unwrap();
        doc.put(&c, "location", "52.52,13.40").unwrap();
    });
    assert_refused(&mut s, &changes, |r| matches!(r, Reason::Unknown { .. }));

    let changes = ben_writes(&mut s, |doc| {
        let a = at(doc, &["appreciations"]);
        let c = doc
            .put_object(&a, "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", ObjType::Map)
            .unwrap();
        doc.put(&c, "author", ben_id()).unwrap();
        doc.put(&c, "text", "x".repeat(10_000)).unwrap();
    });
    assert_refused(&mut s, &changes, wrong_value);
}

#[test]
fn the_rules_of_each_record_hold_for_received_changes() {
    let mut s = scene();
    // Ben says "I broke the trust"; a forward phase move is not his.
    let changes = ben_writes(&mut s, |doc| {
        let phases = at(doc, &["phase_changes"]);
        let p = doc
            .put_object(&phases, "9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a", ObjType::Map)
            .unwrap();
        doc.put(&p, "by", ben_id()).unwrap();
        doc.put(&p, "at", T0 + DAY).unwrap();
        doc.put(&p, "from", "atone").unwrap();
        doc.put(&p, "to", "attach").unwrap();
    });
    assert_refused(&mut s, &changes, |r| matches!(r, Reason::Rule { .. }));

    // Parking Ana's question is hers alone.
    let question = s.question.clone();
    let changes = ben_writes(&mut s, |doc| {
        let responses = at(doc, &["questions", &question, "responses"]);
        let r = doc
            .put_object(&responses, "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e", ObjType::Map)
            .unwrap();
        doc.put(&r, "by", ben_id()).unwrap();
        doc.put(&r, "at", T0 + DAY).unwrap();
        doc.put(&r, "kind", "park").unwrap();
    });
    assert_refused(&mut s, &changes, |r| matches!(r, Reason::Rule { .. }));

    // An offer with no end in sight.
    let changes = ben_writes(&mut s, |doc| {
        let offers = at(doc, &["offers"]);
        let o = doc
            .put_object(&offers, "0ff00ff00ff00ff00ff00ff00ff00ff0", ObjType::Map)
            .unwrap();
        doc.put(&o, "owner", ben_id()).unwrap();
        doc.put(&o, "text", "my phone").unwrap();
        doc.put(&o, "offered_at", T0).unwrap();
        doc.put(&o, "expires_at", T0 + 400 * DAY).unwrap();
    });
    assert_refused(&mut s, &changes, |r| matches!(r, Reason::Rule { .. }));

    // A request is done by the partner who was asked, never by its asker.
    let request = s.couple.ben.make_request("Walk with me", T0 + DAY).unwrap();
    s.couple.sync();
    let changes = ben_writes(&mut s, |doc| {
        let done = at(doc, &["requests", &request, "done"]);
        let e = doc
            .put_object(&done, "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0", ObjType::Map)
            .unwrap();
        doc.put(&e, "by", ben_id()).unwrap();
    });
    assert_refused(&mut s, &changes, not_theirs);
}

#[test]
fn an_actor_nobody_bound_writes_nothing() {
    let mut s = scene();
    let changes = stranger_writes(&mut s, |doc| {
        let a = at(doc, &["appreciations"]);
        let c = doc
            .put_object(&a, "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1", ObjType::Map)
            .unwrap();
        doc.put(&c, "author", ben_id()).unwrap();
        doc.put(&c, "to", ana_id()).unwrap();
        doc.put(&c, "at", T0).unwrap();
        doc.put(&c, "text", "Thank you").unwrap();
    });
    assert_refused(&mut s, &changes, |r| matches!(r, Reason::UnboundActor));
}

#[test]
fn an_honest_partner_passes_every_door() {
    // The convergence property test runs random honest operations through
    // both doors; this is the plain day of a couple, for a quick read.
    let mut s = scene();
    let now = T0 + 3 * DAY;
    let (agreement, question, request, done) = (
        s.agreement.clone(),
        s.question.clone(),
        s.request.clone(),
        s.done.clone(),
    );
    s.couple.ben.accept_agreement(&agreement, now).unwrap();
    s.couple
        .ben
        .respond_to_question(&question, Respond::NotReadyYet, now)
        .unwrap();
    s.couple
        .ben
        .disclose("She called; I did not answer", None, now)
        .unwrap();
    s.couple.sync();
    s.couple
        .ana
        .acknowledge_done(&request, &done, true, Some("it helped"), now)
        .unwrap();
    s.couple.ana.set_phase(Phase::Attune, None, now).unwrap();
    s.couple.sync();
    s.couple.ben.withdraw_agreement(&agreement, now).unwrap();
    s.couple.merge();
    assert_eq!(s.couple.ana.snapshot(), s.couple.ben.snapshot());
}

#[test]
fn a_modified_app_cannot_fake_roles_answers_or_summary_traces() {
    let mut s = scene();
    let now = T0 + 2 * DAY;
    // Ben, who says he broke the trust, moves the phase back (his right) but
    // records the move as made by a partner who was hurt.
    s.couple.ana.set_phase(Phase::Attune, None, now).unwrap();
    s.couple.sync();
    let changes = ben_writes(&mut s, |doc| {
        let phases = at(doc, &["phase_changes"]);
        let p = doc
            .put_object(&phases, "9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a", ObjType::Map)
            .unwrap();
        doc.put(&p, "by", ben_id()).unwrap();
        doc.put(&p, "at", now).unwrap();
        doc.put(&p, "from", "attune").unwrap();
        doc.put(&p, "to", "atone").unwrap();
        doc.put(&p, "role", "hurt").unwrap();
    });
    assert_refused(&mut s, &changes, |r| matches!(r, Reason::Rule { .. }));

    // The asker answers their own request: only the asked partner answers.
    let own = s.couple.ben.make_request("Walk with me", now).unwrap();
    s.couple.sync();
    let changes = ben_writes(&mut s, |doc| {
        let answers = at(doc, &["requests", &own, "answers"]);
        let a = doc
            .put_object(&answers, "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5", ObjType::Map)
            .unwrap();
        doc.put(&a, "by", ben_id()).unwrap();
        doc.put(&a, "at", now).unwrap();
        doc.put(&a, "kind", "yes").unwrap();
    });
    assert_refused(&mut s, &changes, not_theirs);

    // Ana's summary setting and her summary traces are hers alone.
    let ana = ana_id();
    let changes = ben_writes(&mut s, |doc| {
        let member = at(doc, &["members", &ana]);
        doc.put(&member, "words_in_summaries", true).unwrap();
    });
    assert_refused(&mut s, &changes, not_theirs);
    let changes = ben_writes(&mut s, |doc| {
        let member = at(doc, &["members", &ana]);
        doc.put_object(&member, "summaries", ObjType::Map).unwrap();
    });
    assert_refused(&mut s, &changes, not_theirs);

    // A summary trace of his own that names something that is not a record id.
    let ben = ben_id();
    let changes = ben_writes(&mut s, |doc| {
        let member = at(doc, &["members", &ben]);
        let summaries = doc.put_object(&member, "summaries", ObjType::Map).unwrap();
        let e = doc
            .put_object(&summaries, "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", ObjType::Map)
            .unwrap();
        doc.put(&e, "at", now).unwrap();
        let list = doc.put_object(&e, "drew_on", ObjType::List).unwrap();
        doc.insert(&list, 0, "Ana's note: I felt unsafe").unwrap();
    });
    assert_refused(&mut s, &changes, wrong_value);
}
