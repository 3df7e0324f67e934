//! The door: every change that reaches this device from outside (a sync
//! message, a live frame, a bundle, the inviter's first document, a backup
//! taken in, an imported file) is checked here before anything is kept.
//!
//! Automerge accepts any well-formed change from anyone, and a change says
//! who wrote it only by an actor id nobody checks. The door holds each
//! change to what the couple agreed at pairing:
//!
//! - **who**: the change's actor must be bound to a member of the couple
//!   ([`binding`]), and, from the partner's device, to the partner (a
//!   device never accepts changes in its own name from outside);
//! - **where and what**: every operation must fit the document's shape
//!   ([`shape`]): the root is written once, records are created and never
//!   deleted or replaced, known fields hold their type, nothing unknown
//!   appears;
//! - **whose**: a record's fields are written only by its author, the other
//!   partner adds only their own entries (an acceptance, a done entry, a
//!   response, a repair, an outcome) and every author or `by` field names
//!   its writer; the rules the operations enforce locally (only the hurt
//!   partner moves the phase forward, a request is done by the one asked,
//!   an offer runs at most 90 days) hold for received changes too.
//!
//! One refused operation refuses the whole message or file: the caller keeps
//! nothing of it. The checks read the document as it was before and the
//! incoming changes alone, so a daily sync is checked without copying the
//! document.

pub mod binding;
pub(crate) mod shape;

use std::collections::{HashMap, HashSet};

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{ActorId, AutoCommit, Change, ChangeHash, ObjType, ROOT, ReadDoc, ScalarValue};

pub use binding::{ActorBinding, binding_message, introduction_message};
use shape::{Adds, Field, MAX_RECORD_ID, Place, Ty};

use crate::doc;

/// Who may write in this shared space, as this device learnt it at pairing:
/// each member's id, their devices' signing keys, and the actors bound to
/// them in the pairing exchange.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    me: String,
    partner: Option<String>,
    members: Vec<RosterMember>,
    recovering: bool,
}

/// One member as the roster knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterMember {
    pub member_id: String,
    /// Ed25519 public keys of the member's devices, learnt at pairing.
    pub device_keys: Vec<[u8; 32]>,
    /// Actors (hex) bound to the member at pairing, besides the member id itself.
    pub actors: Vec<String>,
}

impl Roster {
    /// A roster holding this device's own member.
    pub fn new(me: RosterMember) -> Self {
        Roster {
            me: me.member_id.clone(),
            partner: None,
            members: vec![me],
            recovering: false,
        }
    }

    /// The partner this device is paired with.
    pub fn with_partner(mut self, partner: RosterMember) -> Self {
        self.members.retain(|m| m.member_id != partner.member_id);
        self.partner = Some(partner.member_id.clone());
        self.members.push(partner);
        self
    }

    /// After a restore from a backup: changes this member's earlier device
    /// made after the backup come back from the partner under an earlier
    /// actor, and are taken in. Off otherwise: the partner's device never
    /// brings changes in this member's name.
    pub fn recovering(mut self, on: bool) -> Self {
        self.recovering = on;
        self
    }

    pub fn me(&self) -> &str {
        &self.me
    }

    pub fn partner(&self) -> Option<&str> {
        self.partner.as_deref()
    }

    pub fn is_member(&self, id: &str) -> bool {
        self.members.iter().any(|m| m.member_id == id)
    }

    fn member(&self, id: &str) -> Option<&RosterMember> {
        self.members.iter().find(|m| m.member_id == id)
    }

    /// The member an actor was bound to at pairing.
    fn paired_actor(&self, actor: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|m| m.member_id == actor || m.actors.iter().any(|a| a == actor))
            .map(|m| m.member_id.as_str())
    }
}

impl RosterMember {
    pub fn new(member_id: impl Into<String>) -> Self {
        RosterMember {
            member_id: member_id.into(),
            device_keys: Vec::new(),
            actors: Vec::new(),
        }
    }

    pub fn with_device_key(mut self, key: [u8; 32]) -> Self {
        self.device_keys.push(key);
        self
    }

    pub fn with_actor(mut self, actor: impl Into<String>) -> Self {
        self.actors.push(actor.into());
        self
    }
}

/// Where the changes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The partner's device (sync, live, bundles, a backup taken in, the
    /// first document at pairing): only the partner's actors.
    Partner,
    /// This user's own import of an export: any member's actors, this
    /// device's own included (an export can bring back what a damaged file lost).
    Import,
}

/// The door a batch of changes goes through.
#[derive(Debug, Clone)]
pub struct Door {
    pub roster: Roster,
    pub source: Source,
}

impl Door {
    pub fn partner(roster: Roster) -> Self {
        Door {
            roster,
            source: Source::Partner,
        }
    }

