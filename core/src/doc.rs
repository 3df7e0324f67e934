//! The couple's shared Automerge document: its schema, migration, and the
//! rules every record family shares. The families' operations live in `ops/`.
//!
//! Layout (schema version 2, see docs/data-model.md):
//!
//! ```text
//! ROOT
//!   schema_version, couple_id, created_at, created_by
//!   members | agreements | offers | checkins | requests | disclosures | questions
//!   | triggers | appreciations | together | phase_changes | surveys | commitments
//!       each a map: record id -> record map
//! ```
//!
//! Records live in maps keyed by random ids, never in lists. A record's author
//! creates every container inside it when creating it, so two phones never
//! race to create the same container. Root maps come from the inviter
//! ([`CoupleDoc::create`]); a migration adds the ones a newer schema needs,
//! and [`CoupleDoc::heal`] folds together root maps two devices created
//! concurrently.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};

use crate::am::{Obj, deep_copy};
use crate::door::{Door, Source};
use crate::error::{CoreError, Result};
use crate::model::{Millis, Revision, Role};
use crate::validate;

/// The schema version this build writes and fully understands.
pub const SCHEMA_VERSION: u64 = 2;

pub(crate) const MEMBERS: &str = "members";
pub(crate) const AGREEMENTS: &str = "agreements";
pub(crate) const OFFERS: &str = "offers";
pub(crate) const CHECKINS: &str = "checkins";
pub(crate) const REQUESTS: &str = "requests";
pub(crate) const DISCLOSURES: &str = "disclosures";
pub(crate) const QUESTIONS: &str = "questions";
pub(crate) const TRIGGERS: &str = "triggers";
pub(crate) const APPRECIATIONS: &str = "appreciations";
pub(crate) const TOGETHER: &str = "together";
pub(crate) const PHASE_CHANGES: &str = "phase_changes";
pub(crate) const SURVEYS: &str = "surveys";
pub(crate) const COMMITMENTS: &str = "commitments";
/// Actors bound to members after pairing (a restored device's new actor),
/// see `door::binding`. Created with the space; older spaces get it from
/// whoever first needs it.
pub(crate) const DEVICES: &str = "devices";

/// Every root map, in the order the inviter creates them.
pub(crate) const ROOT_MAPS: &[&str] = &[
    MEMBERS,
    AGREEMENTS,
    OFFERS,
    CHECKINS,
    REQUESTS,
    DISCLOSURES,
    QUESTIONS,
    TRIGGERS,
    APPRECIATIONS,
    TOGETHER,
    PHASE_CHANGES,
    SURVEYS,
    COMMITMENTS,
];

/// The shared document plus the identity of the partner editing it here.
pub struct CoupleDoc {
    pub(crate) doc: AutoCommit,
    pub(crate) me: String,
    /// This partner's check-ins by day, valid at the heads it holds: finding
    /// today's check-in among 7,000 by reading fields costs ~70 ms on the
    /// 10-year document, while a day's second check-in must revise the first.
    pub(crate) my_checkin_days: Option<CheckinDays>,
    /// The read model the views read, kept current from patches.
    pub(crate) read: crate::read::ReadModel,
    /// Whether `read` stands at the document's heads (false once someone
    /// may have changed the document behind it, until the next catch-up).
    pub(crate) read_current: bool,
    /// What changed since the last change event was taken.
    pub(crate) pending: Option<crate::read::ChangeEvent>,
    /// The heads at the last catch-up: the read model's changes start here.
    pub(crate) caught_up: Vec<ChangeHash>,
    /// Where the objects seen since the open sit (see `read`).
    pub(crate) placed: std::collections::HashMap<crate::read::OpKey, crate::read::Place>,
    /// Whether the document was found at this schema: a version only ever
    /// rises, so every later write skips the check.
    pub(crate) schema_current: bool,
}

/// Which check-in (id) this partner recorded on each day, at given heads.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckinDays {
    pub(crate) heads: Vec<ChangeHash>,
    pub(crate) by_day: std::collections::HashMap<String, String>,
}

impl std::fmt::Debug for CoupleDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoupleDoc")
            .field("me", &self.me)
            .finish_non_exhaustive()
    }
}

impl CoupleDoc {
    /// Creates the skeleton of a new shared space. Only the inviting device calls this.
    pub fn create(actor: &ActorId, my_name: &str, now: Millis) -> Result<Self> {
        let name = validate::text("name", my_name, validate::MAX_NAME_CHARS)?;
        let mut doc = AutoCommit::new().with_actor(actor.clone());
        let me = actor.to_hex_string();
        doc.put(ROOT, "schema_version", SCHEMA_VERSION)?;
        doc.put(ROOT, "couple_id", uuid::Uuid::new_v4().simple().to_string())?;
        doc.put(ROOT, "created_at", now)?;
        doc.put(ROOT, "created_by", me.as_str())?;
        for map in ROOT_MAPS {
            doc.put_object(ROOT, *map, ObjType::Map)?;
        }
        doc.put_object(ROOT, DEVICES, ObjType::Map)?;
        let mut this = CoupleDoc {
            doc,
            me,
            my_checkin_days: None,
            read: Default::default(),
            read_current: false,
            pending: None,
            schema_current: false,
            // Nothing is caught up yet: the first catch-up sees every change.
            caught_up: Vec::new(),
            placed: Default::default(),
        };
        this.put_member(&name, now)?;
        this.commit("create shared space", now);
        Ok(this)
    }

