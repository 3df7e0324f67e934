//! The recovery key: what opens this device's backups. It is its own age
//! identity (`recovery.age`), apart from the device's identity, so that the
//! device's keys can rotate (after unpairing) without making earlier
//! backups unreadable, and so that the recovery key itself can be rotated
//! (`backup recovery-key --rotate`), after which earlier backups need the
//! old one.

use std::str::FromStr;

use age::secrecy::ExposeSecret;
use age::x25519;
use kintsugi_core::storage::files;
use kintsugi_core::{CoreError, Store};
use zeroize::Zeroizing;

use crate::error::Result;
use crate::identity::Identity;

pub struct RecoveryKey(x25519::Identity);

impl std::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RecoveryKey")
            .field(&self.0.to_public().to_string())
            .finish()
    }
}

impl RecoveryKey {
    /// This device's recovery key, made the first time. A device from before
    /// the recovery key stood apart used its identity's sealing key: that
    /// key carries on, so the key its user wrote down still opens what comes.
    pub fn load_or_create(store: &Store) -> Result<RecoveryKey> {
        if let Some(bytes) = store.read(files::RECOVERY)? {
            let text = Zeroizing::new(String::from_utf8(bytes).map_err(|_| corrupt(store))?);
            return Ok(RecoveryKey(
                x25519::Identity::from_str(text.trim()).map_err(|_| corrupt(store))?,
            ));
        }
        let key = match store.read(files::IDENTITY)? {
            Some(_) => {
                let identity = Identity::load_or_create(store)?;
                x25519::Identity::from_str(identity.age_identity_text().as_str())
                    .map_err(|_| corrupt(store))?
            }
            None => x25519::Identity::generate(),
        };
        let recovery = RecoveryKey(key);
        recovery.save(store)?;
        Ok(recovery)
    }

    /// A new recovery key; backups made before it need the old one.
    pub fn rotate(store: &Store) -> Result<RecoveryKey> {
        let recovery = RecoveryKey(x25519::Identity::generate());
        recovery.save(store)?;
        Ok(recovery)
    }

    /// Keeps `key` (a restored device goes on with the key that restored it).
    pub(crate) fn adopt(store: &Store, key: &x25519::Identity) -> Result<()> {
        RecoveryKey(key.clone()).save(store)
    }

    fn save(&self, store: &Store) -> Result<()> {
        let text = Zeroizing::new(self.0.to_string().expose_secret().to_owned());
        Ok(store.write(files::RECOVERY, text.as_bytes())?)
    }

    /// `AGE-SECRET-KEY-1…`: for the user to keep where losing the phone
    /// cannot take it.
    pub fn text(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.to_string().expose_secret().to_owned())
    }

    pub fn recipient(&self) -> x25519::Recipient {
        self.0.to_public()
    }

    pub fn identity(&self) -> &x25519::Identity {
        &self.0
    }
}

fn corrupt(store: &Store) -> crate::SyncError {
    CoreError::Corrupt {
        path: store.path(files::RECOVERY),
        reason: "not a recovery key".into(),
    }
    .into()
}
