//! The data directory: the storage key, export and import, sizes and
//! compaction, damaged files, and wiping.

use age::secrecy::ExposeSecret;
use kintsugi_core::{Device, Unlock};

use crate::{Companion, DamagedFile, Result, StorageInfo, WipeSummary};

/// A new storage key (an age identity, `AGE-SECRET-KEY-1…`) for a first
/// launch. Keep it in the iOS Keychain or the Android Keystore and pass it
/// in `CompanionConfig.storage_key` every time; never write it anywhere in
/// the clear. Whoever has the key and the data directory can read the data;
/// without the key nobody can.
#[uniffi::export]
pub fn generate_storage_key() -> String {
    Unlock::generate_host_key().expose_secret().to_owned()
}

/// Removes every file of the device in `data_dir` without its key: for an
/// app whose storage key is lost (the data cannot be read any more) or a
/// user who wants everything gone. Files that are not Kintsugi's are left
/// and listed. A directory that does not exist is already wiped. Close any
/// companion open on the directory first, or better, use `Companion.wipe`.
#[uniffi::export]
pub fn wipe_data_dir(data_dir: String) -> Result<WipeSummary> {
    Ok(Device::wipe(&data_dir)?.into())
}

#[uniffi::export]
impl Companion {
    /// The shared space as a standard Automerge document (it starts with
    /// the bytes `85 6f 4a 83`), readable by any Automerge implementation.
    /// It is not encrypted: it is for the couple to keep or take elsewhere,
    /// so treat it like the data itself. The private space is not in it.
    pub fn export_automerge(&self) -> Result<Vec<u8>> {
        Ok(self.device()?.export_automerge()?)
    }

    /// Every record of the shared space as readable JSON; with
    /// `include_private`, this device's journal and notes too (then the
    /// private lock is asked first). Not encrypted.
    pub fn export_json(&self, include_private: bool) -> Result<String> {
        if include_private {
            self.unlock_private()?;
        }
        Ok(self.device()?.export_json(include_private)?)
    }

    /// Merges an Automerge document from `export_automerge` (of either
    /// partner) into the shared space, durably. Returns how many changes
    /// were new here (0 when this device had them all). A document of
    /// another couple, or bytes that are not one, are `InvalidInput`.
    pub fn import_automerge(&self, document: Vec<u8>) -> Result<u64> {
        let mut device = self.device()?;
        let roster = kintsugi_sync::roster::load(&device)?;
        let report = device.import_automerge(&document, &roster)?;
        drop(device);
        self.hub.touch();
        Ok(u64::try_from(report.new_changes).unwrap_or(u64::MAX))
    }

    /// The shared spaces of earlier pairings kept on this device, oldest
    /// first. Read-only: never synced, never sent to a new partner.
    pub fn archives(&self) -> Result<Vec<crate::ArchivedSpace>> {
        Ok(self
            .device()?
            .archives()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// An archived space's timeline, as `timeline` shows the live one.
    pub fn archive_timeline(
        &self,
        archive_id: String,
        filter: crate::TimelineFilter,
    ) -> Result<Vec<crate::TimelineEntry>> {
        let filter = filter.into_core(kintsugi_core::now_millis());
        let (snapshot, me) = {
            let device = self.device()?;
            let doc = device.open_archive(&archive_id)?;
            (doc.snapshot(), device.member_id().to_owned())
        };
        Ok(crate::records::list(
            kintsugi_core::views::timeline(&snapshot, &filter),
            &me,
        ))
    }

    /// An archived space as readable JSON (not encrypted), like `export_json`.
    pub fn export_archive_json(&self, archive_id: String, include_private: bool) -> Result<String> {
        if include_private {
            self.unlock_private()?;
        }
        Ok(self
            .device()?
            .export_archive_json(&archive_id, include_private)?)
    }

    /// Deletes an archived space from this device, for good.
    pub fn delete_archive(&self, archive_id: String) -> Result<()> {
        Ok(self.device()?.delete_archive(&archive_id)?)
    }

    /// The size on disk of the shared space. The private space is left out
    /// (`private` is `None`, and `total_bytes` is the shared space's): on a
    /// settings screen someone else may see, its size would tell that a
    /// journal exists and grows. `storage_info_with_private` has it.
    pub fn storage_info(&self) -> Result<StorageInfo> {
        Ok(StorageInfo::shared_only(self.device()?.storage_stats()))
    }

    /// The size on disk of the shared and the private space, for the owner
    /// who asked for it. Asks the private lock first.
    pub fn storage_info_with_private(&self) -> Result<StorageInfo> {
        self.unlock_private()?;
        Ok(StorageInfo::with_private(self.device()?.storage_stats()))
    }

    /// Folds each space's chunks into one fresh snapshot now (it also
    /// happens by itself as chunks accumulate) and returns the sizes after,
    /// as `storage_info` does (without the private space's).
    pub fn compact(&self) -> Result<StorageInfo> {
        Ok(StorageInfo::shared_only(self.device()?.compact()?))
    }

    /// Files found damaged since this companion was opened. Each was moved
    /// aside and the rest loaded; the next sync brings back from the partner
    /// what they held of the shared space. Empty when all is well.
    pub fn damaged_files(&self) -> Result<Vec<DamagedFile>> {
        Ok(self.device()?.damage().iter().map(Into::into).collect())
    }

    /// Removes everything this device keeps: stops networking, cancels
    /// network calls in flight, then deletes every file of the device
    /// (documents, keys, sync state) and the data directory once empty.
    /// The partner's copy is untouched. Every later call on this companion
    /// fails with `NotAllowed` (except `shutdown` and `wipe`, which do
    /// nothing more); open a new `Companion` to start again. Forget the
    /// storage key in the keystore too. Runs to the end even if the caller
    /// stops waiting.
    pub async fn wipe(&self) -> Result<WipeSummary> {
        Ok(self.wipe_now().await?.into())
    }
}
