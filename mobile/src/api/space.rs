//! The two members, their roles, and the recovery phase.

use crate::records::list;
use crate::{Companion, Member, Phase, PhaseChange, Result, Role};

#[uniffi::export]
impl Companion {
    /// Both partners (the partner appears once they have joined), earliest first.
    pub fn members(&self) -> Result<Vec<Member>> {
        self.read(|doc, me| list(doc.members(), me))
    }

    /// This partner's own role; `Unsaid` until they set one.
    pub fn role(&self) -> Result<Role> {
        self.read(|doc, me| {
            doc.members()
                .into_iter()
                .find(|m| m.id == me)
                .map(|m| m.role.into())
                .unwrap_or(Role::Unsaid)
        })
    }

    /// Sets this partner's own role ("I was hurt", "I broke the trust",
    /// "both", "prefer not to say"). Nobody can set the other partner's role.
    pub fn set_role(&self, role: Role) -> Result<()> {
        self.update(|doc, now| doc.set_my_role(role.into(), now))
    }

    /// The current recovery phase (`Atone` until someone moves it).
    pub fn phase(&self) -> Result<Phase> {
        self.read(|doc, _| doc.current_phase().into())
    }

    /// Every move of the recovery phase, oldest first.
    pub fn phase_changes(&self) -> Result<Vec<PhaseChange>> {
        self.read(|doc, me| list(doc.phase_changes(), me))
    }

    /// Moves the recovery phase. Forward only by a partner whose role is
    /// `Hurt` or `Both` (forgiveness is on the hurt partner's schedule;
    /// otherwise `NotAllowed`); either partner may move it back. Returns the
    /// change's id.
    #[uniffi::method(default(note = None))]
    pub fn set_phase(&self, to: Phase, note: Option<String>) -> Result<String> {
        self.update(|doc, now| doc.set_phase(to.into(), note.as_deref(), now))
    }
}
