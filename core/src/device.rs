//! One partner's device: its identity, its copy of the shared document and
//! its data directory. Every mutation validates, commits with a time and a
//! message, and is durable on disk before it returns.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use automerge::ActorId;
use serde::{Deserialize, Serialize};

use crate::doc::CoupleDoc;
use crate::error::{CoreError, Result};
use crate::model::{Agreement, CheckIn, CheckInInput, Member, Millis, Snapshot};
use crate::ops::AgreementDraft;
use crate::private::PrivateDoc;
use crate::store::{Store, files};
use crate::validate;

/// Who this device is. The actor id is stable for the life of the device, so
/// every change it ever made is attributable to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceProfile {
    pub actor_id: String,
    pub name: String,
    pub created_at: Millis,
}

impl DeviceProfile {
    pub fn actor(&self) -> Result<ActorId> {
        hex::decode(&self.actor_id).map(ActorId::from).map_err(|_| {
            CoreError::Malformed(format!("device actor id {:?} is not hex", self.actor_id))
        })
    }
}

pub fn now_millis() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

#[derive(Debug)]
pub struct Device {
    store: Store,
    profile: DeviceProfile,
    doc: Option<CoupleDoc>,
    /// Size and modification time of the document file when this process
    /// last read or wrote it: when unchanged, no other process wrote since,
    /// and the merge from disk is skipped.
    seen_on_disk: Option<FileStamp>,
}

impl Device {
    /// Sets up a device in `dir`, or renames an existing one.
    pub fn init(dir: impl Into<PathBuf>, name: &str) -> Result<Self> {
        let name = validate::text("name", name, validate::MAX_NAME_CHARS)?;
        let store = Store::open(dir)?;
        let profile = match read_profile(&store)? {
            Some(mut existing) => {
                existing.name = name;
                existing
            }
            None => DeviceProfile {
                actor_id: hex::encode(rand::random::<[u8; 16]>()),
                name,
                created_at: now_millis(),
            },
        };
        write_profile(&store, &profile)?;
        let mut device = Self::load(store, profile)?;
        if device.doc.is_some() {
            let name = device.profile.name.clone();
            device.write(|d| d.doc_mut()?.set_my_name(&name, now_millis()))?;
        }
        Ok(device)
    }

