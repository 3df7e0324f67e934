//! The data directory of one device.
//!
//! Every file is replaced atomically: written to a temporary file in the same
//! directory, fsynced, renamed over the old one, and the directory fsynced, so
//! a crash leaves either the old or the new content, never a torn file.
//!
//! This is the seam for encryption at rest and snapshot + chunk storage: every
//! byte the core and the sync layer keep goes through [`Store::write`] and
//! [`Store::read`].

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::error::{CoreError, Result};

/// File names inside the data directory.
pub mod files {
    pub const DEVICE: &str = "device.json";
    pub const DOCUMENT: &str = "couple.automerge";
    /// The private space; never synced.
    pub const PRIVATE: &str = "private.automerge";
    pub const SYNC_STATE_DIR: &str = "sync-state";
    pub const DOCUMENT_LOCK: &str = "couple.lock";
}

/// An exclusive advisory lock on a file in the data directory, held until
/// dropped. Serialises writers in different processes (the CLI's `serve`
/// and a `checkin` run in another terminal).
#[derive(Debug)]
pub struct FileLock(File);

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the data directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| CoreError::io("create data directory", &dir, e))?;
        restrict_dir(&dir);
        Ok(Store { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Reads a file; `Ok(None)` when it does not exist.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(name);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(CoreError::io("read", path, e)),
        }
    }

    /// Durably replaces a file. Returns only once the new content is on disk.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(name);
        let parent = path.parent().unwrap_or(&self.dir).to_path_buf();
        if !parent.exists() {
            fs::create_dir_all(&parent)
                .map_err(|e| CoreError::io("create directory", &parent, e))?;
            restrict_dir(&parent);
        }
        let tmp = parent.join(format!(
            ".{}.tmp-{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
            std::process::id()
        ));
        let result = (|| {
            let mut file = private_file(&tmp).map_err(|e| CoreError::io("create", &tmp, e))?;
            file.write_all(bytes)
                .map_err(|e| CoreError::io("write", &tmp, e))?;
            file.sync_all()
                .map_err(|e| CoreError::io("fsync", &tmp, e))?;
            drop(file);
            fs::rename(&tmp, &path).map_err(|e| CoreError::io("rename into place", &path, e))?;
            sync_dir(&parent)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Blocks until this process holds the lock named `name`.
    pub fn lock(&self, name: &str) -> Result<FileLock> {
        let path = self.path(name);
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&path)
            .map_err(|e| CoreError::io("open lock file", &path, e))?;
        file.lock().map_err(|e| CoreError::io("lock", &path, e))?;
        Ok(FileLock(file))
    }

    pub fn remove(&self, name: &str) -> Result<()> {
        let path = self.path(name);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(path.parent().unwrap_or(&self.dir)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(CoreError::io("remove", path, e)),
        }
    }

    /// The Automerge sync state kept for one partner device, so a later sync
    /// sends only what that partner is missing.
    pub fn load_sync_state(&self, peer: &str) -> Result<Option<Vec<u8>>> {
        self.read(&sync_state_name(peer)?)
    }

    pub fn save_sync_state(&self, peer: &str, state: &[u8]) -> Result<()> {
        self.write(&sync_state_name(peer)?, state)
    }
}

fn sync_state_name(peer: &str) -> Result<String> {
    // Peer ids become file names: accept only what a hex or base32 id can hold.
    if peer.is_empty() || peer.len() > 128 || !peer.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(CoreError::Malformed(format!("invalid peer id {peer:?}")));
    }
    Ok(format!("{}/{peer}.state", files::SYNC_STATE_DIR))
}

fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn restrict_dir(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Best effort: a directory we do not own keeps its mode.
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    }
    #[cfg(not(unix))]
    let _ = dir;
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let handle = File::open(dir).map_err(|e| CoreError::io("open directory", dir, e))?;
        handle
            .sync_all()
            .map_err(|e| CoreError::io("fsync directory", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_replaces_content_and_leaves_no_temp_files() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().join("data")).unwrap();
        assert_eq!(store.read("a").unwrap(), None);
        store.write("a", b"one").unwrap();
        store.write("a", b"two").unwrap();
        assert_eq!(store.read("a").unwrap().as_deref(), Some(&b"two"[..]));
        let names: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a")]);
    }

    #[test]
    fn sync_state_names_refuse_path_tricks() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        assert!(store.save_sync_state("../evil", b"x").is_err());
        store.save_sync_state("abc123", b"x").unwrap();
        assert_eq!(
            store.load_sync_state("abc123").unwrap().as_deref(),
            Some(&b"x"[..])
        );
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_to_the_owner() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        store.write("secret", b"k").unwrap();
        let mode = fs::metadata(store.path("secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0);
    }
}
