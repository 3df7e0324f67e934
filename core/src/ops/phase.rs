use crate::am::Obj;
use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::transaction::Transactable;

use crate::doc::{CoupleDoc, PHASE_CHANGES};
use crate::error::{CoreError, Result};
use crate::model::{Millis, Phase, PhaseChange, Role};
use crate::validate;

impl CoupleDoc {
    /// Moves the recovery phase (atone → attune → attach). Forward only by a
    /// partner whose role is "I was hurt" or "both": forgiveness is on the hurt
    /// partner's schedule. Either partner may move it back.
    pub fn set_phase(&mut self, to: Phase, note: Option<&str>, now: Millis) -> Result<String> {
        let note = validate::optional_text("note", note, validate::MAX_NOTE_CHARS)?;
        let from = self.current_phase();
        if to == from {
            return Err(CoreError::NotPermitted(
                "the recovery phase is already there",
            ));
        }
        let role = self.role_of(&self.me.clone());
        if to > from && !role.may_advance_phase() {
            return Err(CoreError::NotPermitted(
                "only a partner who says \"I was hurt\" (or \"both\") moves the recovery phase forward",
            ));
        }
        let (id, obj) = self.new_record(PHASE_CHANGES, "by", now)?;
        self.doc.put(&obj, "at", now)?;
        self.doc.put(&obj, "from", from.as_str())?;
        self.doc.put(&obj, "to", to.as_str())?;
        self.put_opt_text(&obj, "note", note.as_deref())?;
        // Who moved it, in which role: a role switched for the move shows.
        self.doc.put(&obj, "role", role.as_str())?;
        self.commit("change recovery phase", now);
        Ok(id)
    }

    pub fn current_phase(&self) -> Phase {
        crate::model::Snapshot {
            phase_changes: self.phase_changes(),
            ..Default::default()
        }
        .phase()
    }

    pub fn phase_changes(&self) -> Vec<PhaseChange> {
        self.read_family::<PhaseChanges>()
    }
}

pub(crate) struct PhaseChanges;

impl FamilyDef for PhaseChanges {
    type R = PhaseChange;
    const MAP: &'static str = PHASE_CHANGES;
    const KIND: RecordKind = RecordKind::Phase;

    fn read(id: &str, c: &Obj<'_>) -> Vec<PhaseChange> {
        read_change(id, c).into_iter().collect()
    }

    fn list(s: &Snapshot) -> &Vec<PhaseChange> {
        &s.phase_changes
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<PhaseChange> {
        &mut s.phase_changes
    }
}

/// One phase change; one naming a phase this version does not know is left out.
fn read_change(id: &str, c: &Obj<'_>) -> Option<PhaseChange> {
    Some(PhaseChange {
        by: c.string("by"),
        at: c.time("at"),
        from: Phase::parse(&c.str("from")?)?,
        to: Phase::parse(&c.str("to")?)?,
        note: c.str("note"),
        role: c.str("role").and_then(|r| Role::parse(&r)),
        id: id.to_owned(),
    })
}
