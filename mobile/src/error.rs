//! The one error type the apps see. Core and sync errors are mapped here and
//! nowhere else, into a few kinds an app can act on; the message says why.

use kintsugi_core::CoreError;
use kintsugi_sync::SyncError;

/// Flat: the foreign side gets the kind and the message (a `message` field
/// would clash with Kotlin's `Throwable.message`).
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum KintsugiError {
    /// The input was refused (a score out of range, empty text, a malformed
    /// pairing code). Show the message and let the user correct it.
    #[error("{message}")]
    InvalidInput { message: String },
    /// No record with that id.
    #[error("{message}")]
    NotFound { message: String },
    /// The operation is not allowed for this partner or in this state.
    #[error("{message}")]
    NotAllowed { message: String },
    /// Needs a partner: pair first.
    #[error("{message}")]
    NotPaired { message: String },
    /// The partner's device refused pairing (used or wrong code).
    #[error("{message}")]
    PairingRefused { message: String },
    /// The partner could not be reached or the connection broke; try again later.
    #[error("{message}")]
    Network { message: String },
    /// Reading or writing the data directory failed, or a file is damaged.
    #[error("{message}")]
    Storage { message: String },
    /// The storage key does not open this data directory: it was set up with
    /// another key. Nothing was read or written. Retry with the right key from
    /// the platform keystore; if that key is lost the data cannot be
    /// recovered, and `wipe_data_dir` clears the directory for a fresh start.
    #[error("{message}")]
    WrongKey { message: String },
    /// The app's `PrivateSpaceLock` did not unlock (it said no, or failed):
    /// nothing of the private space was read or changed. The message says
    /// nothing of what it holds.
    #[error("{message}")]
    PrivateLocked { message: String },
    /// A bug: please report it.
    #[error("{message}")]
    Internal { message: String },
}

/// A locale or catalog the core cannot use is the caller's input to fix.
impl From<kintsugi_core::i18n::CatalogError> for KintsugiError {
    fn from(e: kintsugi_core::i18n::CatalogError) -> Self {
        KintsugiError::InvalidInput {
            message: e.to_string(),
        }
    }
}

impl From<CoreError> for KintsugiError {
    fn from(e: CoreError) -> Self {
        let message = e.to_string();
        match e {
            CoreError::ScoreOutOfRange { .. }
            | CoreError::EmptyText { .. }
            | CoreError::TextTooLong { .. }
            | CoreError::InvalidMood { .. }
            | CoreError::InvalidDate { .. }
            | CoreError::InvalidChoice { .. }
            | CoreError::InvalidValue { .. }
            | CoreError::AmbiguousId { .. } => KintsugiError::InvalidInput { message },
            CoreError::UnknownId { .. } => KintsugiError::NotFound { message },
            CoreError::NotPermitted(_)
            | CoreError::SpaceNeedsUpdate
            | CoreError::AlreadyInCouple
            | CoreError::AlreadySetUp { .. }
            | CoreError::SchemaTooNew { .. } => KintsugiError::NotAllowed { message },
            CoreError::NoCouple => KintsugiError::NotPaired { message },
            CoreError::NoDevice { .. } => KintsugiError::NotAllowed { message },
            CoreError::WrongKey { .. } => KintsugiError::WrongKey { message },
            CoreError::Io { .. }
            | CoreError::SharedUnreadable { .. }
            | CoreError::Corrupt { .. }
            | CoreError::Malformed(_)
            | CoreError::Encrypt(_) => KintsugiError::Storage { message },
            CoreError::Automerge(_) => KintsugiError::Internal { message },
            // Only a sync message from the partner can carry it.
            CoreError::ForgedActor { .. }
            | CoreError::InvalidSyncMessage(_)
            | CoreError::Refused(_) => KintsugiError::Network { message },
        }
    }
}

/// What an app's observer or log sink may throw (`CallbackException` in
/// Kotlin). Any other exception is accepted too and ends the same way: the
/// core logs it and goes on; the subscription or the logging keeps running.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum CallbackError {
    /// The callback failed; `reason` says why.
    #[error("{reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CallbackError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CallbackError::Failed { reason: e.reason }
    }
}

impl KintsugiError {
    /// A call that needs the private space while its lock stays shut.
    pub(crate) fn private_locked() -> Self {
        KintsugiError::PrivateLocked {
            message: "the private space is locked".into(),
        }
    }

    /// Any call on a companion after `wipe`.
    pub(crate) fn wiped() -> Self {
        KintsugiError::NotAllowed {
            message: "this device's data was wiped: open a new Companion to start again".into(),
        }
    }
}

impl From<SyncError> for KintsugiError {
    fn from(e: SyncError) -> Self {
        let message = e.to_string();
        match e {
            SyncError::Core(core) => core.into(),
            SyncError::InvalidPayload(_)
            | SyncError::UnsupportedPayloadVersion(_)
            | SyncError::InviteExpired => KintsugiError::InvalidInput { message },
            SyncError::PairingRefused(_) | SyncError::PairingRejected(_) => {
                KintsugiError::PairingRefused { message }
            }
            SyncError::NotPaired => KintsugiError::NotPaired { message },
            SyncError::AlreadyPaired(_) | SyncError::OwnInvite => {
                KintsugiError::NotAllowed { message }
            }
            SyncError::Connect(_)
            | SyncError::Connection(_)
            | SyncError::Protocol(_)
            | SyncError::Timeout(..)
            | SyncError::SyncPaused
            | SyncError::RateLimited
            | SyncError::Endpoint(_) => KintsugiError::Network { message },
            // A bundle or backup the user picked that this device cannot
            // use, or a recovery key typed wrong: show the message, let them
            // pick another. Nothing was changed.
            SyncError::SealedNotForUs { .. }
            | SyncError::SealedDamaged { .. }
            | SyncError::SealedTooLarge { .. }
            | SyncError::BundleNotFromPartner
            | SyncError::BackupNotFromPartner
            | SyncError::BundleOutOfOrder { .. }
            | SyncError::InvalidRecoveryKey
            | SyncError::PrivateNotForPartner => KintsugiError::InvalidInput { message },
            // The sync crate's text names the CLI's command.
            SyncError::BundleGap { missing } => KintsugiError::InvalidInput {
                message: format!(
                    "this bundle builds on {missing} change(s) this device does not have; \
                     nothing was changed. Ask your partner to share a full bundle"
                ),
            },
            // A sound backup, for the other flow: restoring is for the
            // owner's recovery key, absorbing for the partner's phone.
            SyncError::BackupOfPartner { name } => KintsugiError::NotAllowed {
                message: format!(
                    "this is {name}'s backup: only {name}'s recovery key restores it; this \
                     phone can take in its shared history with absorb_backup"
                ),
            },
            SyncError::OwnBackup => KintsugiError::NotAllowed { message },
            // Sealing into memory does not fail on its own; what an app can
            // meet is a partner whose pairing shared no key for bundles.
            SyncError::Seal(_) => KintsugiError::NotAllowed { message },
        }
    }
}

impl KintsugiError {
    /// A restore's error: a recovery key that does not open the backup is
    /// `WrongKey`, as a storage key that does not open a directory.
    pub(crate) fn from_restore(e: SyncError) -> Self {
        match e {
            SyncError::SealedNotForUs { .. } => KintsugiError::WrongKey {
                message: "this recovery key does not open this backup (it is another \
                          device's, or the backup is someone else's); nothing was written"
                    .into(),
            },
            other => other.into(),
        }
    }
}
