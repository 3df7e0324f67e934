//! Daily check-ins and the monthly trust survey.

use kintsugi_core::{MOOD_VOCABULARY, SURVEY_ITEMS};

use crate::records::list;
use crate::{CheckIn, CheckInInput, Companion, Result, TrustSurvey};

/// The mood words a check-in offers, in display order. Other words go in
/// `CheckInInput.free_words`.
#[uniffi::export]
pub fn mood_vocabulary() -> Vec<String> {
    MOOD_VOCABULARY.iter().map(|w| (*w).to_owned()).collect()
}

/// The trust survey's statements, in order; each is answered 0 (not at all)
/// to 4 (completely). The score is the sum scaled to 0–100.
#[uniffi::export]
pub fn survey_items() -> Vec<String> {
    SURVEY_ITEMS.iter().map(|s| (*s).to_owned()).collect()
}

#[uniffi::export]
impl Companion {
    /// Records a check-in for a day (today unless `input.day` says otherwise).
    /// A second one the same day revises the first; skipping days is normal
    /// and nothing counts them. Returns its id.
    pub fn record_checkin(&self, input: CheckInInput) -> Result<String> {
        let input = input.into();
        self.update(|doc, now| doc.record_checkin(&input, now))
    }

    /// Every check-in of both partners, oldest first.
    pub fn checkins(&self) -> Result<Vec<CheckIn>> {
        self.read(|doc, me| list(doc.checkins(), me))
    }

    /// Answers the trust survey for the month of `day` (`YYYY-MM-DD`, today
    /// when absent): one answer 0–4 per statement of `survey_items()`.
    /// Answering again that month revises it. Returns its id.
    #[uniffi::method(default(day = None))]
    pub fn answer_survey(&self, answers: Vec<i32>, day: Option<String>) -> Result<String> {
        let answers: Vec<i64> = answers.into_iter().map(Into::into).collect();
        self.update(|doc, now| doc.answer_survey(day.as_deref(), &answers, now))
    }

    /// Every trust survey of both partners, oldest first.
    pub fn surveys(&self) -> Result<Vec<TrustSurvey>> {
        self.read(|doc, me| list(doc.surveys(), me))
    }
}