    pub fn import(roster: Roster) -> Self {
        Door {
            roster,
            source: Source::Import,
        }
    }
}

/// Why a change was refused. Names places by record id and field, never
/// by content, so it can be logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("change {change} by actor {actor}: {reason}")]
pub struct Refusal {
    /// The change's hash, first 12 hex digits.
    pub change: String,
    /// The change's actor, first 12 hex digits.
    pub actor: String,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("its actor is not bound to any member of this couple")]
    UnboundActor,
    #[error("its actor writes for {member}, not for the device that sent it")]
    NotTheSender { member: String },
    #[error("it binds actor {actor} with a signature no device of the member made")]
    BadBinding { actor: String },
    #[error("it depends on changes this device does not hold")]
    MissingDependency,
    #[error("it writes to an object this device does not hold")]
    UnknownObject,
    #[error("{at}: the root of the shared space is written once, when it is created")]
    Root { at: String },
    #[error("{at}: records and entries are never deleted")]
    Deleted { at: String },
    #[error("{at}: replaces what is already there")]
    Replaced { at: String },
    #[error("{at}: belongs to another member")]
    NotTheirs { at: String },
    #[error("{at}: nothing of this kind belongs there")]
    Unknown { at: String },
    #[error("{at}: {why}")]
    WrongValue { at: String, why: String },
    #[error("{at}: {rule}")]
    Rule { at: String, rule: &'static str },
}

/// Checks `changes` (new to `before`) against `door`. `receiver` is this
/// device's own actor: changes under it never come from outside, except an
/// import of one's own export.
pub(crate) fn check(
    before: &AutoCommit,
    changes: &[Change],
    door: &Door,
    receiver: &ActorId,
) -> Result<(), Refusal> {
    let ordered = causal_order(changes);
    let mut checker = Checker::new(before, door, receiver);
    // Each change is decoded when it is read and dropped after, so a batch
    // of any size holds one decoded change at a time (twice the decoding
    // work for a batch, against ~200 bytes per operation held for all).
    checker.bindings(&ordered)?;
    for change in &ordered {
        checker.check_change(change, &change.decode())?;
    }
    checker.finish()
}

/// The changes in an order where each comes after those of its
/// dependencies that are in the batch (Automerge sends them so; a reordered
/// batch is put back in order rather than refused).
fn causal_order(changes: &[Change]) -> Vec<&Change> {
    let by_hash: HashMap<ChangeHash, &Change> = changes.iter().map(|c| (c.hash(), c)).collect();
    let mut placed: HashSet<ChangeHash> = HashSet::new();
    let mut out = Vec::with_capacity(changes.len());
    // Iterative depth-first walk over dependencies inside the batch.
    for start in changes {
        let mut stack = vec![(start, false)];
        while let Some((change, expanded)) = stack.pop() {
            let hash = change.hash();
            if placed.contains(&hash) {
                continue;
            }
            if expanded {
                placed.insert(hash);
                out.push(change);
                continue;
            }
            stack.push((change, true));
            for dep in change.deps() {
                if let Some(d) = by_hash.get(dep)
                    && !placed.contains(dep)
                {
                    stack.push((d, false));
                }
            }
        }
    }
    out
}

/// An object id, as Automerge's op ids are written.
type ObjKey = (u64, ActorId);

fn obj_key(op: &OpId) -> ObjKey {
    (op.counter(), op.actor().clone())
}

/// An object the checked operation writes into.
#[derive(Debug, Clone)]
struct Target {
    /// Map keys from the root to this object.
    path: Vec<String>,
    /// The member who created each object along the path (`creators[i]`
    /// made the object at `path[..=i]`).
    creators: Vec<String>,
    ty: ObjType,
    /// Created by this batch (its keys cannot exist before it).
    made_here: bool,
}

/// What a new object received, for the rules that look at a whole record.
#[derive(Debug, Default)]
struct Written {
    path: Vec<String>,
    writer: String,
    creators: Vec<String>,
    values: HashMap<String, ScalarValue>,
    /// The writer's role when the object was made: the rules run after the
    /// whole batch, by which time a later change may have switched it.
    role: Option<String>,
}

struct Checker<'a> {
    before: &'a AutoCommit,
    door: &'a Door,
    receiver: String,
    actors: HashMap<ActorId, String>,
    targets: HashMap<ObjKey, Option<Target>>,
    /// New objects' written fields, by object.
    written: HashMap<ObjKey, Written>,
    /// Keys created in this batch, by (parent object, key).
    created: HashSet<(Option<ObjKey>, String)>,
    /// Roles as they stand after the batch's earlier changes.
    roles: HashMap<String, String>,
    /// Agreement versions rebuilt from a schema-1 agreement's top-level fields.
    legacy_versions: HashSet<ObjKey>,
    couple_id: Option<String>,
    created_by: Option<String>,
    change: String,
    actor: String,
}

