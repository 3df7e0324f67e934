//! The keys that protect the data directory.
//!
//! Each device has one *device key*, an age X25519 identity made when the
//! device is set up. Every file in the data directory is age-encrypted to
//! it. The device key itself is kept in `key.age`, wrapped by what the host
//! holds: a passphrase (stretched with scrypt once per open) or a *host key*
//! (an age X25519 identity that the phone keeps in the iOS Keychain or the
//! Android Keystore, or that the CLI keeps in a 0600 key file). Changing the
//! passphrase rewraps `key.age` only.

use std::fmt;
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use age::{DecryptError, x25519};

use crate::error::{CoreError, Result};

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
    pub fn passphrase(text: impl Into<String>) -> Self {
        Unlock::Passphrase(SecretString::from(text.into()))
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
        Ok(Unlock::HostKey(SecretString::from(key.to_owned())))
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
        DeviceKey {
            identity,
            recipient,
        }
    }

    /// `key.age`'s content: this key wrapped by what the host holds.
    pub(crate) fn wrap(&self, unlock: &Unlock) -> Result<Vec<u8>> {
        unlock.wrap(self.identity.to_string().expose_secret().as_bytes())
    }

    /// Unwraps `key.age`. A key or passphrase that does not fit is
    /// `WrongKey`; anything else wrong with the file is `Corrupt`.
    pub(crate) fn unwrap(wrapped: &[u8], unlock: &Unlock, path: &std::path::Path) -> Result<Self> {
        let plain = unlock.unwrap(wrapped).map_err(|e| match e {
            DecryptError::NoMatchingKeys | DecryptError::DecryptionFailed => CoreError::WrongKey {
                path: path.to_owned(),
            },
            other => CoreError::Corrupt {
                path: path.to_owned(),
                reason: other.to_string(),
            },
        })?;
        let text = String::from_utf8(plain).map_err(|_| CoreError::Corrupt {
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
    fn a_host_key_must_be_an_age_identity() {
        assert!(Unlock::host_key("hunter2").is_err());
        let fresh = Unlock::generate_host_key();
        let file = format!("# created by kintsugi\n{}\n", fresh.expose_secret());
        assert!(Unlock::host_key(&file).is_ok());
    }
}
