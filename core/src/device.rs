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
use crate::storage::{
    CompactionPolicy, Damage, DocFiles, DocStats, Store, Unlock, WipeReport, files,
};
use crate::validate;

/// Who this device is. The actor id is stable for the life of the device's
/// data, so every change it made is attributable to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceProfile {
    pub actor_id: String,
    pub name: String,
    pub created_at: Millis,
    /// The member this device writes as, when it is not the actor id: a
    /// device restored from a backup keeps its member id under a new actor
    /// id (so changes it lost can come back without colliding with new ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
}

impl DeviceProfile {
    /// The member id this device writes records as.
    pub fn member(&self) -> &str {
        self.member_id.as_deref().unwrap_or(&self.actor_id)
    }

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
    actor: ActorId,
    doc: Option<CoupleDoc>,
    couple_files: DocFiles,
    private: Option<PrivateDoc>,
    private_files: DocFiles,
    /// Files found damaged since this device was opened (moved aside).
    damage: Vec<Damage>,
    on_save: OnSave,
}

/// Called after each durable save of the shared document, under the device
/// lock: live sync uses it to send a change the moment it is on disk.
#[derive(Default, Clone)]
struct OnSave(Option<std::sync::Arc<dyn Fn() + Send + Sync>>);

impl std::fmt::Debug for OnSave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "OnSave(set)"
        } else {
            "OnSave(none)"
        })
    }
}

/// Sizes on disk of both documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageStats {
    pub couple: DocStats,
    pub private: DocStats,
}

/// What an import brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    /// Changes that were new to this device.
    pub new_changes: usize,
}

