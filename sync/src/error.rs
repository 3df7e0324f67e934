use std::time::Duration;

use kintsugi_core::CoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Core(#[from] CoreError),

    #[error(
        "syncing is paused: your partner's device sent changes this app cannot accept, and \
         nothing of them was kept; sync again to retry (an app update on either phone may be needed)"
    )]
    SyncPaused,

    #[error("your partner's device sent faster than this app reads; the conversation was ended")]
    RateLimited,

    #[error("this is not a valid Kintsugi pairing code: {0}")]
    InvalidPayload(String),

    #[error(
        "this pairing code is format version {0}, and this app reads version {v}: update \
         whichever app is older",
        v = crate::invite::PAYLOAD_VERSION
    )]
    UnsupportedPayloadVersion(u32),

    #[error(
        "this pairing code has expired (codes work for a few minutes): ask your partner to \
         show a new one"
    )]
    InviteExpired,

    #[error("your partner's device refused the pairing: {0}")]
    PairingRefused(String),

    #[error("pairing did not complete: {0}")]
    PairingRejected(String),

    #[error("this is this device's own pairing code: scan it with your partner's phone")]
    OwnInvite,

    #[error("this device is not paired with a partner yet")]
    NotPaired,

    #[error("this device is already paired with {0}")]
    AlreadyPaired(String),

    #[error("could not reach your partner's device: {0}")]
    Connect(String),

    #[error("the connection to your partner's device broke: {0}")]
    Connection(String),

    #[error("your partner's device sent something unexpected: {0}")]
    Protocol(String),

    #[error("timed out after {0:?} while {1}")]
    Timeout(Duration, &'static str),

    #[error("could not start networking: {0}")]
    Endpoint(String),

    #[error("could not seal: {0}")]
    Seal(String),

    #[error(
        "this {what} was not sealed for this device: it is for someone else, or from before \
         a re-pairing"
    )]
    SealedNotForUs { what: &'static str },

    #[error(
        "this {what} is damaged or was changed after it was sealed ({reason}); nothing was changed"
    )]
    SealedDamaged { what: &'static str, reason: String },

    #[error(
        "this {what} is {size} bytes, more than the {limit} bytes one may be; nothing was changed"
    )]
    SealedTooLarge {
        what: &'static str,
        size: u64,
        limit: u64,
    },

    #[error("that is not a recovery key: it starts with AGE-SECRET-KEY-1")]
    InvalidRecoveryKey,

    #[error(
        "a backup your partner can open never holds your private journal and notes: choose \
         one or the other"
    )]
    PrivateNotForPartner,

    #[error(
        "this is {name}'s backup: your device can take in its shared history (`kintsugi \
         backup absorb`), but only {name}'s recovery key restores it"
    )]
    BackupOfPartner { name: String },

    #[error(
        "this is this device's own backup: restore it into an empty data directory with the \
         recovery key"
    )]
    OwnBackup,

    #[error("this bundle was not made by your partner's device; nothing was changed")]
    BundleNotFromPartner,

    #[error("this backup was not made and signed by your partner's device; nothing was changed")]
    BackupNotFromPartner,

    #[error(
        "this bundle (number {seq}) is older than one already opened (number {newest}); \
         nothing was changed"
    )]
    BundleOutOfOrder { seq: u64, newest: u64 },

    #[error(
        "this bundle builds on {missing} change(s) this device does not have; nothing was \
         changed. Ask your partner for a full bundle (`kintsugi bundle create --full`)"
    )]
    BundleGap { missing: usize },
}

impl SyncError {
    /// What went wrong, for a log line: never a name, record text, reason
    /// another device sent, or path (see [`CoreError::redacted`]). Network
    /// errors keep iroh's words, which name at most an endpoint id.
    pub fn redacted(&self) -> String {
        use SyncError as E;
        match self {
            E::Core(e) => e.redacted(),
            E::InvalidPayload(_) => "not a valid pairing code".into(),
            E::PairingRefused(_) => "the partner's device refused the pairing".into(),
            E::PairingRejected(_) => "pairing did not complete".into(),
            E::AlreadyPaired(_) => "this device is already paired".into(),
            E::Connect(why) => format!("could not reach the partner's device: {why}"),
            E::Connection(why) => format!("the connection broke: {why}"),
            E::Endpoint(why) => format!("could not start networking: {why}"),
            E::Protocol(_) => "the partner's device sent something unexpected".into(),
            E::Seal(_) => "could not seal".into(),
            E::SealedDamaged { what, .. } => format!("a damaged {what}"),
            E::BackupOfPartner { .. } => "a backup of the partner's device".into(),
            E::UnsupportedPayloadVersion(_)
            | E::InviteExpired
            | E::OwnInvite
            | E::NotPaired
            | E::SyncPaused
            | E::RateLimited
            | E::Timeout(..)
            | E::SealedNotForUs { .. }
            | E::SealedTooLarge { .. }
            | E::InvalidRecoveryKey
            | E::PrivateNotForPartner
            | E::OwnBackup
            | E::BundleNotFromPartner
            | E::BackupNotFromPartner
            | E::BundleOutOfOrder { .. }
            | E::BundleGap { .. } => self.to_string(),
        }
    }

    /// A copy for a second listener of the same outcome (errors holding I/O
    /// sources cannot be cloned; their text is kept).
    pub(crate) fn same_kind(&self) -> SyncError {
        match self {
            SyncError::PairingRejected(r) | SyncError::PairingRefused(r) => {
                SyncError::PairingRejected(r.clone())
            }
            SyncError::Timeout(d, what) => SyncError::Timeout(*d, what),
            other => SyncError::Connection(other.to_string()),
        }
    }
}

pub type Result<T, E = SyncError> = std::result::Result<T, E>;

impl SyncError {
    /// The partner's device sent what the door refuses: changes not theirs
    /// to write, in this device's name, or outside the budgets. Honest apps
    /// never do; syncing pauses rather than retrying the same refusal.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            SyncError::Core(
                CoreError::Refused(_)
                    | CoreError::ForgedActor { .. }
                    | CoreError::InvalidSyncMessage(_)
            )
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redacted_error_holds_no_name_or_reason_from_elsewhere() {
        let secret = "Tobias: the letter from her sister";
        for e in [
            SyncError::AlreadyPaired(secret.into()),
            SyncError::BackupOfPartner {
                name: secret.into(),
            },
            SyncError::PairingRefused(secret.into()),
            SyncError::PairingRejected(secret.into()),
            SyncError::Protocol(secret.into()),
            SyncError::InvalidPayload(secret.into()),
            SyncError::Seal(secret.into()),
            SyncError::SealedDamaged {
                what: "bundle",
                reason: secret.into(),
            },
            SyncError::Core(CoreError::InvalidValue {
                field: "name",
                reason: secret.into(),
            }),
        ] {
            let shown = e.redacted();
            assert!(
                !shown.contains("Tobias") && !shown.contains("letter"),
                "{shown}"
            );
            assert!(
                e.to_string().contains("Tobias"),
                "the full text is unchanged"
            );
        }
    }
}
