//! Who an Automerge actor writes for. Automerge changes carry an actor id
//! and nothing that proves it, so the couple binds actors to members with
//! their devices' ed25519 keys, learnt inside the confirmed pairing channel.
//!
//! - A member's first actor is their member id itself, bound at pairing.
//! - Every later actor (a device restored from a backup writes under a new
//!   one) is bound by an entry `devices/<actor hex>` in the shared
//!   document, written by that actor and signed by a device key of the
//!   member: `sign(key, CONTEXT ‖ couple id ‖ 0 ‖ member ‖ 0 ‖ actor ‖ 0 ‖ key)`.
//! - A member's further device (a tablet, a new phone) is introduced by a
//!   device key they already have: the entry also names the introducer and
//!   carries its signature over `INTRO_CONTEXT ‖ couple id ‖ 0 ‖ member ‖ 0 ‖ new key`.
//!
//! Binding says who an actor speaks for; the door then checks that what
//! the actor wrote is that member's to write.

use ed25519_dalek::{Signature, Verifier, VerifyingKey};

const CONTEXT: &[u8] = b"kintsugi actor binding v1\0";
const INTRO_CONTEXT: &[u8] = b"kintsugi device introduction v1\0";
/// How many introductions deep a device key may sit below a pairing key.
const MAX_INTRODUCTIONS: usize = 8;

/// An actor's binding, as read from (or about to be written into) `devices/<actor>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorBinding {
    /// The actor, lowercase hex.
    pub actor: String,
    pub member: String,
    /// The device key that signed it.
    pub device: [u8; 32],
    pub sig: [u8; 64],
    /// When the device key is not one learnt at pairing: the member's
    /// device key that introduced it, and its signature.
    pub introduced_by: Option<([u8; 32], [u8; 64])>,
}

/// What a device key signs to bind `actor` to `member` in one shared space.
pub fn binding_message(couple_id: &str, member: &str, actor: &str, device: &[u8; 32]) -> Vec<u8> {
    [
        CONTEXT,
        couple_id.as_bytes(),
        b"\0",
        member.as_bytes(),
        b"\0",
        actor.as_bytes(),
        b"\0",
        device,
    ]
    .concat()
}

/// What a member's existing device key signs to introduce a new one.
pub fn introduction_message(couple_id: &str, member: &str, new_device: &[u8; 32]) -> Vec<u8> {
    [
        INTRO_CONTEXT,
        couple_id.as_bytes(),
        b"\0",
        member.as_bytes(),
        b"\0",
        new_device,
    ]
    .concat()
}

pub fn verify(key: &[u8; 32], message: &[u8], sig: &[u8; 64]) -> bool {
    VerifyingKey::from_bytes(key)
        .is_ok_and(|k| k.verify(message, &Signature::from_bytes(sig)).is_ok())
}

impl ActorBinding {
    /// Whether this binding holds for a member whose device keys learnt at
    /// pairing are `roots`; `others` are the other bindings known, through
    /// which an introducing key may itself have been introduced.
    pub(crate) fn holds(
        &self,
        couple_id: &str,
        roots: &[[u8; 32]],
        others: &[ActorBinding],
    ) -> bool {
        let message = binding_message(couple_id, &self.member, &self.actor, &self.device);
        verify(&self.device, &message, &self.sig)
            && key_is_members(couple_id, &self.member, self, roots, others, 0)
    }
}

/// Whether `binding.device` is a device key of `member`: learnt at pairing,
/// or introduced by one that is.
fn key_is_members(
    couple_id: &str,
    member: &str,
    binding: &ActorBinding,
    roots: &[[u8; 32]],
    others: &[ActorBinding],
    depth: usize,
) -> bool {
    if roots.contains(&binding.device) {
        return true;
    }
    let Some((introducer, sig)) = &binding.introduced_by else {
        return false;
    };
    if depth >= MAX_INTRODUCTIONS
        || !verify(
            introducer,
            &introduction_message(couple_id, member, &binding.device),
            sig,
        )
    {
        return false;
    }
    if roots.contains(introducer) {
        return true;
    }
    // The introducer must itself be a device of the member's, shown by a
    // binding of its own.
    others
        .iter()
        .filter(|b| b.member == member && &b.device == introducer)
        .any(|b| key_is_members(couple_id, member, b, roots, others, depth + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn bind(signer: &SigningKey, member: &str, actor: &str) -> ActorBinding {
        let device = signer.verifying_key().to_bytes();
        ActorBinding {
            actor: actor.into(),
            member: member.into(),
            device,
            sig: signer
                .sign(&binding_message("c1", member, actor, &device))
                .to_bytes(),
            introduced_by: None,
        }
    }

    #[test]
    fn a_binding_holds_only_for_the_member_and_space_its_key_signed() {
        let phone = key(1);
        let roots = [phone.verifying_key().to_bytes()];
        let good = bind(&phone, "ana", "a2");
        assert!(good.holds("c1", &roots, &[]));
        // Another space, another member, another actor: the signature fails.
        assert!(!good.holds("c2", &roots, &[]));
        assert!(
            !ActorBinding {
                member: "ben".into(),
                ..good.clone()
            }
            .holds("c1", &roots, &[])
        );
        assert!(
            !ActorBinding {
                actor: "a3".into(),
                ..good.clone()
            }
            .holds("c1", &roots, &[])
        );
        // A key nobody paired with signs nothing that counts.
        let stranger = bind(&key(9), "ana", "a2");
        assert!(!stranger.holds("c1", &roots, &[]));
    }

    #[test]
    fn a_new_device_counts_once_a_paired_one_introduced_it() {
        let phone = key(1);
        let tablet = key(2);
        let laptop = key(3);
        let roots = [phone.verifying_key().to_bytes()];
        let introduce = |by: &SigningKey, new: &SigningKey| {
            let new_key = new.verifying_key().to_bytes();
            Some((
                by.verifying_key().to_bytes(),
                by.sign(&introduction_message("c1", "ana", &new_key))
                    .to_bytes(),
            ))
        };
        let mut on_tablet = bind(&tablet, "ana", "t1");
        assert!(!on_tablet.holds("c1", &roots, &[]));
        on_tablet.introduced_by = introduce(&phone, &tablet);
        assert!(on_tablet.holds("c1", &roots, &[]));
        // The tablet introduces a laptop: it counts through the tablet's binding.
        let mut on_laptop = bind(&laptop, "ana", "l1");
        on_laptop.introduced_by = introduce(&tablet, &laptop);
        assert!(on_laptop.holds("c1", &roots, std::slice::from_ref(&on_tablet)));
        assert!(!on_laptop.holds("c1", &roots, &[]));
        // A key introducing itself proves nothing.
        let mut selfmade = bind(&laptop, "ana", "l2");
        selfmade.introduced_by = introduce(&laptop, &laptop);
        assert!(!selfmade.holds("c1", &roots, &[]));
    }
}
