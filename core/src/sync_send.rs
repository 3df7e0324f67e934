//! What this device sends: sync messages the partner's device can take in
//! within its budget ([`crate::sync_budget::MESSAGE`]).
//!
//! Automerge answers a peer that lacks more than a third of the document
//! with the whole document in one message, and otherwise with every change
//! it lacks in one message: ten years of a couple is 17,863 changes and
//! 126,376 operations, more than one message may carry. Here such a
//! message is cut to a causal prefix of the changes the peer lacks, within
//! half of the receiver's limits; the peer answers with its new heads and
//! the next message carries the next part, so a first sync of any length
//! arrives as several messages, each checked and applied on its own.

use std::collections::{BTreeSet, HashSet};

use automerge::sync::{ChunkList, Message, MessageVersion, State, SyncDoc};
use automerge::{Change, ChangeHash};

use crate::doc::CoupleDoc;
use crate::sync_budget::{self, Limits, SyncMessageCost};

/// What one message this device sends may spend: half of what the
/// receiver accepts, so counting differences never reach its limit.
pub const SEND: Limits = Limits {
    chunks: sync_budget::MESSAGE.chunks / 2,
    changes: sync_budget::MESSAGE.changes / 2,
    ops: sync_budget::MESSAGE.ops / 2,
    inflated_bytes: sync_budget::MESSAGE.inflated_bytes / 2,
    text_bytes: sync_budget::MESSAGE.text_bytes / 2,
    memory: sync_budget::MESSAGE.memory / 2,
};

impl CoupleDoc {
    /// The next sync message for the peer `state` describes, as Automerge
    /// makes it, cut to fit [`SEND`] when it would carry more. Use this,
    /// never Automerge's own `generate_sync_message`, for anything sent to
    /// the partner.
    pub fn generate_sync_message(&mut self, state: &mut State) -> Option<Message> {
        self.generate_within(state, &SEND)
    }

    pub(crate) fn generate_within(
        &mut self,
        state: &mut State,
        limits: &Limits,
    ) -> Option<Message> {
        let sent_before = state.sent_hashes.clone();
        let message = self.doc.sync().generate_sync_message(state)?;
        if message.changes.is_empty() || fits(&message, limits) {
            return Some(message);
        }
        let prefix = self.prefix_for(state, &sent_before, limits);
        // Only what this message carries counts as sent: the rest goes in
        // the next messages, once the peer answers.
        state.sent_hashes = sent_before;
        state.sent_hashes.extend(prefix.iter().map(Change::hash));
        let chunks: Vec<Vec<u8>> = prefix.iter().map(|c| c.raw_bytes().to_vec()).collect();
        tracing::debug!(
            changes = chunks.len(),
            "a sync message cut to fit the partner's budget"
        );
        Some(Message {
            heads: message.heads,
            need: message.need,
            have: message.have,
            changes: ChunkList::from(chunks),
            flags: message.flags,
            version: MessageVersion::V1,
        })
    }

    /// The changes the peer lacks, oldest first (each after its
    /// dependencies), as many as fit `limits`; at least one.
    fn prefix_for(
        &mut self,
        state: &State,
        sent: &BTreeSet<ChangeHash>,
        limits: &Limits,
    ) -> Vec<Change> {
        // What the peer holds is everything behind its heads; heads this
        // device does not know yet say nothing about what it lacks.
        let theirs: Vec<ChangeHash> = state
            .their_heads
            .iter()
            .flatten()
            .filter(|h| self.doc.get_change_meta_by_hash(h).is_some())
            .copied()
            .collect();
        let lacking = self.doc.get_changes(&theirs);
        let unsent: HashSet<ChangeHash> = lacking
            .iter()
            .map(Change::hash)
            .filter(|h| !sent.contains(h))
            .collect();
        let mut spent = SyncMessageCost::within(*limits);
        let mut prefix = Vec::new();
        let mut taken = HashSet::new();
        for change in lacking {
            let hash = change.hash();
            if !unsent.contains(&hash) {
                continue;
            }
            // A change whose dependency waits for a later message would
            // wait on the peer's device too: stop at the first one.
            if !change
                .deps()
                .iter()
                .all(|d| taken.contains(d) || !unsent.contains(d))
            {
                break;
            }
            let cost = sync_budget::chunk_cost(change.raw_bytes()).unwrap_or(SyncMessageCost {
                ops: change.len() as u64,
                changes: 1,
                ..SyncMessageCost::default()
            });
            let mut next = spent;
            next.add(&cost);
            if !prefix.is_empty() && !next.fits(limits) {
                break;
            }
            spent = next;
            taken.insert(hash);
            prefix.push(change);
        }
        prefix
    }
}

