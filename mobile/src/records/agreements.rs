//! Agreements and boundaries, temporary transparency offers, and commitments.

use kintsugi_core as core;

use super::{FromCore, list};

/// Where an agreement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AgreementStatus {
    /// No version has been accepted by both partners yet.
    Proposed,
    /// The latest version is accepted by both.
    InForce,
    /// An earlier version is in force; a newer one waits for acceptance.
    RevisionPending,
    /// Withdrawn by its proposer before it came into force.
    Withdrawn,
}

/// An agreement or boundary. It is in force only once both partners accepted
/// a version; a revision is a new version and the old ones stay readable.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Agreement {
    /// Stable id of this record.
    pub id: String,
    /// The wording in force, or the latest proposal's while none is.
    pub text: String,
    /// Who proposed the first version.
    pub proposed_by: String,
    /// True when this partner proposed the first version.
    pub proposed_by_me: bool,
    /// When the first version was proposed (ms since the Unix epoch).
    pub proposed_at_ms: i64,
    /// True once some version is accepted by both partners (it may be an
    /// older one while a revision waits: see `status`).
    pub in_force: bool,
    /// When the version in force was accepted by both.
    pub accepted_at_ms: Option<i64>,
    /// Where the agreement stands (proposed, in force, revision pending, withdrawn).
    pub status: AgreementStatus,
    /// The review date (`YYYY-MM-DD`) of the version `text` comes from.
    pub review_on: Option<String>,
    /// Every version, oldest first.
    pub versions: Vec<AgreementVersion>,
    /// When it was withdrawn, if it was (ms since the Unix epoch).
    pub withdrawn_at_ms: Option<i64>,
    /// Each partner's honest "kept" / "slipped" notes, oldest first.
    pub checks: Vec<KeptCheck>,
}

/// One version of an agreement's wording.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AgreementVersion {
    /// Stable id of this record.
    pub id: String,
    /// 1 for the proposal, then 2, 3, … for each revision.
    pub number: i32,
    /// The wording of this version.
    pub text: String,
    /// When the couple mean to look at it again (`YYYY-MM-DD`).
    pub review_on: Option<String>,
    /// Who wrote this version (they accept it by writing it).
    pub by: String,
    /// True when this partner wrote this version.
    pub by_me: bool,
    /// When this version was proposed (ms since the Unix epoch).
    pub at_ms: i64,
    /// Who accepted this version and when, oldest first.
    pub acceptances: Vec<Acceptance>,
    /// This device's partner has accepted (or written) this version.
    pub accepted_by_me: bool,
}

/// One partner's acceptance of an agreement version.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Acceptance {
    /// Member id of the partner who accepted.
    pub by: String,
    /// True when this partner accepted.
    pub by_me: bool,
    /// When they accepted (ms since the Unix epoch).
    pub at_ms: i64,
}

/// A partner's honest note that they kept, or slipped on, an agreement.
#[derive(Debug, Clone, uniffi::Record)]
pub struct KeptCheck {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who wrote the check.
    pub by: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When it was recorded (ms since the Unix epoch).
    pub at_ms: i64,
    /// True for "kept", false for "slipped".
    pub kept: bool,
    /// An optional note from whoever wrote it.
    pub note: Option<String>,
}

/// A temporary transparency offer ("my phone is open to you this month"):
/// made by its owner only, ending on its own, withdrawable by its owner alone.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TransparencyOffer {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who offered it (only they can withdraw it).
    pub owner: String,
    /// Made by this device's partner (only they can withdraw it).
    pub by_me: bool,
    /// What is offered, in the owner's words.
    pub text: String,
    /// When it was offered (ms since the Unix epoch).
    pub offered_at_ms: i64,
    /// When the offer ends by itself (ms since the Unix epoch).
    pub expires_at_ms: i64,
    /// When the owner withdrew it, if they did (ms since the Unix epoch).
    pub withdrawn_at_ms: Option<i64>,
    /// Neither withdrawn nor expired at the moment the list was read.
    pub active: bool,
}

/// What a commitment is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CommitmentKind {
    /// No contact with the affair partner.
    NoContact,
    /// A responsibility taken on at home.
    AddedResponsibility,
    /// A small change of habit.
    SmallChange,
    /// Anything else the author wants to commit to.
    Other,
}

/// A commitment one partner takes on for themselves, with their own log.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Commitment {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who wrote it.
    pub author: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When it was created (ms since the Unix epoch).
    pub created_at_ms: i64,
    /// What sort of commitment it is.
    pub kind: CommitmentKind,
    /// The commitment in its author's words.
    pub text: String,
    /// When its author ended it, if they did (ms since the Unix epoch).
    pub ended_at_ms: Option<i64>,
    /// The author's log, oldest first.
    pub log: Vec<CommitmentLog>,
}

