//! The private space. It lives in a second document on this device only:
//! the sync protocol never reads it, so nothing written here reaches the
//! partner, a backup of the shared space, or a therapist export. It works
//! before pairing too.

use crate::{Companion, JournalEntry, PrivateNote, Result};

#[uniffi::export]
impl Companion {
    /// Writes a private journal entry. It never syncs. Returns its id.
    pub fn write_journal(&self, text: String) -> Result<String> {
        Ok(self
            .device()?
            .update_private(|private, now| private.write_journal(&text, now))?)
    }

    /// The private journal, newest first. Only this device has it.
    pub fn journal(&self) -> Result<Vec<JournalEntry>> {
        let private = self.device()?.private()?;
        Ok(private.journal().into_iter().map(Into::into).collect())
    }

    /// Adds a private note. It never syncs. Returns its id.
    pub fn add_private_note(&self, title: String, text: String) -> Result<String> {
        Ok(self
            .device()?
            .update_private(|private, now| private.add_note(&title, &text, now))?)
    }

    /// The private notes, newest first. Only this device has them.
    pub fn private_notes(&self) -> Result<Vec<PrivateNote>> {
        let private = self.device()?.private()?;
        Ok(private.notes().into_iter().map(Into::into).collect())
    }
}