    /// Loads a document received from the partner or read from disk, editing it as `actor`.
    pub fn load(bytes: &[u8], actor: &ActorId) -> Result<Self> {
        Self::from_automerge(AutoCommit::load(bytes)?, actor)
    }

    /// Loads a document that came from outside this device (the inviter's at
    /// pairing, a file to import): within the sync message budget
    /// ([`crate::precheck_document`]) before Automerge reads it, with
    /// Automerge's panics on hostile input refused, not raised, and every
    /// change in it through `door` (as new to an empty document).
    pub fn load_received(bytes: &[u8], actor: &ActorId, door: &Door) -> Result<Self> {
        crate::sync_budget::precheck_document(bytes, crate::sync_budget::DOCUMENT)?;
        let mut loaded = std::panic::catch_unwind(|| AutoCommit::load(bytes))
            .map_err(|_| CoreError::InvalidSyncMessage("Automerge failed loading it".into()))??;
        let changes = loaded.get_changes(&[]);
        admit(&AutoCommit::new(), &changes, door, actor)?;
        Self::from_automerge(loaded, actor)
    }

    /// Reads a document that came from outside, within the budget and with
    /// Automerge's panics refused, but without the door: only to look at it
    /// (its couple id) before merging what is new through the door.
    pub(crate) fn read_received(bytes: &[u8], actor: &ActorId) -> Result<Self> {
        crate::sync_budget::precheck_document(bytes, crate::sync_budget::DOCUMENT)?;
        let loaded = std::panic::catch_unwind(|| AutoCommit::load(bytes))
            .map_err(|_| CoreError::InvalidSyncMessage("Automerge failed loading it".into()))??;
        Self::from_automerge(loaded, actor)
    }

    /// Merges a document that came from outside, checked as in
    /// [`Self::load_received`]. The document is read on its own, only the
    /// changes new here are kept from it (it is dropped before they are
    /// applied), and those go through the door before any is applied: a
    /// panic inside Automerge while reading it or a change the door refuses
    /// leaves this document as it was, and this document is never copied.
    /// Returns how many changes were applied.
    pub fn merge_received(&mut self, bytes: &[u8], door: &Door) -> Result<usize> {
        crate::sync_budget::precheck_document(bytes, crate::sync_budget::DOCUMENT)?;
        let new = {
            let mut incoming =
                std::panic::catch_unwind(|| AutoCommit::load(bytes)).map_err(|_| {
                    CoreError::InvalidSyncMessage("Automerge failed reading it".into())
                })??;
            self.new_in(&mut incoming)
        };
        self.receive_changes(new, crate::now_millis(), door)
    }

    /// Takes in changes from a file (a bundle's, or those new in a document
    /// read apart): every one through the door before any is applied, then
    /// applied in parts within the sending limits, so the peak follows a
    /// part and not the file. Every dependency must be here or among them.
    /// Returns how many changes were new.
    pub fn receive_changes(
        &mut self,
        changes: Vec<automerge::Change>,
        now: Millis,
        door: &Door,
    ) -> Result<usize> {
        let new: Vec<automerge::Change> = changes
            .into_iter()
            .filter(|c| self.doc.get_change_meta_by_hash(&c.hash()).is_none())
            .collect();
        if new.is_empty() {
            return Ok(0);
        }
        // Each change on its own within one message's limits, so each part
        // applied below stays within them.
        for change in &new {
            let cost = crate::sync_budget::chunk_cost(change.raw_bytes())?;
            if !cost.fits(&crate::sync_budget::MESSAGE) {
                return Err(CoreError::InvalidSyncMessage(format!(
                    "a change of {} operations, more than one message takes",
                    cost.ops
                )));
            }
        }
        if new.iter().any(|c| c.max_op() > u64::from(u32::MAX)) {
            // Automerge panics applying these (found by fuzzing).
            return Err(CoreError::InvalidSyncMessage(
                "a change numbering operations past 2^32".into(),
            ));
        }
        if !self.complete(&new) {
            return Err(CoreError::InvalidSyncMessage(
                "changes whose earlier history is neither here nor with them".into(),
            ));
        }
        admit(&self.doc, &new, door, self.doc.get_actor())?;
        let count = new.len();
        let limits = crate::sync_send::SEND;
        let mut part = Vec::new();
        let mut spent = crate::SyncMessageCost::within(limits);
        for change in new {
            let cost = crate::sync_budget::chunk_cost(change.raw_bytes())?;
            let mut next = spent;
            next.add(&cost);
            if !part.is_empty() && !next.fits(&limits) {
                self.apply_admitted(std::mem::take(&mut part), now)?;
                next = crate::SyncMessageCost::within(limits);
                next.add(&cost);
            }
            spent = next;
            part.push(change);
        }
        self.apply_admitted(part, now)?;
        Ok(count)
    }

