//! One partner's device: its identity, its copy of the shared document and
//! its data directory. Every mutation validates, commits with a time and a
//! message, and is durable on disk before it returns.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use automerge::ActorId;
use serde::{Deserialize, Serialize};

use crate::doc::CoupleDoc;
use crate::door::{Door, Roster};
use crate::error::{CoreError, Result};
use crate::model::{Agreement, CheckIn, CheckInInput, Member, Millis, Snapshot};
use crate::ops::AgreementDraft;
use crate::private::PrivateDoc;
use crate::read::ChangeEvent;
use crate::storage::{
    CompactionPolicy, Damage, DocFiles, DocStats, Store, Unlock, WipeReport, files,
};
use crate::validate;

/// How many of the newest timeline entries the first-screen cache holds the
/// records of: four pages of fifty, so the first page is served whatever
/// the filter of a usual first screen.
const FIRST_SCREEN_ENTRIES: usize = 200;

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
    /// Restored from a backup and not yet in sync with the partner: what
    /// the lost device wrote after its backup may still come back from the
    /// partner under its earlier actor (see `Roster::recovering`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovering: bool,
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
    /// Why the shared document on disk cannot be read, if it cannot (a
    /// newer schema, a root that is not a map…). The device opens anyway:
    /// the private space, unpairing, exports and wipe all keep working.
    unreadable: Option<String>,
    couple_files: DocFiles,
    private: Option<PrivateDoc>,
    private_files: DocFiles,
    /// Files found damaged since this device was opened (moved aside).
    damage: Vec<Damage>,
    on_save: OnSave,
    listeners: Listeners,
    /// The document files and heads of the read-model cache on disk, as
    /// this process last read or wrote it (nothing to write while equal).
    cache_saved: Option<(Vec<String>, Vec<automerge::ChangeHash>)>,
    /// Whether this open took its read model from the cache.
    from_cache: bool,
}

impl Drop for Device {
    fn drop(&mut self) {
        if let Err(e) = self.save_cache(false) {
            tracing::debug!("read-model cache not saved: {e}");
        }
    }
}

/// What to tell of each change to the shared space (see
/// [`Device::on_change`]); each is held weakly, so dropping it unsubscribes.
#[derive(Default)]
struct Listeners(Vec<std::sync::Weak<Listener>>);

/// What [`Device::on_change`] calls with each change event.
pub type Listener = dyn Fn(&ChangeEvent) + Send + Sync;

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Listeners({})", self.0.len())
    }
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

