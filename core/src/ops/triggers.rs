use crate::am::Obj;
use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::ObjType;
use automerge::transaction::Transactable;

use crate::doc::{CoupleDoc, TRIGGERS, by_time, new_id};
use crate::error::Result;
use crate::model::{Millis, Repair, Trigger};
use crate::validate;

impl CoupleDoc {
    /// Notes a moment that hurt again (a song, a place) and how strongly.
    pub fn log_trigger(&mut self, what: &str, intensity: i64, now: Millis) -> Result<String> {
        let what = validate::text("what", what, validate::MAX_NOTE_CHARS)?;
        let intensity = validate::score("intensity", intensity)?;
        let (id, obj) = self.new_record(TRIGGERS, "author", now)?;
        self.doc.put(&obj, "at", now)?;
        self.doc.put(&obj, "what", what.as_str())?;
        self.doc.put(&obj, "intensity", u64::from(intensity))?;
        self.container(&obj, "repairs")?;
        self.commit("log trigger", now);
        Ok(id)
    }

    /// The other partner's repair response to a trigger.
    pub fn respond_to_trigger(&mut self, id: &str, text: &str, now: Millis) -> Result<String> {
        let text = validate::text("repair", text, validate::MAX_NOTE_CHARS)?;
        let (_, obj) = self.find(TRIGGERS, "trigger", id)?;
        self.require_not_author(&obj, "author", "a repair comes from the other partner")?;
        let repairs = self.container_for_write(&obj, "repairs")?;
        let rid = new_id();
        let entry = self.doc.put_object(&repairs, rid.as_str(), ObjType::Map)?;
        self.doc.put(&entry, "by", self.me.as_str())?;
        self.doc.put(&entry, "at", now)?;
        self.doc.put(&entry, "text", text.as_str())?;
        self.commit("repair after trigger", now);
        Ok(rid)
    }

    pub fn triggers(&self) -> Vec<Trigger> {
        self.read_family::<Triggers>()
    }
}

pub(crate) struct Triggers;

impl FamilyDef for Triggers {
    type R = Trigger;
    const MAP: &'static str = TRIGGERS;
    const KIND: RecordKind = RecordKind::Trigger;

    fn read(id: &str, t: &Obj<'_>) -> Vec<Trigger> {
        let id = id.to_owned();
        vec![{
            let mut repairs: Vec<Repair> = t
                .entries_of("repairs")
                .into_iter()
                .map(|(rid, r)| Repair {
                    by: r.string("by"),
                    at: r.time("at"),
                    text: r.string("text"),
                    id: rid,
                })
                .collect();
            by_time(&mut repairs, |r| (r.at, r.id.as_str()));
            Trigger {
                author: t.string("author"),
                at: t.time("at"),
                what: t.string("what"),
                intensity: t.small("intensity", 10).unwrap_or(0),
                repairs,
                id,
            }
        }]
    }

    fn list(s: &Snapshot) -> &Vec<Trigger> {
        &s.triggers
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<Trigger> {
        &mut s.triggers
    }
}
