//! The keys that protect the data directory.
//!
//! Each device has one *device key*, an age X25519 identity made when the
//! device is set up. Every file in the data directory is age-encrypted to
//! it. The device key itself is kept in `key.age`, wrapped by what the host
//! holds: a passphrase (stretched with scrypt once per open) or a *host key*
//! (an age X25519 identity that the phone keeps in the iOS Keychain or the
//! Android Keystore, or that the CLI keeps in a 0600 key file). Changing the
//! passphrase rewraps `key.age` only.
//!
//! Every secret here lives in a type that wipes its memory when dropped
//! (`SecretString`, `Zeroizing`), and no `Debug` prints one.

use std::fmt;
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use age::{DecryptError, x25519};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{CoreError, Result};

/// The context of the key that names files after identifiers (BLAKE3
/// `derive_key`, from the device key's text).
const FILE_NAMES_CONTEXT: &str = "kintsugi 2026 data directory file names v1";

/// How the host unlocks this device's key.
#[derive(Clone)]
pub enum Unlock {
    /// A passphrase typed by the person (or `KINTSUGI_PASSPHRASE` for scripts).
    Passphrase(SecretString),
    /// An age identity (`AGE-SECRET-KEY-1…`) from the platform keystore or a key file.
    HostKey(SecretString),
}

impl fmt::Debug for Unlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        f.write_str(match self {
            Unlock::Passphrase(_) => "Unlock::Passphrase(..)",
            Unlock::HostKey(_) => "Unlock::HostKey(..)",
        })
    }
}

impl Unlock {
    /// A passphrase; the `String` handed over is wiped once copied.
    pub fn passphrase(text: impl Into<String>) -> Self {
        Unlock::Passphrase(secret_string(text.into()))
    }

    /// A host key from its `AGE-SECRET-KEY-1…` text (surrounding whitespace
    /// and `#` comment lines, as in an age key file, are ignored).
    pub fn host_key(text: &str) -> Result<Self> {
        let key = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        x25519::Identity::from_str(key).map_err(|_| CoreError::InvalidValue {
            field: "host key",
            reason: "expected an age identity (AGE-SECRET-KEY-1…)".into(),
        })?;
        Ok(Unlock::HostKey(SecretString::from(key)))
    }

    /// A fresh host key, for the app to keep in the platform keystore.
    pub fn generate_host_key() -> SecretString {
        x25519::Identity::generate().to_string()
    }

    fn wrap(&self, device_key: &[u8]) -> Result<Vec<u8>> {
        let sealed = match self {
            Unlock::Passphrase(p) => {
                if p.expose_secret().is_empty() {
                    return Err(CoreError::EmptyText {
                        field: "passphrase",
                    });
                }
                age::encrypt(&age::scrypt::Recipient::new(p.clone()), device_key)
            }
            Unlock::HostKey(k) => age::encrypt(&host_identity(k)?.to_public(), device_key),
        };
        sealed.map_err(|e| CoreError::Encrypt(e.to_string()))
    }

    fn unwrap(&self, wrapped: &[u8]) -> std::result::Result<Vec<u8>, DecryptError> {
        match self {
            Unlock::Passphrase(p) => age::decrypt(&age::scrypt::Identity::new(p.clone()), wrapped),
            Unlock::HostKey(k) => match host_identity(k) {
                Ok(id) => age::decrypt(&id, wrapped),
                Err(_) => Err(DecryptError::NoMatchingKeys),
            },
        }
    }
}

/// Moves `text` into a `SecretString` and wipes the original buffer
/// (`SecretString::from(String)` may reallocate and free it unwiped).
pub fn secret_string(mut text: String) -> SecretString {
    let secret = SecretString::from(text.as_str());
    text.zeroize();
    secret
}

fn host_identity(key: &SecretString) -> Result<x25519::Identity> {
    x25519::Identity::from_str(key.expose_secret()).map_err(|_| CoreError::InvalidValue {
        field: "host key",
        reason: "expected an age identity (AGE-SECRET-KEY-1…)".into(),
    })
}

/// The key every file of one device is encrypted to.
pub struct DeviceKey {
    identity: x25519::Identity,
    recipient: x25519::Recipient,
    /// Keys the hash that names files after an identifier (a partner's
    /// endpoint id), so the names mean nothing without the device key.
    names: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceKey")
            .field("recipient", &self.recipient.to_string())
            .finish()
    }
}

impl DeviceKey {
    pub(crate) fn generate() -> Self {
        Self::from_identity(x25519::Identity::generate())
    }

