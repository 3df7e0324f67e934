//! Sync messages a hostile partner's device could send, refused by
//! `CoupleDoc::receive_sync_message` before anything is applied:
//!
//! - changes under the receiving device's own actor id (a partner cannot
//!   write in the other's name), whatever chunk they hide in;
//! - Bloom filters Automerge would accept and then trip over when answering
//!   (a division by zero, a 16 GiB reservation).

mod common;

use common::{Couple, DAY, T0};
use kintsugi_core::automerge::sync::{
    BloomFilter, ChunkList, Message, MessageVersion, State, SyncDoc,
};
use kintsugi_core::automerge::{AutoCommit, ChangeHash};
use kintsugi_core::{CoreError, CoupleDoc};

/// A copy of Ben's document that writes with Ana's actor id: what a
/// modified app on Ben's phone could make.
fn forger_posing_as_ana(couple: &mut Couple) -> CoupleDoc {
    let ana_actor = couple.ana.automerge_mut().get_actor().clone();
    CoupleDoc::load(&couple.ben.save(), &ana_actor).unwrap()
}

/// Everything a receive could have touched on Ana's side.
fn fingerprint(doc: &mut CoupleDoc, state: &State) -> (Vec<ChangeHash>, Vec<u8>, Vec<u8>) {
    (doc.heads(), doc.save(), state.encode())
}

/// A message carrying `chunks` as its changes, announcing `heads`.
fn message_with(heads: Vec<ChangeHash>, chunks: Vec<Vec<u8>>, version: MessageVersion) -> Message {
    Message {
        heads,
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(chunks),
        flags: None,
        version,
    }
}

fn assert_forged(result: kintsugi_core::Result<usize>, ana: &mut CoupleDoc) {
    match result {
        Err(CoreError::ForgedActor { actor, changes }) => {
            assert_eq!(actor, ana.me());
            assert!(changes >= 1);
        }
        other => panic!("expected a ForgedActor refusal, got {other:?}"),
    }
}

#[test]
fn a_change_in_the_receivers_name_is_refused_and_changes_nothing() {
    let mut couple = Couple::new();
    let mut forger = forger_posing_as_ana(&mut couple);
    forger
        .appreciate("Thank you for everything (not really Ana)", T0 + DAY)
        .unwrap();

    // The real protocol, forger dialling: its messages are exactly what a
    // modified app would send.
    let (mut to_ana, mut to_forger) = (State::new(), State::new());
    let mut refused = None;
    for _ in 0..10 {
        let Some(message) = forger
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut to_forger)
        else {
            break;
        };
        let carries_changes = !message.changes.is_empty();
        let before = fingerprint(&mut couple.ana, &to_ana);
        let result = couple.ana.receive_sync_message(
            &mut to_ana,
            message.clone(),
            T0 + DAY,
            &common::ana_door(),
        );
        if carries_changes {
            assert_forged(result, &mut couple.ana);
            assert_eq!(fingerprint(&mut couple.ana, &to_ana), before);
            refused = Some(message);
            break;
        }
        assert_eq!(result.unwrap(), 0);
        if let Some(reply) = couple
            .ana
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut to_ana)
        {
            forger
                .automerge_mut()
                .sync()
                .receive_sync_message(&mut to_forger, reply)
                .unwrap();
        }
    }
    let refused = refused.expect("the forger sent its change");

    // Control: plain Automerge would have taken it, so the refusal above is
    // the check's doing, not a malformed message.
    let mut plain = couple.ana.automerge_mut().clone();
    let heads = plain.get_heads();
    plain
        .sync()
        .receive_sync_message(&mut to_ana.clone(), refused)
        .unwrap();
    assert_ne!(plain.get_heads(), heads);

    assert!(
        couple
            .ana
            .appreciations()
            .iter()
            .all(|a| !a.text.contains("not really Ana"))
    );
    // Ana's document still syncs with the honest Ben.
    couple.ben.appreciate("Thank you, Ana", T0 + DAY).unwrap();
    let message = ben_to_ana(&mut couple);
    assert_eq!(
        couple
            .ana
            .receive_sync_message(&mut State::new(), message, T0 + DAY, &common::ana_door())
            .unwrap(),
        1
    );
}