impl<'a> Checker<'a> {
    fn new(before: &'a AutoCommit, door: &'a Door, receiver: &ActorId) -> Self {
        let root_str = |key: &str| match before.get(ROOT, key).ok().flatten() {
            Some((automerge::Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Str(s) => Some(s.to_string()),
                _ => None,
            },
            _ => None,
        };
        Checker {
            before,
            door,
            receiver: receiver.to_hex_string(),
            actors: HashMap::new(),
            targets: HashMap::new(),
            written: HashMap::new(),
            created: HashSet::new(),
            roles: HashMap::new(),
            legacy_versions: HashSet::new(),
            couple_id: root_str("couple_id"),
            created_by: root_str("created_by"),
            change: String::new(),
            actor: String::new(),
        }
    }

    fn refuse(&self, reason: Reason) -> Refusal {
        Refusal {
            change: self.change.clone(),
            actor: self.actor.clone(),
            reason,
        }
    }

    fn at(path: &[String], key: Option<&str>) -> String {
        let mut at = path.join("/");
        if let Some(key) = key {
            if !at.is_empty() {
                at.push('/');
            }
            at.push_str(key);
        }
        if at.is_empty() { "the root".into() } else { at }
    }

    // ---- who -------------------------------------------------------------

    /// Reads every actor binding, those already held and those the batch
    /// brings, and keeps the ones a member's device key signed.
    fn bindings(&mut self, changes: &[&Change]) -> Result<(), Refusal> {
        let mut found: Vec<(ActorBinding, Option<ChangeHash>)> = self
            .held_bindings()
            .into_iter()
            .map(|b| (b, None))
            .collect();
        // The devices map: held already, or made by this batch.
        let held_devices = match self.before.get(ROOT, doc::DEVICES).ok().flatten() {
            Some((automerge::Value::Object(ObjType::Map), automerge::ObjId::Id(c, a, _))) => {
                Some((c, a))
            }
            _ => None,
        };
        let mut devices_maps: HashSet<ObjKey> = held_devices.into_iter().collect();
        let mut entries: HashMap<ObjKey, (String, ActorId, ChangeHash)> = HashMap::new();
        let mut fields: HashMap<ObjKey, HashMap<String, String>> = HashMap::new();
        let mut batch_couple_id = None;
        for change in changes {
            let expanded = change.decode();
            if batch_couple_id.is_none() {
                batch_couple_id = couple_id_in(&expanded);
            }
            let start = expanded.start_op.get();
            for (i, op) in expanded.operations.iter().enumerate() {
                let id = (start + i as u64, expanded.actor_id.clone());
                let Key::Map(key) = &op.key else { continue };
                match (&op.obj, &op.action) {
                    (ObjectId::Root, OpType::Make(ObjType::Map))
                        if key.as_str() == doc::DEVICES =>
                    {
                        devices_maps.insert(id);
                    }
                    (ObjectId::Id(obj), OpType::Make(ObjType::Map))
                        if devices_maps.contains(&obj_key(obj)) =>
                    {
                        entries.insert(
                            id,
                            (key.to_string(), expanded.actor_id.clone(), change.hash()),
                        );
                    }
                    (ObjectId::Id(obj), OpType::Put(ScalarValue::Str(value)))
                        if entries.contains_key(&obj_key(obj)) =>
                    {
                        fields
                            .entry(obj_key(obj))
                            .or_default()
                            .insert(key.to_string(), value.to_string());
                    }
                    _ => {}
                }
            }
        }
        for (id, (actor_hex, writer, hash)) in entries {
            let binding = fields
                .get(&id)
                .and_then(|f| parse_binding(&actor_hex, f))
                .filter(|b| b.actor == writer.to_hex_string());
            match binding {
                Some(b) => found.push((b, Some(hash))),
                None => {
                    self.change = short(&hash.to_string());
                    self.actor = short(&writer.to_hex_string());
                    return Err(self.refuse(Reason::BadBinding { actor: actor_hex }));
                }
            }
        }
        let couple_id = self.couple_id.clone().or(batch_couple_id);
        let all: Vec<ActorBinding> = found.iter().map(|(b, _)| b.clone()).collect();
        for (binding, from_batch) in &found {
            let roots = self
                .door
                .roster
                .member(&binding.member)
                .map(|m| m.device_keys.as_slice())
                .unwrap_or_default();
            let holds = couple_id
                .as_deref()
                .is_some_and(|c| binding.holds(c, roots, &all));
            match (holds, from_batch) {
                (true, _) => {
                    if let Ok(actor) = hex::decode(&binding.actor) {
                        self.actors
                            .insert(ActorId::from(actor), binding.member.clone());
                    }
                }
                (false, Some(hash)) => {
                    self.change = short(&hash.to_string());
                    self.actor = short(&binding.actor);
                    return Err(self.refuse(Reason::BadBinding {
                        actor: binding.actor.clone(),
                    }));
                }
                // A binding already held that no longer verifies (keys
                // rotated at a new pairing) binds nothing.
                (false, None) => {}
            }
        }
        Ok(())
    }

    fn held_bindings(&self) -> Vec<ActorBinding> {
        let Some((automerge::Value::Object(ObjType::Map), devices)) =
            self.before.get(ROOT, doc::DEVICES).ok().flatten()
        else {
            return Vec::new();
        };
        let obj = crate::am::Obj::new(self.before, devices);
        obj.entries()
            .into_iter()
            .filter_map(|(actor, entry)| {
                let fields: HashMap<String, String> = shape::DEVICE
                    .iter()
                    .filter_map(|f| entry.str(f.name).map(|v| (f.name.to_owned(), v)))
                    .collect();
                parse_binding(&actor, &fields)
            })
            .collect()
    }

    /// The member an actor writes for, if it may write from this source.
    fn writer(&mut self, actor: &ActorId) -> Result<String, Reason> {
        let hex = actor.to_hex_string();
        let roster = &self.door.roster;
        if hex == self.receiver {
            return match self.door.source {
                Source::Import => Ok(roster.me.clone()),
                // Reported by the caller as `ForgedActor`.
                Source::Partner => Err(Reason::NotTheSender {
                    member: roster.me.clone(),
                }),
            };
        }
        let member = match roster.paired_actor(&hex) {
            Some(m) => m.to_owned(),
            None => self
                .actors
                .get(actor)
                .cloned()
                .ok_or(Reason::UnboundActor)?,
        };
        match self.door.source {
            Source::Import => Ok(member),
            Source::Partner if roster.partner.as_deref() == Some(member.as_str()) => Ok(member),
            Source::Partner if member == roster.me && roster.recovering => Ok(member),
            Source::Partner => Err(Reason::NotTheSender { member }),
        }
    }

    fn member_of(&self, actor: &ActorId) -> Option<String> {
        let hex = actor.to_hex_string();
        if hex == self.receiver {
            return Some(self.door.roster.me.clone());
        }
        self.door
            .roster
            .paired_actor(&hex)
            .map(str::to_owned)
            .or_else(|| self.actors.get(actor).cloned())
    }

    // ---- where, what, whose ----------------------------------------------

    fn check_change(
        &mut self,
        change: &Change,
        expanded: &automerge::ExpandedChange,
    ) -> Result<(), Refusal> {
        self.change = short(&change.hash().to_string());
        self.actor = short(&change.actor_id().to_hex_string());
        let writer = self.writer(change.actor_id()).map_err(|r| self.refuse(r))?;
        let start = expanded.start_op.get();
        for (i, op) in expanded.operations.iter().enumerate() {
            let id = (start + i as u64, expanded.actor_id.clone());
            self.check_op(&writer, change.actor_id(), op, id)
                .map_err(|r| self.refuse(r))?;
        }
        Ok(())
    }

    fn target(&mut self, obj: &ObjectId) -> Option<Target> {
        let id = match obj {
            ObjectId::Root => {
                return Some(Target {
                    path: Vec::new(),
                    creators: Vec::new(),
                    ty: ObjType::Map,
                    made_here: false,
                });
            }
            ObjectId::Id(id) => obj_key(id),
        };
        if let Some(found) = self.targets.get(&id) {
            return found.clone();
        }
        let found = self.held_target(&id);
        self.targets.insert(id, found.clone());
        found
    }

    /// An object the document held before this batch: its path and who made
    /// each object along it (an object's id is the op that made it).
    fn held_target(&self, id: &ObjKey) -> Option<Target> {
        let text = format!("{}@{}", id.0, id.1.to_hex_string());
        let exid = self.before.import_obj(&text).ok()?;
        let ty = self.before.object_type(&exid).ok()?;
        let path = self.before.parents(&exid).ok()?.path();
        let mut keys = Vec::with_capacity(path.len());
        let mut creators = Vec::with_capacity(path.len());
        // `path` pairs each ancestor with the key of the next object in it.
        let objects = path.iter().skip(1).map(|(o, _)| o).chain(Some(&exid));
        for ((_, prop), object) in path.iter().zip(objects) {
            let automerge::Prop::Map(key) = prop else {
                return None; // the shape keeps no object inside a list
            };
            keys.push(key.clone());
            let automerge::ObjId::Id(_, actor, _) = object else {
                return None;
            };
            creators.push(self.member_of(actor)?);
        }
        Some(Target {
            path: keys,
            creators,
            ty,
            made_here: false,
        })
    }

    /// A text field of the object at `path` as the document held it.
    fn held_text(&self, path: &[String], field: &str) -> Option<String> {
        let mut obj = automerge::ROOT;
        for key in path {
            match self.before.get(&obj, key.as_str()).ok().flatten() {
                Some((automerge::Value::Object(_), id)) => obj = id,
                _ => return None,
            }
        }
        crate::am::Obj::new(self.before, obj).str(field)
    }

    fn exists(&self, parent: Option<&ObjKey>, key: &str) -> bool {
        if self.created.contains(&(parent.cloned(), key.to_owned())) {
            return true;
        }
        let parent_id = match parent {
            None => automerge::ROOT,
            Some(p) => match self
                .before
                .import_obj(&format!("{}@{}", p.0, p.1.to_hex_string()))
            {
                Ok(id) => id,
                Err(_) => return false,
            },
        };
        self.before
            .get_all(&parent_id, key)
            .is_ok_and(|all| !all.is_empty())
    }

    fn check_op(
        &mut self,
        writer: &str,
        actor: &ActorId,
        op: &automerge::legacy::Op,
        id: ObjKey,
    ) -> Result<(), Reason> {
        let target = self.target(&op.obj).ok_or(Reason::UnknownObject)?;
        let parent = match &op.obj {
            ObjectId::Root => None,
            ObjectId::Id(o) => Some(obj_key(o)),
        };
        let key = match &op.key {
            Key::Map(k) => Some(k.to_string()),
            Key::Seq(_) => None,
        };
        if matches!(op.action, OpType::Make(_)) && op.insert {
            return Err(Reason::Unknown {
                at: Self::at(&target.path, None),
            });
        }
        match (target.path.len(), key) {
            (_, None) => self.list_op(writer, &target, op)?,
            (0, Some(key)) => self.root_op(writer, actor, op, &key)?,
            (1, Some(key)) => self.record_op(writer, actor, &target, parent.as_ref(), op, &key)?,
            (_, Some(key)) => self.inner_op(writer, &target, parent.as_ref(), op, &key)?,
        }
        if let OpType::Make(ty) = op.action
            && let Key::Map(key) = &op.key
        {
            let mut path = target.path.clone();
            path.push(key.to_string());
            let mut creators = target.creators.clone();
            creators.push(writer.to_owned());
            // A schema-1 agreement's version 1, rebuilt by either partner
            // as its proposer wrote it, and everything made inside it.
            let legacy = parent
                .as_ref()
                .is_some_and(|p| self.legacy_versions.contains(p))
                || (target.path.len() == 3
                    && target.path[0] == doc::AGREEMENTS
                    && target.path[2] == "versions"
                    && key.as_str() == format!("{}-v1", target.path[1]));
            if legacy {
                self.legacy_versions.insert(id.clone());
            }
            self.created.insert((parent.clone(), key.to_string()));
            let role = self.role_of(writer);
            self.written.insert(
                id.clone(),
                Written {
                    path: path.clone(),
                    writer: writer.to_owned(),
                    creators: creators.clone(),
                    values: HashMap::new(),
                    role,
                },
            );
            self.targets.insert(
                id,
                Some(Target {
                    path,
                    creators,
                    ty,
                    made_here: true,
                }),
            );
        }
        if let (OpType::Put(value), Some(parent), Key::Map(key)) = (&op.action, &parent, &op.key) {
            if let Some(w) = self.written.get_mut(parent) {
                w.values.insert(key.to_string(), value.clone());
            }
            // Roles as they stand, for the phase rule.
            if target.path.len() == 2
                && target.path[0] == doc::MEMBERS
                && key.as_str() == "role"
                && let ScalarValue::Str(role) = value
            {
                self.roles.insert(target.path[1].clone(), role.to_string());
            }
        }
        Ok(())
    }

    fn root_op(
        &mut self,
        writer: &str,
        actor: &ActorId,
        op: &automerge::legacy::Op,
        key: &str,
    ) -> Result<(), Reason> {
        let at = || Reason::Root { at: key.to_owned() };
        let existed = self.exists(None, key);
        if key == "schema_version"
            && existed
            && let OpType::Put(value) = &op.action
        {
            // A migration raises it, written by the space's creator.
            let current = self
                .before
                .get(ROOT, key)
                .ok()
                .flatten()
                .and_then(|(v, _)| v.as_u64());
            let raised = value
                .as_u64()
                .is_some_and(|v| v <= doc::SCHEMA_VERSION && current.is_none_or(|c| v > c));
            if raised && self.created_by.as_deref() == Some(writer) && !op.pred.is_empty() {
                return Ok(());
            }
            return Err(at());
        }
        if existed || !op.pred.is_empty() {
            return Err(at());
        }
        if let Some(field) = shape::field(shape::ROOT_SCALARS, key) {
            let OpType::Put(value) = &op.action else {
                return Err(at());
            };
            shape::scalar_fits(field.ty, value, writer, |m| self.door.roster.is_member(m))
                .map_err(|why| Reason::WrongValue {
                    at: key.to_owned(),
                    why,
                })?;
            match key {
                "couple_id" => self.couple_id = value.as_str().map(str::to_owned),
                "created_by" => self.created_by = Some(writer.to_owned()),
                _ => {}
            }
            return Ok(());
        }
        let is_root_map = doc::ROOT_MAPS.contains(&key) || key == doc::DEVICES;
        if !is_root_map || op.action != OpType::Make(ObjType::Map) {
            return Err(at());
        }
        // Root maps come with the space from its creator (or a migration
        // the creator runs); the map of bindings from whoever first needs it.
        let creator = self.created_by.as_deref();
        if key != doc::DEVICES && creator.is_some_and(|c| c != writer) {
            return Err(at());
        }
        let _ = actor;
        Ok(())
    }

    /// Creating a record in a root map.
    fn record_op(
        &mut self,
        writer: &str,
        actor: &ActorId,
        target: &Target,
        parent: Option<&ObjKey>,
        op: &automerge::legacy::Op,
        key: &str,
    ) -> Result<(), Reason> {
        let family = target.path[0].as_str();
        let at = || Self::at(&target.path, Some(key));
        if shape::record_fields(family).is_none() {
            return Err(Reason::Unknown { at: at() });
        }
        match op.action {
            OpType::Make(ObjType::Map) => {}
            OpType::Delete => return Err(Reason::Deleted { at: at() }),
            _ => return Err(Reason::Unknown { at: at() }),
        }
        if !op.pred.is_empty() || self.exists(parent, key) {
            return Err(Reason::Replaced { at: at() });
        }
        if key.is_empty()
            || key.len() > MAX_RECORD_ID
            || !key
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'z' | b'-' | b'_'))
        {
            return Err(Reason::WrongValue {
                at: at(),
                why: "not a record id".into(),
            });
        }
        let keyed_by_writer = match family {
            doc::MEMBERS => key == writer,
            doc::DEVICES => key == actor.to_hex_string(),
            _ => true,
        };
        if !keyed_by_writer {
            return Err(Reason::NotTheirs { at: at() });
        }
        Ok(())
    }

    /// Anything inside a record.
    fn inner_op(
        &mut self,
        writer: &str,
        target: &Target,
        parent: Option<&ObjKey>,
        op: &automerge::legacy::Op,
        key: &str,
    ) -> Result<(), Reason> {
        let family = target.path[0].as_str();
        let rest: Vec<&str> = target.path[2..].iter().map(String::as_str).collect();
        let at = || Self::at(&target.path, Some(key));
        let place = shape::place(family, &rest).ok_or_else(|| Reason::Unknown { at: at() })?;
        let record_owner = target.creators[1].as_str();
        let object_owner = target
            .creators
            .last()
            .map(String::as_str)
            .unwrap_or_default();
        let parent_key = parent.cloned();
        let legacy = parent_key
            .as_ref()
            .is_some_and(|p| self.legacy_versions.contains(p));
        match place {
            Place::Record(fields) => {
                let field =
                    shape::field(fields, key).ok_or_else(|| Reason::Unknown { at: at() })?;
                let stepping_out = family == doc::AGREEMENTS
                    && matches!(key, "withdrawn_at" | "withdrawn_by")
                    && matches!(op.action, OpType::Put(_));
                let upgrading = family == doc::AGREEMENTS
                    && key == "versions"
                    && op.action == OpType::Make(ObjType::Map)
                    && !target.made_here;
                if writer != record_owner && !stepping_out && !upgrading {
                    return Err(Reason::NotTheirs { at: at() });
                }
                self.field_op(writer, field, parent, op, &at())
            }
            Place::Entry(fields) => {
                let field =
                    shape::field(fields, key).ok_or_else(|| Reason::Unknown { at: at() })?;
                if legacy {
                    // A schema-1 agreement's version 1, rebuilt by either
                    // partner as the proposer wrote it.
                    if key == "by" {
                        let proposer = self.held_text(&target.path[..2], "proposed_by");
                        return match &op.action {
                            OpType::Put(ScalarValue::Str(by))
                                if proposer.as_deref() == Some(by.as_str()) =>
                            {
                                Ok(())
                            }
                            _ => Err(Reason::NotTheirs { at: at() }),
                        };
                    }
                } else if writer != object_owner {
                    return Err(Reason::NotTheirs { at: at() });
                }
                self.field_op(writer, field, parent, op, &at())
            }
            Place::Ack => {
                if writer != record_owner {
                    return Err(Reason::NotTheirs { at: at() });
                }
                let field =
                    shape::field(shape::ACK, key).ok_or_else(|| Reason::Unknown { at: at() })?;
                self.field_op(writer, field, parent, op, &at())
            }
            Place::Acceptances => {
                let OpType::Put(ScalarValue::Int(_)) = op.action else {
                    return Err(Reason::WrongValue {
                        at: at(),
                        why: "an acceptance is a time".into(),
                    });
                };
                if !(key == writer || legacy && self.door.roster.is_member(key)) {
                    return Err(Reason::NotTheirs { at: at() });
                }
                if !op.pred.is_empty() || self.exists(parent, key) {
                    return Err(Reason::Replaced { at: at() });
                }
                Ok(())
            }
            Place::Entries(adds) => {
                if op.action == OpType::Delete {
                    return Err(Reason::Deleted { at: at() });
                }
                if op.action != OpType::Make(ObjType::Map) {
                    return Err(Reason::Unknown { at: at() });
                }
                if !op.pred.is_empty() || self.exists(parent, key) {
                    return Err(Reason::Replaced { at: at() });
                }
                // Inside an acknowledgement, the asker's; elsewhere, the
                // enclosing object's creator's.
                let owner = if rest.contains(&"ack") {
                    record_owner
                } else {
                    target.creators[target.creators.len() - 2].as_str()
                };
                let allowed = match adds {
                    Adds::Anyone => true,
                    Adds::Owner => writer == owner,
                    Adds::NotOwner => writer != owner,
                    Adds::KeyedByWriter => key == writer,
                };
                if !allowed {
                    return Err(Reason::NotTheirs { at: at() });
                }
                Ok(())
            }
            Place::List(_) => Err(Reason::Unknown { at: at() }),
        }
    }

    fn field_op(
        &mut self,
        writer: &str,
        field: &Field,
        parent: Option<&ObjKey>,
        op: &automerge::legacy::Op,
        at: &str,
    ) -> Result<(), Reason> {
        match (&op.action, field.ty) {
            (OpType::Put(value), ty)
                if !matches!(ty, Ty::Map | Ty::Words | Ty::Answers | Ty::RecordIds) =>
            {
                shape::scalar_fits(ty, value, writer, |m| self.door.roster.is_member(m)).map_err(
                    |why| Reason::WrongValue {
                        at: at.to_owned(),
                        why,
                    },
                )
            }
            (OpType::Make(ObjType::Map), Ty::Map) => {
                if !op.pred.is_empty() || self.exists(parent, field.name) {
                    Err(Reason::Replaced { at: at.to_owned() })
                } else {
                    Ok(())
                }
            }
            // A list is replaced whole when its owner changes it.
            (OpType::Make(ObjType::List), Ty::Words | Ty::Answers | Ty::RecordIds) => Ok(()),
            (OpType::Delete, _) if field.optional => Ok(()),
            (OpType::Delete, _) => Err(Reason::Deleted { at: at.to_owned() }),
            _ => Err(Reason::WrongValue {
                at: at.to_owned(),
                why: format!("an operation that does not fit a {:?} field", field.ty),
            }),
        }
    }

    fn list_op(
        &mut self,
        writer: &str,
        target: &Target,
        op: &automerge::legacy::Op,
    ) -> Result<(), Reason> {
        let at = || Self::at(&target.path, None);
        if target.path.len() < 3 || target.ty != ObjType::List {
            return Err(Reason::Unknown { at: at() });
        }
        let family = target.path[0].as_str();
        let rest: Vec<&str> = target.path[2..].iter().map(String::as_str).collect();
        let Some(Place::List(ty)) = shape::place(family, &rest) else {
            return Err(Reason::Unknown { at: at() });
        };
        if target.creators.last().map(String::as_str) != Some(writer) {
            return Err(Reason::NotTheirs { at: at() });
        }
        match &op.action {
            OpType::Put(value) => shape::scalar_fits(ty, value, writer, |_| false)
                .map_err(|why| Reason::WrongValue { at: at(), why }),
            OpType::Delete => Ok(()),
            _ => Err(Reason::Unknown { at: at() }),
        }
    }

    // ---- rules over whole records ----------------------------------------

    fn finish(&mut self) -> Result<(), Refusal> {
        let written = std::mem::take(&mut self.written);
        for w in written.values() {
            if let Err(reason) = self.record_rules(w) {
                self.change = String::new();
                self.actor = short(&w.writer);
                return Err(self.refuse(reason));
            }
        }
        Ok(())
    }

    fn record_rules(&self, w: &Written) -> Result<(), Reason> {
        let at = || w.path.join("/");
        let text = |k: &str| w.values.get(k).and_then(|v| v.as_str().map(str::to_owned));
        let int = |k: &str| w.values.get(k).and_then(ScalarValue::as_i64);
        let rule = |rule| Err(Reason::Rule { at: at(), rule });
        let path: Vec<&str> = w.path.iter().map(String::as_str).collect();
        match path.as_slice() {
            [doc::PHASE_CHANGES, _] => {
                let rank = |p: Option<String>| match p.as_deref() {
                    Some("atone") => 0,
                    Some("attune") => 1,
                    Some("attach") => 2,
                    _ => -1,
                };
                let (from, to) = (rank(text("from")), rank(text("to")));
                if from < 0 || to < 0 {
                    return rule("a phase change says where from and where to");
                }
                let may_advance = w
                    .role
                    .as_deref()
                    .and_then(crate::model::Role::parse)
                    .is_some_and(crate::model::Role::may_advance_phase);
                if to > from && !may_advance {
                    return rule(
                        "only a partner who says \"I was hurt\" (or \"both\") moves the recovery phase forward",
                    );
                }
                // The role a move records is the mover's role as it stands,
                // so the timeline cannot be told a different story.
                if let Some(role) = text("role")
                    && w.role.as_deref() != Some(role.as_str())
                {
                    return rule("a phase change records the mover's role as it stands");
                }
            }
            [doc::QUESTIONS, _, "responses", _] => {
                let asker = w.creators[1].as_str();
                match text("kind").as_deref() {
                    Some("not_ready_yet" | "schedule" | "answer") if w.writer == asker => {
                        return rule(
                            "space, scheduling and answers come from the partner who was asked",
                        );
                    }
                    Some("park" | "reopen") if w.writer != asker => {
                        return rule("only the partner who asked parks or reopens a question");
                    }
                    _ => {}
                }
            }
            [doc::OFFERS, _] => {
                let (Some(from), Some(until)) = (int("offered_at"), int("expires_at")) else {
                    return rule("an offer says when it was made and when it ends");
                };
                let max = crate::ops::MAX_OFFER_DAYS * 24 * 60 * 60 * 1000;
                if until <= from || until - from > max {
                    return rule("an offer runs at most 90 days");
                }
            }
            [doc::APPRECIATIONS, _] if text("to").as_deref() == Some(w.writer.as_str()) => {
                return rule("appreciations go to the other partner");
            }
            _ => {}
        }
        Ok(())
    }

    /// A member's role as it stands with the changes checked so far.
    fn role_of(&self, member: &str) -> Option<String> {
        self.roles.get(member).cloned().or_else(|| {
            let members = match self.before.get(ROOT, doc::MEMBERS).ok().flatten() {
                Some((automerge::Value::Object(ObjType::Map), id)) => id,
                _ => return None,
            };
            match self.before.get(&members, member).ok().flatten() {
                Some((automerge::Value::Object(ObjType::Map), m)) => {
                    crate::am::Obj::new(self.before, m).str("role")
                }
                _ => None,
            }
        })
    }
}

fn short(hex: &str) -> String {
    hex.chars().take(12).collect()
}

fn parse_binding(actor: &str, fields: &HashMap<String, String>) -> Option<ActorBinding> {
    let bytes = |k: &str| fields.get(k).and_then(|v| hex::decode(v).ok());
    let device: [u8; 32] = bytes("device")?.try_into().ok()?;
    let sig: [u8; 64] = bytes("sig")?.try_into().ok()?;
    let introduced_by = match (bytes("introduced_by"), bytes("intro_sig")) {
        (Some(k), Some(s)) => Some((k.try_into().ok()?, s.try_into().ok()?)),
        (None, None) => None,
        _ => return None,
    };
    Some(ActorBinding {
        actor: actor.to_owned(),
        member: fields.get("member")?.clone(),
        device,
        sig,
        introduced_by,
    })
}

/// The couple id a change that creates the space writes.
fn couple_id_in(expanded: &automerge::ExpandedChange) -> Option<String> {
    expanded
        .operations
        .iter()
        .find_map(|op| match (&op.obj, &op.key, &op.action) {
            (ObjectId::Root, Key::Map(k), OpType::Put(ScalarValue::Str(v))) if k == "couple_id" => {
                Some(v.to_string())
            }
            _ => None,
        })
}
