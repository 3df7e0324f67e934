//! Documents written by the walking skeleton (schema 1) open, read and
//! migrate; only the space's creator migrates, and the partner's writes
//! that need the new maps wait for it.

mod common;

use common::{DAY, T0};
use kintsugi_core::automerge::transaction::Transactable;
use kintsugi_core::automerge::{ActorId, AutoCommit, ObjType, ROOT};
use kintsugi_core::*;

/// The skeleton's layout, written the way the skeleton wrote it.
fn schema1_document() -> Vec<u8> {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(vec![0xa; 16]));
    let ana = "0a".repeat(16);
    let ben = "0b".repeat(16);
    doc.put(ROOT, "schema_version", 1u64).unwrap();
    doc.put(ROOT, "couple_id", "c0ffee").unwrap();
    doc.put(ROOT, "created_at", T0).unwrap();
    doc.put(ROOT, "created_by", ana.as_str()).unwrap();
    let members = doc.put_object(ROOT, "members", ObjType::Map).unwrap();
    for (id, name) in [(&ana, "Ana"), (&ben, "Ben")] {
        let m = doc.put_object(&members, id.as_str(), ObjType::Map).unwrap();
        doc.put(&m, "name", name).unwrap();
        doc.put(&m, "joined_at", T0).unwrap();
    }
    let agreements = doc.put_object(ROOT, "agreements", ObjType::Map).unwrap();
    let a = doc.put_object(&agreements, "agr1", ObjType::Map).unwrap();
    doc.put(&a, "text", "No contact").unwrap();
    doc.put(&a, "proposed_by", ben.as_str()).unwrap();
    doc.put(&a, "proposed_at", T0).unwrap();
    let p = doc.put_object(&agreements, "agr2", ObjType::Map).unwrap();
    doc.put(&p, "text", "Walks on Sunday").unwrap();
    doc.put(&p, "proposed_by", ben.as_str()).unwrap();
    doc.put(&p, "proposed_at", T0 + 1).unwrap();
    doc.put(&p, "accepted_by", ana.as_str()).unwrap();
    doc.put(&p, "accepted_at", T0 + 2).unwrap();
    let checkins = doc.put_object(ROOT, "checkins", ObjType::Map).unwrap();
    let c = doc.put_object(&checkins, "chk1", ObjType::Map).unwrap();
    doc.put(&c, "author", ana.as_str()).unwrap();
    doc.put(&c, "recorded_at", T0 + DAY + 5).unwrap();
    doc.put(&c, "safety", 4u64).unwrap();
    doc.put(&c, "trust", 3u64).unwrap();
    doc.put(&c, "connection", 5u64).unwrap();
    let moods = doc.put_object(&c, "moods", ObjType::List).unwrap();
    doc.insert(&moods, 0, "sad").unwrap();
    doc.commit();
    doc.save()
}

#[test]
fn a_schema1_document_reads_as_before() {
    let doc = CoupleDoc::load(&schema1_document(), &ActorId::from(vec![0xa; 16])).unwrap();
    assert_eq!(doc.schema_version().unwrap(), 1);
    let agreements = doc.agreements();
    assert_eq!(agreements[0].status(), AgreementStatus::Proposed);
    assert_eq!(agreements[1].status(), AgreementStatus::InForce);
    assert_eq!(agreements[1].text(), "Walks on Sunday");
    let checkin = &doc.checkins()[0];
    assert_eq!(
        (checkin.day.as_str(), checkin.safety, checkin.moods.clone()),
        ("2026-01-06", 4, vec!["sad".to_owned()])
    );
    let members = doc.members();
    assert!(members.iter().all(|m| m.role == Role::Unsaid));
}

#[test]
fn the_first_write_migrates_and_old_records_keep_working() {
    let mut ana = CoupleDoc::load(&schema1_document(), &ActorId::from(vec![0xa; 16])).unwrap();
    ana.make_request("Call me at lunch", T0 + 2 * DAY).unwrap();
    assert_eq!(ana.schema_version().unwrap(), SCHEMA_VERSION);
    // The skeleton's pending agreement can still be accepted, and keeps its wording.
    let a = ana.accept_agreement("agr1", T0 + 3 * DAY).unwrap();
    assert_eq!(a.status(), AgreementStatus::InForce);
    assert_eq!(a.text(), "No contact");
    assert_eq!(ana.checkins().len(), 1);
}

/// Both phones on a schema 1 document: Ana made the space, Ben joined it.
fn skeleton_couple() -> (CoupleDoc, CoupleDoc) {
    let v1 = schema1_document();
    let ana = CoupleDoc::load(&v1, &ActorId::from(vec![0xa; 16])).unwrap();
    let ben = CoupleDoc::load(&v1, &ActorId::from(vec![0xb; 16])).unwrap();
    (ana, ben)
}

