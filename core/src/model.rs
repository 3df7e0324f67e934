//! Plain views of the records in the shared document. They are read out of
//! the Automerge document on demand and never stored separately: the document
//! is the truth, and the derived views (`views/`) are computed from these.
//!
//! Conventions:
//! - times are milliseconds since the Unix epoch (UTC), `Millis`;
//! - calendar days are ISO dates `YYYY-MM-DD` in the author's local time;
//! - member ids are the devices' Automerge actor ids (hex);
//! - record ids are random 128-bit hex strings;
//! - a record's own fields are only ever changed by its author; what the other
//!   partner does about it (accepting, acknowledging, scheduling, repairing)
//!   is a separate entry authored by them.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// How a partner describes their place in what happened. Each partner sets
/// only their own; role-dependent rules (the recovery phase) read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// "I was hurt."
    Hurt,
    /// "I broke the trust."
    BrokeTrust,
    /// Both.
    Both,
    /// Prefer not to say (the default).
    Unsaid,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Hurt => "hurt",
            Role::BrokeTrust => "broke_trust",
            Role::Both => "both",
            Role::Unsaid => "unsaid",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "hurt" => Role::Hurt,
            "broke_trust" => Role::BrokeTrust,
            "both" => Role::Both,
            "unsaid" => Role::Unsaid,
            _ => return None,
        })
    }

    /// Whether this partner may move the recovery phase forward.
    pub fn may_advance_phase(self) -> bool {
        matches!(self, Role::Hurt | Role::Both)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub joined_at: Millis,
    pub role: Role,
    /// Earlier names, roles and summary settings, with who changed them
    /// (only the member themself can). The timeline shows each change.
    pub revisions: Vec<Revision>,
    /// Whether this partner has said their own words (notes and texts) may
    /// appear in a summary the other partner prepares for a therapist.
    /// Off until they turn it on; only they can.
    #[serde(default)]
    pub words_in_summaries: bool,
}

impl Role {
    /// How the timeline and summaries name a role in a line of text.
    pub fn words(self) -> &'static str {
        match self {
            Role::Hurt => "I was hurt",
            Role::BrokeTrust => "I broke the trust",
            Role::Both => "both",
            Role::Unsaid => "prefer not to say",
        }
    }
}

/// One earlier value of a record's field, kept when its author changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub at: Millis,
    pub by: String,
    pub field: String,
    /// The value before the change, as text (JSON for non-text values).
    pub before: String,
}

// ---------------------------------------------------------------- agreements

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    /// No version has been accepted by both partners yet.
    Proposed,
    /// The latest version is accepted by both.
    InForce,
    /// An earlier version is in force; a newer one waits for acceptance.
    RevisionPending,
    /// Withdrawn: by its proposer before it came into force, or by either
    /// partner stepping out of it later.
    Withdrawn,
}

/// One version of an agreement's wording. A revision is a new version; old
/// versions stay readable with who wrote them and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementVersion {
    pub id: String,
    pub number: u32,
    pub text: String,
    /// When the couple means to look at it again (`YYYY-MM-DD`).
    pub review_on: Option<String>,
    pub by: String,
    pub at: Millis,
    /// Who accepted this version and when. The proposer of a version accepts
    /// it by proposing it, so their acceptance carries the version's time.
    pub acceptances: Vec<Acceptance>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    pub by: String,
    pub at: Millis,
}

/// A partner's honest note that they kept (or slipped on) an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptCheck {
    pub id: String,
    pub by: String,
    pub at: Millis,
    pub kept: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub id: String,
    pub proposed_by: String,
    pub proposed_at: Millis,
    /// Oldest first.
    pub versions: Vec<AgreementVersion>,
    pub withdrawn_at: Option<Millis>,
    /// Who withdrew: the proposer before it came into force, or either
    /// partner stepping out of one in force (nobody is bound by the app).
    pub withdrawn_by: Option<String>,
    pub checks: Vec<KeptCheck>,
}

/// A temporary transparency offer ("my phone is open to you this month"):
/// made by its owner only, ends on its own date, withdrawable by the owner alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransparencyOffer {
    pub id: String,
    pub owner: String,
    pub text: String,
    pub offered_at: Millis,
    pub expires_at: Millis,
    pub withdrawn_at: Option<Millis>,
}

