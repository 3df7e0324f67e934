use crate::am::Obj;
use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::transaction::Transactable;

use crate::doc::{APPRECIATIONS, CoupleDoc};
use crate::error::{CoreError, Result};
use crate::model::{Appreciation, Millis};
use crate::validate;

impl CoupleDoc {
    /// Thanks or praise for the partner.
    pub fn appreciate(&mut self, text: &str, now: Millis) -> Result<String> {
        let text = validate::text("appreciation", text, validate::MAX_NOTE_CHARS)?;
        let to = self.partner_id().ok_or(CoreError::NotPermitted(
            "appreciations go to a partner who has joined",
        ))?;
        let (id, obj) = self.new_record(APPRECIATIONS, "author", now)?;
        self.doc.put(&obj, "to", to.as_str())?;
        self.doc.put(&obj, "at", now)?;
        self.doc.put(&obj, "text", text.as_str())?;
        self.commit("appreciate", now);
        Ok(id)
    }

    pub fn appreciations(&self) -> Vec<Appreciation> {
        self.read_family::<Appreciations>()
    }
}

pub(crate) struct Appreciations;

impl FamilyDef for Appreciations {
    type R = Appreciation;
    const MAP: &'static str = APPRECIATIONS;
    const KIND: RecordKind = RecordKind::Appreciation;

    fn read(id: &str, a: &Obj<'_>) -> Vec<Appreciation> {
        let id = id.to_owned();
        vec![Appreciation {
            author: a.string("author"),
            to: a.string("to"),
            at: a.time("at"),
            text: a.string("text"),
            id,
        }]
    }

    fn list(s: &Snapshot) -> &Vec<Appreciation> {
        &s.appreciations
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<Appreciation> {
        &mut s.appreciations
    }
}