    /// Applies changes the door admitted, then folds together containers
    /// both phones created while apart.
    fn apply_admitted(&mut self, changes: Vec<automerge::Change>, now: Millis) -> Result<()> {
        use automerge::sync::SyncDoc;
        if changes.is_empty() {
            return Ok(());
        }
        let message = automerge::sync::Message {
            heads: Vec::new(),
            need: Vec::new(),
            have: Vec::new(),
            changes: automerge::sync::ChunkList::from(
                changes
                    .iter()
                    .map(|c| c.raw_bytes().to_vec())
                    .collect::<Vec<_>>(),
            ),
            flags: None,
            version: automerge::sync::MessageVersion::V1,
        };
        drop(changes);
        self.doc
            .sync()
            .receive_sync_message(&mut automerge::sync::State::new(), message)?;
        let made = self.catch_up();
        self.heal_from(&made, now)
    }

    /// The changes of `other` (a whole document read on its own) this
    /// document does not hold, each after its dependencies.
    fn new_in(&mut self, other: &mut AutoCommit) -> Vec<automerge::Change> {
        // Everything behind a head of ours that `other` knows is here.
        let ours: Vec<ChangeHash> = self
            .doc
            .get_heads()
            .into_iter()
            .filter(|h| other.get_change_meta_by_hash(h).is_some())
            .collect();
        other
            .get_changes(&ours)
            .into_iter()
            .filter(|c| self.doc.get_change_meta_by_hash(&c.hash()).is_none())
            .collect()
    }

    /// Wraps a loaded Automerge document, checking it is one this app can read.
    pub(crate) fn from_automerge(doc: AutoCommit, actor: &ActorId) -> Result<Self> {
        let this = Self::wrap(doc, actor);
        this.check_readable()?;
        Ok(this)
    }

    /// Wraps a loaded Automerge document without looking into it.
    pub(crate) fn wrap(doc: AutoCommit, actor: &ActorId) -> Self {
        let mut doc = doc.with_actor(actor.clone());
        // The read model follows changes by their operations (see `read`),
        // not by Automerge's patch log, whose patches each cost a walk of
        // the root map they are in.
        doc.reset_diff_cursor();
        CoupleDoc {
            caught_up: doc.get_heads(),
            placed: Default::default(),
            doc,
            my_checkin_days: None,
            me: actor.to_hex_string(),
            read: Default::default(),
            read_current: false,
            pending: None,
            schema_current: false,
        }
    }