    /// Opens a device that was set up before.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let store = Store::open(dir)?;
        let profile = read_profile(&store)?.ok_or(CoreError::NoDevice)?;
        Self::load(store, profile)
    }

    fn load(store: Store, profile: DeviceProfile) -> Result<Self> {
        let actor = profile.actor()?;
        let doc = match store.read(files::DOCUMENT)? {
            Some(bytes) => Some(CoupleDoc::load(&bytes, &actor).map_err(|e| match e {
                CoreError::Automerge(err) => CoreError::Corrupt {
                    path: store.path(files::DOCUMENT),
                    reason: err.to_string(),
                },
                other => other,
            })?),
            None => None,
        };
        let seen_on_disk = file_stamp(&store.path(files::DOCUMENT));
        Ok(Device {
            store,
            profile,
            doc,
            seen_on_disk,
        })
    }

    pub fn profile(&self) -> &DeviceProfile {
        &self.profile
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn member_id(&self) -> &str {
        &self.profile.actor_id
    }

    pub fn has_couple(&self) -> bool {
        self.doc.is_some()
    }

    pub fn doc(&self) -> Result<&CoupleDoc> {
        self.doc.as_ref().ok_or(CoreError::NoCouple)
    }

    pub fn doc_mut(&mut self) -> Result<&mut CoupleDoc> {
        self.doc.as_mut().ok_or(CoreError::NoCouple)
    }

    /// Creates the shared space if this device has none yet. Called by the
    /// inviting device only; the joiner receives the document instead.
    pub fn start_couple(&mut self) -> Result<()> {
        self.write(|device| {
            if device.doc.is_none() {
                let doc = CoupleDoc::create(
                    &device.profile.actor()?,
                    &device.profile.name,
                    now_millis(),
                )?;
                device.doc = Some(doc);
            }
            Ok(())
        })
    }

    /// Whether this device may adopt a partner's shared space: it has none,
    /// or only a skeleton it never shared and never wrote in (left over from
    /// showing an invite).
    pub fn can_join(&self) -> bool {
        match &self.doc {
            None => true,
            Some(doc) => {
                let s = doc.snapshot();
                s.members.iter().all(|m| m.id == doc.me())
                    && s == Snapshot {
                        members: s.members.clone(),
                        ..Snapshot::default()
                    }
            }
        }
    }

    /// Adopts the document the inviter sent during pairing and adds this
    /// partner's own member entry to it.
    pub fn join_couple(&mut self, document: &[u8]) -> Result<()> {
        self.write(|device| {
            let received = CoupleDoc::load(document, &device.profile.actor()?)?;
            let unshared_skeleton = device.can_join();
            match device.doc.as_mut() {
                Some(existing) if existing.couple_id()? != received.couple_id()? => {
                    if !unshared_skeleton {
                        return Err(CoreError::AlreadyInCouple);
                    }
                    device.doc = Some(received);
                }
                Some(existing) => {
                    existing.merge_bytes(document)?;
                }
                None => device.doc = Some(received),
            }
            let name = device.profile.name.clone();
            device.doc_mut()?.set_my_name(&name, now_millis())
        })
    }

    /// Runs one operation on the shared document, durably: the way every
    /// local change is made. `f` gets the document and the current time.
    pub fn update<T>(&mut self, f: impl FnOnce(&mut CoupleDoc, Millis) -> Result<T>) -> Result<T> {
        self.write(|d| {
            let now = now_millis();
            let doc = d.doc_mut()?;
            // Any write by this version brings an older document up to date
            // first, so an older app never half-reads what it writes.
            doc.migrate(now)?;
            f(doc, now)
        })
    }

    pub fn propose_agreement(&mut self, text: &str) -> Result<String> {
        self.update(|doc, now| doc.propose_agreement(&AgreementDraft::new(text), now))
    }

    pub fn accept_agreement(&mut self, id: &str) -> Result<Agreement> {
        self.update(|doc, now| doc.accept_agreement(id, now))
    }

    pub fn record_checkin(&mut self, input: &CheckInInput) -> Result<String> {
        self.update(|doc, now| doc.record_checkin(input, now))
    }

    pub fn agreements(&self) -> Result<Vec<Agreement>> {
        Ok(self.doc()?.agreements())
    }

    pub fn checkins(&self) -> Result<Vec<CheckIn>> {
        Ok(self.doc()?.checkins())
    }

    pub fn members(&self) -> Result<Vec<Member>> {
        Ok(self.doc()?.members())
    }

    /// Runs one operation on this device's private space (journal, notes),
    /// durably. The private document never leaves the device.
    pub fn update_private<T>(
        &mut self,
        f: impl FnOnce(&mut PrivateDoc, Millis) -> Result<T>,
    ) -> Result<T> {
        let _lock = self.store.lock(files::DOCUMENT_LOCK)?;
        let mut private = self.load_private()?;
        let out = f(&mut private, now_millis())?;
        self.store.write(files::PRIVATE, &private.save())?;
        Ok(out)
    }

    /// This device's private space, read from disk (empty when never written).
    pub fn private(&self) -> Result<PrivateDoc> {
        self.load_private()
    }

    fn load_private(&self) -> Result<PrivateDoc> {
        let actor = self.profile.actor()?;
        match self.store.read(files::PRIVATE)? {
            Some(bytes) => PrivateDoc::load(&bytes, &actor).map_err(|e| CoreError::Corrupt {
                path: self.store.path(files::PRIVATE),
                reason: e.to_string(),
            }),
            None => PrivateDoc::new(&actor),
        }
    }

    /// Every record of the shared space, for the derived views.
    pub fn snapshot(&self) -> Result<Snapshot> {
        Ok(self.doc()?.snapshot())
    }

    /// Makes changes already applied in memory (e.g. received from the
    /// partner) durable, keeping whatever other processes saved meanwhile.
    pub fn persist(&mut self) -> Result<()> {
        self.write(|_| Ok(()))
    }

    /// Merges in what other processes saved to disk since we loaded.
    pub fn reload(&mut self) -> Result<()> {
        let _lock = self.store.lock(files::DOCUMENT_LOCK)?;
        self.merge_from_disk()
    }

    /// Every local write: under the data directory's lock, merge what is on
    /// disk, apply `f`, save. Several processes on one directory (the CLI's
    /// `serve` and a `checkin` in another terminal) thus extend one linear
    /// history of this device's actor, and none overwrites another's change.
    /// The change is durable when this returns.
    fn write<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let _lock = self.store.lock(files::DOCUMENT_LOCK)?;
        self.merge_from_disk()?;
        let out = f(self)?;
        if let Some(doc) = self.doc.as_mut() {
            let bytes = doc.save();
            self.store.write(files::DOCUMENT, &bytes)?;
            self.seen_on_disk = file_stamp(&self.store.path(files::DOCUMENT));
        }
        Ok(out)
    }

    fn merge_from_disk(&mut self) -> Result<()> {
        let Some(on_disk) = self.store.read(files::DOCUMENT)? else {
            return Ok(());
        };
        let path = self.store.path(files::DOCUMENT);
        let corrupt = |e: CoreError| CoreError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        };
        match self.doc.as_mut() {
            Some(mine) => {
                mine.merge_bytes(&on_disk).map_err(corrupt)?;
            }
            None => {
                self.doc = Some(CoupleDoc::load(&on_disk, &self.profile.actor()?).map_err(corrupt)?)
            }
        }
        Ok(())
    }
}