fn both_see_every_record(ana: &CoupleDoc, ben: &CoupleDoc) {
    for doc in [ana, ben] {
        assert_eq!(doc.requests().len(), 1);
        assert_eq!(doc.disclosures().len(), 1);
        assert_eq!(doc.appreciations().len(), 2, "both thanks survive");
    }
    assert_eq!(ana.snapshot(), ben.snapshot());
}

/// Runs Automerge's sync protocol between two documents until both are
/// quiet, the way kintsugi-sync does: every received message through the
/// receiver's door.
fn sync_until_quiet(a: &mut CoupleDoc, b: &mut CoupleDoc, now: i64) {
    use kintsugi_core::automerge::sync::{State, SyncDoc};
    let (door_a, door_b) = (common::door(a, b), common::door(b, a));
    let (mut sa, mut sb) = (State::new(), State::new());
    for _ in 0..20 {
        let to_b = a.automerge_mut().sync().generate_sync_message(&mut sa);
        let to_a = b.automerge_mut().sync().generate_sync_message(&mut sb);
        if to_b.is_none() && to_a.is_none() {
            return;
        }
        if let Some(m) = to_b {
            b.receive_sync_message(&mut sb, m, now, &door_b).unwrap();
        }
        if let Some(m) = to_a {
            a.receive_sync_message(&mut sa, m, now, &door_a).unwrap();
        }
    }
    panic!("sync did not settle");
}

#[test]
fn only_the_creator_migrates_and_the_partner_writes_once_it_arrives() {
    let (mut ana, mut ben) = skeleton_couple();
    // Ben's app cannot add the new root maps itself: every door refuses a
    // root map from anyone but the space's creator, so two phones never
    // both create one while apart.
    assert!(matches!(
        ben.disclose("She emailed; I did not reply", None, T0 + DAY),
        Err(CoreError::SpaceNeedsUpdate)
    ));
    assert!(!ben.migrate(T0 + DAY).unwrap());
    assert_eq!(ben.schema_version().unwrap(), 1);
    // What fits the old layout still works on Ben's phone meanwhile.
    ben.propose_agreement(&AgreementDraft::new("Phones away at dinner"), T0 + DAY)
        .unwrap();

    ana.make_request("Call me at lunch", T0 + DAY).unwrap();
    ana.appreciate("Thank you for the flowers", T0 + DAY)
        .unwrap();
    sync_until_quiet(&mut ana, &mut ben, T0 + 2 * DAY);
    ben.disclose("She emailed; I did not reply", None, T0 + 2 * DAY)
        .unwrap();
    ben.appreciate("Thank you for listening", T0 + 2 * DAY)
        .unwrap();
    sync_until_quiet(&mut ana, &mut ben, T0 + 3 * DAY);
    both_see_every_record(&ana, &ben);
    assert_eq!(ana.agreements().len(), 3);
}

#[test]
fn writing_into_an_old_record_migrates_the_document_first() {
    let (mut ana, mut ben) = skeleton_couple();
    // Ana (the creator) revises the skeleton-era agreement Ben proposed and
    // she accepted: the space migrates, and its wording becomes version 1.
    ana.revise_agreement(
        "agr2",
        &AgreementDraft::new("Walks on Sunday and Wednesday"),
        T0 + DAY,
    )
    .unwrap();
    assert_eq!(ana.schema_version().unwrap(), SCHEMA_VERSION);
    let a = ana.agreement("agr2").unwrap();
    assert_eq!(a.versions.len(), 2);
    assert_eq!(a.versions[0].text, "Walks on Sunday");
    assert_eq!(a.versions[0].by, "0b".repeat(16));
    assert_eq!(a.status(), AgreementStatus::RevisionPending);
    // Ben's door takes the rebuilt version 1 in Ben's name: it is what the
    // skeleton's fields said, written by either partner.
    sync_until_quiet(&mut ana, &mut ben, T0 + 2 * DAY);
    assert_eq!(ben.agreement("agr2").unwrap(), a);
    // Ben writing into the old record himself leaves the version alone.
    let mut later = CoupleDoc::load(&schema1_document(), &ActorId::from(vec![0xb; 16])).unwrap();
    later
        .revise_agreement("agr1", &AgreementDraft::new("No contact at all"), T0 + DAY)
        .unwrap();
    assert_eq!(
        later.schema_version().unwrap(),
        1,
        "only the creator migrates"
    );
    assert_eq!(later.agreement("agr1").unwrap().versions.len(), 2);
}
