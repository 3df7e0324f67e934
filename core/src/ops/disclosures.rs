use crate::am::Obj;
use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::ScalarValue;
use automerge::transaction::Transactable;

use crate::doc::{CoupleDoc, DISCLOSURES, revisions};
use crate::error::Result;
use crate::model::{Disclosure, Millis};
use crate::validate;

impl CoupleDoc {
    /// Volunteers something true ("the affair partner contacted me today")
    /// and what was done about it. There is deliberately no operation to ask
    /// for or require a disclosure: it exists only when its author offers it.
    pub fn disclose(
        &mut self,
        what: &str,
        action_taken: Option<&str>,
        now: Millis,
    ) -> Result<String> {
        let what = validate::text("disclosure", what, validate::MAX_NOTE_CHARS)?;
        let action =
            validate::optional_text("action taken", action_taken, validate::MAX_NOTE_CHARS)?;
        let (id, obj) = self.new_record(DISCLOSURES, "author", now)?;
        self.doc.put(&obj, "at", now)?;
        self.doc.put(&obj, "what", what.as_str())?;
        self.put_opt_text(&obj, "action_taken", action.as_deref())?;
        self.container(&obj, "revisions")?;
        self.commit("disclose", now);
        Ok(id)
    }

    /// Adds or changes what was done about one's own disclosure; the earlier
    /// words stay visible in its history.
    pub fn update_disclosure_action(
        &mut self,
        id: &str,
        action_taken: &str,
        now: Millis,
    ) -> Result<()> {
        let action = validate::text("action taken", action_taken, validate::MAX_NOTE_CHARS)?;
        let (_, obj) = self.find(DISCLOSURES, "disclosure", id)?;
        self.require_author(
            &obj,
            "author",
            "only the partner who disclosed can change it",
        )?;
        if self.revise(
            &obj,
            "action_taken",
            Some(ScalarValue::Str(action.into())),
            now,
        )? {
            self.commit("update disclosure", now);
        }
        Ok(())
    }

    pub fn disclosures(&self) -> Vec<Disclosure> {
        self.read_family::<Disclosures>()
    }
}

pub(crate) struct Disclosures;

impl FamilyDef for Disclosures {
    type R = Disclosure;
    const MAP: &'static str = DISCLOSURES;
    const KIND: RecordKind = RecordKind::Disclosure;

    fn read(id: &str, d: &Obj<'_>) -> Vec<Disclosure> {
        let id = id.to_owned();
        vec![Disclosure {
            author: d.string("author"),
            at: d.time("at"),
            what: d.string("what"),
            action_taken: d.str("action_taken"),
            revisions: revisions(d),
            id,
        }]
    }

    fn list(s: &Snapshot) -> &Vec<Disclosure> {
        &s.disclosures
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<Disclosure> {
        &mut s.disclosures
    }
}
