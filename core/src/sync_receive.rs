//! Taking in a sync message at a cost that follows the message, not the
//! history.
//!
//! Automerge's own `receive_sync_message` (0.12) trims the hashes it sent
//! by walking every ancestor of the peer's heads: on a ten-year couple that
//! is 15,000 changes and about 1 ms for every message, an empty
//! acknowledgement included, and three times that at thirty years. The
//! same trimming is one clock lookup: Automerge keeps the clock of every
//! sixteenth change, and `get_changes_meta(heads)` names only the changes
//! the heads do not cover, which are the few still in flight. Everything
//! else here is what Automerge does, field for field; a test runs both on
//! random conversations between three replicas and compares every state.

use std::collections::{BTreeSet, HashSet};

use automerge::sync::{Capability, Message, MessageFlags, State};
use automerge::{AutoCommit, Automerge, AutomergeError, ChangeHash};

/// Applies `message` from a peer to `doc`, updating `state` as
/// `SyncDoc::receive_sync_message` would.
pub(crate) fn receive(
    doc: &mut AutoCommit,
    state: &mut State,
    message: Message,
) -> Result<(), AutomergeError> {
    state.in_flight = false;
    let before = doc.get_heads();
    let Message {
        heads,
        changes,
        need,
        have,
        flags,
        ..
    } = message;
    if let Some(flags) = flags {
        // Only a peer that speaks the second message version sends flags.
        let mut capabilities = vec![Capability::MessageV2];
        if flags.contains(MessageFlags::SUPPORTS_SYNC_RESET) {
            capabilities.push(Capability::SyncReset);
        }
        state.their_capabilities = Some(capabilities);
        if flags.contains(MessageFlags::SYNC_RESET) {
            state.sent_hashes.clear();
        }
        state.peer_read_only = flags.contains(MessageFlags::READ_ONLY);
    }
    let no_changes = changes.is_empty();
    if !no_changes && !state.read_only {
        let joined: Vec<u8> = changes.iter().flatten().copied().collect();
        doc.load_incremental(&joined)?;
        state.shared_heads = advance_heads(&before, &doc.get_heads(), &state.shared_heads);
    }
    let doc: &Automerge = doc.document();
    let known: Vec<ChangeHash> = heads
        .iter()
        .filter(|h| doc.get_change_meta_by_hash(h).is_some())
        .copied()
        .collect();
    forget_acknowledged(doc, &known, &mut state.sent_hashes);
    if no_changes && heads == before {
        state.last_sent_heads.clone_from(&heads);
    }
    if known.len() == heads.len() {
        state.shared_heads.clone_from(&heads);
        // A peer that lost everything starts over from nothing.
        if heads.is_empty() {
            state.last_sent_heads = Vec::new();
            state.sent_hashes = BTreeSet::new();
        }
    } else {
        let mut shared: BTreeSet<ChangeHash> = state.shared_heads.iter().copied().collect();
        shared.extend(known);
        state.shared_heads = shared.into_iter().collect();
    }
    state.their_have = Some(have);
    state.their_heads = Some(heads);
    state.their_need = Some(need);
    Ok(())
}

/// Drops from `sent` every change the peer's `known` heads already cover.
fn forget_acknowledged(doc: &Automerge, known: &[ChangeHash], sent: &mut BTreeSet<ChangeHash>) {
    if sent.is_empty() || known.is_empty() {
        return;
    }
    let uncovered: HashSet<ChangeHash> = doc
        .get_changes_meta(known)
        .into_iter()
        .map(|c| c.hash)
        .collect();
    // A hash this document never held is not behind any head: it stays.
    sent.retain(|h| uncovered.contains(h) || doc.get_change_meta_by_hash(h).is_none());
}

