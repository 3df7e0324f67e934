//! The private space: a journal and notes that live on this device only and
//! never sync.

use kintsugi_core::private;

/// An entry of the private journal (never leaves this device).
#[derive(Debug, Clone, uniffi::Record)]
pub struct JournalEntry {
    /// Stable id of this record.
    pub id: String,
    /// When it was recorded (ms since the Unix epoch).
    pub at_ms: i64,
    /// The entry as written (never leaves this device).
    pub text: String,
}

/// A private note (never leaves this device).
#[derive(Debug, Clone, uniffi::Record)]
pub struct PrivateNote {
    /// Stable id of this record.
    pub id: String,
    /// When it was recorded (ms since the Unix epoch).
    pub at_ms: i64,
    /// The note's title.
    pub title: String,
    /// The note as written (never leaves this device).
    pub text: String,
}

impl From<private::JournalEntry> for JournalEntry {
    fn from(e: private::JournalEntry) -> Self {
        JournalEntry {
            id: e.id,
            at_ms: e.at,
            text: e.text,
        }
    }
}

impl From<private::PrivateNote> for PrivateNote {
    fn from(n: private::PrivateNote) -> Self {
        PrivateNote {
            id: n.id,
            at_ms: n.at,
            title: n.title,
            text: n.text,
        }
    }
}