    /// Whether this app can read the document: a schema it knows, a root
    /// it can find its way in.
    pub(crate) fn check_readable(&self) -> Result<()> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(CoreError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        self.couple_id()?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<u64> {
        match self.doc.get(ROOT, "schema_version")? {
            Some((v, _)) => v
                .as_u64()
                .ok_or_else(|| CoreError::Malformed("schema_version is not a number".into())),
            None => Err(CoreError::Malformed("no schema_version".into())),
        }
    }

    /// Brings a document written by an older version up to this schema.
    /// Version 1 (the walking skeleton) had members, agreements and
    /// check-ins only: the other root maps are added, old records keep their
    /// shape and are read as before. Runs before the first write of a newer
    /// app; readers never need it.
    pub fn migrate(&mut self, now: Millis) -> Result<bool> {
        if self.schema_current {
            return Ok(false);
        }
        if self.schema_version()? >= SCHEMA_VERSION {
            self.schema_current = true;
            return Ok(false);
        }
        // Only the space's creator migrates: two devices migrating apart
        // would each create the new root maps, and every device's door
        // refuses a root map from anyone but the creator (see `door`).
        if Obj::new(&self.doc, ROOT).str("created_by").as_deref() != Some(self.me.as_str()) {
            return Ok(false);
        }
        for map in ROOT_MAPS {
            if self.root_id(map).is_none() {
                self.doc.put_object(ROOT, *map, ObjType::Map)?;
            }
        }
        self.doc.put(ROOT, "schema_version", SCHEMA_VERSION)?;
        self.commit("migrate to schema 2", now);
        self.schema_current = true;
        Ok(true)
    }

    /// Folds together containers that two devices created concurrently at
    /// the same key (e.g. both migrated an old document while apart):
    /// Automerge keeps one and hides the other, so records in the hidden one
    /// are copied into the visible one. Returns how many records were copied.
    pub fn heal(&mut self, now: Millis) -> Result<usize> {
        let mut copied = 0;
        for map in ROOT_MAPS {
            copied += self.heal_key(&ROOT, map)?;
            if let Some(root) = self.root_id(map) {
                // One level down: containers inside records.
                let records: Vec<String> = self.doc.keys(&root).collect();
                for record in records {
                    if let Some((Value::Object(ObjType::Map), rec)) =
                        self.doc.get(&root, record.as_str())?
                    {
                        let fields: Vec<String> = self.doc.keys(&rec).collect();
                        for field in fields {
                            copied += self.heal_key(&rec, &field)?;
                        }
                    }
                }
            }
        }
        if copied > 0 {
            self.commit("merge concurrently created containers", now);
        }
        Ok(copied)
    }

    /// Applies one of the partner's Automerge sync messages and heals only
    /// where the changes it brought meet a concurrent container: the cost
    /// follows the size of the message, not of the document (a full `heal`
    /// walks every record, 400 ms at ten years). Returns how many changes
    /// were new.
    ///
    /// Refused, with the document and `state` left exactly as they were: a
    /// message bringing a new change under this device's own actor id
    /// ([`CoreError::ForgedActor`]; a change of ours that we already hold is
    /// a harmless duplicate and passes), one `door` refuses
    /// ([`CoreError::Refused`]: an actor not bound to the partner, a change
    /// to the root, a record deleted or replaced, another member's record
    /// edited, a field of the wrong type), one whose summary Automerge would
    /// fail on when answering ([`CoreError::InvalidSyncMessage`]), and one
    /// Automerge cannot read or apply (its error; the panics fuzzing found it
    /// raising on such changes are caught where that is safe, and refused as
    /// [`CoreError::InvalidSyncMessage`]).
    pub fn receive_sync_message(
        &mut self,
        state: &mut automerge::sync::State,
        message: automerge::sync::Message,
        now: Millis,
        door: &Door,
    ) -> Result<usize> {
        check_sync_message(&message)?;
        let mut message = message;
        // Each change on its own, a whole document read apart (what is new
        // in it): the door then reads every change before anything is
        // applied, and this document is never copied for it.
        let single = self.incoming_changes(&message)?.map(|changes| {
            // What we already hold is a harmless duplicate.
            changes
                .into_iter()
                .filter(|c| self.doc.get_change_meta_by_hash(&c.hash()).is_none())
                .collect::<Vec<_>>()
        });
        if let Some(changes) = &single {
            message.changes = automerge::sync::ChunkList::from(
                changes
                    .iter()
                    .map(|c| c.raw_bytes().to_vec())
                    .collect::<Vec<_>>(),
            );
        }
        if message.changes.is_empty() {
            // Heads, needs and Bloom filters only: nothing can be written,
            // so the document needs no trial copy (the state is small).
            let mut next = state.clone();
            crate::sync_receive::receive(&mut self.doc, &mut next, message)?;
            *state = next;
            return Ok(0);
        }
        let before = self.doc.get_heads();
        // Changes waiting in Automerge's queue (for a missing dependency)
        // could be released by this message unseen: then only the trial
        // copy tells which changes apply.
        let nothing_waiting = self.doc.get_missing_deps(&[]).is_empty();
        if let Some(changes) = &single {
            // Readable actors: a change in this device's name is refused at
            // once, even one that would wait for a dependency.
            refuse_own_actor(changes, door, self.doc.get_actor())?;
        }
        let single = single
            .filter(|_| nothing_waiting)
            .filter(|new| self.complete(new));
        let new = if let Some(changes) = single {
            // The usual message: each chunk one change whose dependencies
            // are all here, so the door reads it before anything is applied.
            admit(&self.doc, &changes, door, self.doc.get_actor())?;
            let mut next = state.clone();
            crate::sync_receive::receive(&mut self.doc, &mut next, message)?;
            *state = next;
            self.doc.get_changes_meta(&before).len()
        } else {
            // Anything else (a whole compressed document, a bundle, changes
            // waiting for others) reveals what applies only once Automerge
            // has applied it. So apply to a copy and keep it only if the door
            // admits every new change. The copy costs 10-16 ms on the
            // ten-year fixture (15,000 changes, release build), which is why
            // the usual message above avoids it.
            let mut trial = self.doc.clone();
            let mut trial_state = state.clone();
            // A panic inside Automerge on hostile input leaves only the copy
            // in an unknown state, and the copy is dropped.
            let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::sync_receive::receive(&mut trial, &mut trial_state, message)
            }));
            match applied {
                Ok(result) => result?,
                Err(_) => {
                    return Err(CoreError::InvalidSyncMessage(
                        "Automerge failed applying it".into(),
                    ));
                }
            }
            let new = trial.get_changes(&before);
            admit(&self.doc, &new, door, self.doc.get_actor())?;
            self.doc = trial;
            *state = trial_state;
            new.len()
        };
        if new == 0 {
            return Ok(0);
        }
        let made = self.catch_up();
        self.heal_from(&made, now)?;
        Ok(new)
    }

    /// Folds together the containers two phones created at one key while
    /// apart, where a received change made a map at a key that holds
    /// another: the cost follows what was received, not the document.
    pub(crate) fn heal_from(&mut self, made: &[(ObjId, String)], now: Millis) -> Result<()> {
        let mut copied = 0;
        // Where a received change made a map, another may live at the same
        // key: the loser's entries must move over.
        for (parent, key) in made {
            copied += self.heal_key(parent, key)?;
        }
        if copied > 0 {
            self.commit("merge concurrently created containers", now);
        }
        Ok(())
    }

    /// The changes a message carries, each parsed on its own; a document
    /// chunk is read apart and stands for the changes in it this document
    /// lacks. `None` when a chunk is no change Automerge can apply here
    /// (then only a trial copy tells what the message does).
    fn incoming_changes(
        &mut self,
        message: &automerge::sync::Message,
    ) -> Result<Option<Vec<automerge::Change>>> {
        let mut changes = Vec::new();
        for entry in message.changes.iter() {
            for (kind, chunk) in crate::sync_budget::split_chunks(entry)? {
                if kind == 0 {
                    let loaded = std::panic::catch_unwind(|| AutoCommit::load(chunk));
                    let Ok(Ok(mut document)) = loaded else {
                        return Ok(None);
                    };
                    changes.extend(self.new_in(&mut document));
                    continue;
                }
                let parsed = std::panic::catch_unwind(|| automerge::Change::try_from(chunk))
                    .map_err(|_| {
                        CoreError::InvalidSyncMessage("a change Automerge cannot read".into())
                    })?;
                match parsed {
                    Ok(change) if change.max_op() <= u64::from(u32::MAX) => changes.push(change),
                    _ => return Ok(None),
                }
            }
        }
        Ok(Some(changes))
    }

    /// Whether every dependency of `changes` is held here or among them.
    fn complete(&mut self, changes: &[automerge::Change]) -> bool {
        let batch: std::collections::HashSet<ChangeHash> =
            changes.iter().map(|c| c.hash()).collect();
        changes.iter().all(|c| {
            c.deps()
                .iter()
                .all(|d| batch.contains(d) || self.doc.get_change_by_hash(d).is_some())
        })
    }

    fn heal_key(&mut self, parent: &ObjId, key: &str) -> Result<usize> {
        let all: Vec<(Value<'static>, ObjId)> = self
            .doc
            .get_all(parent, key)?
            .into_iter()
            .map(|(v, id)| (v.to_owned(), id))
            .collect();
        if all.len() < 2 {
            return Ok(0);
        }
        let Some((Value::Object(ObjType::Map), winner)) = self.doc.get(parent, key)? else {
            return Ok(0);
        };
        let mut copied = 0;
        for (value, loser) in all {
            if loser == winner || value != Value::Object(ObjType::Map) {
                continue;
            }
            let keys: Vec<String> = self.doc.keys(&loser).collect();
            for k in keys {
                if self.doc.get(&winner, k.as_str())?.is_none() {
                    deep_copy(&mut self.doc, &loser, &k, &winner)?;
                    copied += 1;
                }
            }
        }
        Ok(copied)
    }

    /// This device's member id: its actor id in hex, unless the device was
    /// restored from a backup (see [`CoupleDoc::as_member`]).
    pub fn me(&self) -> &str {
        &self.me
    }

    /// Writes as `member` under this document's actor id. A device restored
    /// from a backup is the same member with a new actor id: changes it made
    /// after the backup and lost come back from the partner under the old
    /// actor id, and must not collide with what it writes next.
    pub fn as_member(mut self, member: &str) -> Self {
        self.me = member.to_owned();
        self
    }

    /// What this device's signing key signs to bind its actor to its member
    /// in this space (see [`crate::door::binding`]).
    pub fn actor_binding_message(&self, device_key: &[u8; 32]) -> Result<Vec<u8>> {
        Ok(crate::door::binding_message(
            &self.couple_id()?,
            &self.me,
            &self.doc.get_actor().to_hex_string(),
            device_key,
        ))
    }

    /// Whether this document holds a binding for its own actor, or needs
    /// none (the actor is the member id itself, bound at pairing).
    pub fn actor_is_bound(&self) -> bool {
        let actor = self.doc.get_actor().to_hex_string();
        actor == self.me
            || self
                .root_id(DEVICES)
                .is_some_and(|d| self.doc.get(&d, actor.as_str()).ok().flatten().is_some())
    }

    /// Binds this document's actor to its member, signed by a device key of
    /// the member's (`sig` over [`Self::actor_binding_message`]). Written
    /// once, by the actor itself: the partner's door then admits its changes.
    pub fn bind_actor(&mut self, device_key: &[u8; 32], sig: &[u8; 64], now: Millis) -> Result<()> {
        if self.actor_is_bound() {
            return Ok(());
        }
        let message = self.actor_binding_message(device_key)?;
        if !crate::door::binding::verify(device_key, &message, sig) {
            return Err(CoreError::InvalidValue {
                field: "actor binding",
                reason: "the signature does not match the device key".into(),
            });
        }
        let devices = self.root_for_write(DEVICES, now)?;
        let actor = self.doc.get_actor().to_hex_string();
        let entry = self
            .doc
            .put_object(&devices, actor.as_str(), ObjType::Map)?;
        self.doc.put(&entry, "member", self.me.as_str())?;
        self.doc.put(&entry, "device", hex::encode(device_key))?;
        self.doc.put(&entry, "sig", hex::encode(sig))?;
        self.doc.put(&entry, "at", now)?;
        self.commit("bind device", now);
        Ok(())
    }

    pub fn couple_id(&self) -> Result<String> {
        Obj::new(&self.doc, ROOT)
            .str("couple_id")
            .ok_or_else(|| CoreError::Malformed("no couple_id".into()))
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The whole document as a standard Automerge binary.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    pub(crate) fn into_automerge(self) -> AutoCommit {
        self.doc
    }

    /// Direct access for the sync protocol, which speaks Automerge's own messages.
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        // What is done with it is caught up from the patch log before the
        // next read through the model.
        self.read_current = false;
        self.schema_current = false;
        &mut self.doc
    }

    /// Merges save data this device already trusts (fixtures, tests): no
    /// door. Anything from outside goes through [`Self::merge_received`].
    pub fn merge_bytes(&mut self, bytes: &[u8]) -> Result<usize> {
        let ops = self.doc.load_incremental(bytes)?;
        self.catch_up();
        Ok(ops)
    }

    // ---- shared machinery for ops/ ---------------------------------------

    pub(crate) fn commit(&mut self, message: &str, now: Millis) {
        // Automerge stores commit time in seconds; the Rust default would be 0.
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(message)
                .with_time(now / 1000),
        );
        self.catch_up();
    }

    pub(crate) fn root_id(&self, map: &str) -> Option<ObjId> {
        match self.doc.get(ROOT, map).ok().flatten() {
            Some((Value::Object(ObjType::Map), id)) => Some(id),
            _ => None,
        }
    }

    /// The records of a root map (none when an older document lacks it).
    pub(crate) fn records(&self, map: &str) -> Vec<(String, Obj<'_>)> {
        self.root_id(map)
            .map(|id| Obj::new(&self.doc, id).entries())
            .unwrap_or_default()
    }

    /// A root map to write into, migrating an older document first.
    pub(crate) fn root_for_write(&mut self, map: &str, now: Millis) -> Result<ObjId> {
        self.migrate(now)?;
        if let Some(id) = self.root_id(map) {
            return Ok(id);
        }
        if map == DEVICES {
            // Spaces made before actor bindings lack the map; whoever first
            // binds an actor makes it.
            return Ok(self.doc.put_object(ROOT, DEVICES, ObjType::Map)?);
        }
        Err(CoreError::SpaceNeedsUpdate)
    }

    /// Creates a record with a fresh id in `map`; the author field is this device.
    pub(crate) fn new_record(
        &mut self,
        map: &str,
        author_field: &str,
        now: Millis,
    ) -> Result<(String, ObjId)> {
        let root = self.root_for_write(map, now)?;
        let id = new_id();
        let obj = self.doc.put_object(&root, id.as_str(), ObjType::Map)?;
        self.doc.put(&obj, author_field, self.me.as_str())?;
        Ok((id, obj))
    }

    /// Creates an empty map container inside a record (its author does this
    /// when creating the record, so nobody races to create it later).
    pub(crate) fn container(&mut self, record: &ObjId, key: &str) -> Result<ObjId> {
        Ok(self.doc.put_object(record, key, ObjType::Map)?)
    }

    /// The container `key` of a record, created if an older record lacks it.
    pub(crate) fn container_for_write(&mut self, record: &ObjId, key: &str) -> Result<ObjId> {
        match self.doc.get(record, key)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => self.container(record, key),
        }
    }

    /// Finds a record by its id or a unique prefix of it.
    pub(crate) fn find(
        &self,
        map: &str,
        kind: &'static str,
        prefix: &str,
    ) -> Result<(String, ObjId)> {
        match self.root_id(map) {
            Some(root) => crate::am::find_entry(&self.doc, &root, kind, prefix),
            None if prefix.trim().is_empty() => Err(CoreError::EmptyText { field: "id" }),
            None => Err(CoreError::UnknownId {
                kind,
                id: prefix.trim().to_owned(),
            }),
        }
    }

    pub(crate) fn obj(&self, id: &ObjId) -> Obj<'_> {
        Obj::new(&self.doc, id.clone())
    }

    /// Refuses unless this device wrote the record.
    pub(crate) fn require_author(
        &self,
        record: &ObjId,
        field: &str,
        rule: &'static str,
    ) -> Result<()> {
        if self.obj(record).str(field).as_deref() == Some(self.me.as_str()) {
            Ok(())
        } else {
            Err(CoreError::NotPermitted(rule))
        }
    }

    /// Refuses when this device wrote the record (the other partner's turn).
    pub(crate) fn require_not_author(
        &self,
        record: &ObjId,
        field: &str,
        rule: &'static str,
    ) -> Result<()> {
        if self.obj(record).str(field).as_deref() == Some(self.me.as_str()) {
            Err(CoreError::NotPermitted(rule))
        } else {
            Ok(())
        }
    }

    /// Changes a field of the author's record, keeping the old value in the
    /// record's `revisions` so both partners can see what it was.
    pub(crate) fn revise(
        &mut self,
        record: &ObjId,
        field: &str,
        new: Option<ScalarValue>,
        now: Millis,
    ) -> Result<bool> {
        let before = match self.doc.get(record, field)? {
            Some((Value::Scalar(s), _)) => Some(s.into_owned()),
            _ => None,
        };
        if before == new {
            return Ok(false);
        }
        // A first value overwrites nothing; only real changes enter history.
        if let Some(before) = &before {
            self.note_revision(record, field, scalar_text(before), now)?;
        }
        match new {
            Some(value) => self.doc.put(record, field, value)?,
            None => self.doc.delete(record, field)?,
        }
        Ok(true)
    }

    /// Replaces a list of words, keeping the old list (as JSON) in `revisions`.
    pub(crate) fn revise_list(
        &mut self,
        record: &ObjId,
        field: &str,
        new: &[String],
        now: Millis,
    ) -> Result<()> {
        let before = self.obj(record).strings(field);
        if before == new {
            return Ok(());
        }
        let text = serde_json::to_string(&before).unwrap_or_default();
        self.note_revision(record, field, text, now)?;
        self.put_list(record, field, new)
    }

    /// Appends one entry to a record's visible history.
    pub(crate) fn note_revision(
        &mut self,
        record: &ObjId,
        field: &str,
        before: String,
        now: Millis,
    ) -> Result<()> {
        let revisions = self.container_for_write(record, "revisions")?;
        let entry = self
            .doc
            .put_object(&revisions, new_id().as_str(), ObjType::Map)?;
        self.doc.put(&entry, "at", now)?;
        self.doc.put(&entry, "by", self.me.as_str())?;
        self.doc.put(&entry, "field", field)?;
        self.doc.put(&entry, "before", before)?;
        Ok(())
    }

    pub(crate) fn put_opt_text(
        &mut self,
        obj: &ObjId,
        key: &str,
        value: Option<&str>,
    ) -> Result<()> {
        if let Some(v) = value {
            self.doc.put(obj, key, v)?;
        }
        Ok(())
    }

    pub(crate) fn put_list(&mut self, obj: &ObjId, key: &str, items: &[String]) -> Result<()> {
        let list = self.doc.put_object(obj, key, ObjType::List)?;
        for (i, item) in items.iter().enumerate() {
            self.doc.insert(&list, i, item.as_str())?;
        }
        Ok(())
    }

    /// The partner's member id, once they joined.
    pub(crate) fn partner_id(&self) -> Option<String> {
        self.records(MEMBERS)
            .into_iter()
            .map(|(id, _)| id)
            .find(|id| *id != self.me)
    }

    pub(crate) fn role_of(&self, member: &str) -> Role {
        self.records(MEMBERS)
            .into_iter()
            .find(|(id, _)| id == member)
            .and_then(|(_, m)| m.str("role"))
            .and_then(|r| Role::parse(&r))
            .unwrap_or(Role::Unsaid)
    }
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub(crate) fn revisions(record: &Obj<'_>) -> Vec<Revision> {
    let mut out: Vec<Revision> = record
        .entries_of("revisions")
        .into_iter()
        .map(|(_, r)| Revision {
            at: r.time("at"),
            by: r.string("by"),
            field: r.string("field"),
            before: r.string("before"),
        })
        .collect();
    out.sort_by(|a, b| (a.at, &a.field).cmp(&(b.at, &b.field)));
    out
}

