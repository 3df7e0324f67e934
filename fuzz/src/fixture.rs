//! The fixed parties every fuzz target and its seeds share: Ana's and Ben's
//! actors, the rosters pairing gives them, and one pairing exchange's
//! binding, secret and nonces. The seed generator
//! (`cargo run -p kintsugi-tests --bin fuzz-seeds`) builds its documents
//! and messages from these, so that mutated seeds reach past the door's
//! first check (who wrote it) into the checks behind it.

use automerge::ActorId;
use kintsugi_core::{Door, Roster, RosterMember};
use kintsugi_sync::pairing::exchange::{Binding, DIGITS, Hello, Nonce, Side, Unsigned};

/// Ana invited; her member id is her first actor, as after `Device::init`.
pub const ANA: [u8; 16] = [0x0a; 16];
/// Ben joined.
pub const BEN: [u8; 16] = [0x0b; 16];
/// 2026-01-05, when the fixture's records were written.
pub const T0: i64 = 1_767_571_200_000;
pub const DAY: i64 = 86_400_000;

pub fn actor(id: [u8; 16]) -> ActorId {
    ActorId::from(id.to_vec())
}

pub fn hex(id: [u8; 16]) -> String {
    actor(id).to_hex_string()
}

/// What pairing tells `me` about `partner`: the door the partner's changes
/// go through (members' first actors are their member ids, as
/// `kintsugi_tests::door_between` has it).
pub fn door(me: [u8; 16], partner: [u8; 16]) -> Door {
    Door::partner(
        Roster::new(RosterMember::new(hex(me))).with_partner(RosterMember::new(hex(partner))),
    )
}

/// An import of an export on Ana's device: any member's actors may come in.
pub fn import_door() -> Door {
    Door::import(Roster::new(RosterMember::new(hex(ANA))).with_partner(RosterMember::new(hex(BEN))))
}

/// What the pairing is bound to; in a real pairing, the endpoints' ids and
/// material exported from the TLS session.
pub fn binding() -> Binding {
    Binding {
        inviter: [0x11; 32],
        joiner: [0x22; 32],
        proof_material: [0x33; 32],
        code_material: [0x44; 32],
    }
}

/// The QR code's secret.
pub const SECRET: [u8; 32] = [0x55; 32];
pub const NONCE_INVITER: Nonce = [0x66; 32];
pub const NONCE_JOINER: Nonce = [0x77; 32];
pub const CODE_DIGITS: u32 = DIGITS;

/// Each side's device signing key (what `identity.age` holds).
pub fn signer(side: Side) -> iroh::SecretKey {
    iroh::SecretKey::from_bytes(&match side {
        Side::Inviter => [0x5a; 32],
        Side::Joiner => [0x5b; 32],
    })
}

/// The hello each side sends, signed for its side of [`binding`]:
/// Ana's as inviter, Ben's as joiner. `age_recipient` must be a real
/// recipient for the other side's check to pass.
pub fn hello(side: Side, age_recipient: &str) -> Hello {
    let (name, id) = match side {
        Side::Inviter => ("Ana", ANA),
        Side::Joiner => ("Ben", BEN),
    };
    let key = signer(side);
    Unsigned {
        name: name.into(),
        member_id: hex(id),
        actor_id: hex(id),
        role: None,
        addr: "endpoint-ticket".into(),
        age_recipient: age_recipient.into(),
        signing_key: key.public().to_string(),
    }
    .sign(&binding(), side, |m| key.sign(m))
}
