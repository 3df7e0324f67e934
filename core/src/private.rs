//! The private space: a second Automerge document, local to this device.
//! It holds a journal and private notes. The sync layer is never given it:
//! `Device` exposes it only through these methods, and the sync protocol
//! reads only the shared document.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};

use crate::am::Obj;
use crate::error::{CoreError, Result};
use crate::model::Millis;
use crate::notice_gate::Interval;
use crate::validate;

const JOURNAL: &str = "journal";
const NOTES: &str = "notes";
/// A setting of this device's user alone: how often, at most, the phone
/// may show a notification of the partner's changes (`notice_gate`). It
/// lives here so the partner never sees or changes it.
const NOTICE_INTERVAL: &str = "notice_interval_minutes";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub id: String,
    pub at: Millis,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateNote {
    pub id: String,
    pub at: Millis,
    pub title: String,
    pub text: String,
}

#[derive(Clone)]
pub struct PrivateDoc {
    doc: AutoCommit,
}

impl std::fmt::Debug for PrivateDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateDoc").finish_non_exhaustive()
    }
}

impl PrivateDoc {
    pub fn new(actor: &ActorId) -> Result<Self> {
        let mut doc = AutoCommit::new().with_actor(actor.clone());
        doc.put(ROOT, "kind", "kintsugi-private")?;
        doc.put_object(ROOT, JOURNAL, ObjType::Map)?;
        doc.put_object(ROOT, NOTES, ObjType::Map)?;
        doc.commit_with(CommitOptions::default().with_message("create private space"));
        Ok(PrivateDoc { doc })
    }

    pub fn load(bytes: &[u8], actor: &ActorId) -> Result<Self> {
        Ok(PrivateDoc {
            doc: AutoCommit::load(bytes)?.with_actor(actor.clone()),
        })
    }

    pub(crate) fn from_automerge(doc: AutoCommit, actor: &ActorId) -> Self {
        PrivateDoc {
            doc: doc.with_actor(actor.clone()),
        }
    }

    pub(crate) fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    pub(crate) fn into_automerge(self) -> AutoCommit {
        self.doc
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    pub fn merge_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        self.doc.load_incremental(bytes)?;
        Ok(())
    }

    pub fn write_journal(&mut self, text: &str, now: Millis) -> Result<String> {
        let text = validate::text("journal entry", text, validate::MAX_PRIVATE_CHARS)?;
        let map = self.map(JOURNAL)?;
        let id = crate::doc::new_id();
        let entry = self.doc.put_object(&map, id.as_str(), ObjType::Map)?;
        self.doc.put(&entry, "at", now)?;
        self.doc.put(&entry, "text", text.as_str())?;
        self.commit("write journal", now);
        Ok(id)
    }

    pub fn add_note(&mut self, title: &str, text: &str, now: Millis) -> Result<String> {
        let title = validate::text("title", title, validate::MAX_NAME_CHARS)?;
        let text = validate::text("note", text, validate::MAX_PRIVATE_CHARS)?;
        let map = self.map(NOTES)?;
        let id = crate::doc::new_id();
        let entry = self.doc.put_object(&map, id.as_str(), ObjType::Map)?;
        self.doc.put(&entry, "at", now)?;
        self.doc.put(&entry, "title", title.as_str())?;
        self.doc.put(&entry, "text", text.as_str())?;
        self.commit("add private note", now);
        Ok(id)
    }

    /// Newest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        let mut out: Vec<JournalEntry> = self
            .entries(JOURNAL)
            .into_iter()
            .map(|(id, e)| JournalEntry {
                at: e.time("at"),
                text: e.string("text"),
                id,
            })
            .collect();
        out.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        out
    }

    /// Newest first.
    pub fn notes(&self) -> Vec<PrivateNote> {
        let mut out: Vec<PrivateNote> = self
            .entries(NOTES)
            .into_iter()
            .map(|(id, e)| PrivateNote {
                at: e.time("at"),
                title: e.string("title"),
                text: e.string("text"),
                id,
            })
            .collect();
        out.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        out
    }

    /// How often, at most, the phone may notify of the partner's changes;
    /// the default until the user chose (or if what is stored is out of
    /// bounds).
    pub fn notice_interval(&self) -> Interval {
        match self.doc.get(ROOT, NOTICE_INTERVAL).ok().flatten() {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(m) => u32::try_from(*m)
                    .ok()
                    .and_then(|m| Interval::minutes(m).ok())
                    .unwrap_or_default(),
                _ => Interval::default(),
            },
            _ => Interval::default(),
        }
    }

    /// Sets the interval (refused outside its bounds).
    pub fn set_notice_interval(&mut self, minutes: u32, now: Millis) -> Result<Interval> {
        let interval = Interval::minutes(minutes)?;
        self.doc
            .put(ROOT, NOTICE_INTERVAL, ScalarValue::Uint(u64::from(minutes)))?;
        self.commit("set notice interval", now);
        Ok(interval)
    }

    /// Every change hash, for tests that check none of them ever travels.
    pub fn change_hashes(&mut self) -> Vec<automerge::ChangeHash> {
        self.doc.get_changes(&[]).iter().map(|c| c.hash()).collect()
    }

    fn entries(&self, key: &str) -> Vec<(String, Obj<'_>)> {
        match self.doc.get(ROOT, key).ok().flatten() {
            Some((Value::Object(ObjType::Map), id)) => Obj::new(&self.doc, id).entries(),
            _ => Vec::new(),
        }
    }

    fn map(&self, key: &str) -> Result<automerge::ObjId> {
        match self.doc.get(ROOT, key)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(CoreError::Malformed(format!(
                "private document has no {key}"
            ))),
        }
    }

    fn commit(&mut self, message: &str, now: Millis) {
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(message)
                .with_time(now / 1000),
        );
    }
}
