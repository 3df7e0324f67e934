//! The data directory of one device: every byte is age ciphertext, every
//! write is atomic and durable before it is acknowledged.
//!
//! Layout (see docs/storage.md):
//!
//! ```text
//! key.age                 device key, wrapped by the passphrase or host key
//! device.age              profile: actor id, name
//! couple/                 shared document: snapshot-<hash>.age + chunk-<hash>.age
//! private/                private document, same layout, never synced
//! sync-state/<name>.age   Automerge sync state per partner device; <name> is a
//!                         keyed hash of the partner's endpoint id (never the id)
//! partner.age, endpoint-key.age, endpoint-port.age   the sync layer's files
//! damaged/                files that failed to decrypt or load, moved aside
//! archive/<random>/       an earlier pairing's shared space (couple/ and
//!                         archived.age), read-only, never synced
//! couple.lock             cross-process write lock (empty)
//! ```

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{CoreError, Result};

pub(crate) mod docfiles;
pub mod faults;
mod fsio;
mod keys;

pub(crate) use docfiles::DocFiles;
pub use docfiles::{CompactionPolicy, Damage, DocStats};
pub use keys::{DeviceKey, Unlock, secret_string};

/// Writes a file outside the data directory (a bundle, a backup) the way
/// the data directory's own files are written: whole or not at all.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    fsio::write_atomic(path, bytes)
}

/// Moves a directory (a shared space into the archive) durably.
pub(crate) fn move_dir_durably(from: &Path, to: &Path) -> Result<()> {
    fsio::move_durably(from, to)
}

pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    fsio::create_private_dir(dir)
}

