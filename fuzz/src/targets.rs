//! One function per door: what a partner's or a file's bytes meet, called
//! exactly as the app calls it (no mocks). A refused input must come back
//! as an error; a panic anywhere is a finding. Where it is cheap, each also
//! checks an invariant of the door: a refused input leaves the document as
//! it was, an admitted one never holds a change in the receiver's own name.
//!
//! Shared by the fuzz targets (`fuzz/fuzz_targets/`) and the corpus replay
//! test (`tests/tests/fuzz_corpus.rs`, which includes this file by path).

#[path = "fixture.rs"]
pub mod fixture;

use automerge::ChangeHash;
use automerge::sync::State;
use kintsugi_core::{CoupleDoc, Door};
use kintsugi_sync::framing::{MAX_FRAME, decode_frames};
use kintsugi_sync::pairing::exchange::{
    Answer, Inviter, InviterEffect, Joiner, JoinerEffect, Side, Step, proof,
};
use kintsugi_sync::{Invite, Partner, SyncError};

use fixture::{ANA, BEN, T0};

/// Ana's shared document when Ben's bytes arrive, written by the seed
/// generator with the corpora (they must match: the seeds' changes depend
/// on this document's).
pub static ANA_DOC: &[u8] = include_bytes!("../fixture/ana.automerge");

/// The names of the targets, as directories under `fuzz/corpus/`.
pub const TARGETS: [&str; 8] = [
    "frames",
    "sync_message",
    "first_document",
    "merge_file",
    "bundle",
    "backup",
    "invite",
    "pairing",
];

/// Runs target `name` on `data`.
pub fn run(name: &str, data: &[u8]) {
    match name {
        "frames" => frames(data),
        "sync_message" => sync_message(data),
        "first_document" => first_document(data),
        "merge_file" => merge_file(data),
        "bundle" => bundle(data),
        "backup" => backup(data),
        "invite" => invite(data),
        "pairing" => pairing(data),
        other => panic!("no fuzz target {other}"),
    }
}

fn ana() -> CoupleDoc {
    CoupleDoc::load(ANA_DOC, &fixture::actor(ANA)).expect("the fixture loads")
}

/// `doc` as it was: its heads and saved bytes.
fn state_of(doc: &mut CoupleDoc) -> (Vec<ChangeHash>, Vec<u8>) {
    (doc.heads(), doc.save())
}

/// After an input was refused: not a byte of the document moved.
fn assert_unchanged(doc: &mut CoupleDoc, before: &(Vec<ChangeHash>, Vec<u8>), what: &str) {
    assert_eq!(
        doc.heads(),
        before.0,
        "{what}: refused, yet the heads moved"
    );
    assert_eq!(
        doc.save(),
        before.1,
        "{what}: refused, yet the document changed"
    );
}

/// After an input was admitted: nothing new is in `me`'s name, and the
/// document saves, reloads and reads.
fn assert_admitted(doc: &mut CoupleDoc, before: &[ChangeHash], me: [u8; 16]) {
    let me = fixture::actor(me);
    assert!(
        doc.automerge_mut()
            .get_changes_meta(before)
            .iter()
            .all(|c| *c.actor != me),
        "a change in the receiver's own name came in"
    );
    let reloaded = CoupleDoc::load(&doc.save(), &me).expect("an admitted document reloads");
    let _ = reloaded.snapshot();
}

// ------------------------------------------------------------- frames

/// The wire format read the plain way: a 4-byte big-endian length, then
/// that many bytes; a length over `max` or a stream ending inside a frame
/// is refused.
fn reference_frames(mut bytes: &[u8], max: usize) -> Option<Vec<&[u8]>> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let head: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
        let len = u32::from_be_bytes(head) as usize;
        if len > max {
            return None;
        }
        frames.push(bytes.get(4..4 + len)?);
        bytes = &bytes[4 + len..];
    }
    Some(frames)
}

/// `kintsugi_sync::framing::decode_frames`, what `FrameReader` does with a
/// stream, against the reference, at a small limit (within a mutation's
/// reach) and at the real one.
pub fn frames(data: &[u8]) {
    for max in [64, MAX_FRAME] {
        let decoded = decode_frames(data, max);
        match (&decoded, reference_frames(data, max)) {
            (Ok(frames), Some(reference)) => {
                let frames: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
                assert_eq!(frames, reference, "frames differ from the wire format");
            }
            (Err(SyncError::Protocol(_)), None) => {}
            (decoded, reference) => {
                panic!("decoder and wire format disagree: {decoded:?} vs {reference:?}")
            }
        }
    }
}

// ------------------------------------------------------------- sync messages