/// Ben's changes that Ana lacks, as a V1 message.
fn ben_to_ana(couple: &mut Couple) -> Message {
    ben_to_ana_after(&mut couple.ben, &mut couple.ana)
}

#[test]
fn a_forged_change_inside_a_whole_document_is_refused() {
    let mut couple = Couple::new();
    let mut forger = forger_posing_as_ana(&mut couple);
    forger
        .appreciate("Written as Ana, sent as a document", T0 + DAY)
        .unwrap();
    // A V2 message may carry the whole document as one compressed chunk.
    let message = message_with(forger.heads(), vec![forger.save()], MessageVersion::V2);
    let mut state = State::new();
    let before = fingerprint(&mut couple.ana, &state);
    let result =
        couple
            .ana
            .receive_sync_message(&mut state, message, T0 + DAY, &common::ana_door());
    assert_forged(result, &mut couple.ana);
    assert_eq!(fingerprint(&mut couple.ana, &state), before);
}

#[test]
fn a_forged_change_hidden_among_honest_ones_is_refused_whole() {
    let mut couple = Couple::new();
    let mut forger = forger_posing_as_ana(&mut couple);
    forger.appreciate("Forged", T0 + DAY).unwrap();
    couple.ben.appreciate("Honest", T0 + DAY).unwrap();
    let ana_heads = couple.ana.heads();
    let mut chunks: Vec<Vec<u8>> = couple
        .ben
        .automerge_mut()
        .get_changes(&ana_heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    chunks.extend(
        forger
            .automerge_mut()
            .get_changes(&ana_heads)
            .iter()
            .map(|c| c.raw_bytes().to_vec()),
    );
    let message = message_with(Vec::new(), chunks, MessageVersion::V1);
    let mut state = State::new();
    let before = fingerprint(&mut couple.ana, &state);
    let result =
        couple
            .ana
            .receive_sync_message(&mut state, message, T0 + DAY, &common::ana_door());
    assert_forged(result, &mut couple.ana);
    // All or nothing: the honest change did not slip in either.
    assert_eq!(fingerprint(&mut couple.ana, &state), before);
}

#[test]
fn a_forged_change_waiting_for_a_dependency_is_refused_when_it_would_apply() {
    let mut couple = Couple::new();
    // The forger writes as Ben first (an honest-looking change D), then as
    // Ana on top of it (F, which depends on D).
    let ana_actor = couple.ana.automerge_mut().get_actor().clone();
    let mut forger: AutoCommit = couple.ben.automerge_mut().clone();
    let ana_heads = couple.ana.heads();
    let mut as_ben = CoupleDoc::load(&forger.save(), forger.get_actor()).unwrap();
    as_ben.appreciate("D, as Ben", T0 + DAY).unwrap();
    let d = as_ben.automerge_mut().get_changes(&ana_heads);
    forger.apply_changes(d.clone()).unwrap();
    let mut as_ana = CoupleDoc::load(&forger.save(), &ana_actor).unwrap();
    as_ana.appreciate("F, as Ana", T0 + DAY).unwrap();
    let f: Vec<_> = as_ana
        .automerge_mut()
        .get_changes(&ana_heads)
        .into_iter()
        .filter(|c| *c.actor_id() == ana_actor)
        .collect();
    assert_eq!((d.len(), f.len()), (1, 1));

    // F as a chunk of its own is refused at once: its actor is readable.
    let mut state = State::new();
    let single_f = message_with(
        Vec::new(),
        vec![f[0].raw_bytes().to_vec()],
        MessageVersion::V1,
    );
    let result =
        couple
            .ana
            .receive_sync_message(&mut state, single_f, T0 + DAY, &common::ana_door());
    assert_forged(result, &mut couple.ana);
    // Packed twice into one entry (as Automerge packs a V2 message), each
    // chunk is still read on its own: refused at once too.
    let only_f = message_with(
        Vec::new(),
        vec![[f[0].raw_bytes(), f[0].raw_bytes()].concat()],
        MessageVersion::V1,
    );
    let result = couple
        .ana
        .receive_sync_message(&mut state, only_f, T0 + DAY, &common::ana_door());
    assert_forged(result, &mut couple.ana);
    assert_eq!(couple.ana.heads(), ana_heads);
    // Held back already (Automerge queued it, as an earlier version of this
    // app let it): D releases F, so the message is refused, D included.
    couple.ana.automerge_mut().apply_changes(f.clone()).unwrap();
    assert_eq!(couple.ana.heads(), ana_heads);
    let before = fingerprint(&mut couple.ana, &state);
    let only_d = message_with(
        Vec::new(),
        vec![d[0].raw_bytes().to_vec()],
        MessageVersion::V1,
    );
    let result = couple
        .ana
        .receive_sync_message(&mut state, only_d, T0 + DAY, &common::ana_door());
    assert_forged(result, &mut couple.ana);
    assert_eq!(fingerprint(&mut couple.ana, &state), before);
}

#[test]
fn a_change_of_the_receivers_own_sent_back_is_a_harmless_duplicate() {
    let mut couple = Couple::new();
    couple
        .ana
        .appreciate("Mine, already synced", T0 + DAY)
        .unwrap();
    couple.sync();
    let ana_actor = couple.ana.automerge_mut().get_actor().clone();
    // Ana's own changes, as Ben holds them.
    let own: Vec<Vec<u8>> = couple
        .ben
        .automerge_mut()
        .get_changes(&[])
        .iter()
        .filter(|c| *c.actor_id() == ana_actor)
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    assert!(own.len() >= 2);
    let heads = couple.ana.heads();
    let message = message_with(heads.clone(), own, MessageVersion::V1);
    let new = couple
        .ana
        .receive_sync_message(&mut State::new(), message, T0 + DAY, &common::ana_door())
        .unwrap();
    assert_eq!(new, 0);
    assert_eq!(couple.ana.heads(), heads);
}

// ------------------------------------------------------------- Bloom filters

/// A message whose `have` carries `bloom` (its wire bytes).
fn message_with_bloom(bloom: &[u8]) -> Message {
    let mut message = message_with(Vec::new(), Vec::new(), MessageVersion::V1);
    message.have = vec![kintsugi_core::automerge::sync::Have {
        last_sync: Vec::new(),
        bloom: BloomFilter::try_from(bloom).unwrap(),
    }];
    message
}

fn assert_invalid(result: kintsugi_core::Result<usize>, what: &str) {
    match result {
        Err(CoreError::InvalidSyncMessage(why)) => assert!(why.contains(what), "{why}"),
        other => panic!("expected an InvalidSyncMessage refusal, got {other:?}"),
    }
}

#[test]
fn a_bloom_filter_without_bits_is_refused_before_automerge_divides_by_zero() {
    let mut couple = Couple::new();
    // One entry, zero bits per entry, seven probes: a filter of no bits.
    let message = message_with_bloom(&[1, 0, 7]);

    // Control: plain Automerge takes it, then panics building its answer.
    let mut plain = couple.ana.automerge_mut().clone();
    let mut plain_state = State::new();
    let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        plain
            .sync()
            .receive_sync_message(&mut plain_state, message.clone())
            .unwrap();
        plain.sync().generate_sync_message(&mut plain_state)
    }));
    assert!(answered.is_err(), "Automerge no longer panics here");

    let mut state = State::new();
    let before = fingerprint(&mut couple.ana, &state);
    let result = couple
        .ana
        .receive_sync_message(&mut state, message, T0, &common::ana_door());
    assert_invalid(result, "Bloom filter of 0 bytes");
    assert_eq!(fingerprint(&mut couple.ana, &state), before);
    // Ana can still answer.
    assert!(
        couple
            .ana
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut state)
            .is_some()
    );
}

