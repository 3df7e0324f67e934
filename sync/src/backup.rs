//! Encrypted, signed backups: everything a lost phone needs to come back,
//! sealed with age to this device's recovery key ([`crate::recovery`]) and,
//! if the owner chooses, the partner's device too; signed by this device's
//! signing key, so the partner's phone takes in only a backup its partner
//! made.
//!
//! A backup holds the shared document, the private one only if the owner
//! chooses, the device's keys (so the partner's phone still knows it) and
//! the partner record. The keys sit in an inner seal to the recovery key
//! alone: a partner who can open the backup reads the shared history
//! (which their phone mostly holds anyway) and can [`absorb`] it, but can
//! never act as the owner's device, and never gets the private document,
//! which such a backup cannot hold.
//!
//! A restore asks whether to keep the pairing. Either way the restored
//! device gets a new endpoint key: a copy of the backup is never a way to
//! answer as this phone. Kept, the partner learns the new endpoint id from
//! a statement signed by the device key it knows ([`crate::moved`]); dropped,
//! the shared space is archived and the device's keys rotate, as after
//! unpairing: a backup made before an unpairing never brings it back.
//!
//! The restored device is the same member under a new actor id (see
//! `Device::restore`), and starts with no sync state: the first sync
//! compares whole histories and brings back what was written after the
//! backup, from the partner's copy.

use std::path::Path;

use iroh::Signature;
use kintsugi_core::{Device, ImportReport, Millis, Unlock, now_millis};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Result, SyncError};
use crate::identity::{self, Identity};
use crate::partner::Partner;
use crate::progress::{Progress, Silent, Step};
use crate::recovery::RecoveryKey;
use crate::seal::{self, Fields};

pub const MAGIC: &[u8; 5] = b"KSBK3";
/// Signed before the parts, so a backup signature means nothing elsewhere.
const SIGNING_CONTEXT: &[u8] = b"kintsugi backup v3\0";
const SIGNATURE_LEN: usize = 64;
/// Larger files are refused unread.
pub const MAX_BACKUP_BYTES: u64 = 1024 * 1024 * 1024;

/// What a backup says about itself, before the documents. Whoever opens the
/// backup reads it, so it holds no secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    created_at: Millis,
    name: String,
    member_id: String,
    partner: Option<Partner>,
    /// Whether the partner's recipient can open the backup too.
    partner_can_open: bool,
    /// The device's public signing key, which signed the backup.
    signing_key: String,
}

/// The device's secrets, sealed inside the backup to the owner alone;
/// wiped from memory when dropped.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct Keys {
    /// The age identity and the signing key (hex) of `identity.age`.
    identity_age: String,
    identity_signing: String,
    /// The endpoint key, hex: the partner's phone admits only this.
    endpoint_key: String,
}

/// What to put in a backup and who may open it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackupOptions {
    /// The private journal and notes too (never with `partner_can_open`).
    pub include_private: bool,
    /// Seal it to the partner's recipient as well, so that the partner's
    /// phone can take in the shared history ([`absorb`]) should this phone
    /// and its recovery key both be lost. The keys stay the owner's alone.
    pub partner_can_open: bool,
}

/// A sealed backup.
#[derive(Debug, Clone)]
pub struct Backup {
    pub bytes: Vec<u8>,
    /// Whether the private journal and notes are inside.
    pub private: bool,
    /// Whether the partner can open it.
    pub partner_can_open: bool,
    pub padded: usize,
}

/// What a restore does with the pairing the backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// Paired with the same partner again, who learns this device's new
    /// endpoint id at the next sync.
    Keep,
    /// Not paired: the restored shared space is archived, the device's keys
    /// rotate (as after unpairing), and nothing is sent to the old partner.
    Drop,
}

/// What a restore brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub name: String,
    /// The partner it is paired with again (`None` when dropped or unpaired).
    pub partner_name: Option<String>,
    /// Whether the backup held a pairing (kept or dropped).
    pub had_partner: bool,
    pub made_at: Millis,
    pub private: bool,
}

