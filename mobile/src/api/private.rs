//! The private space. It lives in a second document on this device only:
//! the sync protocol never reads it, so nothing written here reaches the
//! partner, a backup of the shared space, or a therapist export. It works
//! before pairing too.
//!
//! A phone is sometimes handed over ("look at this"). An app can register
//! a [`PrivateSpaceLock`]: every call that shows something of the private
//! space (its entries, its size, an export, a backup or a summary holding
//! it), and every edit or deletion, asks it first and fails with
//! `PrivateLocked` when it says no. Writing a new entry does not ask: it
//! shows nothing, and whoever writes has something to write.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use crate::{CallbackError, Companion, JournalEntry, KintsugiError, PrivateNote, Result, lock};

/// A second lock in front of the private journal and notes, held by the
/// app (say, a biometric prompt, or the phone's screen lock asked again).
///
/// `unlock` is called on the thread of the companion call that needs it
/// (never the UI thread, since companion calls run off it) and may block
/// while the person authenticates. It is called once per such call; an app
/// that wants an unlock to last a few minutes remembers that itself.
/// Returning `false`, throwing, or failing in any way counts as locked.
#[uniffi::export(foreign)]
pub trait PrivateSpaceLock: Send + Sync {
    /// `true` once the person in front of the phone has proved to be its
    /// owner; `false` otherwise.
    fn unlock(&self) -> Result<bool, CallbackError>;
}

#[uniffi::export]
impl Companion {
    /// Registers the lock asked before the private space is shown (see
    /// [`PrivateSpaceLock`]), or with `None` removes it. Kept in memory:
    /// register it each time the companion is opened. Replacing or removing
    /// a lock asks the current one first (`PrivateLocked` if it says no).
    pub fn set_private_lock(&self, private_lock: Option<Arc<dyn PrivateSpaceLock>>) -> Result<()> {
        self.unlock_private()?;
        *lock(&self.private_lock) = private_lock;
        Ok(())
    }

    /// Writes a private journal entry. It never syncs. Returns its id.
    /// Does not ask the private lock: writing shows nothing.
    pub fn write_journal(&self, text: String) -> Result<String> {
        Ok(self
            .device()?
            .update_private(|private, now| private.write_journal(&text, now))?)
    }

    /// The private journal, newest first. Only this device has it. Asks
    /// the private lock first.
    pub fn journal(&self) -> Result<Vec<JournalEntry>> {
        self.unlock_private()?;
        let private = self.device()?.private()?;
        Ok(private.journal().into_iter().map(Into::into).collect())
    }

    /// Replaces the text of a journal entry (`id` may be a unique prefix).
    /// The old text is gone from this device's files, not only from view.
    /// Asks the private lock first.
    pub fn edit_journal(&self, id: String, text: String) -> Result<()> {
        self.unlock_private()?;
        self.device()?
            .update_private_forgetting(|private, now| private.edit_journal(&id, &text, now))?;
        Ok(())
    }

    /// Deletes a journal entry (`id` may be a unique prefix): it is gone
    /// from this device's files, not only from view. Asks the private lock.
    pub fn delete_journal(&self, id: String) -> Result<()> {
        self.unlock_private()?;
        self.device()?
            .update_private_forgetting(|private, now| private.delete_journal(&id, now))?;
        Ok(())
    }

    /// Adds a private note. It never syncs. Returns its id. Does not ask
    /// the private lock.
    pub fn add_private_note(&self, title: String, text: String) -> Result<String> {
        Ok(self
            .device()?
            .update_private(|private, now| private.add_note(&title, &text, now))?)
    }

    /// The private notes, newest first. Only this device has them. Asks
    /// the private lock first.
    pub fn private_notes(&self) -> Result<Vec<PrivateNote>> {
        self.unlock_private()?;
        let private = self.device()?.private()?;
        Ok(private.notes().into_iter().map(Into::into).collect())
    }

    /// Replaces a private note's text, and its title when one is given
    /// (`id` may be a unique prefix); the old words are gone from this
    /// device's files. Asks the private lock first.
    #[uniffi::method(default(title = None))]
    pub fn edit_private_note(&self, id: String, text: String, title: Option<String>) -> Result<()> {
        self.unlock_private()?;
        self.device()?.update_private_forgetting(|private, now| {
            private.edit_note(&id, title.as_deref(), &text, now)
        })?;
        Ok(())
    }

    /// Deletes a private note (`id` may be a unique prefix): it is gone from
    /// this device's files, not only from view. Asks the private lock.
    pub fn delete_private_note(&self, id: String) -> Result<()> {
        self.unlock_private()?;
        self.device()?
            .update_private_forgetting(|private, now| private.delete_note(&id, now))?;
        Ok(())
    }
}

impl Companion {
    /// Asks the registered private lock, if any. Call before taking the
    /// device: the person may take a while, and the app's lock may call
    /// back into the companion. The error says nothing of what the private
    /// space holds, or whether it holds anything.
    pub(crate) fn unlock_private(&self) -> Result<()> {
        ask(lock(&self.private_lock).clone())
    }

    /// [`Self::unlock_private`] for async calls: on a blocking thread of the
    /// companion's runtime, since the app's lock may block.
    pub(crate) async fn unlock_private_async(&self) -> Result<()> {
        let private_lock = lock(&self.private_lock).clone();
        self.on_runtime(crate::blocking(move || ask(private_lock)))
            .await
    }
}

fn ask(private_lock: Option<Arc<dyn PrivateSpaceLock>>) -> Result<()> {
    let Some(private_lock) = private_lock else {
        return Ok(());
    };
    // A panic in Rust code on the way (UniFFI turns the app's exceptions
    // into `Err`) is a refusal too: the lock fails closed, never open.
    match std::panic::catch_unwind(AssertUnwindSafe(|| private_lock.unlock())) {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => Err(KintsugiError::private_locked()),
        Ok(Err(_)) | Err(_) => {
            // What the app's lock threw is its own text: not logged.
            tracing::warn!("the private space lock failed; treated as locked");
            Err(KintsugiError::private_locked())
        }
    }
}
