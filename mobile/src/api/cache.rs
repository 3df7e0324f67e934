//! The app's cache directory. The share sheet on both platforms shares files
//! (Android through a `FileProvider` path under `cacheDir`, iOS a file URL),
//! so a sealed bundle, backup or summary has to sit in a file while the
//! user picks where it goes. Only sealed bytes may: plaintext never lands in
//! the cache, which the OS may copy into device backups.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::{Companion, KintsugiError, Result};

/// The folder under the cache directory that holds staged files; nothing
/// else there is touched.
const SHARE_DIR: &str = "kintsugi-share";
/// Staged files older than this are gone by the next staging: a share sheet
/// is done with its file long before.
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);
/// How every age file starts.
const AGE_HEADER: &[u8] = b"age-encryption.org/v1\n";

#[uniffi::export]
impl Companion {
    /// Writes sealed bytes (a bundle, a backup, a sealed summary: anything
    /// age-encrypted) as `file_name` in the `kintsugi-share` folder of
    /// `CompanionConfig.cache_dir`, and returns the file's path for the
    /// share sheet. Bytes that are not sealed are `InvalidInput`, so the
    /// cache never holds plaintext; so is a name that is empty, hidden or
    /// holds a path separator. `NotAllowed` when no cache directory was
    /// configured. Files staged more than a day ago are removed; `wipe`
    /// removes them all.
    pub fn stage_for_sharing(&self, sealed: Vec<u8>, file_name: String) -> Result<String> {
        if !sealed.starts_with(AGE_HEADER) {
            return Err(KintsugiError::InvalidInput {
                message: "only sealed files (a bundle, a backup, a sealed summary) can be staged \
                          for sharing"
                    .into(),
            });
        }
        let bad_name = file_name.is_empty()
            || file_name.starts_with('.')
            || file_name.contains(['/', '\\', '\0'])
            || file_name.len() > 200;
        if bad_name {
            return Err(KintsugiError::InvalidInput {
                message: format!("{file_name:?} is not a plain file name"),
            });
        }
        let dir = self.share_dir()?;
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        remove_stale(&dir, STALE_AFTER)?;
        let path = dir.join(&file_name);
        kintsugi_core::storage::write_file_atomically(&path, &sealed)?;
        Ok(path.to_string_lossy().into_owned())
    }

    /// Removes every file staged for sharing; returns how many there were.
    /// Without a cache directory there is nothing to remove.
    pub fn clear_staged_files(&self) -> Result<u32> {
        match &self.cache_dir {
            Some(cache) => clear_staged(cache),
            None => Ok(0),
        }
    }
}

impl Companion {
    fn share_dir(&self) -> Result<PathBuf> {
        self.cache_dir
            .as_ref()
            .map(|cache| cache.join(SHARE_DIR))
            .ok_or_else(|| KintsugiError::NotAllowed {
                message: "no cache directory was given (CompanionConfig.cache_dir)".into(),
            })
    }
}

/// Removes the staged files under `cache` and their folder.
pub(crate) fn clear_staged(cache: &Path) -> Result<u32> {
    let dir = cache.join(SHARE_DIR);
    if !dir.exists() {
        return Ok(0);
    }
    let removed = remove_stale(&dir, Duration::ZERO)?;
    // Left only if something else was put there.
    let _ = std::fs::remove_dir(&dir);
    Ok(removed)
}

/// Removes the files in `dir` last written at least `age` ago.
fn remove_stale(dir: &Path, age: Duration) -> Result<u32> {
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        let written = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let old = now.duration_since(written).unwrap_or_default() >= age;
        if meta.is_file() && old {
            std::fs::remove_file(&path).map_err(|e| io_error(&path, e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Through core's I/O error, so that it maps like every other (`error.rs`).
fn io_error(path: &Path, source: std::io::Error) -> KintsugiError {
    kintsugi_core::CoreError::Io {
        action: "staging for sharing in",
        path: path.to_owned(),
        source,
    }
    .into()
}
