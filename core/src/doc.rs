//! The couple's shared Automerge document: its schema and every operation on it.
//!
//! Layout (schema version 1):
//!
//! ```text
//! ROOT
//!   schema_version: uint
//!   couple_id:      str
//!   created_at:     int (ms)
//!   created_by:     str (member id)
//!   members:        map member_id -> { name, joined_at }
//!   agreements:     map id -> { text, proposed_by, proposed_at, accepted_by?, accepted_at? }
//!   checkins:       map id -> { author, recorded_at, safety, trust, connection, moods: [str], note? }
//! ```
//!
//! Records live in maps keyed by random ids, never in lists, so concurrent
//! inserts from two phones never reorder or clobber each other. Only the
//! inviting device creates ROOT's objects ([`CoupleDoc::create`]); the joiner
//! receives them, so the two devices never race to create the same map.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};

use crate::error::{CoreError, Result};
use crate::model::{Agreement, CheckIn, CheckInInput, Member, Millis};
use crate::validate;

/// The schema version this build writes and fully understands.
pub const SCHEMA_VERSION: u64 = 1;

const MEMBERS: &str = "members";
const AGREEMENTS: &str = "agreements";
const CHECKINS: &str = "checkins";

/// The shared document plus the identity of the partner editing it here.
pub struct CoupleDoc {
    doc: AutoCommit,
    me: String,
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
        let members = doc.put_object(ROOT, MEMBERS, ObjType::Map)?;
        doc.put_object(ROOT, AGREEMENTS, ObjType::Map)?;
        doc.put_object(ROOT, CHECKINS, ObjType::Map)?;
        let member = doc.put_object(&members, me.as_str(), ObjType::Map)?;
        doc.put(&member, "name", name.as_str())?;
        doc.put(&member, "joined_at", now)?;
        let mut this = CoupleDoc { doc, me };
        this.commit("create shared space", now);
        Ok(this)
    }

    /// Loads a document received from the partner or read from disk, editing it as `actor`.
    pub fn load(bytes: &[u8], actor: &ActorId) -> Result<Self> {
        let doc = AutoCommit::load(bytes)?.with_actor(actor.clone());
        let this = CoupleDoc {
            doc,
            me: actor.to_hex_string(),
        };
        this.check_schema()?;
        Ok(this)
    }

    fn check_schema(&self) -> Result<()> {
        match self.doc.get(ROOT, "schema_version")? {
            Some((v, _)) => match v.as_u64() {
                Some(found) if found > SCHEMA_VERSION => Err(CoreError::SchemaTooNew {
                    found,
                    supported: SCHEMA_VERSION,
                }),
                Some(_) => Ok(()),
                None => Err(CoreError::Malformed(
                    "schema_version is not a number".into(),
                )),
            },
            None => Err(CoreError::Malformed("no schema_version".into())),
        }
    }

    /// This device's member id (its actor id in hex).
    pub fn me(&self) -> &str {
        &self.me
    }

    pub fn couple_id(&self) -> Result<String> {
        str_at(&self.doc, &ROOT, "couple_id")?
            .ok_or_else(|| CoreError::Malformed("no couple_id".into()))
    }

    /// Adds or renames this device's own member entry. Each partner only ever
    /// writes their own entry, so two phones never conflict here.
    pub fn set_my_name(&mut self, name: &str, now: Millis) -> Result<()> {
        let name = validate::text("name", name, validate::MAX_NAME_CHARS)?;
        let members = self.map(MEMBERS)?;
        let me = self.me.clone();
        let member = match self.doc.get(&members, me.as_str())? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => {
                let id = self.doc.put_object(&members, me.as_str(), ObjType::Map)?;
                self.doc.put(&id, "joined_at", now)?;
                id
            }
        };
        if str_at(&self.doc, &member, "name")?.as_deref() == Some(name.as_str()) {
            return Ok(());
        }
        self.doc.put(&member, "name", name.as_str())?;
        self.commit("set my name", now);
        Ok(())
    }

    pub fn members(&self) -> Result<Vec<Member>> {
        let members = self.map(MEMBERS)?;
        let mut out = Vec::new();
        for id in self.doc.keys(&members) {
            let Some(obj) = self.child_map(&members, &id)? else {
                continue;
            };
            out.push(Member {
                name: str_at(&self.doc, &obj, "name")?.unwrap_or_default(),
                joined_at: int_at(&self.doc, &obj, "joined_at")?.unwrap_or_default(),
                id,
            });
        }
        out.sort_by_key(|m| m.joined_at);
        Ok(out)
    }

    /// Proposes an agreement; it is in force only once the partner accepts it.
    pub fn propose_agreement(&mut self, text: &str, now: Millis) -> Result<String> {
        let text = validate::text("agreement text", text, validate::MAX_AGREEMENT_CHARS)?;
        let agreements = self.map(AGREEMENTS)?;
        let id = new_id();
        let obj = self
            .doc
            .put_object(&agreements, id.as_str(), ObjType::Map)?;
        self.doc.put(&obj, "text", text.as_str())?;
        self.doc.put(&obj, "proposed_by", self.me.as_str())?;
        self.doc.put(&obj, "proposed_at", now)?;
        self.commit("propose agreement", now);
        Ok(id)
    }

    /// Accepts the partner's proposal. `id` may be a unique prefix of the full id.
    pub fn accept_agreement(&mut self, id: &str, now: Millis) -> Result<Agreement> {
        let id = self.resolve(AGREEMENTS, "agreement", id)?;
        let current = self.agreement(&id)?;
        if current.proposed_by == self.me {
            return Err(CoreError::NotPermitted(
                "an agreement is accepted by the partner who did not propose it",
            ));
        }
        if current.accepted_by.is_some() {
            return Err(CoreError::NotPermitted(
                "this agreement is already in force",
            ));
        }
        let agreements = self.map(AGREEMENTS)?;
        let obj = self
            .child_map(&agreements, &id)?
            .ok_or_else(|| CoreError::UnknownId {
                kind: "agreement",
                id: id.clone(),
            })?;
        self.doc.put(&obj, "accepted_by", self.me.as_str())?;
        self.doc.put(&obj, "accepted_at", now)?;
        self.commit("accept agreement", now);
        self.agreement(&id)
    }

    pub fn agreement(&self, id: &str) -> Result<Agreement> {
        let agreements = self.map(AGREEMENTS)?;
        let obj = self
            .child_map(&agreements, id)?
            .ok_or_else(|| CoreError::UnknownId {
                kind: "agreement",
                id: id.to_owned(),
            })?;
        read_agreement(&self.doc, id, &obj)
    }

    /// Every agreement, oldest proposal first.
    pub fn agreements(&self) -> Result<Vec<Agreement>> {
        let agreements = self.map(AGREEMENTS)?;
        let mut out = Vec::new();
        for id in self.doc.keys(&agreements) {
            if let Some(obj) = self.child_map(&agreements, &id)? {
                out.push(read_agreement(&self.doc, &id, &obj)?);
            }
        }
        out.sort_by(|a, b| (a.proposed_at, &a.id).cmp(&(b.proposed_at, &b.id)));
        Ok(out)
    }

    pub fn record_checkin(&mut self, input: &CheckInInput, now: Millis) -> Result<String> {
        let safety = validate::score("safety", input.safety)?;
        let trust = validate::score("trust", input.trust)?;
        let connection = validate::score("connection", input.connection)?;
        let moods = validate::moods(&input.moods)?;
        let note =
            validate::optional_text("note", input.note.as_deref(), validate::MAX_NOTE_CHARS)?;

        let checkins = self.map(CHECKINS)?;
        let id = new_id();
        let obj = self.doc.put_object(&checkins, id.as_str(), ObjType::Map)?;
        self.doc.put(&obj, "author", self.me.as_str())?;
        self.doc.put(&obj, "recorded_at", now)?;
        self.doc.put(&obj, "safety", safety as u64)?;
        self.doc.put(&obj, "trust", trust as u64)?;
        self.doc.put(&obj, "connection", connection as u64)?;
        let list = self.doc.put_object(&obj, "moods", ObjType::List)?;
        for (i, word) in moods.iter().enumerate() {
            self.doc.insert(&list, i, word.as_str())?;
        }
        if let Some(note) = &note {
            self.doc.put(&obj, "note", note.as_str())?;
        }
        self.commit("record check-in", now);
        Ok(id)
    }

    /// Every check-in, oldest first.
    pub fn checkins(&self) -> Result<Vec<CheckIn>> {
        let checkins = self.map(CHECKINS)?;
        let mut out = Vec::new();
        for id in self.doc.keys(&checkins) {
            let Some(obj) = self.child_map(&checkins, &id)? else {
                continue;
            };
            let moods = match self.doc.get(&obj, "moods")? {
                Some((Value::Object(ObjType::List), list)) => (0..self.doc.length(&list))
                    .filter_map(|i| match self.doc.get(&list, i) {
                        Ok(Some((v, _))) => v.as_str().map(str::to_owned),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            out.push(CheckIn {
                author: str_at(&self.doc, &obj, "author")?.unwrap_or_default(),
                recorded_at: int_at(&self.doc, &obj, "recorded_at")?.unwrap_or_default(),
                safety: score_at(&self.doc, &obj, "safety")?,
                trust: score_at(&self.doc, &obj, "trust")?,
                connection: score_at(&self.doc, &obj, "connection")?,
                note: str_at(&self.doc, &obj, "note")?,
                moods,
                id,
            });
        }
        out.sort_by(|a, b| (a.recorded_at, &a.id).cmp(&(b.recorded_at, &b.id)));
        Ok(out)
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The whole document as a standard Automerge binary.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Direct access for the sync protocol, which speaks Automerge's own messages.
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Merges changes from a partner's document (full or partial save data).
    pub fn merge_bytes(&mut self, bytes: &[u8]) -> Result<usize> {
        Ok(self.doc.load_incremental(bytes)?)
    }

    fn commit(&mut self, message: &str, now: Millis) {
        // Automerge stores commit time in seconds; the Rust default would be 0.
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(message)
                .with_time(now / 1000),
        );
    }

    fn map(&self, key: &str) -> Result<ObjId> {
        match self.doc.get(ROOT, key)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(CoreError::Malformed(format!("no {key} map"))),
        }
    }

    fn child_map(&self, parent: &ObjId, key: &str) -> Result<Option<ObjId>> {
        Ok(match self.doc.get(parent, key)? {
            Some((Value::Object(ObjType::Map), id)) => Some(id),
            _ => None,
        })
    }

    /// Finds the full id of a record from a unique prefix (ids are long to type).
    fn resolve(&self, map: &str, kind: &'static str, prefix: &str) -> Result<String> {
        let prefix = prefix.trim();
        if prefix.is_empty() {
            return Err(CoreError::EmptyText { field: "id" });
        }
        let obj = self.map(map)?;
        let mut found = self.doc.keys(&obj).filter(|k| k.starts_with(prefix));
        match (found.next(), found.next()) {
            (Some(id), None) => Ok(id),
            (None, _) => Err(CoreError::UnknownId {
                kind,
                id: prefix.to_owned(),
            }),
            (Some(_), Some(_)) => Err(CoreError::AmbiguousId {
                kind,
                prefix: prefix.to_owned(),
            }),
        }
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn read_agreement(doc: &AutoCommit, id: &str, obj: &ObjId) -> Result<Agreement> {
    Ok(Agreement {
        id: id.to_owned(),
        text: str_at(doc, obj, "text")?.unwrap_or_default(),
        proposed_by: str_at(doc, obj, "proposed_by")?.unwrap_or_default(),
        proposed_at: int_at(doc, obj, "proposed_at")?.unwrap_or_default(),
        accepted_by: str_at(doc, obj, "accepted_by")?,
        accepted_at: int_at(doc, obj, "accepted_at")?,
    })
}

fn str_at(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<String>> {
    Ok(doc
        .get(obj, key)?
        .and_then(|(v, _)| v.as_str().map(str::to_owned)))
}

fn int_at(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<Option<i64>> {
    Ok(doc.get(obj, key)?.and_then(|(v, _)| match v.as_scalar() {
        Some(ScalarValue::Int(i)) => Some(*i),
        Some(ScalarValue::Uint(u)) => i64::try_from(*u).ok(),
        Some(ScalarValue::Timestamp(t)) => Some(*t),
        _ => None,
    }))
}

fn score_at(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<u8> {
    Ok(int_at(doc, obj, key)?
        .and_then(|v| u8::try_from(v).ok())
        .unwrap_or(0)
        .min(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(n: u8) -> ActorId {
        ActorId::from(vec![n; 16])
    }

    fn checkin(s: i64) -> CheckInInput {
        CheckInInput {
            safety: s,
            trust: 4,
            connection: 5,
            moods: vec!["hopeful".into()],
            note: Some("walked together".into()),
        }
    }

    /// The inviter creates the skeleton; the joiner loads it.
    fn pair() -> (CoupleDoc, CoupleDoc) {
        let mut a = CoupleDoc::create(&actor(1), "Ana", 1_000).unwrap();
        let mut b = CoupleDoc::load(&a.save(), &actor(2)).unwrap();
        b.set_my_name("Ben", 2_000).unwrap();
        a.merge_bytes(&b.save()).unwrap();
        (a, b)
    }

    #[test]
    fn agreement_is_in_force_only_once_the_other_partner_accepts() {
        let (mut a, mut b) = pair();
        let id = a
            .propose_agreement("No contact with the affair partner", 3_000)
            .unwrap();
        assert!(matches!(
            a.accept_agreement(&id, 3_500),
            Err(CoreError::NotPermitted(_))
        ));
        b.merge_bytes(&a.save()).unwrap();
        let accepted = b.accept_agreement(&id[..8], 4_000).unwrap();
        assert_eq!(accepted.status(), crate::AgreementStatus::InForce);
        assert_eq!(accepted.accepted_by.as_deref(), Some(b.me()));
        assert!(matches!(
            b.accept_agreement(&id, 5_000),
            Err(CoreError::NotPermitted(_))
        ));
    }

    #[test]
    fn unknown_and_ambiguous_ids_are_typed_errors() {
        let (_, mut b) = pair();
        assert!(matches!(
            b.accept_agreement("nope", 1),
            Err(CoreError::UnknownId { .. })
        ));
        assert!(matches!(
            b.accept_agreement("", 1),
            Err(CoreError::EmptyText { .. })
        ));
    }

    #[test]
    fn checkins_validate_and_read_back() {
        let (mut a, _) = pair();
        assert!(matches!(
            a.record_checkin(&checkin(11), 1),
            Err(CoreError::ScoreOutOfRange { .. })
        ));
        let id = a.record_checkin(&checkin(7), 5_000).unwrap();
        let all = a.checkins().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].id, id);
        assert_eq!(all[0].safety, 7);
        assert_eq!(all[0].moods, vec!["hopeful"]);
        assert_eq!(all[0].note.as_deref(), Some("walked together"));
        assert_eq!(all[0].author, a.me());
    }

    #[test]
    fn concurrent_records_from_both_partners_all_survive_a_merge() {
        let (mut a, mut b) = pair();
        a.record_checkin(&checkin(3), 10_000).unwrap();
        b.record_checkin(&checkin(6), 10_000).unwrap();
        a.propose_agreement("Phone stays open to you this month", 10_001)
            .unwrap();
        b.propose_agreement("Weekly walk on Sundays", 10_001)
            .unwrap();
        a.merge_bytes(&b.save()).unwrap();
        b.merge_bytes(&a.save()).unwrap();
        assert_eq!(a.heads(), b.heads());
        assert_eq!(a.checkins().unwrap().len(), 2);
        assert_eq!(a.agreements().unwrap(), b.agreements().unwrap());
        assert_eq!(a.members().unwrap().len(), 2);
    }

    #[test]
    fn every_commit_carries_time_and_message() {
        let (mut a, _) = pair();
        a.record_checkin(&checkin(5), 1_700_000_000_000).unwrap();
        let change = a.automerge_mut().get_last_local_change().unwrap();
        assert_eq!(change.timestamp(), 1_700_000_000);
        assert_eq!(change.message(), Some("record check-in"));
    }

    #[test]
    fn a_newer_schema_is_refused_not_misread() {
        let mut a = CoupleDoc::create(&actor(1), "Ana", 1).unwrap();
        a.automerge_mut()
            .put(ROOT, "schema_version", SCHEMA_VERSION + 1)
            .unwrap();
        let bytes = a.save();
        assert!(matches!(
            CoupleDoc::load(&bytes, &actor(2)),
            Err(CoreError::SchemaTooNew { .. })
        ));
    }
}
