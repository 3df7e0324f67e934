//! What the partners give each other: requests, disclosures, questions,
//! triggers and repairs, appreciations, time together.

use kintsugi_core as core;

use super::{FromCore, Revision, list};

/// A specific low-cost behaviour one partner asked for; the other logs each
/// time they did it, and the asker acknowledges each.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Request {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who asked (only they acknowledge).
    pub asker: String,
    /// Asked by this device's partner (only they reword, retire or acknowledge).
    pub by_me: bool,
    /// The behaviour asked for, in the asker's words.
    pub text: String,
    /// When it was created (ms since the Unix epoch).
    pub created_at_ms: i64,
    /// Set once the asker retired it; nothing more is logged then.
    pub retired_at_ms: Option<i64>,
    /// Every time it was done, oldest first.
    pub done: Vec<DoneEntry>,
    /// Earlier wordings.
    pub revisions: Vec<Revision>,
    /// The asked partner's standing answer; `None` until they answer. A
    /// request is asked, never imposed: only what was done under a yes
    /// counts in consistency and summaries.
    pub answer: Option<RequestAnswerKind>,
    /// Every answer, oldest first (earlier ones stay visible).
    pub answers: Vec<RequestAnswer>,
}

/// The asked partner's answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RequestAnswerKind {
    /// Yes.
    Yes,
    /// "Let's talk about it first."
    TalkFirst,
    /// "Not now."
    NotNow,
    /// They took back an earlier yes.
    YesRetired,
}

/// One answer of the asked partner.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RequestAnswer {
    /// Stable id of this answer.
    pub id: String,
    /// Member id of the partner who answered (the one who was asked).
    pub by: String,
    /// True when this device's partner answered.
    pub by_me: bool,
    /// When (ms since the Unix epoch).
    pub at_ms: i64,
    /// What they said.
    pub kind: RequestAnswerKind,
    /// An optional note with it.
    pub note: Option<String>,
}

impl From<core::RequestAnswerKind> for RequestAnswerKind {
    fn from(k: core::RequestAnswerKind) -> Self {
        match k {
            core::RequestAnswerKind::Yes => RequestAnswerKind::Yes,
            core::RequestAnswerKind::TalkFirst => RequestAnswerKind::TalkFirst,
            core::RequestAnswerKind::NotNow => RequestAnswerKind::NotNow,
            core::RequestAnswerKind::YesRetired => RequestAnswerKind::YesRetired,
        }
    }
}

impl From<RequestAnswerKind> for core::RequestAnswerKind {
    fn from(k: RequestAnswerKind) -> Self {
        match k {
            RequestAnswerKind::Yes => core::RequestAnswerKind::Yes,
            RequestAnswerKind::TalkFirst => core::RequestAnswerKind::TalkFirst,
            RequestAnswerKind::NotNow => core::RequestAnswerKind::NotNow,
            RequestAnswerKind::YesRetired => core::RequestAnswerKind::YesRetired,
        }
    }
}

impl FromCore<core::RequestAnswer> for RequestAnswer {
    fn from_core(a: core::RequestAnswer, me: &str) -> Self {
        RequestAnswer {
            by_me: a.by == me,
            id: a.id,
            by: a.by,
            at_ms: a.at,
            kind: a.kind.into(),
            note: a.note,
        }
    }
}

/// One time the asked partner did what was requested.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DoneEntry {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who did it.
    pub by: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When it was logged as done (ms since the Unix epoch).
    pub at_ms: i64,
    /// Whether it was done while the doer's yes stood (what counts).
    pub counts: bool,
    /// An optional note from whoever wrote it.
    pub note: Option<String>,
    /// The asker's answer, once given.
    pub acknowledgement: Option<Acknowledgement>,
}

/// The asker's answer to one done entry.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Acknowledgement {
    /// When the asker answered (ms since the Unix epoch).
    pub at_ms: i64,
    /// False: "thank you, but it did not land".
    pub landed: bool,
    /// The asker's optional words.
    pub note: Option<String>,
}

/// Volunteered truth-telling (e.g. "the affair partner contacted me today").
/// It exists only when its author offers it; nothing can ask for one.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Disclosure {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who wrote it.
    pub author: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When it was recorded (ms since the Unix epoch).
    pub at_ms: i64,
    /// What was shared, in the author's words.
    pub what: String,
    /// What was done about it.
    pub action_taken: Option<String>,
    /// Earlier wordings of `action_taken`.
    pub revisions: Vec<Revision>,
}

/// Where a question stands, from its latest response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum QuestionStatus {
    /// Asked; no response yet.
    Open,
    /// The asked partner needs space before talking about it.
    NotReadyYet,
    /// Put into a question window (`scheduled_for`).
    Scheduled,
    /// The asked partner answered it.
    Answered,
    /// Set aside by the asker.
    Parked,
}