/// The shared heads after applying changes: the heads the changes made,
/// and the shared heads that are still heads.
fn advance_heads(
    before: &[ChangeHash],
    after: &[ChangeHash],
    shared: &[ChangeHash],
) -> Vec<ChangeHash> {
    let new = after.iter().filter(|h| !before.contains(h));
    let still = shared.iter().filter(|h| after.contains(h));
    let advanced: BTreeSet<ChangeHash> = new.chain(still).copied().collect();
    advanced.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use automerge::{ActorId, ROOT};
    use proptest::prelude::*;

    use super::*;

    /// One replica seen twice: taking messages in through Automerge and
    /// through [`receive`], from the same peers.
    struct Twin {
        theirs: AutoCommit,
        ours: AutoCommit,
        /// Sync state with each other replica, one per way of receiving.
        theirs_states: Vec<State>,
        ours_states: Vec<State>,
    }

    fn replica(i: usize) -> Twin {
        let doc = AutoCommit::new().with_actor(ActorId::from(vec![i as u8 + 1; 16]));
        Twin {
            theirs: doc.clone(),
            ours: doc,
            theirs_states: vec![State::new(); 3],
            ours_states: vec![State::new(); 3],
        }
    }

    #[derive(Debug, Clone)]
    enum Step {
        /// Replica `0` writes a value.
        Write(usize, u8),
        /// Replica `0` sends `1` its next message, if it has one; with a
        /// forgery, as a modified app would: these flag bits instead of its
        /// own, and a head nobody holds added when the flag is set.
        Send(usize, usize, Option<(u8, bool)>),
        /// Replica `0` forgets its conversation with `1` (a new connection).
        Forget(usize, usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            2 => (0..3usize, any::<u8>()).prop_map(|(r, v)| Step::Write(r, v)),
            6 => (0..3usize, 0..3usize, proptest::option::weighted(0.25, (0..8u8, any::<bool>())))
                .prop_map(|(a, b, forged)| Step::Send(a, b, forged)),
            1 => (0..3usize, 0..3usize).prop_map(|(a, b)| Step::Forget(a, b)),
        ]
    }

    fn run(steps: &[Step]) -> Result<(), TestCaseError> {
        let mut twins: Vec<Twin> = (0..3).map(replica).collect();
        for s in steps {
            match *s {
                Step::Write(r, v) => {
                    let key = format!("k{}", v % 7);
                    let t = &mut twins[r];
                    for doc in [&mut t.theirs, &mut t.ours] {
                        doc.put(ROOT, key.as_str(), i64::from(v)).unwrap();
                        doc.commit_with(
                            automerge::transaction::CommitOptions::default().with_time(0),
                        );
                    }
                }
                Step::Forget(a, b) => {
                    twins[a].theirs_states[b] = State::new();
                    twins[a].ours_states[b] = State::new();
                }
                Step::Send(a, b, forged) if a != b => {
                    // Both ways of receiving must lead to the same messages.
                    let m1 = {
                        let t = &mut twins[a];
                        t.theirs
                            .sync()
                            .generate_sync_message(&mut t.theirs_states[b])
                    };
                    let m2 = {
                        let t = &mut twins[a];
                        t.ours.sync().generate_sync_message(&mut t.ours_states[b])
                    };
                    prop_assert_eq!(
                        m1.as_ref().map(|m| m.clone().encode()),
                        m2.as_ref().map(|m| m.clone().encode())
                    );
                    let forge = |mut m: Message| {
                        if let Some((bits, unknown_head)) = forged {
                            let mut flags = MessageFlags::new();
                            flags.set(bits & 0b111);
                            m.flags = Some(flags);
                            if unknown_head {
                                m.heads.push(ChangeHash([7; 32]));
                                m.heads.sort();
                            }
                        }
                        m
                    };
                    if let (Some(m1), Some(m2)) = (m1.map(forge), m2.map(forge)) {
                        let t = &mut twins[b];
                        t.theirs
                            .sync()
                            .receive_sync_message(&mut t.theirs_states[a], m1)
                            .unwrap();
                        receive(&mut t.ours, &mut t.ours_states[a], m2).unwrap();
                        prop_assert_eq!(&t.theirs_states[a], &t.ours_states[a]);
                        prop_assert_eq!(t.theirs.get_heads(), t.ours.get_heads());
                    }
                }
                Step::Send(..) => {}
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Every state and every message after any conversation is the one
        /// Automerge's own receiving gives.
        #[test]
        fn receiving_matches_automerge(steps in proptest::collection::vec(step(), 1..80)) {
            run(&steps)?;
        }
    }

    #[test]
    fn an_acknowledgement_clears_what_was_sent() {
        let mut a = AutoCommit::new();
        let mut b = AutoCommit::new();
        let (mut sa, mut sb) = (State::new(), State::new());
        a.put(ROOT, "x", 1).unwrap();
        a.commit();
        for _ in 0..6 {
            if let Some(m) = a.sync().generate_sync_message(&mut sa) {
                receive(&mut b, &mut sb, m).unwrap();
            }
            if let Some(m) = b.sync().generate_sync_message(&mut sb) {
                receive(&mut a, &mut sa, m).unwrap();
            }
        }
        assert_eq!(a.get_heads(), b.get_heads());
        assert!(sa.sent_hashes.is_empty(), "{:?}", sa.sent_hashes);
        assert_eq!(sa.shared_heads, a.get_heads());
    }
}