/// An earlier pairing's shared space, kept read-only on this device after
/// unpairing (or after pairing with someone new): never synced, deleted by
/// the user alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveInfo {
    /// Opaque: names the archive on this device only.
    pub id: String,
    pub archived_at: Millis,
    /// Who was in the space (empty when its document cannot be read).
    pub members: Vec<Member>,
    /// Why its document cannot be read, if it cannot.
    pub unreadable: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Archived {
    archived_at: Millis,
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
                recovering: false,
            },
        };
        write_profile(&store, &profile)?;
        let mut device = Self::load(store, profile)?;
        // A shared space it cannot read is left as it is: the device opens.
        if device.doc.is_some() && device.unreadable.is_none() {
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
            recovering: true,
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
            unreadable: read.unreadable,
            doc: read.doc,
            couple_files: read.couple_files,
            private: read.private,
            private_files: read.private_files,
            damage: Vec::new(),
            on_save: OnSave::default(),
            listeners: Listeners::default(),
            cache_saved: None,
            from_cache: false,
        };
        device.note_damage(read.damage)?;
        device.use_read_cache();
        device.keep_read_model();
        if device.unreadable.is_some() {
            tracing::warn!("the shared space on disk cannot be read; the device opens without it");
        }
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

    /// Whether this device holds a shared space (readable or not).
    pub fn has_couple(&self) -> bool {
        self.doc.is_some()
    }

    /// Why the shared space on disk cannot be read, if it cannot.
    pub fn shared_unreadable(&self) -> Option<&str> {
        self.unreadable.as_deref()
    }

    pub fn doc(&self) -> Result<&CoupleDoc> {
        if let Some(reason) = &self.unreadable {
            return Err(CoreError::SharedUnreadable {
                reason: reason.clone(),
            });
        }
        self.doc.as_ref().ok_or(CoreError::NoCouple)
    }

    pub fn doc_mut(&mut self) -> Result<&mut CoupleDoc> {
        if let Some(reason) = &self.unreadable {
            return Err(CoreError::SharedUnreadable {
                reason: reason.clone(),
            });
        }
        self.doc.as_mut().ok_or(CoreError::NoCouple)
    }

    /// Files that could not be read back since this device was opened. Each
    /// was moved aside into `damaged/`; everything else was loaded, and the
    /// next sync asks the partner for whatever was lost.
    pub fn damage(&self) -> &[Damage] {
        &self.damage
    }

    /// Makes sure this device has a shared space of its own to invite into.
    /// Called by the inviting device only; the joiner receives the document
    /// instead. One couple, one space: a space that ever held another
    /// member (an earlier pairing), or that cannot be read, is archived
    /// first and a new one starts. A space only this member ever wrote in
    /// is kept.
    pub fn start_couple(&mut self) -> Result<()> {
        self.write(|device| {
            if device.doc.is_some() && !device.space_is_solo() {
                device.archive_now()?;
            }
            if device.doc.is_none() {
                let doc = CoupleDoc::create(&device.actor, &device.profile.name, now_millis())?
                    .as_member(device.profile.member());
                device.doc = Some(doc);
            }
            Ok(())
        })
    }

    /// Whether the shared space here only ever held this member.
    fn space_is_solo(&self) -> bool {
        self.unreadable.is_none()
            && self
                .doc
                .as_ref()
                .is_some_and(|d| d.members().iter().all(|m| m.id == d.me()))
    }

    /// Whether this device may adopt a partner's shared space. Always, once
    /// unpaired: whatever space it holds is archived (or, if it is an
    /// untouched skeleton left from showing an invite, dropped) first.
    pub fn can_join(&self) -> bool {
        true
    }

    /// An untouched skeleton: made for an invite, never shared, nothing in it
    /// but this member's own entry.
    fn holds_only_a_skeleton(&self) -> bool {
        match &self.doc {
            None => true,
            Some(_) if self.unreadable.is_some() => false,
            Some(doc) => {
                let s = doc.snapshot();
                s.members.iter().all(|m| m.id == doc.me())
                    && *s
                        == Snapshot {
                            members: s.members.clone(),
                            ..Snapshot::default()
                        }
            }
        }
    }

    /// Adopts the document the inviter sent during pairing and adds this
    /// partner's own member entry to it. Every change in it goes through the
    /// door as the partner's (`roster` names the inviter as partner). A
    /// space held here before is archived (an untouched invite skeleton is
    /// dropped), never merged with the new one: one couple, one space.
    /// The same space again (both chose to resume it) merges.
    pub fn join_couple(&mut self, document: &[u8], roster: &Roster) -> Result<()> {
        let door = Door::partner(roster.clone());
        self.write(|device| {
            let peeked = CoupleDoc::read_received(document, &device.actor)?;
            let same_space = device.unreadable.is_none()
                && device
                    .doc
                    .as_ref()
                    .and_then(|d| d.couple_id().ok())
                    .is_some_and(|id| peeked.couple_id().is_ok_and(|r| r == id));
            drop(peeked);
            if same_space {
                // Only what is new here goes through the door.
                device.doc_mut()?.merge_received(document, &door)?;
            } else {
                // A new space: every change in it is the inviter's, and it
                // is days old at most, so it is held to one sync message's
                // limits (the 64 MiB bound), not a file's.
                crate::sync_budget::precheck_document(document, crate::sync_budget::MESSAGE)?;
                let received = CoupleDoc::load_received(document, &device.actor, &door)?
                    .as_member(device.profile.member());
                if device.holds_only_a_skeleton() {
                    // The skeleton's files go first: a crash in between
                    // leaves no shared space (pairing is simply retried),
                    // never two spaces merged into one.
                    device.couple_files.remove_all()?;
                    device.forget_read_caches()?;
                } else {
                    device.archive_now()?;
                }
                device.doc = Some(received);
                device.unreadable = None;
            }
            let name = device.profile.name.clone();
            device.doc_mut()?.set_my_name(&name, now_millis())
        })
    }

    /// Moves the shared space aside into `archive/`, read-only, and leaves
    /// this device without one: after unpairing, nothing of it is ever sent
    /// to anyone again. The private space is untouched. Returns the
    /// archive's id, or `None` when there was no shared space.
    pub fn archive_couple(&mut self) -> Result<Option<String>> {
        let _lock = self.store.lock(files::DOCUMENT_LOCK)?;
        // What other processes saved goes into the archive too; a space
        // that cannot be read is archived as its files are.
        let _ = self.refresh_couple();
        self.archive_now()
    }

    /// [`Self::archive_couple`], with the document lock held.
    fn archive_now(&mut self) -> Result<Option<String>> {
        let couple_dir = self.store.path(files::COUPLE_DIR);
        let has_files = std::fs::read_dir(&couple_dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if self.doc.is_none() && !has_files {
            return Ok(None);
        }
        let id = hex::encode(rand::random::<[u8; 16]>());
        let archive = format!("{}/{id}", files::ARCHIVE_DIR);
        // The marker first: a crash before the move leaves an empty archive
        // (listed as unreadable), never a space in two places.
        let marker = serde_json::to_vec(&Archived {
            archived_at: now_millis(),
        })
        .expect("serialises");
        crate::storage::create_private_dir(&self.store.path(&archive))?;
        self.store
            .write(&format!("{archive}/{}", files::ARCHIVED), &marker)?;
        crate::storage::move_dir_durably(
            &couple_dir,
            &self.store.path(&format!("{archive}/{}", files::COUPLE_DIR)),
        )?;
        let (couple_files, _, _) =
            DocFiles::open(couple_dir, self.store.key(), self.actor.clone())?;
        let policy = self.couple_files.policy();
        self.couple_files = couple_files;
        self.couple_files.set_policy(policy);
        self.doc = None;
        self.unreadable = None;
        self.forget_read_caches()?;
        Ok(Some(id))
    }

    /// Removes the read-model caches of a shared space this device no
    /// longer holds: copies of its records must not outlive it beside the
    /// next one (nor a deleted archive).
    fn forget_read_caches(&mut self) -> Result<()> {
        self.store.remove(files::READ_CACHE)?;
        self.store.remove(files::FIRST_SCREEN)?;
        self.cache_saved = None;
        self.from_cache = false;
        Ok(())
    }

    /// The shared spaces of earlier pairings kept on this device, oldest first.
    pub fn archives(&self) -> Result<Vec<ArchiveInfo>> {
        let dir = self.store.path(files::ARCHIVE_DIR);
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(out);
        };
        for entry in entries.flatten() {
            let Some(id) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !is_archive_id(&id) {
                continue;
            }
            let archived_at = self
                .store
                .read(&format!("{}/{id}/{}", files::ARCHIVE_DIR, files::ARCHIVED))
                .ok()
                .flatten()
                .and_then(|b| serde_json::from_slice::<Archived>(&b).ok())
                .map_or(0, |a| a.archived_at);
            let (members, unreadable) = match self.open_archive(&id) {
                Ok(doc) => (doc.members(), None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            };
            out.push(ArchiveInfo {
                id,
                archived_at,
                members,
                unreadable,
            });
        }
        out.sort_by(|a, b| (a.archived_at, &a.id).cmp(&(b.archived_at, &b.id)));
        Ok(out)
    }

    /// An archived space, read-only: every view and export reads it like the
    /// live one. Nothing written to it is ever kept.
    pub fn open_archive(&self, id: &str) -> Result<CoupleDoc> {
        let dir = self.archive_dir(id)?.join(files::COUPLE_DIR);
        let (_, doc, _) = DocFiles::open(dir, self.store.key(), self.actor.clone())?;
        let doc = doc.ok_or_else(|| CoreError::UnknownId {
            kind: "archived space",
            id: id.to_owned(),
        })?;
        Ok(CoupleDoc::from_automerge(doc, &self.actor)?.as_member(self.profile.member()))
    }

    /// Deletes an archived space from this device, for good.
    pub fn delete_archive(&mut self, id: &str) -> Result<()> {
        let dir = self.archive_dir(id)?;
        let _lock = self.store.lock(files::DOCUMENT_LOCK)?;
        std::fs::remove_dir_all(&dir).map_err(|e| CoreError::io("remove", &dir, e))?;
        crate::storage::sync_parent(&dir)
    }

    fn archive_dir(&self, id: &str) -> Result<PathBuf> {
        let dir = self.store.path(&format!("{}/{id}", files::ARCHIVE_DIR));
        if !is_archive_id(id) || !dir.is_dir() {
            return Err(CoreError::UnknownId {
                kind: "archived space",
                id: id.to_owned(),
            });
        }
        Ok(dir)
    }

    /// Binds this device's actor to its member in the shared space, if it
    /// writes under an actor other than its member id (a device restored
    /// from a backup) and has not done so: `sign` signs with the device key
    /// `device_key` learnt by the partner at pairing. Returns whether it wrote.
    pub fn bind_actor(
        &mut self,
        device_key: &[u8; 32],
        sign: impl FnOnce(&[u8]) -> [u8; 64],
    ) -> Result<bool> {
        if self.doc.as_ref().is_none_or(CoupleDoc::actor_is_bound) {
            return Ok(false);
        }
        self.update(|doc, now| {
            let sig = sign(&doc.actor_binding_message(device_key)?);
            doc.bind_actor(device_key, &sig, now)
        })?;
        Ok(true)
    }

    /// The first sync after a restore is done: from now on the partner's
    /// device never brings changes in this member's name (see
    /// `Roster::recovering`).
    pub fn finish_recovery(&mut self) -> Result<()> {
        if !self.profile.recovering {
            return Ok(());
        }
        let mut profile = self.profile.clone();
        profile.recovering = false;
        write_profile(&self.store, &profile)?;
        self.profile = profile;
        Ok(())
    }

    /// Gives a device without a shared space one its caller built itself
    /// (benchmark fixtures): no door, so never for bytes from outside.
    #[doc(hidden)]
    pub fn adopt_trusted(&mut self, document: &[u8]) -> Result<()> {
        self.write(|device| {
            if device.doc.is_some() {
                return Err(CoreError::AlreadyInCouple);
            }
            let doc = CoupleDoc::load(document, &device.actor)?.as_member(device.profile.member());
            device.doc = Some(doc);
            Ok(())
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

    /// Prepares a summary for a therapist (see [`crate::views::summary`])
    /// and, in the same step, leaves its content-free trace in the shared
    /// space: a summary is never made behind the other partner's back. The
    /// private space is read only when entries of it are chosen.
    pub fn prepare_therapist_summary(
        &mut self,
        choice: &crate::views::SummaryChoice,
    ) -> Result<crate::views::RenderedSummary> {
        if choice.prepared_by != self.member_id() {
            return Err(CoreError::NotPermitted(
                "a summary is prepared by this device's own partner",
            ));
        }
        let private = if choice.private_entries.is_empty() {
            None
        } else {
            Some(self.private()?)
        };
        let rendered = self
            .doc()?
            .with_span(|span| crate::views::summary::prepare_in(span, private.as_ref(), choice))?;
        let trace = rendered.summary.trace();
        self.update(|doc, now| doc.record_summary_made(&trace, now))?;
        Ok(rendered)
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

    /// Like [`Self::update_private`], then saves the private document anew
    /// without its history and removes every older file of it: for edits
    /// and deletions, so that what was replaced or removed is gone from
    /// the data directory, not only from the current state. (A chunk would
    /// keep the old text in the change that wrote it.)
    pub fn update_private_forgetting<T>(
        &mut self,
        f: impl FnOnce(&mut PrivateDoc, Millis) -> Result<T>,
    ) -> Result<T> {
        let _lock = self.store.lock(files::DOCUMENT_LOCK)?;
        self.refresh_private()?;
        let private = match self.private.as_mut() {
            Some(p) => p,
            None => self.private.insert(PrivateDoc::new(&self.actor)?),
        };
        let now = now_millis();
        let out = f(private, now)?;
        // `compact` writes one snapshot and, once it is durable, removes
        // every other file of the document (all are known after the refresh).
        let saved = private.without_history(now).and_then(|mut fresh| {
            self.private_files.compact(fresh.automerge_mut())?;
            Ok(fresh)
        });
        match saved {
            Ok(fresh) => {
                self.private = Some(PrivateDoc::from_automerge(
                    fresh.into_automerge(),
                    &self.actor,
                ));
                Ok(out)
            }
            // Memory goes back to what is on disk, as after a failed save.
            Err(e) => {
                self.reread_from_disk();
                Err(e)
            }
        }
    }

    /// This device's private space (empty when never written).
    pub fn private(&self) -> Result<PrivateDoc> {
        match &self.private {
            Some(p) => Ok(p.clone()),
            None => PrivateDoc::new(&self.actor),
        }
    }

    /// How often, at most, this device's user lets the phone notify of the
    /// partner's changes (their private setting; see `notice_gate`).
    pub fn notice_interval(&self) -> crate::notice_gate::Interval {
        self.private
            .as_ref()
            .map(PrivateDoc::notice_interval)
            .unwrap_or_default()
    }

    /// Every record of the shared space, for the derived views: the read
    /// model, kept current at every write and receive.
    pub fn snapshot(&self) -> Result<std::sync::Arc<Snapshot>> {
        Ok(self.doc()?.snapshot())
    }

    /// One page of the timeline, newest first: the cost of the page, not
    /// of the history (the read model keeps where every entry sits).
    pub fn timeline(
        &self,
        filter: &crate::views::TimelineFilter,
    ) -> Result<crate::views::TimelinePage> {
        self.doc()?.timeline(filter)
    }

    /// The signs of progress as of `today` (this device's local day): the
    /// cost of the two periods compared, not of the history.
    pub fn signs_of_progress(&self, today: &str) -> Result<crate::views::Progress> {
        Ok(self.doc()?.signs_of_progress(today))
    }

    /// The counselling prompt this device's partner sees today, in the words
    /// of `messages`, if anything calls for one.
    pub fn counselling_prompt(
        &self,
        today: &str,
        messages: &crate::i18n::Messages,
    ) -> Result<Option<crate::views::CounsellingPrompt>> {
        Ok(self
            .doc()?
            .counselling_prompt(today, self.member_id(), messages))
    }

    /// The weekly trend bands, kept with the read model: the cost of the
    /// weeks, not of every check-in.
    pub fn weekly_bands(&self) -> Result<Vec<crate::views::WeeklyBand>> {
        Ok(self.doc()?.weekly_bands())
    }

    /// Calls `listener` with every change to the shared space from here on:
    /// each write, each receive, and what other processes saved, one event
    /// each. Held weakly: dropping the `Arc` ends the subscription. It runs
    /// under the device lock, so it must only record or signal.
    pub fn on_change(&mut self, listener: &std::sync::Arc<Listener>) {
        // Whatever happened before the subscription is not news to it.
        self.tell_changes();
        self.listeners.0.push(std::sync::Arc::downgrade(listener));
    }

    /// Tells the listeners of changes made in memory without a write (a
    /// receive not yet persisted, say); `persist` does this too.
    pub fn announce_changes(&mut self) {
        self.keep_read_model();
        self.tell_changes();
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
        self.refresh_private()?;
        self.tell_changes();
        Ok(())
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
        // Even a space this app cannot read is standard Automerge: another
        // tool (or a newer app) may read it.
        match self.doc.as_mut() {
            Some(doc) => Ok(doc.save()),
            None => Err(CoreError::NoCouple),
        }
    }

    /// An archived space as a standard Automerge binary (see [`Self::export_automerge`]).
    pub fn export_archive_automerge(&self, id: &str) -> Result<Vec<u8>> {
        Ok(self.open_archive(id)?.save())
    }

    /// Every record of the shared space as readable JSON, and with
    /// `include_private` this device's journal and notes too.
    pub fn export_json(&mut self, include_private: bool) -> Result<String> {
        self.reload()?;
        let shared = match (&self.unreadable, &self.doc) {
            // What is readable still goes out: the private space, and why
            // the shared one does not.
            (Some(reason), _) => serde_json::json!({ "unreadable": reason }),
            (None, Some(doc)) => shared_json(doc)?,
            (None, None) => return Err(CoreError::NoCouple),
        };
        self.export_json_with(shared, include_private)
    }

    /// An archived space as readable JSON (see [`Self::export_json`]).
    pub fn export_archive_json(&self, id: &str, include_private: bool) -> Result<String> {
        let shared = shared_json(&self.open_archive(id)?)?;
        self.export_json_with(shared, include_private)
    }

    fn export_json_with(&self, shared: serde_json::Value, include_private: bool) -> Result<String> {
        let mut out = serde_json::json!({
            "format": "kintsugi-export",
            "version": 1,
            "exported_at": now_millis(),
            "exported_by": self.profile.actor_id,
        });
        for key in ["couple_id", "schema_version"] {
            if let Some(v) = shared.get(key) {
                out[key] = v.clone();
            }
        }
        out["shared"] = shared.get("records").cloned().unwrap_or(shared);
        if include_private {
            let private = self.private()?;
            out["private"] = serde_json::json!({
                "journal": private.journal(),
                "notes": private.notes(),
                "settings": {
                    "notice_interval_minutes": private.notice_interval().get(),
                },
            });
        }
        Ok(serde_json::to_string_pretty(&out).expect("records serialise"))
    }

    /// Merges an exported Automerge document of this couple's shared space
    /// into this device's, durably. A document of another couple is refused.
    /// A device without a shared space (say, its snapshot was damaged)
    /// takes the document back whole, if this device is a member of it.
    /// Every change goes through the door: only members of `roster` write,
    /// each only what is theirs, so an edited export cannot erase or retype
    /// anything.
    pub fn import_automerge(&mut self, bytes: &[u8], roster: &Roster) -> Result<ImportReport> {
        self.merge_from_outside(bytes, &Door::import(roster.clone()))
    }

    /// Takes in a document the partner's device made (the shared history of
    /// a backup the partner made readable to this device): like an import,
    /// but only the partner's changes are admitted, as over sync.
    pub fn absorb_automerge(&mut self, bytes: &[u8], roster: &Roster) -> Result<ImportReport> {
        if roster.partner().is_none() {
            return Err(CoreError::NotPermitted(
                "only a paired device takes in its partner's history",
            ));
        }
        self.merge_from_outside(bytes, &Door::partner(roster.clone()))
    }

    fn merge_from_outside(&mut self, bytes: &[u8], door: &Door) -> Result<ImportReport> {
        // A device without a shared space takes the whole document, so all
        // of it goes through the door; otherwise only what is new to this
        // device does (in `merge_received`), and the document is only read.
        let incoming = if self.doc.is_none() {
            CoupleDoc::load_received(bytes, &self.actor, door)
        } else {
            CoupleDoc::read_received(bytes, &self.actor)
        };
        let mut incoming = incoming
            .map(|d| d.as_member(self.profile.member()))
            .map_err(|e| CoreError::InvalidValue {
                field: "imported document",
                reason: match e {
                    // The budget's reason, without "your partner's device sent".
                    CoreError::InvalidSyncMessage(why) => format!("refused: {why}"),
                    CoreError::Refused(refusal) => format!("refused: {refusal}"),
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
            doc.merge_received(bytes, door)
                .map_err(|e| match (e, door.source) {
                    (CoreError::Refused(refusal), crate::door::Source::Import) => {
                        CoreError::InvalidValue {
                            field: "imported document",
                            reason: format!("refused: {refusal}"),
                        }
                    }
                    (e, _) => e,
                })?;
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
        let had_space = self.doc.is_some();
        let out = f(self)?;
        if !had_space && let Some(doc) = self.doc.as_mut() {
            // A space made, joined or imported here: all of it is news.
            doc.build_read_model_from_empty();
        }
        if let Some(doc) = self.doc.as_mut() {
            if let Err(e) = self.couple_files.save(doc.automerge_mut()) {
                self.reread_from_disk();
                return Err(e);
            }
            if let Some(hook) = &self.on_save.0 {
                hook();
            }
        }
        self.keep_read_model();
        self.tell_changes();
        Ok(out)
    }

    /// Keeps the read model of a readable shared space built and current.
    /// Takes the read model from the cache when it was built from exactly
    /// the files and heads just loaded; otherwise leaves it to be read from
    /// the document.
    fn use_read_cache(&mut self) {
        if self.unreadable.is_some() || self.doc.is_none() {
            return;
        }
        let cached = match self.store.read(files::READ_CACHE) {
            Ok(Some(bytes)) => crate::read_cache::decode::<Snapshot>(&bytes),
            Ok(None) => return,
            Err(e) => Err(e),
        };
        let cached = match cached {
            Ok(cached) => cached,
            Err(e) => {
                tracing::debug!("read-model cache ignored: {e}");
                return;
            }
        };
        if cached.files != self.couple_files.names() {
            tracing::debug!("read-model cache ignored: built from other document files");
            return;
        }
        // Without its first-screen part the cache is saved again at close.
        let whole = self.store.path(files::FIRST_SCREEN).exists();
        let saved = (cached.files, cached.heads.clone());
        if let Some(doc) = self.doc.as_mut()
            && doc.adopt_read_model(cached.snapshot, cached.heads)
        {
            self.cache_saved = whole.then_some(saved);
            self.from_cache = true;
        }
    }

    /// Whether this open took the read model from the saved cache rather
    /// than reading every record out of the document.
    pub fn opened_from_cache(&self) -> bool {
        self.from_cache
    }

    /// Saves the read model beside the document, so the next open need not
    /// read every record again: when it is current and differs from the
    /// saved one. Done when the device is dropped; an app may also call it
    /// when it goes to the background.
    pub fn save_read_cache(&mut self) -> Result<()> {
        self.save_cache(true)
    }

    /// [`Self::save_read_cache`]; without `wait`, skipped when another
    /// holds the document lock (a drop must never wait on it: the dropping
    /// thread may hold it itself).
    fn save_cache(&mut self, wait: bool) -> Result<()> {
        if self.unreadable.is_some() {
            return Ok(());
        }
        let Some((snapshot, heads)) = self.doc.as_mut().and_then(CoupleDoc::current_model) else {
            return Ok(());
        };
        let names = self.couple_files.names();
        if self
            .cache_saved
            .as_ref()
            .is_some_and(|(f, h)| *f == names && *h == heads)
        {
            return Ok(());
        }
        // Under the document lock, and only while the device key is there:
        // a wipe (which takes the lock) is never followed by a cache, nor
        // by a lock file.
        if !self.store.path(files::KEY).exists() {
            return Ok(());
        }
        let _lock = if wait {
            self.store.lock(files::DOCUMENT_LOCK)?
        } else {
            match self.store.try_lock(files::DOCUMENT_LOCK)? {
                Some(lock) => lock,
                None => return Ok(()),
            }
        };
        if !self.store.path(files::KEY).exists() {
            return Ok(());
        }
        // The first screen's part first: it is what the next open shows.
        if let Some(doc) = self.doc.as_ref()
            && let Some(front) = doc.front(FIRST_SCREEN_ENTRIES)
        {
            let saved = crate::first_screen::Saved {
                front,
                bands: doc.weekly_bands(),
            };
            let bytes = crate::read_cache::encode(&saved, &names, &heads)?;
            self.store.write(files::FIRST_SCREEN, &bytes)?;
        }
        let bytes = crate::read_cache::encode(&*snapshot, &names, &heads)?;
        self.store.write(files::READ_CACHE, &bytes)?;
        self.cache_saved = Some((names, heads));
        Ok(())
    }

    fn keep_read_model(&mut self) {
        if self.unreadable.is_none()
            && let Some(doc) = self.doc.as_mut()
        {
            doc.build_read_model();
        }
    }

    /// Hands what changed since the last time to every listener.
    fn tell_changes(&mut self) {
        let Some(event) = self.doc.as_mut().and_then(CoupleDoc::take_change_event) else {
            return;
        };
        self.listeners.0.retain(|l| l.strong_count() > 0);
        for listener in &self.listeners.0 {
            if let Some(listener) = listener.upgrade() {
                listener(&event);
            }
        }
    }

    fn refresh_couple(&mut self) -> Result<()> {
        // The check-in index checks its heads before use, and the read model
        // catches up from the patch log (or reads again when the log does
        // not start where it stands): carrying both over is always safe,
        // and saves a scan when nothing new was on disk.
        let kept = self.doc.as_mut().map(CoupleDoc::take_derived);
        let mut am = self.doc.take().map(CoupleDoc::into_automerge);
        let damage = self.couple_files.refresh(&mut am);
        self.doc = am.map(|am| CoupleDoc::wrap(am, &self.actor).as_member(self.profile.member()));
        if let (Some(doc), Some(kept)) = (self.doc.as_mut(), kept) {
            doc.put_derived(kept);
        }
        self.unreadable = self
            .doc
            .as_ref()
            .and_then(|d| d.check_readable().err())
            .map(|e| e.to_string());
        self.keep_read_model();
        self.note_damage(damage?)
    }

    fn refresh_private(&mut self) -> Result<()> {
        let mut am = self.private.take().map(PrivateDoc::into_automerge);
        // Whole, never merged: another process may have rewritten it
        // without history (`update_private_forgetting`).
        let damage = self.private_files.refresh_whole(&mut am);
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
        self.unreadable = read.unreadable;
        self.private = read.private;
        self.keep_read_model();
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
    unreadable: Option<String>,
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
        let doc = couple.map(|am| CoupleDoc::wrap(am, actor).as_member(member));
        let unreadable = doc
            .as_ref()
            .and_then(|d| d.check_readable().err())
            .map(|e| e.to_string());
        Ok(OnDisk {
            couple_files,
            doc,
            unreadable,
            private_files,
            private: private.map(|am| PrivateDoc::from_automerge(am, actor)),
            damage,
        })
    }
}

/// One space's part of an export: its ids and every record.
fn shared_json(doc: &CoupleDoc) -> Result<serde_json::Value> {
    Ok(serde_json::json!({
        "couple_id": doc.couple_id()?,
        "schema_version": doc.schema_version()?,
        "records": doc.snapshot().as_ref(),
    }))
}

/// Archive ids are 32 lowercase hex digits (never a path).
fn is_archive_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub(crate) fn read_profile(store: &Store) -> Result<Option<DeviceProfile>> {
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

    /// What pairing tells each device: who the partner is.
    fn roster(me: &Device, partner: &Device) -> Roster {
        Roster::new(crate::door::RosterMember::new(me.member_id()))
            .with_partner(crate::door::RosterMember::new(partner.member_id()))
    }

    fn notes(device: &Device) -> Vec<String> {
        let mut notes: Vec<String> = device
            .doc()
            .unwrap()
            .snapshot()
            .agreements
            .clone()
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
    fn another_processs_changes_reach_the_read_model_and_its_event() {
        let tmp = tempfile::tempdir().unwrap();
        let mut first = couple(tmp.path());
        first.record_checkin(&checkin("before")).unwrap();
        let inbox = crate::ChangeInbox::subscribe(&mut first, || {});
        // Another process (say `kintsugi serve`) writes to the same directory.
        let mut second = Device::open(tmp.path(), &key()).unwrap();
        second.propose_agreement("Sunday walks").unwrap();
        drop(second);
        first.reload().unwrap();
        let fresh = first.doc().unwrap().read_snapshot();
        assert_eq!(*first.snapshot().unwrap(), fresh);
        assert_eq!(fresh.agreements.len(), 1);
        let event = inbox.take().expect("the other process's change is news");
        assert_eq!(event.kinds(), vec![crate::views::RecordKind::Agreement]);
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
        ben.join_couple(&ana.export_automerge().unwrap(), &roster(&ben, &ana))
            .unwrap();
        ana.import_automerge(&ben.export_automerge().unwrap(), &roster(&ana, &ben))
            .unwrap();
        ana.propose_agreement("Sunday walks").unwrap();
        ben.import_automerge(&ana.export_automerge().unwrap(), &roster(&ben, &ana))
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
        let mut stranger = couple(&tmp.path().join("stranger"));
        let theirs = stranger.export_automerge().unwrap();
        assert!(
            ana.import_automerge(&theirs, &roster(&ana, &stranger))
                .is_err()
        );
        // ...but Ben's copy, which holds Ana as a member, restores hers, and
        // her own change that waited for the lost snapshot comes back too.
        ana.import_automerge(&ben.export_automerge().unwrap(), &roster(&ana, &ben))
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
    fn the_notice_interval_is_private_kept_and_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let mut ana = couple(&tmp.path().join("ana"));
        assert_eq!(ana.notice_interval().get(), 15, "the default");
        ana.update_private(|p, now| p.set_notice_interval(90, now))
            .unwrap();
        assert!(
            ana.update_private(|p, now| p.set_notice_interval(0, now))
                .is_err()
        );
        assert!(
            ana.update_private(|p, now| p.set_notice_interval(1441, now))
                .is_err()
        );
        // Kept across a restart, in the private document.
        let mut reopened = Device::open(tmp.path().join("ana"), &key()).unwrap();
        assert_eq!(reopened.notice_interval().get(), 90);
        // Not in the shared space, nor in an export without the private part.
        let shared = serde_json::to_string(&reopened.snapshot().unwrap()).unwrap();
        assert!(!shared.contains("interval"), "{shared}");
        let plain = reopened.export_json(false).unwrap();
        assert!(!plain.contains("notice_interval"), "{plain}");
        let private: serde_json::Value =
            serde_json::from_str(&reopened.export_json(true).unwrap()).unwrap();
        assert_eq!(
            private["private"]["settings"]["notice_interval_minutes"],
            90
        );
        let exported = reopened.export_automerge().unwrap();
        let plain_doc = automerge::AutoCommit::load(&exported).unwrap();
        assert!(
            automerge::ReadDoc::get(&plain_doc, automerge::ROOT, "notice_interval_minutes")
                .unwrap()
                .is_none()
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
        copy.join_couple(&exported, &roster(&copy, &ana)).unwrap();
        ana.propose_agreement("Phones away at dinner").unwrap();
        let report = copy
            .import_automerge(&ana.export_automerge().unwrap(), &roster(&copy, &ana))
            .unwrap();
        assert!(report.new_changes >= 1);
        assert_eq!(notes(&Device::open(&copy_dir, &key()).unwrap()).len(), 2);

        let json: serde_json::Value =
            serde_json::from_str(&ana.export_json(false).unwrap()).unwrap();
        assert_eq!(json["shared"]["agreements"].as_array().unwrap().len(), 2);
        assert!(json.get("private").is_none());

        let mut stranger = couple(&tmp.path().join("stranger"));
        let door = roster(&stranger, &ana);
        assert!(matches!(
            stranger.import_automerge(&exported, &door),
            Err(CoreError::InvalidValue { .. })
        ));
        assert!(stranger.import_automerge(b"not automerge", &door).is_err());
        assert!(notes(&stranger).is_empty());
    }

    #[test]
    fn a_shared_space_it_cannot_read_never_locks_the_user_out() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let mut device = couple(&dir);
        device.record_checkin(&checkin("before")).unwrap();
        device
            .update_private(|p, now| p.write_journal("still mine", now))
            .unwrap();
        // Whatever put it there (an older app, a file from elsewhere), the
        // shared document on disk now claims a schema this app does not know.
        device
            .update(|doc, _| {
                use automerge::transaction::Transactable;
                doc.automerge_mut()
                    .put(automerge::ROOT, "schema_version", 99u64)?;
                doc.automerge_mut().commit();
                Ok(())
            })
            .unwrap();
        drop(device);

        // Opened as the apps open it (init renames), and as the CLI does.
        assert!(Device::init(&dir, "Ana", &key()).is_ok());
        let mut device = Device::open(&dir, &key()).unwrap();
        assert!(device.shared_unreadable().unwrap().contains("99"));
        assert!(matches!(
            device.checkins(),
            Err(CoreError::SharedUnreadable { .. })
        ));
        // The private space works, reading and writing.
        device
            .update_private(|p, now| p.write_journal("and this", now))
            .unwrap();
        assert_eq!(device.private().unwrap().journal().len(), 2);
        // What is readable can be exported, the shared space as the reason.
        let exported: serde_json::Value =
            serde_json::from_str(&device.export_json(true).unwrap()).unwrap();
        assert!(exported["shared"]["unreadable"].is_string());
        assert_eq!(exported["private"]["journal"].as_array().unwrap().len(), 2);
        assert!(!device.export_automerge().unwrap().is_empty());
        // Leaving sets the unreadable space aside, files and all; a new
        // space can start.
        let archived = device.archive_couple().unwrap().unwrap();
        assert!(device.shared_unreadable().is_none());
        assert!(
            !device.archives().unwrap()[0]
                .unreadable
                .as_ref()
                .unwrap()
                .is_empty()
        );
        device.start_couple().unwrap();
        device.record_checkin(&checkin("after")).unwrap();
        assert_eq!(device.archives().unwrap()[0].id, archived);
        drop(device);
        // And wipe needs nothing from it.
        assert!(Device::wipe(&dir).unwrap().left.is_empty());
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