fn scalar_text(v: &ScalarValue) -> String {
    match v {
        ScalarValue::Str(s) => s.to_string(),
        ScalarValue::Int(i) => i.to_string(),
        ScalarValue::Uint(u) => u.to_string(),
        ScalarValue::Boolean(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// Sorts records oldest first, ties by id, so every device lists them alike.
pub(crate) fn by_time<T>(items: &mut [T], key: impl Fn(&T) -> (Millis, &str)) {
    items.sort_by(|a, b| key(a).cmp(&key(b)));
}

/// Runs `changes` through `door` (see [`crate::door`]) against `before`.
/// Changes under `receiver`'s own actor from the partner are reported as
/// [`CoreError::ForgedActor`]; a change Automerge panics decoding is refused.
fn admit(
    before: &AutoCommit,
    changes: &[automerge::Change],
    door: &Door,
    receiver: &ActorId,
) -> Result<()> {
    refuse_own_actor(changes, door, receiver)?;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::door::check(before, changes, door, receiver)
    }))
    .map_err(|_| CoreError::InvalidSyncMessage("a change Automerge cannot read".into()))?
    .map_err(|refusal| {
        // Record ids and field names, never content.
        tracing::warn!(%refusal, "refused changes from outside");
        CoreError::Refused(refusal)
    })
}