/// Makes the removal or creation of `path` durable in its directory.
pub(crate) fn sync_parent(path: &Path) -> Result<()> {
    fsio::sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Removes a file outside the data directory durably; a missing file is fine.
pub fn remove_file_durably(path: &Path) -> Result<()> {
    fsio::remove_durably(path)
}

/// File names inside the data directory.
pub mod files {
    pub const KEY: &str = "key.age";
    pub const DEVICE: &str = "device.age";
    pub const COUPLE_DIR: &str = "couple";
    /// The private space; never synced.
    pub const PRIVATE_DIR: &str = "private";
    pub const SYNC_STATE_DIR: &str = "sync-state";
    pub const DAMAGED_DIR: &str = "damaged";
    pub const DOCUMENT_LOCK: &str = "couple.lock";
    /// The sync layer's files, named here so that wiping knows them.
    pub const PARTNER: &str = "partner.age";
    pub const ENDPOINT_KEY: &str = "endpoint-key.age";
    pub const ENDPOINT_PORT: &str = "endpoint-port.age";
    /// The age identity and signing key this device shows its partner.
    pub const IDENTITY: &str = "identity.age";
    /// The recovery key: the age identity this device's backups open with.
    pub const RECOVERY: &str = "recovery.age";
    /// After a restore that kept the pairing: the signed statement that
    /// tells the partner this device's new endpoint id, until it is heard.
    pub const MOVED: &str = "moved.age";
    /// The endpoint id of the partner this device unpaired from, so that
    /// device can be told "the pairing ended" when it next dials.
    pub const ENDED_PARTNER: &str = "ended-partner.age";
    /// What sealed bundles have gone each way with the partner (sequence
    /// numbers, the heads the partner last said it holds).
    pub const BUNDLES: &str = "bundles.age";
    /// Set when the partner's device sent changes this device refused:
    /// syncing waits for the user (the time it paused, nothing else).
    pub const SYNC_PAUSED: &str = "sync-paused.age";
    /// What the partner's changes added in the last 24 hours, per hour
    /// (`kintsugi_sync::quota`): counts only.
    pub const SYNC_QUOTA: &str = "sync-quota.age";
    /// The rate limit of the phone's notifications (`notice_gate`): when
    /// the last went out and how many wait; counts and a time only.
    pub const NOTICE_GATE: &str = "notice-gate.age";
    /// Held while a bundle is made or opened, so two processes never number
    /// two bundles alike.
    pub const BUNDLES_LOCK: &str = "bundles.lock";
    /// The read model as last saved (core/src/read_cache.rs): a copy for a
    /// fast open, never the truth.
    pub const READ_CACHE: &str = "read-cache.age";
    /// The records of the newest timeline entries as last saved
    /// (core/src/first_screen.rs): the first screen before the document
    /// loads; a copy too.
    pub const FIRST_SCREEN: &str = "first-screen.age";

    /// Everything a device may keep at the top of its data directory.
    pub const ALL_FILES: &[&str] = &[
        KEY,
        DEVICE,
        PARTNER,
        ENDPOINT_KEY,
        ENDPOINT_PORT,
        IDENTITY,
        RECOVERY,
        MOVED,
        ENDED_PARTNER,
        BUNDLES,
        BUNDLES_LOCK,
        SYNC_PAUSED,
        SYNC_QUOTA,
        NOTICE_GATE,
        READ_CACHE,
        FIRST_SCREEN,
        DOCUMENT_LOCK,
    ];
    /// Shared spaces of earlier pairings, kept read-only on this device.
    pub const ARCHIVE_DIR: &str = "archive";
    /// Inside an archived space: when it was archived (the document is in `couple/`).
    pub const ARCHIVED: &str = "archived.age";
    pub const ALL_DIRS: &[&str] = &[
        COUPLE_DIR,
        PRIVATE_DIR,
        SYNC_STATE_DIR,
        DAMAGED_DIR,
        ARCHIVE_DIR,
    ];
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

/// The unlocked data directory: reads decrypt, writes encrypt to the device key.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    key: Arc<DeviceKey>,
}

impl Store {
    /// Unlocks the data directory, setting it up with a new device key on
    /// first use. A key that does not fit is `WrongKey`, and nothing is written.
    pub fn create_or_unlock(dir: impl Into<PathBuf>, unlock: &Unlock) -> Result<Self> {
        let dir = dir.into();
        fsio::create_private_dir(&dir)?;
        let key_path = dir.join(files::KEY);
        match fsio::read_optional(&key_path)? {
            Some(wrapped) => Self::unlocked(dir, &wrapped, unlock),
            None => {
                if fsio::read_optional(&dir.join(files::DEVICE))?.is_some() {
                    // A profile without its key: never make a new key over it.
                    return Err(CoreError::Corrupt {
                        path: key_path,
                        reason: "the device key file is missing".into(),
                    });
                }
                let key = DeviceKey::generate();
                fsio::write_atomic(&key_path, &key.wrap(unlock)?)?;
                Ok(Store {
                    dir,
                    key: Arc::new(key),
                })
            }
        }
    }

    /// Unlocks a data directory that was set up before.
    pub fn unlock(dir: impl Into<PathBuf>, unlock: &Unlock) -> Result<Self> {
        let dir = dir.into();
        match fsio::read_optional(&dir.join(files::KEY))? {
            Some(wrapped) => Self::unlocked(dir, &wrapped, unlock),
            None => Err(CoreError::NoDevice { dir }),
        }
    }

    fn unlocked(dir: PathBuf, wrapped: &[u8], unlock: &Unlock) -> Result<Self> {
        let key = DeviceKey::unwrap(wrapped, unlock, &dir.join(files::KEY))?;
        for sub in [Path::new(""), Path::new(files::SYNC_STATE_DIR)] {
            fsio::remove_stale_temporaries(&dir.join(sub));
        }
        Ok(Store {
            dir,
            key: Arc::new(key),
        })
    }

    /// Rewraps the device key (a new passphrase, or moving from a passphrase
    /// to a host key). Only `key.age` changes; no data file is rewritten.
    pub fn change_unlock(dir: impl AsRef<Path>, old: &Unlock, new: &Unlock) -> Result<()> {
        let store = Self::unlock(dir.as_ref(), old)?;
        fsio::write_atomic(&store.path(files::KEY), &store.key.wrap(new)?)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub(crate) fn key(&self) -> Arc<DeviceKey> {
        self.key.clone()
    }

    /// Reads and decrypts a file; `Ok(None)` when it does not exist.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(name);
        let Some(sealed) = fsio::read_optional(&path)? else {
            return Ok(None);
        };
        self.key
            .open(&sealed)
            .map(Some)
            .map_err(|e| CoreError::Corrupt {
                path,
                reason: format!("cannot decrypt: {e}"),
            })
    }

    /// Encrypts and durably replaces a file. Returns only once the new
    /// content is on disk.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            fsio::create_private_dir(parent)?;
        }
        fsio::write_atomic(&path, &self.key.seal(bytes)?)
    }

    pub fn remove(&self, name: &str) -> Result<()> {
        fsio::remove_durably(&self.path(name))
    }

    /// Blocks until this process holds the lock named `name`.
    pub fn lock(&self, name: &str) -> Result<FileLock> {
        lock_file(&self.path(name))
    }

    /// The lock named `name` if nobody holds it now; `None` if someone does.
    pub fn try_lock(&self, name: &str) -> Result<Option<FileLock>> {
        let path = self.path(name);
        let file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(FileLock(file))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(CoreError::io("lock", &path, e)),
        }
    }

    /// The Automerge sync state kept for one partner device, so a later sync
    /// sends only what that partner is missing.
    pub fn load_sync_state(&self, peer: &str) -> Result<Option<Vec<u8>>> {
        match self.read(&self.sync_state_name(peer)?)? {
            Some(state) => Ok(Some(state)),
            // Written before file names were keyed; the next save renames it.
            None => self.read(&legacy_sync_state_name(peer)?),
        }
    }

    pub fn save_sync_state(&self, peer: &str, state: &[u8]) -> Result<()> {
        self.write(&self.sync_state_name(peer)?, state)?;
        let legacy = legacy_sync_state_name(peer)?;
        if self.path(&legacy).exists() {
            self.remove(&legacy)?;
        }
        Ok(())
    }

    /// `sync-state/<name>.age`, `<name>` a hash of the peer's id keyed by
    /// the device key: the data directory never names the partner's device.
    fn sync_state_name(&self, peer: &str) -> Result<String> {
        check_peer_id(peer)?;
        Ok(format!(
            "{}/{}.age",
            files::SYNC_STATE_DIR,
            self.key.file_name_for(&format!("sync-state\0{peer}"))
        ))
    }

    /// Forgets every partner's sync state, so the next sync compares whole
    /// histories again (after data was lost to damage, or after an import).
    pub fn reset_sync_states(&self) -> Result<()> {
        let dir = self.path(files::SYNC_STATE_DIR);
        for name in fsio::list_files(&dir)? {
            fsio::remove_durably(&dir.join(name))?;
        }
        Ok(())
    }
}

