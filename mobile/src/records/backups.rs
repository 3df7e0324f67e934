//! Encrypted backups: bringing a lost phone back as the same device, and
//! the partner's copy of the shared history.

use kintsugi_sync::backup;

use crate::Notice;

/// What goes into a backup and who may open it. `BackupOptions()` is the
/// usual choice: the shared history, openable with the recovery key alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, uniffi::Record)]
pub struct BackupOptions {
    /// The private journal and notes too. They otherwise never leave the
    /// phone; inside a backup, still only the recovery key reads them.
    #[uniffi(default = false)]
    pub include_private: bool,
    /// Seal it to the partner's device as well, so that the partner's phone
    /// can take in the shared history (`absorb_backup`) should this phone
    /// and its recovery key both be lost. The device's keys inside stay
    /// this device's alone: the partner can never act as this phone. Not
    /// with `include_private` (`InvalidInput`).
    #[uniffi(default = false)]
    pub partner_can_open: bool,
}

/// A sealed backup: keep `bytes` anywhere off the phone (a file the user
/// saves, the platform's backup). Useless without the recovery key.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Backup {
    /// The sealed backup.
    pub bytes: Vec<u8>,
    /// Whether the private journal and notes are inside.
    pub includes_private: bool,
    /// Whether the partner's device can open it too.
    pub partner_can_open: bool,
}

/// What `absorb_backup` took in from the partner's backup.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BackupAbsorbed {
    /// Whose backup it was.
    pub from_name: String,
    /// When the backup was made (ms since the Unix epoch).
    pub made_at_ms: i64,
    /// Changes of the shared space this device did not hold before.
    pub new_changes: u64,
    /// What the partner had done that this device had not reported yet
    /// (content-free, as `notices_since_last_call`).
    pub notices: Vec<Notice>,
}

impl From<BackupOptions> for backup::BackupOptions {
    fn from(o: BackupOptions) -> Self {
        backup::BackupOptions {
            include_private: o.include_private,
            partner_can_open: o.partner_can_open,
        }
    }
}

impl From<backup::Backup> for Backup {
    fn from(b: backup::Backup) -> Self {
        Backup {
            bytes: b.bytes,
            includes_private: b.private,
            partner_can_open: b.partner_can_open,
        }
    }
}

impl BackupAbsorbed {
    pub(crate) fn new(a: backup::Absorbed, notices: Vec<Notice>) -> Self {
        BackupAbsorbed {
            from_name: a.from_name,
            made_at_ms: a.made_at,
            new_changes: a.new_changes as u64,
            notices,
        }
    }
}
