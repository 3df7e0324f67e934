//! Who may write in the shared space, as this device learnt it at pairing:
//! the [`Roster`] every door in core checks received changes against.

use std::str::FromStr;

use iroh::PublicKey;
use kintsugi_core::{Device, Roster, RosterMember};

use crate::identity::Identity;
use crate::partner::Partner;

/// This device's own member (its signing key, its actor) and, when paired,
/// the partner (the signing key and actors the pairing exchange bound).
pub fn roster(device: &Device, identity: &Identity, partner: Option<&Partner>) -> Roster {
    let profile = device.profile();
    let mut me = RosterMember::new(device.member_id()).with_actor(profile.actor_id.clone());
    if let Some(key) = signing_key(&identity.signing_key()) {
        me = me.with_device_key(key);
    }
    let roster = Roster::new(me).recovering(profile.recovering);
    match partner {
        Some(p) => roster.with_partner(partner_member(p)),
        None => roster,
    }
}

/// The partner as the roster knows them. Public for the pairing fuzz target
/// (`fuzz/`), which builds the door a joiner adopts the document through.
#[doc(hidden)]
pub fn partner_member(partner: &Partner) -> RosterMember {
    let mut member = RosterMember::new(partner.member_id.clone());
    if let Some(key) = partner.signing_key.as_deref().and_then(signing_key) {
        member = member.with_device_key(key);
    }
    // Bound at pairing, signed by that key; later ones bind in the document.
    for actor in &partner.actor_ids {
        member = member.with_actor(actor.clone());
    }
    member
}

fn signing_key(text: &str) -> Option<[u8; 32]> {
    PublicKey::from_str(text).ok().map(|k| *k.as_bytes())
}

/// [`roster`] from what the data directory keeps (the identity, the partner).
pub fn load(device: &Device) -> crate::Result<Roster> {
    let identity = Identity::load_or_create(device.store())?;
    let partner = Partner::load(device.store())?;
    Ok(roster(device, &identity, partner.as_ref()))
}