impl Device {
    /// Sets up a device in `dir` (making its device key, wrapped by
    /// `unlock`), or unlocks and renames an existing one.
    pub fn init(dir: impl Into<PathBuf>, name: &str, unlock: &Unlock) -> Result<Self> {
        let name = validate::text("name", name, validate::MAX_NAME_CHARS)?;
        let store = Store::create_or_unlock(dir, unlock)?;
        let profile = match read_profile(&store)? {
            Some(mut existing) => {
                existing.name = name;
                existing
            }
            None => DeviceProfile {
                actor_id: hex::encode(rand::random::<[u8; 16]>()),
                name,
                created_at: now_millis(),
                member_id: None,
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

    /// Sets up a device in `dir` from a backup of a lost one: the same member
    /// (name, member id, records) under a new actor id, with the shared
    /// document and, if the backup holds it, the private one. `dir` must
    /// hold no device yet. A new actor id matters: changes the lost device
    /// made after the backup still exist on the partner's phone under the
    /// old one, and come back at the next sync without colliding with what
    /// this device writes next.
    pub fn restore(
        dir: impl Into<PathBuf>,
        unlock: &Unlock,
        name: &str,
        member_id: &str,
        shared: &[u8],
        private: Option<&[u8]>,
    ) -> Result<Self> {
        let dir = dir.into();
        if dir.join(files::KEY).exists() || dir.join(files::DEVICE).exists() {
            return Err(CoreError::AlreadySetUp { dir });
        }
        let name = validate::text("name", name, validate::MAX_NAME_CHARS)?;
        let profile = DeviceProfile {
            actor_id: hex::encode(rand::random::<[u8; 16]>()),
            name,
            created_at: now_millis(),
            member_id: Some(member_id.to_owned()),
        };
        let actor = profile.actor()?;
        // Both documents must load before anything is written.
        let doc = CoupleDoc::load(shared, &actor)?.as_member(member_id);
        let private = private.map(|b| PrivateDoc::load(b, &actor)).transpose()?;
        let store = Store::create_or_unlock(dir, unlock)?;
        write_profile(&store, &profile)?;
        let mut device = Self::load(store, profile)?;
        device.write(|device| {
            device.doc = Some(doc);
            Ok(())
        })?;
        if let Some(private) = private {
            device.update_private(|p, _| {
                *p = private;
                Ok(())
            })?;
        }
        Ok(device)
    }

    /// Opens a device that was set up before.
    pub fn open(dir: impl Into<PathBuf>, unlock: &Unlock) -> Result<Self> {
        let store = Store::unlock(dir, unlock)?;
        let profile = read_profile(&store)?.ok_or_else(|| CoreError::NoDevice {
            dir: store.dir().to_owned(),
        })?;
        Self::load(store, profile)
    }

    /// Removes every file of the device in `dir`: documents, keys, sync
    /// state. Needs no key. See [`crate::storage::wipe`].
    pub fn wipe(dir: impl AsRef<std::path::Path>) -> Result<WipeReport> {
        crate::storage::wipe(dir)
    }

    fn load(store: Store, profile: DeviceProfile) -> Result<Self> {
        let actor = profile.actor()?;
        // Under the lock: a compaction in another process never removes a
        // file between our listing and our reading it.
        let _lock = store.lock(files::DOCUMENT_LOCK)?;
        let read = OnDisk::read(&store, &actor, profile.member())?;
        let mut device = Device {
            store,
            profile,
            actor,
            doc: read.doc,
            couple_files: read.couple_files,
            private: read.private,
            private_files: read.private_files,
            damage: Vec::new(),
            on_save: OnSave::default(),
        };
        device.note_damage(read.damage)?;
        Ok(device)
    }

    pub fn profile(&self) -> &DeviceProfile {
        &self.profile
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn member_id(&self) -> &str {
        self.profile.member()
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

    /// Files that could not be read back since this device was opened. Each
    /// was moved aside into `damaged/`; everything else was loaded, and the
    /// next sync asks the partner for whatever was lost.
    pub fn damage(&self) -> &[Damage] {
        &self.damage
    }

    /// Creates the shared space if this device has none yet. Called by the
    /// inviting device only; the joiner receives the document instead.
    pub fn start_couple(&mut self) -> Result<()> {
        self.write(|device| {
            if device.doc.is_none() {
                let doc = CoupleDoc::create(&device.actor, &device.profile.name, now_millis())?
                    .as_member(device.profile.member());
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
            let received = CoupleDoc::load_received(document, &device.actor)?
                .as_member(device.profile.member());
            let unshared_skeleton = device.can_join();
            match device.doc.as_mut() {
                Some(existing) if existing.couple_id()? != received.couple_id()? => {
                    if !unshared_skeleton {
                        return Err(CoreError::AlreadyInCouple);
                    }
                    // The skeleton's files go first: a crash in between
                    // leaves no shared space (pairing is simply retried),
                    // never two spaces merged into one.
                    device.couple_files.remove_all()?;
                    device.doc = Some(received);
                }
                Some(existing) => {
                    existing.merge_received(document)?;
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
        self.refresh_private()?;
        let private = match self.private.as_mut() {
            Some(p) => p,
            None => self.private.insert(PrivateDoc::new(&self.actor)?),
        };
        let out = f(private, now_millis())?;
        if let Err(e) = self.private_files.save(private.automerge_mut()) {
            self.reread_from_disk();
            return Err(e);
        }
        Ok(out)
    }

    /// This device's private space (empty when never written).
    pub fn private(&self) -> Result<PrivateDoc> {
        match &self.private {
            Some(p) => Ok(p.clone()),
            None => PrivateDoc::new(&self.actor),
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

    /// Sets what to call after each durable save of the shared document (one
    /// hook; a new one replaces the old). It runs under the device lock, so
    /// it must only signal, never lock the device itself.
    pub fn set_on_save(&mut self, hook: Option<std::sync::Arc<dyn Fn() + Send + Sync>>) {
        self.on_save = OnSave(hook);
    }

    /// Merges in what other processes saved to disk since we loaded.
    pub fn reload(&mut self) -> Result<()> {
        let _lock = self.store.lock(files::DOCUMENT_LOCK)?;
        self.refresh_couple()?;
        self.refresh_private()
    }

    /// Folds each document's chunks into a fresh snapshot now (it also
    /// happens by itself as chunks accumulate).
    pub fn compact(&mut self) -> Result<StorageStats> {
        let _lock = self.store.lock(files::DOCUMENT_LOCK)?;
        self.refresh_couple()?;
        self.refresh_private()?;
        if let Some(doc) = self.doc.as_mut() {
            self.couple_files.compact(doc.automerge_mut())?;
        }
        if let Some(private) = self.private.as_mut() {
            self.private_files.compact(private.automerge_mut())?;
        }
        Ok(self.storage_stats())
    }

    pub fn storage_stats(&self) -> StorageStats {
        StorageStats {
            couple: self.couple_files.stats(),
            private: self.private_files.stats(),
        }
    }

    /// Changes when chunks are batched and compacted (benchmarks and tests).
    pub fn set_compaction_policy(&mut self, policy: CompactionPolicy) {
        self.couple_files.set_policy(policy);
        self.private_files.set_policy(policy);
    }

    /// The shared document as a standard Automerge binary, readable by any
    /// Automerge implementation. Not encrypted: it is for the couple to take
    /// their data elsewhere.
    pub fn export_automerge(&mut self) -> Result<Vec<u8>> {
        self.reload()?;
        Ok(self.doc_mut()?.save())
    }

    /// Every record of the shared space as readable JSON, and with
    /// `include_private` this device's journal and notes too.
    pub fn export_json(&mut self, include_private: bool) -> Result<String> {
        self.reload()?;
        let doc = self.doc()?;
        let mut out = serde_json::json!({
            "format": "kintsugi-export",
            "version": 1,
            "exported_at": now_millis(),
            "couple_id": doc.couple_id()?,
            "schema_version": doc.schema_version()?,
            "exported_by": self.profile.actor_id,
            "shared": doc.snapshot(),
        });
        if include_private {
            let private = self.private()?;
            out["private"] = serde_json::json!({
                "journal": private.journal(),
                "notes": private.notes(),
            });
        }
        Ok(serde_json::to_string_pretty(&out).expect("records serialise"))
    }

    /// Merges an exported Automerge document of this couple's shared space
    /// into this device's, durably. A document of another couple is refused.
    /// A device without a shared space (say, its snapshot was damaged)
    /// takes the document back whole, if this device is a member of it.
    pub fn import_automerge(&mut self, bytes: &[u8]) -> Result<ImportReport> {
        let mut incoming = CoupleDoc::load_received(bytes, &self.actor)
            .map(|d| d.as_member(self.profile.member()))
            .map_err(|e| CoreError::InvalidValue {
                field: "imported document",
                reason: match e {
                    // The budget's reason, without "your partner's device sent".
                    CoreError::InvalidSyncMessage(why) => format!("refused: {why}"),
                    e => format!("not a Kintsugi shared space: {e}"),
                },
            })?;
        let restoring = self.doc.is_none();
        let report = self.write(|device| {
            if device.doc.is_none() {
                if !incoming
                    .members()
                    .iter()
                    .any(|m| m.id == device.member_id())
                {
                    return Err(CoreError::InvalidValue {
                        field: "imported document",
                        reason: "this device is not a member of that shared space; pair \
                                 with your partner instead"
                            .into(),
                    });
                }
                let new_changes = incoming.automerge_mut().get_changes(&[]).len();
                device.doc = Some(incoming);
                return Ok(ImportReport { new_changes });
            }
            let doc = device.doc_mut()?;
            if incoming.couple_id()? != doc.couple_id()? {
                return Err(CoreError::InvalidValue {
                    field: "imported document",
                    reason: "it belongs to another couple's shared space".into(),
                });
            }
            let before = doc.heads();
            doc.merge_received(bytes)?;
            let new_changes = doc.automerge_mut().get_changes(&before).len();
            doc.heal(now_millis())?;
            Ok(ImportReport { new_changes })
        })?;
        if restoring {
            // Changes of ours that waited on disk for what the damaged file
            // held can load now.
            self.reread_from_disk();
        }
        Ok(report)
    }

    /// Every local write: under the data directory's lock, load what other
    /// processes saved, apply `f`, append the new changes. Several processes
    /// on one directory (the CLI's `serve` and a `checkin` in another
    /// terminal) thus extend one history, and none overwrites another's
    /// change. The change is durable when this returns.
    fn write<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let _lock = self.store.lock(files::DOCUMENT_LOCK)?;
        self.refresh_couple()?;
        let out = f(self)?;
        if let Some(doc) = self.doc.as_mut() {
            if let Err(e) = self.couple_files.save(doc.automerge_mut()) {
                self.reread_from_disk();
                return Err(e);
            }
            if let Some(hook) = &self.on_save.0 {
                hook();
            }
        }
        Ok(out)
    }

    fn refresh_couple(&mut self) -> Result<()> {
        // The check-in index checks its heads before use: carrying it over
        // is always safe, and saves a scan when nothing new was on disk.
        let index = self.doc.as_mut().and_then(|d| d.my_checkin_days.take());
        let mut am = self.doc.take().map(CoupleDoc::into_automerge);
        let damage = self.couple_files.refresh(&mut am);
        self.doc = am
            .map(|am| {
                CoupleDoc::from_automerge(am, &self.actor)
                    .map(|d| d.as_member(self.profile.member()))
            })
            .transpose()?;
        if let Some(doc) = self.doc.as_mut() {
            doc.my_checkin_days = index;
        }
        self.note_damage(damage?)
    }

    fn refresh_private(&mut self) -> Result<()> {
        let mut am = self.private.take().map(PrivateDoc::into_automerge);
        let damage = self.private_files.refresh(&mut am);
        self.private = am.map(|am| PrivateDoc::from_automerge(am, &self.actor));
        self.note_damage(damage?)
    }

    /// Reloads both documents from disk. After a failed save (disk full,
    /// directory gone read-only) the change was not acknowledged, so memory
    /// goes back to what is on disk rather than keeping a change the caller
    /// was told failed.
    fn reread_from_disk(&mut self) {
        let read = match OnDisk::read(&self.store, &self.actor, self.profile.member()) {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(error = %e.redacted(), "cannot reread the data directory");
                return;
            }
        };
        let policy = self.couple_files.policy();
        self.couple_files = read.couple_files;
        self.couple_files.set_policy(policy);
        self.private_files = read.private_files;
        self.private_files.set_policy(policy);
        self.doc = read.doc;
        self.private = read.private;
        if let Err(e) = self.note_damage(read.damage) {
            tracing::warn!(error = %e.redacted(), "cannot reset the sync states after damage");
        }
    }

    /// Damaged files lose data this device had: forgetting the sync states
    /// makes the next sync compare whole histories, so the partner sends
    /// back whatever it still has.
    fn note_damage(&mut self, damage: Vec<Damage>) -> Result<()> {
        if !damage.is_empty() {
            self.store.reset_sync_states()?;
            self.damage.extend(damage);
        }
        Ok(())
    }
}

/// Both documents as their files hold them.
struct OnDisk {
    couple_files: DocFiles,
    doc: Option<CoupleDoc>,
    private_files: DocFiles,
    private: Option<PrivateDoc>,
    damage: Vec<Damage>,
}

impl OnDisk {
    fn read(store: &Store, actor: &ActorId, member: &str) -> Result<Self> {
        let (couple_files, couple, mut damage) =
            DocFiles::open(store.path(files::COUPLE_DIR), store.key(), actor.clone())?;
        let (private_files, private, private_damage) =
            DocFiles::open(store.path(files::PRIVATE_DIR), store.key(), actor.clone())?;
        damage.extend(private_damage);
        Ok(OnDisk {
            couple_files,
            doc: couple
                .map(|am| CoupleDoc::from_automerge(am, actor).map(|d| d.as_member(member)))
                .transpose()?,
            private_files,
            private: private.map(|am| PrivateDoc::from_automerge(am, actor)),
            damage,
        })
    }
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
    use std::fs;
    use std::path::Path;

    use super::*;

    fn key() -> Unlock {
        static KEY: std::sync::OnceLock<Unlock> = std::sync::OnceLock::new();
        KEY.get_or_init(|| Unlock::HostKey(Unlock::generate_host_key()))
            .clone()
    }

    fn checkin(note: &str) -> CheckInInput {
        CheckInInput {
            safety: 5,
            trust: 5,
            connection: 5,
            note: Some(note.into()),
            ..Default::default()
        }
    }

    fn couple(dir: &Path) -> Device {
        let mut device = Device::init(dir, "Ana", &key()).unwrap();
        device.start_couple().unwrap();
        device
    }

    fn notes(device: &Device) -> Vec<String> {
        let mut notes: Vec<String> = device
            .doc()
            .unwrap()
            .snapshot()
            .agreements
            .into_iter()
            .map(|a| a.text().to_owned())
            .collect();
        notes.sort();
        notes
    }

    fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                out.extend(files_under(&entry.path()));
            } else {
                out.push(entry.path());
            }
        }
        out.sort();
        out
    }

    #[test]
    fn two_processes_writing_one_directory_lose_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let mut first = couple(tmp.path());
        // A second process opens the same directory (say `kintsugi serve`).
        let mut second = Device::open(tmp.path(), &key()).unwrap();
        first.record_checkin(&checkin("from the terminal")).unwrap();
        // The second process saves its own change from a stale copy...
        second.propose_agreement("Sunday walks").unwrap();
        // ...and the first process's check-in is still on disk.
        let reopened = Device::open(tmp.path(), &key()).unwrap();
        assert_eq!(reopened.checkins().unwrap().len(), 1);
        assert_eq!(reopened.agreements().unwrap().len(), 1);
        // A reload brings the other process's changes into memory.
        first.reload().unwrap();
        assert_eq!(first.agreements().unwrap().len(), 1);
        // Compaction in one process does not lose the other's next write.
        second.compact().unwrap();
        first.propose_agreement("Phones away at dinner").unwrap();
        let reopened = Device::open(tmp.path(), &key()).unwrap();
        assert_eq!(notes(&reopened).len(), 2);
    }

    #[test]
    fn a_second_checkin_the_same_day_revises_even_when_another_process_wrote_the_first() {
        let tmp = tempfile::tempdir().unwrap();
        let mut serve = couple(tmp.path());
        let day = |d: &str| CheckInInput {
            day: Some(d.into()),
            ..checkin(d)
        };
        // `serve` has looked up its days already (its index is warm)...
        serve.record_checkin(&day("2026-11-20")).unwrap();
        // ...when a command in another terminal records today's check-in.
        let mut terminal = Device::open(tmp.path(), &key()).unwrap();
        let first = terminal.record_checkin(&day("2026-11-21")).unwrap();
        let mut later = day("2026-11-21");
        later.note = Some("better by the evening".into());
        let again = serve.record_checkin(&later).unwrap();
        assert_eq!(
            first, again,
            "the second check-in of the day revises the first"
        );
        let reopened = Device::open(tmp.path(), &key()).unwrap();
        let checkins = reopened.checkins().unwrap();
        assert_eq!(checkins.len(), 2);
        let today = checkins.iter().find(|c| c.id == first).unwrap();
        assert_eq!(today.note.as_deref(), Some("better by the evening"));
        assert!(!today.revisions.is_empty());
    }

    #[test]
    fn a_device_must_be_set_up_before_use() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            Device::open(tmp.path().join("missing"), &key()),
            Err(CoreError::NoDevice { .. })
        ));
        assert!(matches!(
            Device::init(tmp.path(), "  ", &key()),
            Err(CoreError::EmptyText { .. })
        ));
    }

    #[test]
    fn nothing_on_disk_is_readable_without_the_key() {
        let tmp = tempfile::tempdir().unwrap();
        let mut device = couple(tmp.path());
        device
            .record_checkin(&checkin("I felt heard tonight"))
            .unwrap();
        device
            .update_private(|p, now| p.write_journal("a secret worry", now))
            .unwrap();
        device.compact().unwrap();
        device.propose_agreement("Sunday walks").unwrap();
        let files = files_under(tmp.path());
        assert!(files.len() >= 5, "{files:?}");
        for path in &files {
            let bytes = fs::read(path).unwrap();
            if path.ends_with(files::DOCUMENT_LOCK) {
                assert!(bytes.is_empty());
                continue;
            }
            assert!(
                bytes.starts_with(b"age-encryption.org/v1\n"),
                "{} is not age ciphertext",
                path.display()
            );
            for plain in ["felt heard", "secret worry", "Sunday", "Ana"] {
                assert!(
                    !bytes.windows(plain.len()).any(|w| w == plain.as_bytes()),
                    "{plain:?} readable in {}",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn the_wrong_key_is_refused_and_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let mut device = couple(tmp.path());
        device.propose_agreement("Sunday walks").unwrap();
        let before: Vec<_> = files_under(tmp.path())
            .into_iter()
            .map(|p| (fs::read(&p).unwrap(), p))
            .collect();
        let other = Unlock::HostKey(Unlock::generate_host_key());
        assert!(matches!(
            Device::open(tmp.path(), &other),
            Err(CoreError::WrongKey { .. })
        ));
        assert!(matches!(
            Device::init(tmp.path(), "Mallory", &other),
            Err(CoreError::WrongKey { .. })
        ));
        let after: Vec<_> = files_under(tmp.path())
            .into_iter()
            .map(|p| (fs::read(&p).unwrap(), p))
            .collect();
        assert_eq!(before, after);
    }

    #[test]
    fn saves_append_batched_chunks_and_compaction_folds_them() {
        let tmp = tempfile::tempdir().unwrap();
        let mut device = couple(tmp.path());
        let start = device.storage_stats().couple;
        assert_eq!((start.snapshots, start.chunks), (1, 0));
        for i in 0..30 {
            device.propose_agreement(&format!("agreement {i}")).unwrap();
        }
        let stats = device.storage_stats().couple;
        // Thirty saves, yet the small chunks were batched into one file.
        assert_eq!(stats.chunks, 1, "{stats:?}");
        assert_eq!(
            fs::read_dir(tmp.path().join(files::COUPLE_DIR))
                .unwrap()
                .count(),
            2
        );

        let compacted = device.compact().unwrap().couple;
        assert_eq!((compacted.snapshots, compacted.chunks), (1, 0));
        assert_eq!(notes(&Device::open(tmp.path(), &key()).unwrap()).len(), 30);

        // Past the policy's threshold, saving compacts by itself.
        device.set_compaction_policy(CompactionPolicy {
            batch_bytes: 64 * 1024,
            chunk_percent: 10,
            min_chunk_bytes: 0,
        });
        let mut compactions = 0;
        for i in 0..40 {
            device.propose_agreement(&format!("later {i}")).unwrap();
            if device.storage_stats().couple.chunks == 0 {
                compactions += 1;
            }
        }
        assert!(compactions >= 1);
        assert_eq!(notes(&Device::open(tmp.path(), &key()).unwrap()).len(), 70);
    }

    fn flip_a_bit(path: &Path) {
        let mut bytes = fs::read(path).unwrap();
        let at = bytes.len() - 20;
        bytes[at] ^= 0x10;
        fs::write(path, bytes).unwrap();
    }

    fn only_file(dir: &Path, prefix: &str) -> std::path::PathBuf {
        let mut found: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        found.pop().unwrap()
    }

    #[test]
    fn a_damaged_chunk_is_named_moved_aside_and_the_rest_recovered() {
        let tmp = tempfile::tempdir().unwrap();
        let mut device = couple(tmp.path());
        device.propose_agreement("kept in the snapshot").unwrap();
        device.compact().unwrap();
        device.propose_agreement("in the damaged chunk").unwrap();
        let couple_dir = tmp.path().join(files::COUPLE_DIR);
        let chunk = only_file(&couple_dir, "chunk-");
        let original = fs::read(&chunk).unwrap();
        flip_a_bit(&chunk);

        let reopened = Device::open(tmp.path(), &key()).unwrap();
        let damage = reopened.damage();
        assert_eq!(damage.len(), 1);
        assert_eq!(damage[0].path, chunk);
        assert!(damage[0].to_string().contains(chunk.to_str().unwrap()));
        let moved = damage[0].moved_to.clone().unwrap();
        assert!(moved.starts_with(tmp.path().join(files::DAMAGED_DIR)));
        // Never deleted: the damaged bytes are kept as they were found.
        let mut flipped = original.clone();
        let at = flipped.len() - 20;
        flipped[at] ^= 0x10;
        assert_eq!(fs::read(&moved).unwrap(), flipped);
        assert!(!chunk.exists());
        assert_eq!(notes(&reopened), vec!["kept in the snapshot".to_owned()]);
        // And the device goes on working.
        let mut reopened = reopened;
        reopened.propose_agreement("after the damage").unwrap();
        assert!(
            Device::open(tmp.path(), &key())
                .unwrap()
                .damage()
                .is_empty()
        );
    }

    #[test]
    fn a_truncated_snapshot_is_named_and_moved_aside() {
        let tmp = tempfile::tempdir().unwrap();
        let mut device = couple(tmp.path());
        device
            .update_private(|p, now| p.write_journal("mine only", now))
            .unwrap();
        let snapshot = only_file(&tmp.path().join(files::COUPLE_DIR), "snapshot-");
        let bytes = fs::read(&snapshot).unwrap();
        fs::write(&snapshot, &bytes[..bytes.len() / 2]).unwrap();
        let reopened = Device::open(tmp.path(), &key()).unwrap();
        assert_eq!(reopened.damage().len(), 1);
        assert_eq!(reopened.damage()[0].path, snapshot);
        assert!(reopened.damage()[0].reason.contains("truncated"));
        // The other document is untouched.
        assert_eq!(reopened.private().unwrap().journal().len(), 1);
    }

    #[test]
    fn after_a_damaged_snapshot_the_partners_export_brings_everything_back() {
        let tmp = tempfile::tempdir().unwrap();
        let mut ana = couple(&tmp.path().join("ana"));
        let mut ben = Device::init(tmp.path().join("ben"), "Ben", &key()).unwrap();
        ben.join_couple(&ana.export_automerge().unwrap()).unwrap();
        ana.import_automerge(&ben.export_automerge().unwrap())
            .unwrap();
        ana.propose_agreement("Sunday walks").unwrap();
        ben.import_automerge(&ana.export_automerge().unwrap())
            .unwrap();
        // Ana's later chunk depends on the snapshot that gets damaged.
        ana.compact().unwrap();
        ana.propose_agreement("written after the snapshot").unwrap();
        let snapshot = only_file(&tmp.path().join("ana").join(files::COUPLE_DIR), "snapshot-");
        let bytes = fs::read(&snapshot).unwrap();
        fs::write(&snapshot, &bytes[..bytes.len() - 7]).unwrap();

        let mut ana = Device::open(tmp.path().join("ana"), &key()).unwrap();
        assert_eq!(ana.damage().len(), 1);
        assert!(!ana.has_couple());
        // A stranger's space is still refused...
        let stranger = couple(&tmp.path().join("stranger")).export_automerge();
        assert!(ana.import_automerge(&stranger.unwrap()).is_err());
        // ...but Ben's copy, which holds Ana as a member, restores hers, and
        // her own change that waited for the lost snapshot comes back too.
        ana.import_automerge(&ben.export_automerge().unwrap())
            .unwrap();
        assert_eq!(notes(&ana).len(), 2);
        let reopened = Device::open(tmp.path().join("ana"), &key()).unwrap();
        assert_eq!(
            notes(&reopened),
            vec![
                "Sunday walks".to_owned(),
                "written after the snapshot".to_owned()
            ]
        );
    }

    #[test]
    fn export_is_plain_automerge_and_import_merges_only_the_same_couple() {
        let tmp = tempfile::tempdir().unwrap();
        let mut ana = couple(&tmp.path().join("ana"));
        ana.propose_agreement("Sunday walks").unwrap();
        let exported = ana.export_automerge().unwrap();
        // Any Automerge reader loads it: no Kintsugi code involved.
        let plain = automerge::AutoCommit::load(&exported).unwrap();
        assert!(
            automerge::ReadDoc::get(&plain, automerge::ROOT, "couple_id")
                .unwrap()
                .is_some()
        );

        // A second copy of the same space (say, restored from an old export)
        // gets what it lacked.
        let copy_dir = tmp.path().join("copy");
        let mut copy = Device::init(&copy_dir, "Ana", &key()).unwrap();
        copy.join_couple(&exported).unwrap();
        ana.propose_agreement("Phones away at dinner").unwrap();
        let report = copy
            .import_automerge(&ana.export_automerge().unwrap())
            .unwrap();
        assert!(report.new_changes >= 1);
        assert_eq!(notes(&Device::open(&copy_dir, &key()).unwrap()).len(), 2);

        let json: serde_json::Value =
            serde_json::from_str(&ana.export_json(false).unwrap()).unwrap();
        assert_eq!(json["shared"]["agreements"].as_array().unwrap().len(), 2);
        assert!(json.get("private").is_none());

        let mut stranger = couple(&tmp.path().join("stranger"));
        assert!(matches!(
            stranger.import_automerge(&exported),
            Err(CoreError::InvalidValue { .. })
        ));
        assert!(stranger.import_automerge(b"not automerge").is_err());
        assert!(notes(&stranger).is_empty());
    }

    #[test]
    fn wipe_leaves_nothing_of_the_couple() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let mut device = couple(&dir);
        device
            .record_checkin(&checkin("tired but hopeful"))
            .unwrap();
        device.store().save_sync_state("peer1", b"state").unwrap();
        drop(device);
        let report = Device::wipe(&dir).unwrap();
        assert!(report.removed_files >= 5, "{report:?}");
        assert!(report.left.is_empty());
        assert!(!dir.exists());
        assert!(matches!(
            Device::open(&dir, &key()),
            Err(CoreError::NoDevice { .. })
        ));
    }
}