/// Whether Automerge's own message stays within `limits` (a daily sync, a
/// small first sync).
fn fits(message: &Message, limits: &Limits) -> bool {
    let mut spent = SyncMessageCost::within(*limits);
    for chunk in message.changes.iter() {
        match sync_budget::chunk_cost(chunk) {
            Ok(cost) => spent.add(&cost),
            Err(_) => return false,
        }
    }
    spent.fits(limits)
}

#[cfg(test)]
mod tests {
    use automerge::ActorId;

    use super::*;
    use crate::door::{Door, Roster, RosterMember};

    const T0: i64 = 1_767_571_200_000;

    fn door(me: &CoupleDoc, partner: &CoupleDoc) -> Door {
        Door::partner(
            Roster::new(RosterMember::new(me.me())).with_partner(RosterMember::new(partner.me())),
        )
    }

    /// Ana's device holds a long history; Ben's, the space as pairing left
    /// it. With limits of a few changes a message, the history arrives as
    /// many messages, each within the limits and through Ben's door, and
    /// both end with the same document.
    #[test]
    fn a_long_history_goes_as_several_messages_within_the_limits() {
        let mut ana = CoupleDoc::create(&ActorId::from(vec![0xa; 16]), "Ana", T0).unwrap();
        let mut ben = CoupleDoc::load(&ana.save(), &ActorId::from(vec![0xb; 16])).unwrap();
        ben.set_my_name("Ben", T0 + 1).unwrap();
        let joined = ben.automerge_mut().get_changes(&ana.heads());
        ana.automerge_mut().apply_changes(joined).unwrap();
        for day in 0..40 {
            ana.appreciate("Thank you for the walk", T0 + day * 86_400_000)
                .unwrap();
        }
        let limits = Limits {
            chunks: 6,
            changes: 6,
            ops: 200,
            inflated_bytes: 1 << 20,
            text_bytes: 1 << 20,
            memory: 1 << 30,
        };
        let ben_door = door(&ben, &ana);
        let ana_door = door(&ana, &ben);
        let (mut to_ben, mut to_ana) = (State::new(), State::new());
        let mut carried = Vec::new();
        for _ in 0..100 {
            let for_ben = ana.generate_within(&mut to_ben, &limits);
            let for_ana = ben.generate_within(&mut to_ana, &limits);
            if for_ben.is_none() && for_ana.is_none() {
                break;
            }
            if let Some(m) = for_ben {
                let bytes = m.encode();
                let cost = crate::precheck_sync_message(&bytes).unwrap();
                assert!(cost.changes <= limits.changes, "{cost:?}");
                let message = crate::decode_sync_message(&bytes).unwrap();
                let new = ben
                    .receive_sync_message(&mut to_ana, message, T0, &ben_door)
                    .unwrap();
                if new > 0 {
                    carried.push(new);
                }
            }
            if let Some(m) = for_ana {
                let message = crate::decode_sync_message(&m.encode()).unwrap();
                ana.receive_sync_message(&mut to_ben, message, T0, &ana_door)
                    .unwrap();
            }
        }
        let mut a = ana.heads();
        let mut b = ben.heads();
        a.sort();
        b.sort();
        assert_eq!(a, b, "both hold the same history");
        assert!(carried.len() >= 7, "{carried:?}");
        assert!(carried.iter().all(|n| *n <= 6), "{carried:?}");
        assert_eq!(ben.appreciations().len(), 40);
    }

    /// A daily sync is Automerge's own message, untouched.
    #[test]
    fn a_small_message_is_sent_as_automerge_made_it() {
        let mut ana = CoupleDoc::create(&ActorId::from(vec![0xa; 16]), "Ana", T0).unwrap();
        let mut copy = CoupleDoc::load(&ana.save(), &ActorId::from(vec![0xa; 16])).unwrap();
        let (mut mine, mut plain) = (State::new(), State::new());
        let ours = ana.generate_sync_message(&mut mine).map(|m| m.encode());
        let theirs = copy
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut plain)
            .map(|m| m.encode());
        assert_eq!(ours, theirs);
    }
}