#[test]
fn a_bloom_filter_with_billions_of_probes_is_refused() {
    let mut couple = Couple::new();
    // One entry, 10 bits, u32::MAX probes: Automerge would reserve 16 GiB
    // for the probes of each hash it checks (no control: that aborts).
    let message = message_with_bloom(&[1, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0]);
    let mut state = State::new();
    let before = fingerprint(&mut couple.ana, &state);
    let result = couple
        .ana
        .receive_sync_message(&mut state, message, T0, &common::ana_door());
    assert_invalid(result, "4294967295 probes");
    assert_eq!(fingerprint(&mut couple.ana, &state), before);
}

#[test]
fn more_summaries_than_automerge_sends_are_refused() {
    let mut couple = Couple::new();
    let mut message = message_with_bloom(&[]);
    message.have.push(message.have[0].clone());
    let result =
        couple
            .ana
            .receive_sync_message(&mut State::new(), message, T0, &common::ana_door());
    assert_invalid(result, "2 summaries");
}

#[test]
fn honest_sessions_pass_the_checks() {
    let mut couple = Couple::new();
    for day in 1..30 {
        couple.ana.appreciate("Thank you", T0 + day * DAY).unwrap();
        couple
            .ben
            .appreciate("Thank you too", T0 + day * DAY)
            .unwrap();
    }
    // Ana's state for Ben, and Ben's for Ana.
    let (mut ana_side, mut ben_side) = (State::new(), State::new());
    for _ in 0..20 {
        let to_ben = couple
            .ana
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut ana_side);
        let to_ana = couple
            .ben
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut ben_side);
        if to_ben.is_none() && to_ana.is_none() {
            break;
        }
        if let Some(m) = to_ben {
            couple
                .ben
                .receive_sync_message(&mut ben_side, m, T0, &common::ben_door())
                .unwrap();
        }
        if let Some(m) = to_ana {
            couple
                .ana
                .receive_sync_message(&mut ana_side, m, T0, &common::ana_door())
                .unwrap();
        }
    }
    assert_eq!(couple.ana.heads(), couple.ben.heads());
    assert_eq!(couple.ana.appreciations().len(), 58);
}