/// Where an offer stands at a given moment (derived, never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    Active,
    /// Ran to its own end date.
    Expired,
    /// Withdrawn by its owner.
    Withdrawn,
}

impl TransparencyOffer {
    pub fn is_active(&self, now: Millis) -> bool {
        self.status(now) == OfferStatus::Active
    }

    pub fn status(&self, now: Millis) -> OfferStatus {
        if self.withdrawn_at.is_some() {
            OfferStatus::Withdrawn
        } else if now < self.expires_at {
            OfferStatus::Active
        } else {
            OfferStatus::Expired
        }
    }
}

// ----------------------------------------------------------------- check-ins

/// The mood words a check-in offers; free words are kept apart.
pub const MOOD_VOCABULARY: &[&str] = &[
    "angry", "sad", "numb", "jealous", "doubtful", "hopeful", "anxious", "calm", "lonely",
    "grateful", "close", "tired", "ashamed", "relieved", "hurt", "loved", "confused", "safe",
];

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckInInput {
    /// The author's local calendar day; today when `None`.
    pub day: Option<String>,
    pub safety: i64,
    pub trust: i64,
    pub connection: i64,
    /// "Did you feel listened to?" 0–10, optional.
    pub heard: Option<i64>,
    /// Words from `MOOD_VOCABULARY`.
    pub moods: Vec<String>,
    /// Any other single words the author wants.
    pub free_words: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    pub id: String,
    pub author: String,
    pub day: String,
    pub recorded_at: Millis,
    pub safety: u8,
    pub trust: u8,
    pub connection: u8,
    pub heard: Option<u8>,
    pub moods: Vec<String>,
    pub free_words: Vec<String>,
    pub note: Option<String>,
    /// Earlier values, when the author revised it the same day.
    pub revisions: Vec<Revision>,
}

impl CheckIn {
    /// One line for lists and the timeline:
    /// "safety 4 · trust 3 · connection 5 · heard 6 · hopeful, tender".
    pub fn summary(&self) -> String {
        let mut line = format!(
            "safety {} · trust {} · connection {}",
            self.safety, self.trust, self.connection
        );
        if let Some(h) = self.heard {
            line.push_str(&format!(" · heard {h}"));
        }
        let words: Vec<&str> = self
            .moods
            .iter()
            .chain(&self.free_words)
            .map(String::as_str)
            .collect();
        if !words.is_empty() {
            line.push_str(&format!(" · {}", words.join(", ")));
        }
        line
    }
}

// ------------------------------------------------------------------ requests

/// The asker's answer to one "done" entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub at: Millis,
    /// False: "thank you, but it did not land".
    pub landed: bool,
    pub note: Option<String>,
    /// Earlier answers, when the asker changed their mind.
    pub revisions: Vec<Revision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoneEntry {
    pub id: String,
    pub by: String,
    pub at: Millis,
    pub note: Option<String>,
    pub acknowledgement: Option<Acknowledgement>,
}

/// The asked partner's answer to a request. A request is asked, never
/// imposed: only what they said yes to counts as something to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestAnswerKind {
    Yes,
    /// "Let's talk about it first."
    TalkFirst,
    NotNow,
    /// They took back an earlier yes.
    YesRetired,
}

impl RequestAnswerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestAnswerKind::Yes => "yes",
            RequestAnswerKind::TalkFirst => "talk_first",
            RequestAnswerKind::NotNow => "not_now",
            RequestAnswerKind::YesRetired => "yes_retired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "yes" => RequestAnswerKind::Yes,
            "talk_first" => RequestAnswerKind::TalkFirst,
            "not_now" => RequestAnswerKind::NotNow,
            "yes_retired" => RequestAnswerKind::YesRetired,
            _ => return None,
        })
    }

    /// The words a line of the timeline or a summary uses.
    pub fn words(self) -> &'static str {
        match self {
            RequestAnswerKind::Yes => "yes",
            RequestAnswerKind::TalkFirst => "let's talk about it first",
            RequestAnswerKind::NotNow => "not now",
            RequestAnswerKind::YesRetired => "no longer a yes",
        }
    }
}

