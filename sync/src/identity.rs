//! This device's long-term keys for what travels outside a live connection
//! (sealed bundles, backups): an age X25519 identity the partner encrypts
//! to, and an ed25519 key that signs what this device sends. The public
//! halves go to the partner inside the pairing channel, never in the QR code.
//!
//! Kept apart from the endpoint key on purpose: the endpoint key is the
//! transport identity, and a signature over a bundle must not be confusable
//! with anything the TLS handshake signs.
//!
//! The secret halves, the text they are stored as and the bytes read from
//! disk live in types that wipe their memory when dropped (`Zeroizing`).

use std::str::FromStr;

use age::secrecy::ExposeSecret;
use age::x25519;
use iroh::{PublicKey, SecretKey, Signature};
use kintsugi_core::{CoreError, Store};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::Result;

const FILE: &str = kintsugi_core::storage::files::IDENTITY;
const ENDPOINT_KEY_FILE: &str = kintsugi_core::storage::files::ENDPOINT_KEY;

pub struct Identity {
    age: x25519::Identity,
    signing: SecretKey,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Public halves only: this ends up in logs.
        f.debug_struct("Identity")
            .field("age_recipient", &self.age_recipient())
            .field("signing_key", &self.signing_key())
            .finish()
    }
}

/// `identity.age`'s content: both secrets as text, wiped when dropped.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
struct Stored {
    age: String,
    signing: String,
}

impl Stored {
    fn to_json(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(serde_json::to_vec(self).expect("serialises"))
    }
}

impl Identity {
    /// The device's identity, made and saved (encrypted) the first time.
    pub fn load_or_create(store: &Store) -> Result<Identity> {
        if let Some(bytes) = store.read(FILE)? {
            let bytes = Zeroizing::new(bytes);
            let corrupt = |reason: String| CoreError::Corrupt {
                path: store.path(FILE),
                reason,
            };
            let stored: Stored =
                serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
            let age = x25519::Identity::from_str(&stored.age)
                .map_err(|_| corrupt("not an age identity".into()))?;
            let signing = secret_key_from_hex(&stored.signing)
                .ok_or_else(|| corrupt("not a 32-byte signing key".into()))?;
            return Ok(Identity { age, signing });
        }
        let identity = Identity {
            age: x25519::Identity::generate(),
            signing: SecretKey::generate(),
        };
        // A new device gets its recovery key with its identity, and apart
        // from it (only a device from before the two stood apart has an
        // identity and no recovery key; see `RecoveryKey::load_or_create`).
        if store
            .read(kintsugi_core::storage::files::RECOVERY)?
            .is_none()
        {
            crate::recovery::RecoveryKey::rotate(store)?;
        }
        let stored = Stored {
            age: identity.age.to_string().expose_secret().to_owned(),
            signing: hex::encode(Zeroizing::new(identity.signing.to_bytes())),
        };
        store.write(FILE, &stored.to_json())?;
        Ok(identity)
    }

    /// `age1…`: what the partner seals bundles and backups to.
    pub fn age_recipient(&self) -> String {
        self.age.to_public().to_string()
    }

    /// The public signing key, as text (z-base-32 like iroh's ids).
    pub fn signing_key(&self) -> String {
        self.signing.public().to_string()
    }

    /// The public signing key's bytes.
    pub fn signing_public(&self) -> [u8; 32] {
        *self.signing.public().as_bytes()
    }

    /// The sealing key's secret text, for a backup's inner seal (the
    /// recovery key is another key: see [`crate::recovery`]).
    pub(crate) fn age_identity_text(&self) -> Zeroizing<String> {
        Zeroizing::new(self.age.to_string().expose_secret().to_owned())
    }

    /// The identity a backup carried, written as this device's own.
    pub(crate) fn restore(store: &Store, age: &str, signing: &str) -> Result<Identity> {
        let stored = Stored {
            age: age.to_owned(),
            signing: signing.to_owned(),
        };
        store.write(FILE, &stored.to_json())?;
        Identity::load_or_create(store)
    }

    /// The hex of the secret signing key, for a backup.
    pub(crate) fn signing_secret_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(Zeroizing::new(self.signing.to_bytes())))
    }

    pub fn age_identity(&self) -> &x25519::Identity {
        &self.age
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }
}

/// The device's endpoint (transport) key, if the device has ever started
/// networking. Kept in `endpoint-key.age`.
pub fn endpoint_key(store: &Store) -> Result<Option<SecretKey>> {
    let Some(bytes) = store.read(ENDPOINT_KEY_FILE)? else {
        return Ok(None);
    };
    let bytes = Zeroizing::new(bytes);
    let bytes: Zeroizing<[u8; 32]> =
        Zeroizing::new(
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| CoreError::Corrupt {
                    path: store.path(ENDPOINT_KEY_FILE),
                    reason: "not a 32-byte key".into(),
                })?,
        );
    Ok(Some(SecretKey::from_bytes(&bytes)))
}

/// A secret key from 64 hex digits, the decoded bytes wiped after use.
pub(crate) fn secret_key_from_hex(text: &str) -> Option<SecretKey> {
    let bytes = Zeroizing::new(hex::decode(text).ok()?);
    let bytes: Zeroizing<[u8; 32]> = Zeroizing::new(bytes.as_slice().try_into().ok()?);
    Some(SecretKey::from_bytes(&bytes))
}

/// The endpoint key, made and saved the first time.
pub fn endpoint_key_or_create(store: &Store) -> Result<SecretKey> {
    if let Some(key) = endpoint_key(store)? {
        return Ok(key);
    }
    let key = SecretKey::generate();
    store.write(ENDPOINT_KEY_FILE, Zeroizing::new(key.to_bytes()).as_slice())?;
    Ok(key)
}

/// New keys for this device, replacing the old ones (after unpairing): a
/// new endpoint key, so the ex-partner's dials reach nothing, and a new
/// identity (sealing and signing keys), so nothing made from now on
/// relates to the old ones.
pub fn rotate(store: &Store) -> Result<()> {
    // The recovery key stays: backups made before still open. A device from
    // before it stood apart makes it now, from the identity about to go.
    crate::recovery::RecoveryKey::load_or_create(store)?;
    rotate_endpoint_key(store)?;
    store.remove(FILE)?;
    Identity::load_or_create(store)?;
    Ok(())
}

/// A new endpoint key: the old endpoint id is never answered for again.
pub fn rotate_endpoint_key(store: &Store) -> Result<SecretKey> {
    let key = SecretKey::generate();
    store.write(ENDPOINT_KEY_FILE, Zeroizing::new(key.to_bytes()).as_slice())?;
    Ok(key)
}

/// Checks `signature` over `message` against a partner's signing key text.
pub fn verify(signing_key: &str, message: &[u8], signature: &Signature) -> bool {
    PublicKey::from_str(signing_key).is_ok_and(|key| key.verify(message, signature).is_ok())
}

/// Checks that `text` is an age recipient (what a partner sends at pairing).
pub fn parse_recipient(text: &str) -> Option<x25519::Recipient> {
    x25519::Recipient::from_str(text).ok()
}