/// The price of the actor check: a device that lost changes of its own (a
/// damaged file) cannot tell them from forgeries when the partner sends
/// them back. Importing the partner's export, an explicit act of the
/// device's owner, restores them; then sync works again.
#[test]
fn lost_changes_of_ones_own_come_back_by_import_not_by_sync() {
    let mut couple = Couple::new();
    let ana_actor = couple.ana.automerge_mut().get_actor().clone();
    let older = couple.ana.save();
    couple
        .ana
        .appreciate("Lost on Ana's phone", T0 + DAY)
        .unwrap();
    couple.sync();
    let mut restored = CoupleDoc::load(&older, &ana_actor).unwrap();

    let message = ben_to_ana_after(&mut couple.ben, &mut restored);
    let result =
        restored.receive_sync_message(&mut State::new(), message, T0 + DAY, &common::ana_door());
    assert_forged(result, &mut restored);

    restored.merge_bytes(&couple.ben.save()).unwrap();
    assert_eq!(restored.heads(), couple.ben.heads());
    couple
        .ben
        .appreciate("After the restore", T0 + 2 * DAY)
        .unwrap();
    let message = ben_to_ana_after(&mut couple.ben, &mut restored);
    let new = restored
        .receive_sync_message(
            &mut State::new(),
            message,
            T0 + 2 * DAY,
            &common::ana_door(),
        )
        .unwrap();
    assert_eq!(new, 1);
}

/// Ben's changes that `ana` lacks, as a V1 message.
fn ben_to_ana_after(ben: &mut CoupleDoc, ana: &mut CoupleDoc) -> Message {
    let ana_heads = ana.heads();
    let changes = ben.automerge_mut().get_changes(&ana_heads);
    message_with(
        ben.heads(),
        changes.iter().map(|c| c.raw_bytes().to_vec()).collect(),
        MessageVersion::V1,
    )
}

// ------------------------------------------------------------- lists of hashes

