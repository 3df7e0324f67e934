use automerge::transaction::Transactable;
use automerge::{ObjType, ScalarValue};

use crate::doc::{CoupleDoc, REQUESTS, by_time, new_id, revisions};
use crate::error::{CoreError, Result};
use crate::model::{Acknowledgement, DoneEntry, Millis, Request};
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

    /// Logs that one did what the partner asked.
    pub fn log_request_done(
        &mut self,
        id: &str,
        note: Option<&str>,
        now: Millis,
    ) -> Result<String> {
        let note = validate::optional_text("note", note, validate::MAX_NOTE_CHARS)?;
        let (_, obj) = self.find(REQUESTS, "request", id)?;
        self.require_not_author(
            &obj,
            "asker",
            "a request is done by the partner who was asked",
        )?;
        if self.obj(&obj).int("retired_at").is_some() {
            return Err(CoreError::NotPermitted(
                "this request was retired by the partner who asked",
            ));
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

    pub fn requests(&self) -> Vec<Request> {
        let mut out: Vec<Request> = self
            .records(REQUESTS)
            .into_iter()
            .map(|(id, r)| {
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
                Request {
                    asker: r.string("asker"),
                    text: r.string("text"),
                    created_at: r.time("created_at"),
                    retired_at: r.int("retired_at"),
                    revisions: revisions(&r),
                    done,
                    id,
                }
            })
            .collect();
        by_time(&mut out, |r| (r.created_at, r.id.as_str()));
        out
    }
}