fn lock_file(path: &Path) -> Result<FileLock> {
    let file = open_lock_file(path)?;
    file.lock().map_err(|e| CoreError::io("lock", path, e))?;
    Ok(FileLock(file))
}

fn open_lock_file(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| CoreError::io("open lock file", path, e))
}

/// Accepts only what a hex or base32 id can hold.
fn check_peer_id(peer: &str) -> Result<()> {
    if peer.is_empty() || peer.len() > 128 || !peer.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(CoreError::Malformed("invalid peer id".into()));
    }
    Ok(())
}

/// Where sync states were kept before their names were keyed: the peer's
/// endpoint id in clear. Still read, and removed at the next save.
fn legacy_sync_state_name(peer: &str) -> Result<String> {
    check_peer_id(peer)?;
    Ok(format!("{}/{peer}.age", files::SYNC_STATE_DIR))
}

/// What [`wipe`] removed and what it left.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WipeReport {
    pub removed_files: usize,
    /// Files in the directory that Kintsugi did not create; left untouched.
    pub left: Vec<PathBuf>,
}

/// Removes every file of a device's data and keys from `dir`, and `dir`
/// itself when nothing else is in it. Needs no key: someone who forgot
/// their passphrase can still erase. Files Kintsugi did not create are left
/// alone, so a mistaken `--dir` cannot erase someone's home directory.
pub fn wipe(dir: impl AsRef<Path>) -> Result<WipeReport> {
    let dir = dir.as_ref();
    let mut report = WipeReport::default();
    if !dir.exists() {
        return Ok(report);
    }
    if !dir.join(files::KEY).exists() && !dir.join(files::DEVICE).exists() {
        return Err(CoreError::NoDevice {
            dir: dir.to_owned(),
        });
    }
    // Wait for any writer in another process to finish its step.
    let _lock = lock_file(&dir.join(files::DOCUMENT_LOCK))?;
    // The key goes first: from that instant the rest is unreadable.
    for name in files::ALL_FILES {
        let path = dir.join(name);
        if path.exists() {
            fs::remove_file(&path).map_err(|e| CoreError::io("remove", &path, e))?;
            // The lock file is empty and taken by this very call.
            report.removed_files += usize::from(*name != files::DOCUMENT_LOCK);
        }
    }
    for sub in files::ALL_DIRS {
        let path = dir.join(sub);
        if path.exists() {
            report.removed_files += count_files(&path);
            fs::remove_dir_all(&path).map_err(|e| CoreError::io("remove", &path, e))?;
        }
    }
    for entry in fs::read_dir(dir).map_err(|e| CoreError::io("list", dir, e))? {
        let entry = entry.map_err(|e| CoreError::io("list", dir, e))?;
        let name = entry.file_name();
        if name
            .to_str()
            .is_some_and(|n| n.starts_with(fsio::TMP_PREFIX))
        {
            fs::remove_file(entry.path()).map_err(|e| CoreError::io("remove", entry.path(), e))?;
            report.removed_files += 1;
        } else {
            report.left.push(entry.path());
        }
    }
    if report.left.is_empty() {
        fs::remove_dir(dir).map_err(|e| CoreError::io("remove", dir, e))?;
    }
    if let Some(parent) = dir.parent() {
        let _ = fsio::sync_dir(parent);
    }
    Ok(report)
}