#[test]
fn a_change_asked_for_twice_is_refused_before_automerge_panics() {
    let mut couple = Couple::new();
    let held = couple.ana.heads()[0];
    let mut message = message_with(Vec::new(), Vec::new(), MessageVersion::V1);
    message.need = vec![held, held];

    // Control: plain Automerge takes it, then panics collecting the changes.
    let mut plain = couple.ana.automerge_mut().clone();
    let mut plain_state = State::new();
    let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        plain
            .sync()
            .receive_sync_message(&mut plain_state, message.clone())
            .unwrap();
        plain.sync().generate_sync_message(&mut plain_state)
    }));
    assert!(answered.is_err(), "Automerge no longer panics here");

    let mut state = State::new();
    let before = fingerprint(&mut couple.ana, &state);
    let result = couple
        .ana
        .receive_sync_message(&mut state, message, T0, &common::ana_door());
    assert_invalid(result, "needs out of order or repeated");
    assert_eq!(fingerprint(&mut couple.ana, &state), before);
}

#[test]
fn hashes_out_of_order_are_refused() {
    let mut couple = Couple::new();
    couple.ben.appreciate("A second head", T0 + DAY).unwrap();
    couple.ana.appreciate("A first head", T0 + DAY).unwrap();
    couple.sync();
    let mut heads = couple.ana.heads();
    assert_eq!(heads.len(), 2);
    heads.reverse();
    let message = message_with(heads, Vec::new(), MessageVersion::V1);
    let result =
        couple
            .ana
            .receive_sync_message(&mut State::new(), message, T0, &common::ana_door());
    assert_invalid(result, "heads out of order or repeated");
}

// ------------------------------------------------------------- Automerge's own panics

#[test]
fn a_change_whose_counters_overflow_is_refused_without_a_panic() {
    use kintsugi_core::automerge::{Change, ExpandedChange};
    let mut couple = Couple::new();
    couple.ben.appreciate("Thank you", T0 + DAY).unwrap();
    let ana_heads = couple.ana.heads();
    let honest = couple.ben.automerge_mut().get_changes(&ana_heads);
    // Operation counters are u32 inside Automerge: a change of several
    // operations starting just below u32::MAX makes 0.12 panic halfway
    // through applying it (the panic is caught; its message still prints).
    let mut expanded = ExpandedChange::from(&honest[0]);
    expanded.start_op = std::num::NonZeroU64::new(u64::from(u32::MAX) - 1).unwrap();
    let overflowing = Change::from(expanded);
    assert!(overflowing.len() > 1);
    let message = message_with(
        Vec::new(),
        vec![overflowing.raw_bytes().to_vec()],
        MessageVersion::V1,
    );
    let mut state = State::new();
    let before = fingerprint(&mut couple.ana, &state);
    let result = couple
        .ana
        .receive_sync_message(&mut state, message, T0, &common::ana_door());
    assert_invalid(result, "Automerge failed applying it");
    assert_eq!(fingerprint(&mut couple.ana, &state), before);
    // The honest change still applies afterwards.
    let message = message_with(
        Vec::new(),
        vec![honest[0].raw_bytes().to_vec()],
        MessageVersion::V1,
    );
    let new = couple
        .ana
        .receive_sync_message(&mut state, message, T0, &common::ana_door())
        .unwrap();
    assert_eq!(new, 1);
}

#[test]
fn a_change_automerge_panics_reading_is_refused() {
    use kintsugi_core::automerge::legacy::{ObjectId, OpId};
    use kintsugi_core::automerge::{Change, ExpandedChange};
    let mut couple = Couple::new();
    couple.ben.appreciate("Thank you", T0 + DAY).unwrap();
    let ana_heads = couple.ana.heads();
    let honest = couple.ben.automerge_mut().get_changes(&ana_heads);
    // An operation on an object whose id counter passes u32::MAX: Automerge
    // 0.12 panics just reading the change (caught; its message still prints).
    let mut expanded = ExpandedChange::from(&honest[0]);
    let actor = expanded.actor_id.clone();
    expanded.operations[0].obj = ObjectId::Id(OpId(u64::from(u32::MAX) + 2, actor));
    let unreadable = Change::from(expanded).raw_bytes().to_vec();
    assert!(std::panic::catch_unwind(|| Change::try_from(&unreadable[..])).is_err());

    let message = message_with(Vec::new(), vec![unreadable], MessageVersion::V1);
    let mut state = State::new();
    let before = fingerprint(&mut couple.ana, &state);
    let result = couple
        .ana
        .receive_sync_message(&mut state, message, T0, &common::ana_door());
    assert_invalid(result, "a change Automerge cannot read");
    assert_eq!(fingerprint(&mut couple.ana, &state), before);
}