/// (inode, size, mtime) of a file; every save renames a new file into
/// place, so any write by another process changes the stamp.
type FileStamp = (u64, u64, std::time::SystemTime);

fn file_stamp(path: &std::path::Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let ino = 0;
    Some((ino, meta.len(), meta.modified().ok()?))
}

fn read_profile(store: &Store) -> Result<Option<DeviceProfile>> {
    let Some(bytes) = store.read(files::DEVICE)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| CoreError::Corrupt {
            path: store.path(files::DEVICE),
            reason: e.to_string(),
        })
}

fn write_profile(store: &Store, profile: &DeviceProfile) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(profile).expect("profile serialises");
    store.write(files::DEVICE, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkin(note: &str) -> CheckInInput {
        CheckInInput {
            safety: 5,
            trust: 5,
            connection: 5,
            note: Some(note.into()),
            ..Default::default()
        }
    }

    #[test]
    fn two_processes_writing_one_directory_lose_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let mut first = Device::init(tmp.path(), "Ana").unwrap();
        first.start_couple().unwrap();
        // A second process opens the same directory (say `kintsugi serve`).
        let mut second = Device::open(tmp.path()).unwrap();
        first.record_checkin(&checkin("from the terminal")).unwrap();
        // The second process saves its own change from a stale copy...
        second.propose_agreement("Sunday walks").unwrap();
        // ...and the first process's check-in is still on disk.
        let reopened = Device::open(tmp.path()).unwrap();
        assert_eq!(reopened.checkins().unwrap().len(), 1);
        assert_eq!(reopened.agreements().unwrap().len(), 1);
        // A reload brings the other process's changes into memory.
        first.reload().unwrap();
        assert_eq!(first.agreements().unwrap().len(), 1);
    }

    #[test]
    fn a_device_must_be_set_up_before_use() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(Device::open(tmp.path()), Err(CoreError::NoDevice)));
        assert!(matches!(
            Device::init(tmp.path(), "  "),
            Err(CoreError::EmptyText { .. })
        ));
    }

    #[test]
    fn a_damaged_document_is_reported_with_its_path_and_left_in_place() {
        let tmp = tempfile::tempdir().unwrap();
        let mut device = Device::init(tmp.path(), "Ana").unwrap();
        device.start_couple().unwrap();
        let path = tmp.path().join(files::DOCUMENT);
        std::fs::write(&path, b"not automerge").unwrap();
        match Device::open(tmp.path()) {
            Err(CoreError::Corrupt { path: p, .. }) => assert_eq!(p, path),
            other => panic!("expected Corrupt, got {other:?}"),
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"not automerge");
    }
}