/// From the partner, a change under this device's own actor is a forgery.
fn refuse_own_actor(changes: &[automerge::Change], door: &Door, receiver: &ActorId) -> Result<()> {
    if door.source == Source::Partner {
        let forged = changes.iter().filter(|c| c.actor_id() == receiver).count();
        if forged > 0 {
            return Err(CoreError::ForgedActor {
                actor: receiver.to_hex_string(),
                changes: forged,
            });
        }
    }
    Ok(())
}

/// The message's changes, if every chunk is exactly one (possibly
/// compressed) change: what Automerge's own sync sends in a V1 message or
/// for a single change. `None` for anything else, which then goes through
/// a trial copy: a V2 message packs several changes into one chunk.
///
/// Also `None` for a change whose operation counters pass `u32::MAX`:
/// Automerge 0.12 panics on those halfway through applying them, which only
/// a copy can survive. And it can panic merely reading a change (an object
/// id whose counter passes `u32::MAX`): reading changes nothing, so that
/// panic is caught and the message refused. Both found by fuzzing.
/// Automerge sends one `have` (a summary of what it holds) per message.
pub(crate) const MAX_HAVES: usize = 1;
/// Automerge's own Bloom filters use 7 probes per entry.
const MAX_BLOOM_PROBES: u64 = 64;

