//! The data directory: sizes on disk, damaged files, what a wipe removed.

use std::path::Path;

use kintsugi_core::{self as core, DocStats};

use super::count;

/// How one document is kept on disk: a snapshot, plus the chunks of changes
/// written since (folded into a new snapshot by `compact`, or by itself as
/// they accumulate). Sizes are of the encrypted files.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DocumentStorage {
    /// How many snapshot files there are (one normally).
    pub snapshots: i32,
    /// Size of the snapshot files in bytes.
    pub snapshot_bytes: u64,
    /// How many chunk files of changes wait to be folded in.
    pub chunks: i32,
    /// Size of the chunk files in bytes.
    pub chunk_bytes: u64,
    /// `snapshot_bytes + chunk_bytes`.
    pub total_bytes: u64,
}

/// What the device keeps on disk, for a settings screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StorageInfo {
    /// The shared space (synced with the partner).
    pub shared: DocumentStorage,
    /// The private journal and notes (never synced): only from
    /// `storage_info_with_private`, `None` otherwise.
    pub private: Option<DocumentStorage>,
    /// The documents reported here together (without the private one when
    /// it is `None`).
    pub total_bytes: u64,
}

/// A file that could not be read when the device was opened (it failed to
/// decrypt or to load). It was moved aside and everything else was loaded;
/// the next sync asks the partner for what it held of the shared space.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DamagedFile {
    /// Where the file was.
    pub path: String,
    /// Where it is now (under `damaged/` in the data directory); `None` if
    /// it could not be moved.
    pub moved_to: Option<String>,
    /// Why it could not be read.
    pub reason: String,
}

/// What a wipe did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WipeSummary {
    /// Files of the device that were removed.
    pub removed_files: i32,
    /// Files in the data directory that are not Kintsugi's and were kept;
    /// the directory itself is removed only when this is empty.
    pub left: Vec<String>,
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

impl From<DocStats> for DocumentStorage {
    fn from(s: DocStats) -> Self {
        DocumentStorage {
            snapshots: count(s.snapshots),
            snapshot_bytes: s.snapshot_bytes,
            chunks: count(s.chunks),
            chunk_bytes: s.chunk_bytes,
            total_bytes: s.total_bytes(),
        }
    }
}

impl StorageInfo {
    /// The shared space's figures only: nothing here depends on the
    /// private space.
    pub(crate) fn shared_only(s: core::StorageStats) -> Self {
        StorageInfo {
            total_bytes: s.couple.total_bytes(),
            shared: s.couple.into(),
            private: None,
        }
    }

    /// Both spaces' figures.
    pub(crate) fn with_private(s: core::StorageStats) -> Self {
        StorageInfo {
            total_bytes: s.couple.total_bytes() + s.private.total_bytes(),
            shared: s.couple.into(),
            private: Some(s.private.into()),
        }
    }
}

impl From<&core::Damage> for DamagedFile {
    fn from(d: &core::Damage) -> Self {
        DamagedFile {
            path: path_text(&d.path),
            moved_to: d.moved_to.as_deref().map(path_text),
            reason: d.reason.clone(),
        }
    }
}

impl From<core::WipeReport> for WipeSummary {
    fn from(r: core::WipeReport) -> Self {
        WipeSummary {
            removed_files: count(r.removed_files),
            left: r.left.iter().map(|p| path_text(p)).collect(),
        }
    }
}

/// A shared space of an earlier pairing, kept read-only on this device
/// after unpairing (or after pairing with someone new). It is never synced
/// or shared; only this device's user deletes it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ArchivedSpace {
    /// Opaque: what `archive_timeline`, `export_archive_json` and
    /// `delete_archive` take.
    pub id: String,
    /// When it was archived (ms since the Unix epoch).
    pub archived_at_ms: i64,
    /// The names of the people who were in it (empty when it cannot be read).
    pub member_names: Vec<String>,
    /// Whether its document can be read by this app.
    pub readable: bool,
}

impl From<core::ArchiveInfo> for ArchivedSpace {
    fn from(a: core::ArchiveInfo) -> Self {
        ArchivedSpace {
            id: a.id,
            archived_at_ms: a.archived_at,
            member_names: a.members.into_iter().map(|m| m.name).collect(),
            readable: a.unreadable.is_none(),
        }
    }
}
