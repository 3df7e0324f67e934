use crate::am::Obj;
use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::transaction::Transactable;
use automerge::{ObjType, ScalarValue};

use crate::doc::{CoupleDoc, REQUESTS, by_time, new_id, revisions};
use crate::error::{CoreError, Result};
use crate::model::{Acknowledgement, DoneEntry, Millis, Request, RequestAnswer, RequestAnswerKind};
use crate::validate;

impl CoupleDoc {
    /// Names a specific low-cost behaviour one would like from the partner.
    pub fn make_request(&mut self, text: &str, now: Millis) -> Result<String> {
        let text = validate::text("request", text, validate::MAX_AGREEMENT_CHARS)?;
        let (id, obj) = self.new_record(REQUESTS, "asker", now)?;
        self.doc.put(&obj, "text", text.as_str())?;
        self.doc.put(&obj, "created_at", now)?;
        self.container(&obj, "done")?;
        self.container(&obj, "revisions")?;
        self.container(&obj, "answers")?;
        self.commit("make request", now);
        Ok(id)
    }

    /// Rewords one's own request; the old wording stays in its history.
    pub fn reword_request(&mut self, id: &str, text: &str, now: Millis) -> Result<()> {
        let text = validate::text("request", text, validate::MAX_AGREEMENT_CHARS)?;
        let (_, obj) = self.find(REQUESTS, "request", id)?;
        self.require_author(
            &obj,
            "asker",
            "only the partner who asked can reword a request",
        )?;
        if self.revise(&obj, "text", Some(ScalarValue::Str(text.into())), now)? {
            self.commit("reword request", now);
        }
        Ok(())
    }

    /// Retires one's own request (it is no longer needed).
    pub fn retire_request(&mut self, id: &str, now: Millis) -> Result<()> {
        let (_, obj) = self.find(REQUESTS, "request", id)?;
        self.require_author(
            &obj,
            "asker",
            "only the partner who asked can retire a request",
        )?;
        if self.obj(&obj).int("retired_at").is_none() {
            self.doc.put(&obj, "retired_at", now)?;
            self.commit("retire request", now);
        }
        Ok(())
    }

    /// The asked partner answers a request: yes, let's talk about it
    /// first, or not now (with an optional note); later they may take back
    /// a yes (`YesRetired`). Earlier answers stay in the request's history.
    pub fn answer_request(
        &mut self,
        id: &str,
        kind: RequestAnswerKind,
        note: Option<&str>,
        now: Millis,
    ) -> Result<String> {
        let note = validate::optional_text("note", note, validate::MAX_NOTE_CHARS)?;
        let (obj, standing) =
            self.open_for_the_asked(id, "a request is answered by the partner who was asked")?;
        if kind == RequestAnswerKind::YesRetired && standing != Some(RequestAnswerKind::Yes) {
            return Err(CoreError::NotPermitted(
                "only a yes that stands can be taken back",
            ));
        }
        let answer_id = self.put_answer(&obj, kind, note.as_deref(), now)?;
        self.commit("answer request", now);
        Ok(answer_id)
    }

    /// Logs that one did what the partner asked. Unanswered, this is also
    /// one's yes; after "talk first", "not now" or a retired yes it is
    /// refused until one says yes again.
    pub fn log_request_done(
        &mut self,
        id: &str,
        note: Option<&str>,
        now: Millis,
    ) -> Result<String> {
        let note = validate::optional_text("note", note, validate::MAX_NOTE_CHARS)?;
        let (obj, standing) =
            self.open_for_the_asked(id, "a request is done by the partner who was asked")?;
        match standing {
            Some(RequestAnswerKind::Yes) => {}
            // Doing what was asked, unanswered, is the asked partner's own
            // yes: it is written as one, so the history says so.
            None => {
                self.put_answer(&obj, RequestAnswerKind::Yes, None, now)?;
            }
            // Only what the asked partner agreed to is tracked as done.
            Some(_) => {
                return Err(CoreError::NotPermitted(
                    "you did not say yes to this request; answer yes first to log doing it",
                ));
            }
        }
        let done = self.container_for_write(&obj, "done")?;
        let entry_id = new_id();
        let entry = self
            .doc
            .put_object(&done, entry_id.as_str(), ObjType::Map)?;
        self.doc.put(&entry, "by", self.me.as_str())?;
        self.doc.put(&entry, "at", now)?;
        self.put_opt_text(&entry, "note", note.as_deref())?;
        self.container(&entry, "ack")?;
        self.commit("log request done", now);
        Ok(entry_id)
    }

