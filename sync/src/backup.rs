//! Encrypted backups: everything a lost phone needs to come back as the
//! same device, sealed with age to this device's own recipient. Opening one
//! needs the device's recovery key ([`Identity::recovery_key`]), which the
//! owner keeps somewhere that survives losing the phone.
//!
//! A backup holds the shared document, the private one only if the owner
//! chooses, the device's keys (so the partner's phone still admits it) and
//! the partner record. The restored device is the same member under a new
//! actor id (see `Device::restore`), and starts with no sync state: the
//! first sync compares whole histories and brings back what was written
//! after the backup, from the partner's copy.

use std::path::Path;

use kintsugi_core::{Device, Millis, Unlock, now_millis};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SyncError};
use crate::identity::{self, Identity};
use crate::partner::Partner;
use crate::progress::{Progress, Step};
use crate::seal::{self, Fields};

pub const MAGIC: &[u8; 5] = b"KSBK1";
/// Larger files are refused unread.
pub const MAX_BACKUP_BYTES: u64 = 1024 * 1024 * 1024;

/// What a backup says about itself, before the documents.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    created_at: Millis,
    name: String,
    member_id: String,
    /// The age identity and the signing key (hex) of `identity.age`.
    identity_age: String,
    identity_signing: String,
    /// The endpoint key, hex: the partner's phone admits only this.
    endpoint_key: String,
    partner: Option<Partner>,
}

/// A sealed backup.
#[derive(Debug, Clone)]
pub struct Backup {
    pub bytes: Vec<u8>,
    /// Whether the private journal and notes are inside.
    pub private: bool,
    pub padded: usize,
}

/// What a restore brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub name: String,
    pub partner_name: Option<String>,
    pub made_at: Millis,
    pub private: bool,
}

/// Seals a backup of this device to its own recipient.
pub fn create(
    device: &mut Device,
    include_private: bool,
    progress: &dyn Progress,
) -> Result<Backup> {
    let store = device.store();
    let identity = Identity::load_or_create(store)?;
    let endpoint = identity::endpoint_key_or_create(store)?;
    let partner = Partner::load(store)?;
    device.reload()?;
    progress.report(Step::Collecting, 0, 2);
    let shared = device.doc_mut()?.save();
    let private = if include_private {
        Some(device.private()?.save())
    } else {
        None
    };
    progress.report(Step::Collecting, 2, 2);
    let manifest = Manifest {
        created_at: now_millis(),
        name: device.profile().name.clone(),
        member_id: device.member_id().to_owned(),
        identity_age: identity.recovery_key(),
        identity_signing: identity.signing_secret_hex(),
        endpoint_key: hex::encode(endpoint.to_bytes()),
        partner,
    };
    let manifest = serde_json::to_vec(&manifest).expect("the manifest serialises");
    let mut plaintext = Vec::with_capacity(seal::padded_len(
        MAGIC.len() + 12 + manifest.len() + shared.len(),
    ));
    plaintext.extend_from_slice(MAGIC);
    for part in [
        &manifest[..],
        &shared[..],
        private.as_deref().unwrap_or_default(),
    ] {
        plaintext.extend_from_slice(&(part.len() as u32).to_be_bytes());
        plaintext.extend_from_slice(part);
    }
    plaintext.resize(seal::padded_len(plaintext.len()), 0);
    let recipient = identity.age_identity().to_public();
    let bytes = seal::seal(&plaintext, &[&recipient], progress)?;
    Ok(Backup {
        bytes,
        private: private.is_some(),
        padded: plaintext.len(),
    })
}

/// Restores a backup into `dir`, which must hold no device, locking the new
/// device with `unlock`. `recovery_key` is the lost device's
/// (`AGE-SECRET-KEY-1…`).
pub fn restore(
    dir: &Path,
    unlock: &Unlock,
    sealed: &[u8],
    recovery_key: &str,
    progress: &dyn Progress,
) -> Result<(Device, Restored)> {
    if sealed.len() as u64 > MAX_BACKUP_BYTES {
        return Err(SyncError::SealedTooLarge {
            what: "backup",
            size: sealed.len() as u64,
            limit: MAX_BACKUP_BYTES,
        });
    }
    let key: age::x25519::Identity = recovery_key
        .trim()
        .parse()
        .map_err(|_| SyncError::InvalidRecoveryKey)?;
    let plaintext = seal::open(sealed, &key, "backup", progress)?;
    let damaged = |reason: &str| SyncError::SealedDamaged {
        what: "backup",
        reason: reason.to_owned(),
    };
    let mut fields = Fields::new(&plaintext, "backup");
    if fields.take(MAGIC.len())? != MAGIC {
        return Err(damaged("not a Kintsugi backup"));
    }
    let manifest: Manifest = serde_json::from_slice(fields.part()?)
        .map_err(|e| damaged(&format!("its manifest: {e}")))?;
    let shared = fields.part()?.to_vec();
    let private = fields.part()?.to_vec();
    let endpoint: [u8; 32] = hex::decode(&manifest.endpoint_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| damaged("its endpoint key"))?;
    // The keys inside are the ones the recovery key belongs to.
    let inside: age::x25519::Identity = manifest
        .identity_age
        .parse()
        .map_err(|_| damaged("its device identity"))?;
    if inside.to_public().to_string() != key.to_public().to_string() {
        return Err(damaged("its keys do not match the recovery key"));
    }

    progress.report(Step::Saving, 0, 1);
    let device = Device::restore(
        dir,
        unlock,
        &manifest.name,
        &manifest.member_id,
        &shared,
        (!private.is_empty()).then_some(private.as_slice()),
    )?;
    let store = device.store();
    Identity::restore(store, &manifest.identity_age, &manifest.identity_signing)?;
    store.write(kintsugi_core::storage::files::ENDPOINT_KEY, &endpoint)?;
    if let Some(partner) = &manifest.partner {
        partner.save(store)?;
    }
    progress.report(Step::Saving, 1, 1);
    Ok((
        device,
        Restored {
            name: manifest.name,
            partner_name: manifest.partner.map(|p| p.name),
            made_at: manifest.created_at,
            private: !private.is_empty(),
        },
    ))
}