/// What a partner does with a question. `NotReadyYet`, `Schedule` and
/// `Answer` come from the partner who was asked; `Park` and `Reopen` from the
/// asker; `ForTherapist` from either.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum QuestionResponse {
    /// Space is needed before talking about it.
    NotReadyYet,
    /// Talk about it in a question window on `day` (`YYYY-MM-DD`).
    Schedule { day: String },
    /// Keep it for a session with the therapist.
    ForTherapist,
    /// The answer.
    Answer { text: String },
    /// Set it aside.
    Park,
    /// Open it again.
    Reopen,
}

/// A question written down for when the other partner is ready.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Question {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who asked.
    pub asker: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When it was recorded (ms since the Unix epoch).
    pub at_ms: i64,
    /// The question.
    pub text: String,
    /// A short topic word, so a topic that keeps coming back can be noticed.
    pub topic: Option<String>,
    /// Where the question stands (open, not ready yet, scheduled, answered, parked).
    pub status: QuestionStatus,
    /// Someone tagged it "for the therapist".
    pub for_therapist: bool,
    /// The question window (`YYYY-MM-DD`) while it is scheduled.
    pub scheduled_for: Option<String>,
    /// Every response, oldest first.
    pub responses: Vec<QuestionResponseEntry>,
}

/// One response to a question, with who gave it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct QuestionResponseEntry {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who did it.
    pub by: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When it was recorded (ms since the Unix epoch).
    pub at_ms: i64,
    /// The response given.
    pub response: QuestionResponse,
}

/// A moment that hurt again (a song, a place), and the other's repairs.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Trigger {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who wrote it.
    pub author: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When it was recorded (ms since the Unix epoch).
    pub at_ms: i64,
    /// What hurt again (a place, a song, a smell), in the author's words.
    pub what: String,
    /// 0–10.
    pub intensity: i32,
    /// The other partner's responses, oldest first.
    pub repairs: Vec<Repair>,
}

/// The other partner's repair response to a trigger.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Repair {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who responded.
    pub by: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When it was recorded (ms since the Unix epoch).
    pub at_ms: i64,
    /// The response, in their words.
    pub text: String,
}

/// Thanks or praise for the partner.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Appreciation {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who wrote it.
    pub author: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// The member it is for.
    pub to: String,
    /// True when it is addressed to this device's partner.
    pub to_me: bool,
    /// When it was recorded (ms since the Unix epoch).
    pub at_ms: i64,
    /// The words as written.
    pub text: String,
}

/// What kind of time together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TogetherKind {
    /// A planned date.
    Date,
    /// A recurring ritual (a walk, a weekly talk).
    Ritual,
    /// Recreate a good memory.
    RecreateMemory,
}

/// Planned time together and how it went for each partner.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TimeTogether {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who planned it.
    pub planner: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When it was created (ms since the Unix epoch).
    pub created_at_ms: i64,
    /// What sort of time together it is.
    pub kind: TogetherKind,
    /// What is planned, in the planner's words.
    pub title: String,
    /// `YYYY-MM-DD`.
    pub planned_for: String,
    /// At most one per partner (their latest word).
    pub outcomes: Vec<TogetherOutcome>,
    /// At least one partner said it happened.
    pub happened: bool,
}

/// One partner's word on how a time together went.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TogetherOutcome {
    /// Member id of the partner who did it.
    pub by: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When the outcome was recorded (ms since the Unix epoch).
    pub at_ms: i64,
    /// Whether it took place.
    pub happened: bool,
    /// How it felt, 0–10.
    pub felt: Option<i32>,
    /// An optional note from whoever wrote it.
    pub note: Option<String>,
}

impl FromCore<core::Request> for Request {
    fn from_core(r: core::Request, me: &str) -> Self {
        let answer = r.answer().map(Into::into);
        let counted: Vec<bool> = r.done.iter().map(|d| r.counts(d)).collect();
        let mut done: Vec<DoneEntry> = list(r.done, me);
        for (d, counts) in done.iter_mut().zip(counted) {
            d.counts = counts;
        }
        Request {
            by_me: r.asker == me,
            id: r.id,
            asker: r.asker,
            text: r.text,
            created_at_ms: r.created_at,
            retired_at_ms: r.retired_at,
            done,
            revisions: list(r.revisions, me),
            answer,
            answers: list(r.answers, me),
        }
    }
}

impl FromCore<core::DoneEntry> for DoneEntry {
    fn from_core(d: core::DoneEntry, me: &str) -> Self {
        DoneEntry {
            by_me: d.by == me,
            id: d.id,
            by: d.by,
            at_ms: d.at,
            // Set by the request, which knows its answers.
            counts: false,
            note: d.note,
            acknowledgement: d.acknowledgement.map(|a| Acknowledgement {
                at_ms: a.at,
                landed: a.landed,
                note: a.note,
            }),
        }
    }
}

impl FromCore<core::Disclosure> for Disclosure {
    fn from_core(d: core::Disclosure, me: &str) -> Self {
        Disclosure {
            by_me: d.author == me,
            id: d.id,
            author: d.author,
            at_ms: d.at,
            what: d.what,
            action_taken: d.action_taken,
            revisions: list(d.revisions, me),
        }
    }
}