/// What [`absorb`] took in from the partner's backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absorbed {
    /// Whose backup it was.
    pub from_name: String,
    pub made_at: Millis,
    /// Changes this device did not hold before.
    pub new_changes: usize,
}

/// Seals a backup of this device to its recovery key (and the partner's
/// device, with `options.partner_can_open`), signed by this device.
pub fn create(
    device: &mut Device,
    options: &BackupOptions,
    progress: &dyn Progress,
) -> Result<Backup> {
    if options.include_private && options.partner_can_open {
        return Err(SyncError::PrivateNotForPartner);
    }
    let store = device.store();
    let identity = Identity::load_or_create(store)?;
    let recovery = RecoveryKey::load_or_create(store)?;
    let endpoint = identity::endpoint_key_or_create(store)?;
    let partner = Partner::load(store)?;
    let own = recovery.recipient();
    let partner_recipient = if options.partner_can_open {
        let recipient = partner
            .as_ref()
            .and_then(|p| p.age_recipient.as_deref())
            .and_then(identity::parse_recipient)
            .ok_or(SyncError::NotPaired)?;
        Some(recipient)
    } else {
        None
    };
    device.reload()?;
    progress.report(Step::Collecting, 0, 2);
    let shared = device.doc_mut()?.save();
    let private = if options.include_private {
        Some(device.private()?.save())
    } else {
        None
    };
    progress.report(Step::Collecting, 2, 2);
    let keys = Keys {
        identity_age: identity.age_identity_text().as_str().to_owned(),
        identity_signing: identity.signing_secret_hex().as_str().to_owned(),
        endpoint_key: hex::encode(Zeroizing::new(endpoint.to_bytes())),
    };
    let keys = Zeroizing::new(serde_json::to_vec(&keys).expect("the keys serialise"));
    let keys = seal::seal(&keys, &[&own], &Silent)?;
    let manifest = Manifest {
        created_at: now_millis(),
        name: device.profile().name.clone(),
        member_id: device.member_id().to_owned(),
        partner,
        partner_can_open: options.partner_can_open,
        signing_key: identity.signing_key(),
    };
    let plaintext = assemble(
        &manifest,
        &keys,
        &shared,
        private.as_deref().unwrap_or_default(),
        |m| identity.sign(m),
    );
    let mut recipients: Vec<&dyn age::Recipient> = vec![&own];
    if let Some(partner) = &partner_recipient {
        recipients.push(partner);
    }
    let bytes = seal::seal(&plaintext, &recipients, progress)?;
    Ok(Backup {
        bytes,
        private: private.is_some(),
        partner_can_open: options.partner_can_open,
        padded: plaintext.len(),
    })
}

/// The plaintext: magic, the four parts each after its length, the
/// signature over all that, zero padding.
fn assemble(
    manifest: &Manifest,
    keys: &[u8],
    shared: &[u8],
    private: &[u8],
    sign: impl FnOnce(&[u8]) -> Signature,
) -> Vec<u8> {
    let manifest = serde_json::to_vec(manifest).expect("the manifest serialises");
    let parts = [&manifest[..], keys, shared, private];
    let len = MAGIC.len() + parts.iter().map(|p| 4 + p.len()).sum::<usize>() + SIGNATURE_LEN;
    let mut plaintext = Vec::with_capacity(seal::padded_len(len));
    plaintext.extend_from_slice(MAGIC);
    for part in parts {
        plaintext.extend_from_slice(&(part.len() as u32).to_be_bytes());
        plaintext.extend_from_slice(part);
    }
    let signature = sign(&signed_message(&plaintext));
    plaintext.extend_from_slice(&signature.to_bytes());
    plaintext.resize(seal::padded_len(plaintext.len()), 0);
    plaintext
}

fn signed_message(parts: &[u8]) -> Vec<u8> {
    [SIGNING_CONTEXT, parts].concat()
}

/// A backup's parts once its outer seal is open.
struct Opened {
    manifest: Manifest,
    /// Still sealed to the owner.
    keys: Vec<u8>,
    shared: Vec<u8>,
    private: Vec<u8>,
    /// Whether the signature holds for the signing key the manifest names.
    signed: bool,
}