fn count_files(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        count_files(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Unlock {
        Unlock::HostKey(Unlock::generate_host_key())
    }

    #[test]
    fn files_are_ciphertext_and_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::create_or_unlock(tmp.path().join("data"), &host()).unwrap();
        store.write("a", b"we went for a walk").unwrap();
        store.write("a", b"we talked").unwrap();
        assert_eq!(store.read("a").unwrap().as_deref(), Some(&b"we talked"[..]));
        let raw = fs::read(store.path("a")).unwrap();
        assert!(raw.starts_with(b"age-encryption.org/v1"));
        assert!(!raw.windows(6).any(|w| w == b"talked"));
        let names = fsio::list_files(store.dir()).unwrap();
        assert_eq!(names, vec!["a".to_owned(), files::KEY.to_owned()]);
    }

    #[test]
    fn the_wrong_key_is_refused_and_nothing_is_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let right = host();
        let store = Store::create_or_unlock(tmp.path(), &right).unwrap();
        store.write("a", b"x").unwrap();
        let key_before = fs::read(tmp.path().join(files::KEY)).unwrap();
        assert!(matches!(
            Store::create_or_unlock(tmp.path(), &host()),
            Err(CoreError::WrongKey { .. })
        ));
        assert_eq!(fs::read(tmp.path().join(files::KEY)).unwrap(), key_before);
        assert!(Store::unlock(tmp.path(), &right).is_ok());
    }

    #[test]
    fn a_passphrase_unlocks_and_can_be_changed() {
        let tmp = tempfile::tempdir().unwrap();
        let first = Unlock::passphrase("river stones");
        let store = Store::create_or_unlock(tmp.path(), &first).unwrap();
        store.write("a", b"x").unwrap();
        assert!(matches!(
            Store::unlock(tmp.path(), &Unlock::passphrase("wrong")),
            Err(CoreError::WrongKey { .. })
        ));
        let second = host();
        Store::change_unlock(tmp.path(), &first, &second).unwrap();
        let reopened = Store::unlock(tmp.path(), &second).unwrap();
        assert_eq!(reopened.read("a").unwrap().as_deref(), Some(&b"x"[..]));
    }

    #[test]
    fn sync_state_names_refuse_path_tricks() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::create_or_unlock(tmp.path(), &host()).unwrap();
        assert!(store.save_sync_state("../evil", b"x").is_err());
        store.save_sync_state("abc123", b"x").unwrap();
        assert_eq!(
            store.load_sync_state("abc123").unwrap().as_deref(),
            Some(&b"x"[..])
        );
        store.reset_sync_states().unwrap();
        assert_eq!(store.load_sync_state("abc123").unwrap(), None);
    }

    #[test]
    fn sync_state_files_are_named_by_a_keyed_hash_of_the_peer() {
        let tmp = tempfile::tempdir().unwrap();
        let peer = "ae58ff8833241ac82d6ff7611046ed67b5072d142c588d0063e942d9a75502b6";
        let a = Store::create_or_unlock(tmp.path().join("a"), &host()).unwrap();
        let b = Store::create_or_unlock(tmp.path().join("b"), &host()).unwrap();
        a.save_sync_state(peer, b"state").unwrap();
        b.save_sync_state(peer, b"state").unwrap();
        let names = |s: &Store| fsio::list_files(&s.path(files::SYNC_STATE_DIR)).unwrap();
        let (in_a, in_b) = (names(&a), names(&b));
        assert_eq!(in_a.len(), 1);
        // Another device key names the same peer otherwise.
        assert_ne!(in_a, in_b);
        for name in in_a.iter().chain(&in_b) {
            assert!(!name.contains(&peer[..8]), "{name}");
        }
        assert_eq!(
            a.load_sync_state(peer).unwrap().as_deref(),
            Some(&b"state"[..])
        );
    }

    #[test]
    fn a_sync_state_named_by_the_peer_id_is_read_and_renamed_at_the_next_save() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::create_or_unlock(tmp.path(), &host()).unwrap();
        let legacy = format!("{}/abc123.age", files::SYNC_STATE_DIR);
        store.write(&legacy, b"old").unwrap();
        assert_eq!(
            store.load_sync_state("abc123").unwrap().as_deref(),
            Some(&b"old"[..])
        );
        store.save_sync_state("abc123", b"new").unwrap();
        assert!(!store.path(&legacy).exists());
        assert_eq!(
            store.load_sync_state("abc123").unwrap().as_deref(),
            Some(&b"new"[..])
        );
        // Reset removes states under either name.
        store.write(&legacy, b"old").unwrap();
        store.reset_sync_states().unwrap();
        assert!(
            fsio::list_files(&store.path(files::SYNC_STATE_DIR))
                .unwrap()
                .is_empty()
        );
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_to_the_owner() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::create_or_unlock(tmp.path().join("d"), &host()).unwrap();
        store.write("secret", b"k").unwrap();
        for path in [store.path("secret"), store.path(files::KEY)] {
            let mode = fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0);
        }
        let mode = fs::metadata(store.dir()).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0);
    }

    #[test]
    fn wipe_removes_kintsugi_files_and_leaves_others() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let store = Store::create_or_unlock(&dir, &host()).unwrap();
        store.write(files::DEVICE, b"profile").unwrap();
        store.save_sync_state("peer", b"s").unwrap();
        let report = wipe(&dir).unwrap();
        assert_eq!(report.removed_files, 3);
        assert!(!dir.exists());

        let store = Store::create_or_unlock(&dir, &host()).unwrap();
        store.write(files::DEVICE, b"profile").unwrap();
        fs::write(dir.join("holiday.jpg"), b"not ours").unwrap();
        let report = wipe(&dir).unwrap();
        assert_eq!(report.left, vec![dir.join("holiday.jpg")]);
        assert!(!dir.join(files::KEY).exists());
        // A directory that never held a device is refused outright.
        assert!(matches!(wipe(&dir), Err(CoreError::NoDevice { .. })));
    }
}