/// One answer of the asked partner, oldest first in `Request::answers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestAnswer {
    pub id: String,
    pub by: String,
    pub at: Millis,
    pub kind: RequestAnswerKind,
    pub note: Option<String>,
}

/// A low-cost behaviour one partner asks for in specific words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    pub asker: String,
    pub text: String,
    pub created_at: Millis,
    pub retired_at: Option<Millis>,
    pub done: Vec<DoneEntry>,
    pub revisions: Vec<Revision>,
    /// The asked partner's answers, oldest first; the latest stands.
    #[serde(default)]
    pub answers: Vec<RequestAnswer>,
}

impl Request {
    /// The answer standing at `at` (the latest one at or before it).
    pub fn answer_at(&self, at: Millis) -> Option<RequestAnswerKind> {
        self.answers
            .iter()
            .filter(|a| a.at <= at)
            .max_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)))
            .map(|a| a.kind)
    }

    /// The answer standing now.
    pub fn answer(&self) -> Option<RequestAnswerKind> {
        self.answer_at(Millis::MAX)
    }

    /// Whether a done entry counts: it was logged while the asked partner's
    /// yes stood. Consistency views and summaries count only these.
    pub fn counts(&self, done: &DoneEntry) -> bool {
        self.answer_at(done.at) == Some(RequestAnswerKind::Yes)
    }
}

// --------------------------------------------------------------- disclosures

/// Volunteered truth-telling. Only its author can create it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    pub id: String,
    pub author: String,
    pub at: Millis,
    pub what: String,
    pub action_taken: Option<String>,
    pub revisions: Vec<Revision>,
}

// ----------------------------------------------------------------- questions

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionStatus {
    Open,
    /// The other partner needs space before talking about it.
    NotReadyYet,
    /// Put into a question window.
    Scheduled,
    Answered,
    /// Set aside by the asker.
    Parked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseKind {
    NotReadyYet,
    Schedule,
    ForTherapist,
    Answer,
    /// Only the asker parks.
    Park,
    /// Only the asker reopens.
    Reopen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionResponse {
    pub id: String,
    pub by: String,
    pub at: Millis,
    pub kind: ResponseKind,
    /// The question window (`YYYY-MM-DD`) for `Schedule`.
    pub window: Option<String>,
    /// The answer for `Answer`, an optional word otherwise.
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub asker: String,
    pub at: Millis,
    pub text: String,
    /// A short topic word, so a topic that keeps coming back can be noticed.
    pub topic: Option<String>,
    pub responses: Vec<QuestionResponse>,
    /// Derived from the latest response.
    pub status: QuestionStatus,
    /// Derived: someone tagged it "for the therapist".
    pub for_therapist: bool,
    pub scheduled_for: Option<String>,
}

// ------------------------------------------------------------------ triggers

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    pub id: String,
    pub by: String,
    pub at: Millis,
    pub text: String,
}

/// A moment that hurt again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub id: String,
    pub author: String,
    pub at: Millis,
    pub what: String,
    /// 0–10.
    pub intensity: u8,
    pub repairs: Vec<Repair>,
}

// ------------------------------------------------------------- appreciations

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appreciation {
    pub id: String,
    pub author: String,
    pub to: String,
    pub at: Millis,
    pub text: String,
}

// ------------------------------------------------------------ time together

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TogetherKind {
    Date,
    Ritual,
    RecreateMemory,
}

/// How it went, for one partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TogetherOutcome {
    pub by: String,
    pub at: Millis,
    pub happened: bool,
    /// 0–10, how it felt.
    pub felt: Option<u8>,
    pub note: Option<String>,
    /// Their earlier word, when they changed it.
    pub revisions: Vec<Revision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeTogether {
    pub id: String,
    pub planner: String,
    pub created_at: Millis,
    pub kind: TogetherKind,
    pub title: String,
    pub planned_for: String,
    /// At most one per partner (their latest word).
    pub outcomes: Vec<TogetherOutcome>,
}