/// Refuses what Automerge would accept from a peer and then trip over when
/// answering it (each found by fuzzing or reading its source):
///
/// - Bloom filters: one with entries but no bits divides by zero (a panic),
///   and a huge probe count reserves 4 bytes per probe (up to 16 GiB, an
///   abort);
/// - a hash asked for twice makes it panic building the changes to send;
/// - heads it later echoes must be sorted, or its encoder's debug check fires;
/// - only the first `have` has its hashes checked before use.
///
/// Automerge itself sends at most one `have`, and every list of hashes
/// sorted without repeats.
fn check_sync_message(message: &automerge::sync::Message) -> Result<()> {
    let bad = |why: String| Err(CoreError::InvalidSyncMessage(why));
    let lists = [("heads", &message.heads), ("needs", &message.need)]
        .into_iter()
        .chain(message.have.iter().map(|h| ("summary", &h.last_sync)));
    for (what, hashes) in lists {
        if !hashes.windows(2).all(|pair| pair[0] < pair[1]) {
            return bad(format!("{what} out of order or repeated"));
        }
    }
    if message.have.len() > MAX_HAVES {
        return bad(format!(
            "{} summaries where one is expected",
            message.have.len()
        ));
    }
    for have in &message.have {
        // The filter as it came off the wire: nothing when it has no
        // entries, else entries, bits per entry and probes (LEB128), then the bits.
        let bytes = have.bloom.to_bytes();
        let mut input = bytes.as_slice();
        if input.is_empty() {
            continue;
        }
        let (Some(_entries), Some(_bits_per_entry), Some(probes)) = (
            uleb128(&mut input),
            uleb128(&mut input),
            uleb128(&mut input),
        ) else {
            return bad("an unreadable Bloom filter".into());
        };
        // Automerge's probes are taken modulo the filter's size in bits, a u32.
        let bits = input.len() as u64 * 8;
        if bits == 0 || bits > u64::from(u32::MAX) {
            return bad(format!("a Bloom filter of {} bytes", input.len()));
        }
        if probes > MAX_BLOOM_PROBES {
            return bad(format!("a Bloom filter with {probes} probes per entry"));
        }
    }
    Ok(())
}

/// Reads one unsigned LEB128 number, as Automerge writes them.
fn uleb128(input: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, byte) in input.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            *input = &input[i + 1..];
            return Some(value);
        }
    }
    None
}