/// The author's note that they kept a commitment on a day (or did not).
#[derive(Debug, Clone, uniffi::Record)]
pub struct CommitmentLog {
    /// Stable id of this record.
    pub id: String,
    /// When the entry was written (ms since the Unix epoch).
    pub at_ms: i64,
    /// The day it is about (`YYYY-MM-DD`).
    pub day: String,
    /// True when the commitment was kept that day.
    pub kept: bool,
    /// An optional note from whoever wrote it.
    pub note: Option<String>,
}

impl From<core::AgreementStatus> for AgreementStatus {
    fn from(s: core::AgreementStatus) -> Self {
        match s {
            core::AgreementStatus::Proposed => AgreementStatus::Proposed,
            core::AgreementStatus::InForce => AgreementStatus::InForce,
            core::AgreementStatus::RevisionPending => AgreementStatus::RevisionPending,
            core::AgreementStatus::Withdrawn => AgreementStatus::Withdrawn,
        }
    }
}

/// Both partners: an agreement is in force once two have accepted it.
const MEMBERS: usize = 2;

impl FromCore<core::Agreement> for Agreement {
    fn from_core(a: core::Agreement, me: &str) -> Self {
        let in_force = a.in_force_version(MEMBERS);
        let shown = in_force.or(a.latest());
        Agreement {
            in_force: in_force.is_some(),
            accepted_at_ms: in_force.and_then(|v| v.acceptances.iter().map(|x| x.at).max()),
            review_on: shown.and_then(|v| v.review_on.clone()),
            status: a.status().into(),
            proposed_by_me: a.proposed_by == me,
            text: a.text().to_owned(),
            id: a.id,
            proposed_by: a.proposed_by,
            proposed_at_ms: a.proposed_at,
            versions: list(a.versions, me),
            withdrawn_at_ms: a.withdrawn_at,
            checks: list(a.checks, me),
        }
    }
}

impl FromCore<core::AgreementVersion> for AgreementVersion {
    fn from_core(v: core::AgreementVersion, me: &str) -> Self {
        AgreementVersion {
            accepted_by_me: v.acceptances.iter().any(|x| x.by == me),
            by_me: v.by == me,
            id: v.id,
            number: i32::try_from(v.number).unwrap_or(i32::MAX),
            text: v.text,
            review_on: v.review_on,
            by: v.by,
            at_ms: v.at,
            acceptances: list(v.acceptances, me),
        }
    }
}

impl FromCore<core::Acceptance> for Acceptance {
    fn from_core(a: core::Acceptance, me: &str) -> Self {
        Acceptance {
            by_me: a.by == me,
            by: a.by,
            at_ms: a.at,
        }
    }
}

impl FromCore<core::KeptCheck> for KeptCheck {
    fn from_core(c: core::KeptCheck, me: &str) -> Self {
        KeptCheck {
            by_me: c.by == me,
            id: c.id,
            by: c.by,
            at_ms: c.at,
            kept: c.kept,
            note: c.note,
        }
    }
}

impl TransparencyOffer {
    /// `now` decides `active`.
    pub(crate) fn from_core(o: core::TransparencyOffer, me: &str, now: i64) -> Self {
        TransparencyOffer {
            active: o.is_active(now),
            by_me: o.owner == me,
            id: o.id,
            owner: o.owner,
            text: o.text,
            offered_at_ms: o.offered_at,
            expires_at_ms: o.expires_at,
            withdrawn_at_ms: o.withdrawn_at,
        }
    }
}

impl From<CommitmentKind> for core::CommitmentKind {
    fn from(k: CommitmentKind) -> Self {
        match k {
            CommitmentKind::NoContact => core::CommitmentKind::NoContact,
            CommitmentKind::AddedResponsibility => core::CommitmentKind::AddedResponsibility,
            CommitmentKind::SmallChange => core::CommitmentKind::SmallChange,
            CommitmentKind::Other => core::CommitmentKind::Other,
        }
    }
}

impl From<core::CommitmentKind> for CommitmentKind {
    fn from(k: core::CommitmentKind) -> Self {
        match k {
            core::CommitmentKind::NoContact => CommitmentKind::NoContact,
            core::CommitmentKind::AddedResponsibility => CommitmentKind::AddedResponsibility,
            core::CommitmentKind::SmallChange => CommitmentKind::SmallChange,
            core::CommitmentKind::Other => CommitmentKind::Other,
        }
    }
}

impl FromCore<core::Commitment> for Commitment {
    fn from_core(c: core::Commitment, me: &str) -> Self {
        Commitment {
            by_me: c.author == me,
            id: c.id,
            author: c.author,
            created_at_ms: c.created_at,
            kind: c.kind.into(),
            text: c.text,
            ended_at_ms: c.ended_at,
            log: c.log.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<core::CommitmentLog> for CommitmentLog {
    fn from(l: core::CommitmentLog) -> Self {
        CommitmentLog {
            id: l.id,
            at_ms: l.at,
            day: l.day,
            kept: l.kept,
            note: l.note,
        }
    }
}