impl From<core::QuestionStatus> for QuestionStatus {
    fn from(s: core::QuestionStatus) -> Self {
        match s {
            core::QuestionStatus::Open => QuestionStatus::Open,
            core::QuestionStatus::NotReadyYet => QuestionStatus::NotReadyYet,
            core::QuestionStatus::Scheduled => QuestionStatus::Scheduled,
            core::QuestionStatus::Answered => QuestionStatus::Answered,
            core::QuestionStatus::Parked => QuestionStatus::Parked,
        }
    }
}

impl From<QuestionResponse> for core::Respond {
    fn from(r: QuestionResponse) -> Self {
        match r {
            QuestionResponse::NotReadyYet => core::Respond::NotReadyYet,
            QuestionResponse::Schedule { day } => core::Respond::Schedule(day),
            QuestionResponse::ForTherapist => core::Respond::ForTherapist,
            QuestionResponse::Answer { text } => core::Respond::Answer(text),
            QuestionResponse::Park => core::Respond::Park,
            QuestionResponse::Reopen => core::Respond::Reopen,
        }
    }
}

impl FromCore<core::Question> for Question {
    fn from_core(q: core::Question, me: &str) -> Self {
        Question {
            by_me: q.asker == me,
            id: q.id,
            asker: q.asker,
            at_ms: q.at,
            text: q.text,
            topic: q.topic,
            status: q.status.into(),
            for_therapist: q.for_therapist,
            scheduled_for: q.scheduled_for,
            responses: list(q.responses, me),
        }
    }
}

impl FromCore<core::QuestionResponse> for QuestionResponseEntry {
    fn from_core(r: core::QuestionResponse, me: &str) -> Self {
        use core::ResponseKind as K;
        let response = match r.kind {
            K::NotReadyYet => QuestionResponse::NotReadyYet,
            K::Schedule => QuestionResponse::Schedule {
                day: r.window.unwrap_or_default(),
            },
            K::ForTherapist => QuestionResponse::ForTherapist,
            K::Answer => QuestionResponse::Answer {
                text: r.text.unwrap_or_default(),
            },
            K::Park => QuestionResponse::Park,
            K::Reopen => QuestionResponse::Reopen,
        };
        QuestionResponseEntry {
            by_me: r.by == me,
            id: r.id,
            by: r.by,
            at_ms: r.at,
            response,
        }
    }
}

impl FromCore<core::Trigger> for Trigger {
    fn from_core(t: core::Trigger, me: &str) -> Self {
        Trigger {
            by_me: t.author == me,
            id: t.id,
            author: t.author,
            at_ms: t.at,
            what: t.what,
            intensity: t.intensity.into(),
            repairs: list(t.repairs, me),
        }
    }
}

impl FromCore<core::Repair> for Repair {
    fn from_core(r: core::Repair, me: &str) -> Self {
        Repair {
            by_me: r.by == me,
            id: r.id,
            by: r.by,
            at_ms: r.at,
            text: r.text,
        }
    }
}

impl FromCore<core::Appreciation> for Appreciation {
    fn from_core(a: core::Appreciation, me: &str) -> Self {
        Appreciation {
            by_me: a.author == me,
            to_me: a.to == me,
            id: a.id,
            author: a.author,
            to: a.to,
            at_ms: a.at,
            text: a.text,
        }
    }
}

impl From<TogetherKind> for core::TogetherKind {
    fn from(k: TogetherKind) -> Self {
        match k {
            TogetherKind::Date => core::TogetherKind::Date,
            TogetherKind::Ritual => core::TogetherKind::Ritual,
            TogetherKind::RecreateMemory => core::TogetherKind::RecreateMemory,
        }
    }
}

impl From<core::TogetherKind> for TogetherKind {
    fn from(k: core::TogetherKind) -> Self {
        match k {
            core::TogetherKind::Date => TogetherKind::Date,
            core::TogetherKind::Ritual => TogetherKind::Ritual,
            core::TogetherKind::RecreateMemory => TogetherKind::RecreateMemory,
        }
    }
}

impl FromCore<core::TimeTogether> for TimeTogether {
    fn from_core(t: core::TimeTogether, me: &str) -> Self {
        TimeTogether {
            happened: t.happened(),
            by_me: t.planner == me,
            id: t.id,
            planner: t.planner,
            created_at_ms: t.created_at,
            kind: t.kind.into(),
            title: t.title,
            planned_for: t.planned_for,
            outcomes: list(t.outcomes, me),
        }
    }
}

impl FromCore<core::TogetherOutcome> for TogetherOutcome {
    fn from_core(o: core::TogetherOutcome, me: &str) -> Self {
        TogetherOutcome {
            by_me: o.by == me,
            by: o.by,
            at_ms: o.at,
            happened: o.happened,
            felt: o.felt.map(Into::into),
            note: o.note,
        }
    }
}
