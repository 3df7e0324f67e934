use crate::am::Obj;
use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::ObjType;
use automerge::transaction::Transactable;

use crate::doc::{CoupleDoc, QUESTIONS, by_time, new_id};
use crate::error::{CoreError, Result};
use crate::model::{Millis, Question, QuestionResponse, QuestionStatus, ResponseKind};
use crate::validate;

/// What a partner does with a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Respond {
    /// The asked partner needs space first.
    NotReadyYet,
    /// Put into a question window on this day (`YYYY-MM-DD`).
    Schedule(String),
    /// Keep it for a session with the therapist (either partner).
    ForTherapist,
    /// The asked partner answers.
    Answer(String),
    /// The asker sets it aside.
    Park,
    /// The asker opens it again.
    Reopen,
}

impl CoupleDoc {
    /// Writes down a question one wants to ask, with an optional topic word.
    pub fn ask_question(&mut self, text: &str, topic: Option<&str>, now: Millis) -> Result<String> {
        let text = validate::text("question", text, validate::MAX_NOTE_CHARS)?;
        let topic = match topic.map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(validate::free_words(&[t.to_owned()])?.remove(0)),
        };
        let (id, obj) = self.new_record(QUESTIONS, "asker", now)?;
        self.doc.put(&obj, "at", now)?;
        self.doc.put(&obj, "text", text.as_str())?;
        self.put_opt_text(&obj, "topic", topic.as_deref())?;
        self.container(&obj, "responses")?;
        self.commit("ask question", now);
        Ok(id)
    }

    pub fn respond_to_question(
        &mut self,
        id: &str,
        response: Respond,
        now: Millis,
    ) -> Result<String> {
        let (qid, obj) = self.find(QUESTIONS, "question", id)?;
        let asker = self.obj(&obj).string("asker") == self.me;
        let (kind, window, text) = match response {
            Respond::NotReadyYet | Respond::Schedule(_) | Respond::Answer(_) if asker => {
                return Err(CoreError::NotPermitted(
                    "space, scheduling and answers come from the partner who was asked",
                ));
            }
            Respond::Park | Respond::Reopen if !asker => {
                return Err(CoreError::NotPermitted(
                    "only the partner who asked can park or reopen a question",
                ));
            }
            Respond::NotReadyYet => (ResponseKind::NotReadyYet, None, None),
            Respond::Schedule(day) => (
                ResponseKind::Schedule,
                Some(validate::day("window", Some(&day))?),
                None,
            ),
            Respond::ForTherapist => (ResponseKind::ForTherapist, None, None),
            Respond::Answer(text) => (
                ResponseKind::Answer,
                None,
                Some(validate::text("answer", &text, validate::MAX_NOTE_CHARS)?),
            ),
            Respond::Park => (ResponseKind::Park, None, None),
            Respond::Reopen => (ResponseKind::Reopen, None, None),
        };
        let responses = self.container_for_write(&obj, "responses")?;
        let rid = new_id();
        let entry = self
            .doc
            .put_object(&responses, rid.as_str(), ObjType::Map)?;
        self.doc.put(&entry, "by", self.me.as_str())?;
        self.doc.put(&entry, "at", now)?;
        self.doc.put(&entry, "kind", kind_str(kind))?;
        self.put_opt_text(&entry, "window", window.as_deref())?;
        self.put_opt_text(&entry, "text", text.as_deref())?;
        self.commit("respond to question", now);
        let _ = qid;
        Ok(rid)
    }

    pub fn questions(&self) -> Vec<Question> {
        self.read_family::<Questions>()
    }
}

/// The latest status-setting response decides; "for the therapist" is a tag.
fn status_of(responses: &[QuestionResponse]) -> (QuestionStatus, Option<String>) {
    let mut status = (QuestionStatus::Open, None);
    for r in responses {
        status = match r.kind {
            ResponseKind::NotReadyYet => (QuestionStatus::NotReadyYet, None),
            ResponseKind::Schedule => (QuestionStatus::Scheduled, r.window.clone()),
            ResponseKind::Answer => (QuestionStatus::Answered, None),
            ResponseKind::Park => (QuestionStatus::Parked, None),
            ResponseKind::Reopen => (QuestionStatus::Open, None),
            ResponseKind::ForTherapist => continue,
        };
    }
    status
}

fn kind_str(kind: ResponseKind) -> &'static str {
    match kind {
        ResponseKind::NotReadyYet => "not_ready_yet",
        ResponseKind::Schedule => "schedule",
        ResponseKind::ForTherapist => "for_therapist",
        ResponseKind::Answer => "answer",
        ResponseKind::Park => "park",
        ResponseKind::Reopen => "reopen",
    }
}

fn parse_kind(s: &str) -> Option<ResponseKind> {
    Some(match s {
        "not_ready_yet" => ResponseKind::NotReadyYet,
        "schedule" => ResponseKind::Schedule,
        "for_therapist" => ResponseKind::ForTherapist,
        "answer" => ResponseKind::Answer,
        "park" => ResponseKind::Park,
        "reopen" => ResponseKind::Reopen,
        _ => return None,
    })
}

pub(crate) struct Questions;

impl FamilyDef for Questions {
    type R = Question;
    const MAP: &'static str = QUESTIONS;
    const KIND: RecordKind = RecordKind::Question;

    fn read(id: &str, q: &Obj<'_>) -> Vec<Question> {
        let id = id.to_owned();
        vec![{
            let mut responses: Vec<QuestionResponse> = q
                .entries_of("responses")
                .into_iter()
                .filter_map(|(rid, r)| {
                    Some(QuestionResponse {
                        kind: parse_kind(&r.str("kind")?)?,
                        by: r.string("by"),
                        at: r.time("at"),
                        window: r.str("window"),
                        text: r.str("text"),
                        id: rid,
                    })
                })
                .collect();
            by_time(&mut responses, |r| (r.at, r.id.as_str()));
            let (status, scheduled_for) = status_of(&responses);
            Question {
                asker: q.string("asker"),
                at: q.time("at"),
                text: q.string("text"),
                topic: q.str("topic"),
                for_therapist: responses
                    .iter()
                    .any(|r| r.kind == ResponseKind::ForTherapist),
                status,
                scheduled_for,
                responses,
                id,
            }
        }]
    }

    fn list(s: &Snapshot) -> &Vec<Question> {
        &s.questions
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<Question> {
        &mut s.questions
    }
}