    fn from_identity(identity: x25519::Identity) -> Self {
        let recipient = identity.to_public();
        let names = Zeroizing::new(blake3::derive_key(
            FILE_NAMES_CONTEXT,
            identity.to_string().expose_secret().as_bytes(),
        ));
        DeviceKey {
            identity,
            recipient,
            names,
        }
    }

    /// A file name standing for `id` (32 hex digits): the same for the same
    /// id on this device, unrelated to it without the device key.
    pub(crate) fn file_name_for(&self, id: &str) -> String {
        blake3::keyed_hash(&self.names, id.as_bytes()).to_hex()[..32].to_owned()
    }

    /// `key.age`'s content: this key wrapped by what the host holds.
    pub(crate) fn wrap(&self, unlock: &Unlock) -> Result<Vec<u8>> {
        unlock.wrap(self.identity.to_string().expose_secret().as_bytes())
    }

    /// Unwraps `key.age`. A key or passphrase that does not fit is
    /// `WrongKey`; anything else wrong with the file is `Corrupt`.
    pub(crate) fn unwrap(wrapped: &[u8], unlock: &Unlock, path: &std::path::Path) -> Result<Self> {
        let plain = Zeroizing::new(unlock.unwrap(wrapped).map_err(|e| match e {
            DecryptError::NoMatchingKeys | DecryptError::DecryptionFailed => CoreError::WrongKey {
                path: path.to_owned(),
            },
            other => CoreError::Corrupt {
                path: path.to_owned(),
                reason: other.to_string(),
            },
        })?);
        let text = std::str::from_utf8(&plain).map_err(|_| CoreError::Corrupt {
            path: path.to_owned(),
            reason: "the device key is not text".into(),
        })?;
        let identity = x25519::Identity::from_str(text.trim()).map_err(|_| CoreError::Corrupt {
            path: path.to_owned(),
            reason: "the device key is not an age identity".into(),
        })?;
        Ok(Self::from_identity(identity))
    }

    pub(crate) fn seal(&self, plain: &[u8]) -> Result<Vec<u8>> {
        age::encrypt(&self.recipient, plain).map_err(|e| CoreError::Encrypt(e.to_string()))
    }

    pub(crate) fn open(&self, sealed: &[u8]) -> std::result::Result<Vec<u8>, DecryptError> {
        age::decrypt(&self.identity, sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_key_opens_only_with_what_wrapped_it() {
        let key = DeviceKey::generate();
        let host = Unlock::HostKey(Unlock::generate_host_key());
        let other = Unlock::HostKey(Unlock::generate_host_key());
        let path = std::path::Path::new("key.age");
        let wrapped = key.wrap(&host).unwrap();
        let back = DeviceKey::unwrap(&wrapped, &host, path).unwrap();
        assert_eq!(back.recipient.to_string(), key.recipient.to_string());
        assert!(matches!(
            DeviceKey::unwrap(&wrapped, &other, path),
            Err(CoreError::WrongKey { .. })
        ));
        let sealed = key.seal(b"we walked by the river").unwrap();
        assert_eq!(back.open(&sealed).unwrap(), b"we walked by the river");
    }

    #[test]
    fn a_device_key_prints_no_secret_and_names_files_by_its_own_key() {
        let key = DeviceKey::generate();
        let secret = key.identity.to_string();
        let secret = secret.expose_secret();
        let names_key = hex::encode(*key.names);
        for printed in [format!("{key:?}"), format!("{key:#?}")] {
            for hidden in [secret, &secret.to_lowercase(), &names_key] {
                assert!(!printed.contains(&hidden[..20]), "{printed}");
            }
            assert!(printed.contains(&key.recipient.to_string()), "{printed}");
        }
        let id = "ae58ff8833241ac82d6ff7611046ed67b5072d142c588d0063e942d9a75502b6";
        let name = key.file_name_for(id);
        assert_eq!(name.len(), 32);
        assert_eq!(name, key.file_name_for(id), "the same on every call");
        assert_ne!(name, DeviceKey::generate().file_name_for(id));
        // The same key after unwrapping names files alike.
        let host = Unlock::HostKey(Unlock::generate_host_key());
        let path = std::path::Path::new("key.age");
        let back = DeviceKey::unwrap(&key.wrap(&host).unwrap(), &host, path).unwrap();
        assert_eq!(back.file_name_for(id), name);
    }

    #[test]
    fn a_host_key_must_be_an_age_identity() {
        assert!(Unlock::host_key("hunter2").is_err());
        let fresh = Unlock::generate_host_key();
        let file = format!("# created by kintsugi\n{}\n", fresh.expose_secret());
        assert!(Unlock::host_key(&file).is_ok());
    }
}