/// A frame of the sync or live protocol from Ben's device: the budget
/// (`decode_sync_message`), then `receive_sync_message` on Ana's document
/// through the door pairing gave her, then her answer.
pub fn sync_message(data: &[u8]) {
    let Ok(message) = kintsugi_core::decode_sync_message(data) else {
        return;
    };
    let mut doc = ana();
    let before = state_of(&mut doc);
    let mut state = State::new();
    match doc.receive_sync_message(&mut state, message, T0, &fixture::door(ANA, BEN)) {
        Ok(_) => assert_admitted(&mut doc, &before.0, ANA),
        Err(_) => {
            assert_unchanged(&mut doc, &before, "sync message");
            // And the session's state is as it was: a fresh one.
            assert_eq!(state.shared_heads, State::new().shared_heads);
        }
    }
    // Ana answers: where a hostile summary would make Automerge panic.
    let _ = doc.generate_sync_message(&mut state);
}

// ------------------------------------------------------------- documents

/// The inviter's document as the joiner receives it at pairing (and a
/// device with no shared space imports or absorbs): Ben loads it through
/// the door with Ana as his partner.
pub fn first_document(data: &[u8]) {
    let me = fixture::actor(BEN);
    if let Ok(mut doc) = CoupleDoc::load_received(data, &me, &fixture::door(BEN, ANA)) {
        assert_admitted(&mut doc, &[], BEN);
        let _ = doc.schema_version();
        let _ = doc.couple_id();
    }
}

/// A whole document or changes merged into Ana's (`merge_received`): what
/// bundles, a partner's backup taken in and an import all end in. Through
/// the partner's door (absorb) and the import door.
pub fn merge_file(data: &[u8]) {
    for door in [fixture::door(ANA, BEN), fixture::import_door()] {
        let mut doc = ana();
        let before = state_of(&mut doc);
        match doc.merge_received(data, &door) {
            // An import may bring back Ana's own changes; only the
            // partner's door keeps them out.
            Ok(_) if door.source == kintsugi_core::Source::Partner => {
                assert_admitted(&mut doc, &before.0, ANA)
            }
            Ok(_) => {
                let reloaded = CoupleDoc::load(&doc.save(), &fixture::actor(ANA))
                    .expect("an admitted document reloads");
                let _ = reloaded.snapshot();
            }
            Err(_) => assert_unchanged(&mut doc, &before, "merged file"),
        }
    }
}

// ------------------------------------------------------------- sealed files

/// A bundle's plaintext, as `bundle::open` reads it once age decrypted it
/// and the partner's signature held: frame, body, changes, door.
pub fn bundle(data: &[u8]) {
    let mut doc = ana();
    let before = state_of(&mut doc);
    let door = fixture::door(ANA, BEN);
    match kintsugi_sync::bundle::fuzzing::open_plaintext(&mut doc, &door, data, T0) {
        Ok(_) => assert_admitted(&mut doc, &before.0, ANA),
        Err(_) => assert_unchanged(&mut doc, &before, "bundle"),
    }
}

/// A backup's plaintext, as `backup::absorb` reads it once age decrypted
/// it: magic, manifest, parts, signature; then the shared history through
/// the partner's door.
pub fn backup(data: &[u8]) {
    let mut doc = ana();
    let before = state_of(&mut doc);
    let door = fixture::door(ANA, BEN);
    match kintsugi_sync::backup::fuzzing::absorb_plaintext(&mut doc, &door, data) {
        Ok(_) => assert_admitted(&mut doc, &before.0, ANA),
        Err(_) => assert_unchanged(&mut doc, &before, "backup"),
    }
}

// ------------------------------------------------------------- pairing

/// A scanned QR code's text (`Invite::parse`).
pub fn invite(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match Invite::parse(&text) {
        Ok(invite) => {
            // What parses prints back to a payload that parses the same.
            let again = Invite::parse(&invite.payload()).expect("a printed payload parses");
            assert_eq!(again, invite, "a payload does not round-trip");
            let _ = invite.check_fresh(0);
            let _ = invite.check_fresh(u64::MAX);
        }
        Err(SyncError::InvalidPayload(_) | SyncError::UnsupportedPayloadVersion(_)) => {}
        Err(other) => panic!("not a payload error: {other:?}"),
    }
}

/// The pairing exchange's messages as they come off the stream: the first
/// byte picks the side (even: Ana, the inviter, reading the joiner's
/// steps; odd: Ben, the joiner, reading the inviter's answers and, once
/// accepted, the document), the rest is the stream's frames. Each frame is
/// read as JSON and given to that side's state machine; its effects are
/// carried out as `pairing.rs` does (the proof checked against the QR
/// secret, the user confirming each code).
pub fn pairing(data: &[u8]) {
    let Some((&side, stream)) = data.split_first() else {
        return;
    };
    // A stream the framing refuses ends the pairing there.
    let Ok(frames) = decode_frames(stream, MAX_FRAME) else {
        return;
    };
    if side % 2 == 0 {
        inviter_reads(&frames);
    } else {
        joiner_reads(&frames);
    }
}