impl TimeTogether {
    pub fn happened(&self) -> bool {
        self.outcomes.iter().any(|o| o.happened)
    }
}

// ---------------------------------------------------------- recovery phase

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Atone,
    Attune,
    Attach,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Atone => "atone",
            Phase::Attune => "attune",
            Phase::Attach => "attach",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        Some(match s {
            "atone" => Phase::Atone,
            "attune" => Phase::Attune,
            "attach" => Phase::Attach,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseChange {
    pub id: String,
    pub by: String,
    pub at: Millis,
    pub from: Phase,
    pub to: Phase,
    pub note: Option<String>,
    /// The mover's role at that moment (missing in changes written before
    /// it was recorded).
    #[serde(default)]
    pub role: Option<Role>,
}

// ------------------------------------------------------------ trust survey

/// The survey's statements, each answered 0 (not at all) to 4 (completely).
/// Written for Kintsugi; see docs/data-model.md for the scoring.
pub const SURVEY_ITEMS: &[&str] = &[
    "I can believe what my partner tells me about their day.",
    "When something worries me, I can bring it up without it turning into a fight.",
    "My partner does what they said they would do.",
    "I feel my partner sees how this has affected me.",
    "I can picture us a year from now.",
    "I feel safe being open with my partner.",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustSurvey {
    pub id: String,
    pub author: String,
    /// `YYYY-MM`: at most one per partner per month.
    pub month: String,
    pub at: Millis,
    /// One answer 0–4 per item of `SURVEY_ITEMS`.
    pub answers: Vec<u8>,
    /// 0–100: the sum of answers scaled to 100.
    pub score: u8,
    pub revisions: Vec<Revision>,
}

// ------------------------------------------------------------- commitments

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentKind {
    NoContact,
    AddedResponsibility,
    SmallChange,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentLog {
    pub id: String,
    pub at: Millis,
    pub day: String,
    pub kept: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    pub id: String,
    pub author: String,
    pub created_at: Millis,
    pub kind: CommitmentKind,
    pub text: String,
    pub ended_at: Option<Millis>,
    pub log: Vec<CommitmentLog>,
}

// ------------------------------------------------------- summaries made

/// A content-free trace of a summary one partner prepared for a therapist:
/// both partners see that it was made, for which period and kinds, and which
/// records it drew on — never its text, and nothing of the preparer's
/// private space (not even whether entries of it were added: the private
/// journal's existence is its writer's alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryMade {
    pub id: String,
    /// The partner who prepared it.
    pub by: String,
    pub at: Millis,
    /// The period, `YYYY-MM-DD`, inclusive.
    pub from: String,
    pub to: String,
    /// The kinds brought, as `RecordKind` words (`check_in`, `question`…).
    pub kinds: Vec<String>,
    /// Only the questions tagged "for the therapist".
    pub therapist_questions_only: bool,
    /// Ids of the other partner's records (or records with entries of
    /// theirs) that the summary drew on.
    pub drew_on: Vec<String>,
    /// Whether the other partner's own words were in it (they had allowed it).
    pub partner_words: bool,
}

// ---------------------------------------------------------------- snapshot

/// Every record of the shared space at one moment: the input of every view.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Snapshot {
    pub members: Vec<Member>,
    pub agreements: Vec<Agreement>,
    pub offers: Vec<TransparencyOffer>,
    pub checkins: Vec<CheckIn>,
    pub requests: Vec<Request>,
    pub disclosures: Vec<Disclosure>,
    pub questions: Vec<Question>,
    pub triggers: Vec<Trigger>,
    pub appreciations: Vec<Appreciation>,
    pub together: Vec<TimeTogether>,
    pub phase_changes: Vec<PhaseChange>,
    pub surveys: Vec<TrustSurvey>,
    pub commitments: Vec<Commitment>,
    /// Summaries prepared for a therapist, oldest first.
    #[serde(default)]
    pub summaries: Vec<SummaryMade>,
}

impl Snapshot {
    /// The current recovery phase: the latest change, or atone at the start.
    pub fn phase(&self) -> Phase {
        self.phase_changes
            .iter()
            .max_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)))
            .map(|c| c.to)
            .unwrap_or(Phase::Atone)
    }
}
