//! Sealed bundles: the partner's changes carried as a file when the two
//! phones are never online together.

use kintsugi_sync::bundle;

use crate::Notice;

/// A bundle made for the partner: hand `bytes` to the share sheet, save them
/// as a file, or put them anywhere the partner's phone can read them.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SealedBundle {
    /// The sealed bundle. Only the partner's device opens it, and only this
    /// device could have made it; anyone carrying it learns only its size.
    pub bytes: Vec<u8>,
    /// Its number, counted per device from 1.
    pub seq: u64,
    /// How many changes it carries; 0 when the partner already has
    /// everything here (it then only tells the partner what this device
    /// holds).
    pub changes: u64,
}

/// What opening a bundle from the partner did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BundleOpened {
    /// The bundle's number on the partner's device.
    pub seq: u64,
    /// Changes that were new here (0 when this device had them all).
    pub new_changes: u64,
    /// Changes the bundle carried.
    pub changes: u64,
    /// This very bundle had been opened before: nothing changed.
    pub already_opened: bool,
    /// When the partner's device made it (ms since the Unix epoch).
    pub created_at_ms: i64,
    /// The partner's name.
    pub partner_name: String,
    /// What the partner did that this device had not reported yet
    /// (content-free, as `notices_since_last_call`).
    pub notices: Vec<Notice>,
}

/// A bundle left for the partner in the shared folder.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BundleWritten {
    /// Its number, counted per device from 1.
    pub seq: u64,
    /// How many changes it carries; 0 when it only says what arrived.
    pub changes: u64,
}

/// What `sync_bundle_dir` did in the shared folder.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BundleDirReport {
    /// The partner's bundle, if one was there and newer than the last one
    /// opened.
    pub opened: Option<BundleOpened>,
    /// The bundle left for the partner, if there was anything to say.
    pub written: Option<BundleWritten>,
    /// This device's earlier bundle was removed: the partner has it.
    pub removed: bool,
}

impl From<bundle::Sealed> for SealedBundle {
    fn from(s: bundle::Sealed) -> Self {
        SealedBundle {
            bytes: s.bytes,
            seq: s.seq,
            changes: s.changes as u64,
        }
    }
}

impl BundleOpened {
    pub(crate) fn new(o: bundle::Opened, notices: Vec<Notice>) -> Self {
        BundleOpened {
            seq: o.seq,
            new_changes: o.new_changes as u64,
            changes: o.changes as u64,
            already_opened: o.already_opened,
            created_at_ms: o.created_at,
            partner_name: o.partner_name,
            notices,
        }
    }
}

impl BundleDirReport {
    pub(crate) fn new(r: bundle::DirReport, notices: Vec<Notice>) -> Self {
        BundleDirReport {
            opened: r.opened.map(|o| BundleOpened::new(o, notices)),
            written: r.written.map(|(seq, changes)| BundleWritten {
                seq,
                changes: changes as u64,
            }),
            removed: r.removed,
        }
    }
}