// ------------------------------------------------------------- the message budget

/// The receiving path from the wire: the budget check and decoding, then
/// the document.
fn receive_bytes(
    doc: &mut CoupleDoc,
    state: &mut State,
    bytes: &[u8],
) -> kintsugi_core::Result<usize> {
    let message = kintsugi_core::decode_sync_message(bytes)?;
    doc.receive_sync_message(state, message, T0 + DAY, &common::ana_door())
}

fn uleb(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A V1 sync message whose one change chunk, in Ben's name, declares a
/// single operation repeated 2^40 times (an action column holding one
/// run-length run): seven bytes for a trillion operations.
fn row_bomb() -> Vec<u8> {
    let mut body = vec![0, 16]; // no dependencies; a 16-byte actor
    body.extend([0xb; 16]);
    body.extend([1, 1, 0, 0, 0]); // seq, start op, time, no message, no other actors
    body.extend([1, 0x42, 7]); // one column: the action (id 4, integers), 7 bytes
    body.extend([0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 1]); // 2^40 copies of 1
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1];
    uleb(&mut chunk, body.len() as u64);
    chunk.extend(body);
    let mut message = vec![0x42, 0, 0, 0, 1];
    uleb(&mut message, chunk.len() as u64);
    message.extend(chunk);
    message
}

/// A V1 sync message of `entries` empty change chunks.
fn empty_chunk_flood(entries: u64) -> Vec<u8> {
    let mut message = vec![0x42, 0, 0, 0];
    uleb(&mut message, entries);
    message.extend(std::iter::repeat_n(0, entries as usize));
    message
}

#[test]
fn a_sync_message_over_budget_is_refused_before_decoding_and_a_real_sync_follows() {
    let mut couple = Couple::new();
    couple
        .ben
        .appreciate("Thank you for staying", T0 + DAY)
        .unwrap();
    for bomb in [row_bomb(), empty_chunk_flood(16_000)] {
        // Automerge's decoder takes each (and would then build a trillion
        // operations, or 16,000 heap buffers).
        assert!(Message::decode(&bomb).is_ok());
        let mut state = State::new();
        let before = fingerprint(&mut couple.ana, &state);
        match receive_bytes(&mut couple.ana, &mut state, &bomb) {
            Err(CoreError::InvalidSyncMessage(why)) => {
                assert!(
                    why.contains("operations") || why.contains("empty change chunk"),
                    "{why}"
                )
            }
            other => panic!("expected the budget to refuse it, got {other:?}"),
        }
        assert_eq!(fingerprint(&mut couple.ana, &state), before);
    }

    // A real sync afterwards, every message through the same path.
    let (mut to_ana, mut to_ben) = (State::new(), State::new());
    for _ in 0..10 {
        let from_ben = couple
            .ben
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut to_ben);
        let from_ana = couple
            .ana
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut to_ana);
        if from_ben.is_none() && from_ana.is_none() {
            break;
        }
        if let Some(m) = from_ben {
            receive_bytes(&mut couple.ana, &mut to_ana, &m.encode()).unwrap();
        }
        if let Some(m) = from_ana {
            receive_bytes(&mut couple.ben, &mut to_ben, &m.encode()).unwrap();
        }
    }
    assert_eq!(couple.ana.heads(), couple.ben.heads());
    let texts: Vec<String> = couple
        .ana
        .appreciations()
        .into_iter()
        .map(|a| a.text)
        .collect();
    assert_eq!(texts, ["Thank you for staying"]);
}