fn damaged(reason: &str) -> SyncError {
    SyncError::SealedDamaged {
        what: "backup",
        reason: reason.to_owned(),
    }
}

/// Decrypts a backup with `key` and splits it into its parts.
fn open(sealed: &[u8], key: &dyn age::Identity, progress: &dyn Progress) -> Result<Opened> {
    if sealed.len() as u64 > MAX_BACKUP_BYTES {
        return Err(SyncError::SealedTooLarge {
            what: "backup",
            size: sealed.len() as u64,
            limit: MAX_BACKUP_BYTES,
        });
    }
    let plaintext = seal::open(sealed, key, "backup", progress)?;
    parse(&plaintext)
}

/// Splits a decrypted backup into its parts and checks its signature.
fn parse(plaintext: &[u8]) -> Result<Opened> {
    let mut fields = Fields::new(plaintext, "backup");
    if fields.take(MAGIC.len())? != MAGIC {
        return Err(damaged("not a Kintsugi backup of this version"));
    }
    let manifest: Manifest = serde_json::from_slice(fields.part()?)
        .map_err(|e| damaged(&format!("its manifest: {e}")))?;
    let keys = fields.part()?.to_vec();
    let shared = fields.part()?.to_vec();
    let private = fields.part()?.to_vec();
    let signed_len = plaintext.len() - fields.rest().len();
    let signature = Signature::from_bytes(&fields.array::<SIGNATURE_LEN>()?);
    let signed = identity::verify(
        &manifest.signing_key,
        &signed_message(&plaintext[..signed_len]),
        &signature,
    );
    Ok(Opened {
        manifest,
        keys,
        shared,
        private,
        signed,
    })
}

/// Restores a backup into `dir`, which must hold no device, locking the new
/// device with `unlock`. `recovery_key` is the lost device's
/// (`AGE-SECRET-KEY-1…`); `pairing` says whether to keep the pairing the
/// backup holds. Either way the device gets a new endpoint key. Nothing is
/// written until the backup has opened and its signature holds.
pub fn restore(
    dir: &Path,
    unlock: &Unlock,
    sealed: &[u8],
    recovery_key: &str,
    pairing: Pairing,
    progress: &dyn Progress,
) -> Result<(Device, Restored)> {
    let key: age::x25519::Identity = recovery_key
        .trim()
        .parse()
        .map_err(|_| SyncError::InvalidRecoveryKey)?;
    let opened = open(sealed, &key, progress)?;
    let manifest = opened.manifest;
    let keys = match seal::open(&opened.keys, &key, "backup", &Silent) {
        Ok(keys) => Zeroizing::new(keys),
        Err(SyncError::SealedNotForUs { .. }) => {
            return Err(SyncError::BackupOfPartner {
                name: manifest.name,
            });
        }
        Err(e) => return Err(e),
    };
    let keys: Keys =
        serde_json::from_slice(&keys).map_err(|e| damaged(&format!("its keys: {e}")))?;
    // The keys inside are the device that signed it.
    let signing: [u8; 32] = hex::decode(keys.identity_signing.as_str())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| damaged("its signing key"))?;
    let signer = iroh::SecretKey::from_bytes(&signing).public().to_string();
    if !opened.signed || signer != manifest.signing_key {
        return Err(damaged("its signature does not hold"));
    }
    let old_endpoint: [u8; 32] = hex::decode(keys.endpoint_key.as_str())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| damaged("its endpoint key"))?;
    let old_endpoint = iroh::SecretKey::from_bytes(&old_endpoint).public();

    progress.report(Step::Saving, 0, 1);
    let private = opened.private;
    let mut device = Device::restore(
        dir,
        unlock,
        &manifest.name,
        &manifest.member_id,
        &opened.shared,
        (!private.is_empty()).then_some(private.as_slice()),
    )?;
    let store = device.store().clone();
    let identity = Identity::restore(&store, &keys.identity_age, &keys.identity_signing)?;
    crate::recovery::RecoveryKey::adopt(&store, &key)?;
    // Never the backup's endpoint key: whoever else holds a copy of the
    // backup cannot answer as this phone.
    let endpoint = identity::rotate_endpoint_key(&store)?;
    let had_partner = manifest.partner.is_some();
    let partner_name = match (pairing, manifest.partner) {
        (Pairing::Keep, Some(partner)) => {
            partner.save(&store)?;
            crate::moved::record(&store, &identity, &old_endpoint, &endpoint, &partner)?;
            // The restored device writes under a new actor: bind it to the
            // member with the device key the partner knows.
            device.bind_actor(&identity.signing_public(), |m| identity.sign(m).to_bytes())?;
            Some(partner.name)
        }
        (Pairing::Drop, Some(_)) => {
            // As after unpairing: the space archived, the keys rotated.
            crate::unpair::leave(&mut device)?;
            None
        }
        (_, None) => None,
    };
    progress.report(Step::Saving, 1, 1);
    Ok((
        device,
        Restored {
            name: manifest.name,
            partner_name,
            had_partner,
            made_at: manifest.created_at,
            private: !private.is_empty(),
        },
    ))
}

