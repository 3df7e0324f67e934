//! Daily check-ins and the monthly trust survey.

use kintsugi_core as core;

use super::{FromCore, Revision, list};

/// A check-in to record. At most one per partner per day: recording again the
/// same day revises it, and the earlier values stay in its history.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CheckInInput {
    /// How safe it feels to talk, 0–10.
    pub safety: i32,
    /// 0–10.
    pub trust: i32,
    /// 0–10.
    pub connection: i32,
    /// Words from `mood_vocabulary()`.
    #[uniffi(default = [])]
    pub moods: Vec<String>,
    /// An optional private-to-the-couple note.
    #[uniffi(default = None)]
    pub note: Option<String>,
    /// The day it is about (`YYYY-MM-DD`, the author's local day); today when absent.
    #[uniffi(default = None)]
    pub day: Option<String>,
    /// "Did you feel listened to?" 0–10, optional.
    #[uniffi(default = None)]
    pub heard: Option<i32>,
    /// Any other single words the author wants, beside the vocabulary.
    #[uniffi(default = [])]
    pub free_words: Vec<String>,
}

/// A recorded check-in.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CheckIn {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who wrote it.
    pub author: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When it was last recorded (a same-day revision moves it).
    pub recorded_at_ms: i64,
    /// How safe the author felt, 0–10.
    pub safety: i32,
    /// How much trust the author felt, 0–10.
    pub trust: i32,
    /// How connected the author felt, 0–10.
    pub connection: i32,
    /// Mood words from `mood_vocabulary()`.
    pub moods: Vec<String>,
    /// An optional note from whoever wrote it.
    pub note: Option<String>,
    /// The day it is about (`YYYY-MM-DD`).
    pub day: String,
    /// "Did you feel listened to?", when answered.
    pub heard: Option<i32>,
    /// Mood words the author typed themselves.
    pub free_words: Vec<String>,
    /// Earlier values, when the author revised it the same day.
    pub revisions: Vec<Revision>,
}

/// One partner's monthly trust survey: one answer 0 (not at all) to 4
/// (completely) per statement of `survey_items()`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TrustSurvey {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who wrote it.
    pub author: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// `YYYY-MM`: at most one per partner per month.
    pub month: String,
    /// When the latest answers were given (ms since the Unix epoch).
    pub at_ms: i64,
    /// One answer 0–4 per statement, in the order of `survey_items()`.
    pub answers: Vec<i32>,
    /// 0–100: the answers summed and scaled to 100.
    pub score: i32,
    /// The answers given earlier in the same month, oldest first.
    pub earlier_answers: Vec<SurveyRevision>,
}

/// Answers that were replaced when the author answered again the same month.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SurveyRevision {
    /// When they were replaced.
    pub at_ms: i64,
    /// The earlier answers, one per item of `survey_items()`.
    pub answers: Vec<i32>,
}

impl From<CheckInInput> for core::CheckInInput {
    fn from(c: CheckInInput) -> Self {
        core::CheckInInput {
            day: c.day,
            safety: c.safety.into(),
            trust: c.trust.into(),
            connection: c.connection.into(),
            heard: c.heard.map(Into::into),
            moods: c.moods,
            free_words: c.free_words,
            note: c.note,
        }
    }
}

impl FromCore<core::CheckIn> for CheckIn {
    fn from_core(c: core::CheckIn, me: &str) -> Self {
        CheckIn {
            by_me: c.author == me,
            id: c.id,
            author: c.author,
            recorded_at_ms: c.recorded_at,
            safety: c.safety.into(),
            trust: c.trust.into(),
            connection: c.connection.into(),
            moods: c.moods,
            note: c.note,
            day: c.day,
            heard: c.heard.map(Into::into),
            free_words: c.free_words,
            revisions: list(c.revisions, me),
        }
    }
}

impl FromCore<core::TrustSurvey> for TrustSurvey {
    fn from_core(s: core::TrustSurvey, me: &str) -> Self {
        TrustSurvey {
            by_me: s.author == me,
            id: s.id,
            author: s.author,
            month: s.month,
            at_ms: s.at,
            answers: s.answers.into_iter().map(Into::into).collect(),
            score: s.score.into(),
            earlier_answers: s
                .revisions
                .into_iter()
                .filter(|r| r.field == "answers")
                .map(|r| SurveyRevision {
                    at_ms: r.at,
                    // The core keeps a list's earlier value as JSON text.
                    answers: serde_json::from_str::<Vec<u8>>(&r.before)
                        .map(|a| a.into_iter().map(Into::into).collect())
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }
}