/// Our own hello goes out only; its recipient is never checked here.
const OWN_RECIPIENT: &str = "age1-own-recipient";

fn inviter_reads(frames: &[impl AsRef<[u8]>]) {
    let binding = fixture::binding();
    let mut inviter = Inviter::new(
        binding,
        fixture::NONCE_INVITER,
        fixture::hello(Side::Inviter, OWN_RECIPIENT),
        fixture::CODE_DIGITS,
    );
    let real_proof = proof(&fixture::SECRET, &binding);
    for frame in frames {
        let Ok(step) = serde_json::from_slice::<Step>(frame.as_ref()) else {
            return;
        };
        let mut effects = inviter.receive(step);
        while !effects.is_empty() {
            let mut next = Vec::new();
            for effect in effects {
                match effect {
                    InviterEffect::Redeem(proof) => {
                        let verdict = if proof == real_proof {
                            Ok(())
                        } else {
                            Err(SyncError::PairingRefused("no such invite".into()))
                        };
                        next.extend(inviter.redeemed(verdict));
                    }
                    InviterEffect::ShowCode(code) => {
                        assert_code(&code);
                        next.extend(inviter.decided(true));
                    }
                    InviterEffect::Send(answer) => {
                        serde_json::to_vec(&answer).expect("an answer serialises");
                    }
                    InviterEffect::Accept(hello) => {
                        hello
                            .check(&binding, Side::Joiner)
                            .expect("an accepted hello verifies");
                    }
                    InviterEffect::Fail(_) => assert!(inviter.is_finished()),
                }
            }
            effects = next;
        }
        if inviter.is_finished() {
            return;
        }
    }
}

fn joiner_reads(frames: &[impl AsRef<[u8]>]) {
    let binding = fixture::binding();
    let (mut joiner, _commit) = Joiner::start(
        binding,
        &fixture::SECRET,
        fixture::NONCE_JOINER,
        fixture::hello(Side::Joiner, OWN_RECIPIENT),
        fixture::CODE_DIGITS,
    );
    let mut frames = frames.iter();
    while let Some(frame) = frames.next() {
        let Ok(answer) = serde_json::from_slice::<Answer>(frame.as_ref()) else {
            return;
        };
        let mut effects = joiner.receive(answer);
        while !effects.is_empty() {
            let mut next = Vec::new();
            for effect in effects {
                match effect {
                    JoinerEffect::ShowCode(code) => {
                        assert_code(&code);
                        next.extend(joiner.decided(true));
                    }
                    JoinerEffect::Send(step) => {
                        serde_json::to_vec(&step).expect("a step serialises");
                    }
                    JoinerEffect::Adopt(hello) => {
                        hello
                            .check(&binding, Side::Inviter)
                            .expect("an adopted hello verifies");
                        // The frame after `accepted` is the inviter's document.
                        if let Some(document) = frames.next() {
                            adopt(hello, document.as_ref());
                        }
                        return;
                    }
                    JoinerEffect::Fail(_) => assert!(joiner.is_finished()),
                }
            }
            effects = next;
        }
        if joiner.is_finished() {
            return;
        }
    }
}

/// What the joiner does with the inviter's checked hello and document: the
/// partner as `pairing.rs` stores it, the roster `roster.rs` makes of it,
/// the document through that door.
fn adopt(hello: kintsugi_sync::pairing::exchange::Hello, document: &[u8]) {
    let partner = Partner {
        endpoint_id: String::new(),
        member_id: hello.member_id,
        name: hello.name,
        paired_at: T0,
        last_addr: Some(hello.addr),
        role: hello.role,
        age_recipient: Some(hello.age_recipient),
        signing_key: Some(hello.signing_key),
        last_synced_at: None,
        actor_ids: vec![hello.actor_id],
    };
    let me = kintsugi_core::RosterMember::new(fixture::hex(BEN)).with_actor(fixture::hex(BEN));
    let roster = kintsugi_core::Roster::new(me)
        .with_partner(kintsugi_sync::roster::partner_member(&partner));
    let me = fixture::actor(BEN);
    if let Ok(mut doc) = CoupleDoc::load_received(document, &me, &Door::partner(roster)) {
        assert_admitted(&mut doc, &[], BEN);
    }
}

/// A code is shown as two groups of digits ("562 399").
fn assert_code(code: &str) {
    let digits = code.bytes().filter(u8::is_ascii_digit).count();
    assert!(
        digits == fixture::CODE_DIGITS as usize
            && code.bytes().all(|b| b.is_ascii_digit() || b == b' '),
        "a confirmation code that is not {} digits: {code}",
        fixture::CODE_DIGITS
    );
}