/// On the partner's phone: takes in the shared history of a backup its
/// owner made with `partner_can_open` (say, the owner's phone and recovery
/// key are both gone, and the backup holds check-ins that never synced).
/// Opens with this device's own key; merges like an import (the same
/// budget, only this couple's document), durably. Nothing else of the
/// backup is used: its keys stay sealed to their owner.
pub fn absorb(device: &mut Device, sealed: &[u8], progress: &dyn Progress) -> Result<Absorbed> {
    let identity = Identity::load_or_create(device.store())?;
    let opened = open(sealed, identity.age_identity(), progress)?;
    let manifest = opened.manifest;
    if manifest.member_id == device.member_id() {
        return Err(SyncError::OwnBackup);
    }
    // Only what the current partner's device signed: not an ex's, not a
    // stranger's who learnt this device's recipient.
    let partner = crate::partner::Partner::load(device.store())?.ok_or(SyncError::NotPaired)?;
    if !opened.signed
        || partner.signing_key.as_deref() != Some(manifest.signing_key.as_str())
        || partner.member_id != manifest.member_id
    {
        return Err(SyncError::BackupNotFromPartner);
    }
    progress.report(Step::Applying, 0, 1);
    let roster = crate::roster::roster(device, &identity, Some(&partner));
    let ImportReport { new_changes } = device.absorb_automerge(&opened.shared, &roster)?;
    progress.report(Step::Applying, 1, 1);
    Ok(Absorbed {
        from_name: manifest.name,
        made_at: manifest.created_at,
        new_changes,
    })
}

/// Entry points for the fuzz targets (`fuzz/`): the reader of a backup's
/// plaintext once age has decrypted it, and what [`absorb`] does with it,
/// on a bare document instead of a device's data directory. Not an API.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;
    use kintsugi_core::{CoupleDoc, Door};

    /// What [`absorb`] does with a decrypted backup from the partner: its
    /// parts and signature read, then (whatever the signature says: the
    /// partner can sign anything) its shared history merged through `door`.
    /// Returns whether the signature held and the changes applied.
    pub fn absorb_plaintext(
        doc: &mut CoupleDoc,
        door: &Door,
        plaintext: &[u8],
    ) -> Result<(bool, usize)> {
        let opened = parse(plaintext)?;
        let new = doc.merge_received(&opened.shared, door)?;
        Ok((opened.signed, new))
    }

    /// A plaintext as [`create`] assembles one, for seed inputs: `shared`
    /// (and `private`) from member `member_id`, signed by `signer`.
    pub fn plaintext(
        signer: &iroh::SecretKey,
        name: &str,
        member_id: &str,
        partner: Option<Partner>,
        shared: &[u8],
        private: &[u8],
    ) -> Vec<u8> {
        let manifest = Manifest {
            created_at: 1_767_571_200_000,
            name: name.to_owned(),
            member_id: member_id.to_owned(),
            partner_can_open: partner.is_some(),
            partner,
            signing_key: signer.public().to_string(),
        };
        // The keys stay sealed in a real backup; absorb never reads them.
        assemble(&manifest, b"sealed keys", shared, private, |m| {
            signer.sign(m)
        })
    }
}
