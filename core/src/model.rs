//! Plain views of the records in the shared document. They are read out of
//! the Automerge document on demand and never stored separately: the document
//! is the truth.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// A partner, identified by the Automerge actor id of their device (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub joined_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    /// Proposed by one partner, waiting for the other.
    Proposed,
    /// Accepted by the partner who did not propose it.
    InForce,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub id: String,
    pub text: String,
    pub proposed_by: String,
    pub proposed_at: Millis,
    pub accepted_by: Option<String>,
    pub accepted_at: Option<Millis>,
}

impl Agreement {
    pub fn status(&self) -> AgreementStatus {
        if self.accepted_by.is_some() {
            AgreementStatus::InForce
        } else {
            AgreementStatus::Proposed
        }
    }
}

/// What a partner fills in for a daily check-in.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckInInput {
    pub safety: i64,
    pub trust: i64,
    pub connection: i64,
    pub moods: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    pub id: String,
    pub author: String,
    pub recorded_at: Millis,
    pub safety: u8,
    pub trust: u8,
    pub connection: u8,
    pub moods: Vec<String>,
    pub note: Option<String>,
}
