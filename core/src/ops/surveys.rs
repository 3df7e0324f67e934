use crate::am::Obj;
use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::ObjType;
use automerge::transaction::Transactable;

use crate::doc::{CoupleDoc, SURVEYS, new_id, revisions};
use crate::error::{CoreError, Result};
use crate::model::{Millis, SURVEY_ITEMS, TrustSurvey};
use crate::validate;

/// Score 0–100: the answers (0–4 each) summed and scaled.
pub fn survey_score(answers: &[u8]) -> u8 {
    let max = (SURVEY_ITEMS.len() * 4) as u32;
    let sum: u32 = answers.iter().map(|a| u32::from(*a)).sum();
    ((sum * 100 + max / 2) / max) as u8
}

impl CoupleDoc {
    /// Answers the monthly trust survey. At most one per partner per month:
    /// answering again that month revises it, with the earlier answers kept.
    pub fn answer_survey(
        &mut self,
        month_day: Option<&str>,
        answers: &[i64],
        now: Millis,
    ) -> Result<String> {
        let day = validate::day("day", month_day)?;
        let month = day[..7].to_owned();
        if answers.len() != SURVEY_ITEMS.len() {
            return Err(CoreError::InvalidValue {
                field: "answers",
                reason: format!(
                    "expected {} answers, got {}",
                    SURVEY_ITEMS.len(),
                    answers.len()
                ),
            });
        }
        let answers: Vec<u8> = answers
            .iter()
            .map(|a| validate::bounded("answers", *a, 4))
            .collect::<Result<_>>()?;
        let existing = self
            .surveys()
            .into_iter()
            .find(|s| s.author == self.me && s.month == month);
        let (id, obj, message) = match existing {
            Some(s) => {
                let (id, obj) = self.find(SURVEYS, "survey", &s.id)?;
                let revs = self.container_for_write(&obj, "revisions")?;
                let entry = self
                    .doc
                    .put_object(&revs, new_id().as_str(), ObjType::Map)?;
                self.doc.put(&entry, "at", now)?;
                self.doc.put(&entry, "by", self.me.as_str())?;
                self.doc.put(&entry, "field", "answers")?;
                let before = serde_json::to_string(&s.answers).unwrap_or_default();
                self.doc.put(&entry, "before", before.as_str())?;
                (id, obj, "revise trust survey")
            }
            None => {
                let (id, obj) = self.new_record(SURVEYS, "author", now)?;
                self.doc.put(&obj, "month", month.as_str())?;
                self.container(&obj, "revisions")?;
                (id, obj, "answer trust survey")
            }
        };
        self.doc.put(&obj, "at", now)?;
        let list = self.doc.put_object(&obj, "answers", ObjType::List)?;
        for (i, a) in answers.iter().enumerate() {
            self.doc.insert(&list, i, u64::from(*a))?;
        }
        self.commit(message, now);
        Ok(id)
    }

    pub fn surveys(&self) -> Vec<TrustSurvey> {
        self.read_family::<Surveys>()
    }
}

pub(crate) struct Surveys;

impl FamilyDef for Surveys {
    type R = TrustSurvey;
    const MAP: &'static str = SURVEYS;
    const KIND: RecordKind = RecordKind::Survey;

    fn read(id: &str, s: &Obj<'_>) -> Vec<TrustSurvey> {
        let id = id.to_owned();
        vec![{
            let answers: Vec<u8> = s
                .numbers("answers")
                .into_iter()
                .map(|a| a.clamp(0, 4) as u8)
                .collect();
            TrustSurvey {
                author: s.string("author"),
                month: s.string("month"),
                at: s.time("at"),
                score: survey_score(&answers),
                answers,
                revisions: revisions(s),
                id,
            }
        }]
    }

    fn list(s: &Snapshot) -> &Vec<TrustSurvey> {
        &s.surveys
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<TrustSurvey> {
        &mut s.surveys
    }
}