    /// The asker answers one "done" entry: it landed, or it did not.
    pub fn acknowledge_done(
        &mut self,
        request: &str,
        entry: &str,
        landed: bool,
        note: Option<&str>,
        now: Millis,
    ) -> Result<()> {
        let note = validate::optional_text("note", note, validate::MAX_NOTE_CHARS)?;
        let (_, obj) = self.find(REQUESTS, "request", request)?;
        self.require_author(
            &obj,
            "asker",
            "only the partner who asked acknowledges what was done",
        )?;
        let done = self.container_for_write(&obj, "done")?;
        let entries = self.obj(&done).entries();
        let mut matches = entries.iter().filter(|(k, _)| k.starts_with(entry.trim()));
        let target = match (matches.next(), matches.next()) {
            (Some((_, e)), None) => e.id.clone(),
            (None, _) => {
                return Err(CoreError::UnknownId {
                    kind: "done entry",
                    id: entry.to_owned(),
                });
            }
            _ => {
                return Err(CoreError::AmbiguousId {
                    kind: "done entry",
                    prefix: entry.to_owned(),
                });
            }
        };
        let ack = self.container_for_write(&target, "ack")?;
        // A changed answer keeps the earlier one visible.
        self.revise(&ack, "landed", Some(landed.into()), now)?;
        self.revise(&ack, "note", note.map(|n| n.as_str().into()), now)?;
        self.doc.put(&ack, "at", now)?;
        self.commit("acknowledge request done", now);
        Ok(())
    }

    /// A request the asked partner acts on: not their own, not retired,
    /// with the answer that stands now.
    fn open_for_the_asked(
        &self,
        id: &str,
        not_theirs: &'static str,
    ) -> Result<(automerge::ObjId, Option<RequestAnswerKind>)> {
        let (rid, obj) = self.find(REQUESTS, "request", id)?;
        self.require_not_author(&obj, "asker", not_theirs)?;
        if self.obj(&obj).int("retired_at").is_some() {
            return Err(CoreError::NotPermitted(
                "this request was retired by the partner who asked",
            ));
        }
        let standing = self
            .read_one::<Requests>(&rid)
            .first()
            .and_then(Request::answer);
        Ok((obj, standing))
    }

    /// Writes one answer of this partner into a request.
    fn put_answer(
        &mut self,
        request: &automerge::ObjId,
        kind: RequestAnswerKind,
        note: Option<&str>,
        now: Millis,
    ) -> Result<String> {
        let answers = self.container_for_write(request, "answers")?;
        let answer_id = new_id();
        let entry = self
            .doc
            .put_object(&answers, answer_id.as_str(), ObjType::Map)?;
        self.doc.put(&entry, "by", self.me.as_str())?;
        self.doc.put(&entry, "at", now)?;
        self.doc.put(&entry, "kind", kind.as_str())?;
        self.put_opt_text(&entry, "note", note)?;
        Ok(answer_id)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.read_family::<Requests>()
    }
}

pub(crate) struct Requests;

impl FamilyDef for Requests {
    type R = Request;
    const MAP: &'static str = REQUESTS;
    const KIND: RecordKind = RecordKind::Request;

    fn read(id: &str, r: &Obj<'_>) -> Vec<Request> {
        let id = id.to_owned();
        let mut done: Vec<DoneEntry> = r
            .entries_of("done")
            .into_iter()
            .map(|(eid, e)| DoneEntry {
                by: e.string("by"),
                at: e.time("at"),
                note: e.str("note"),
                acknowledgement: e.child("ack").and_then(|a| {
                    a.bool("landed").map(|landed| Acknowledgement {
                        at: a.time("at"),
                        landed,
                        note: a.str("note"),
                        revisions: crate::doc::revisions(&a),
                    })
                }),
                id: eid,
            })
            .collect();
        by_time(&mut done, |d| (d.at, d.id.as_str()));
        let mut answers: Vec<RequestAnswer> = r
            .entries_of("answers")
            .into_iter()
            .filter_map(|(aid, a)| {
                Some(RequestAnswer {
                    by: a.string("by"),
                    at: a.time("at"),
                    kind: RequestAnswerKind::parse(&a.str("kind")?)?,
                    note: a.str("note"),
                    id: aid,
                })
            })
            .collect();
        by_time(&mut answers, |a| (a.at, a.id.as_str()));
        vec![Request {
            asker: r.string("asker"),
            text: r.string("text"),
            created_at: r.time("created_at"),
            retired_at: r.int("retired_at"),
            revisions: revisions(r),
            done,
            answers,
            id,
        }]
    }

    fn list(s: &Snapshot) -> &Vec<Request> {
        &s.requests
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<Request> {
        &mut s.requests
    }
}
