use crate::am::Obj;
use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::ObjType;
use automerge::transaction::Transactable;

use crate::doc::{COMMITMENTS, CoupleDoc, by_time, new_id};
use crate::error::{CoreError, Result};
use crate::model::{Commitment, CommitmentKind, CommitmentLog, Millis};
use crate::validate;

impl CoupleDoc {
    /// Takes on a commitment of one's own: no contact, an added responsibility, a small change.
    pub fn make_commitment(
        &mut self,
        kind: CommitmentKind,
        text: &str,
        now: Millis,
    ) -> Result<String> {
        let text = validate::text("commitment", text, validate::MAX_AGREEMENT_CHARS)?;
        let (id, obj) = self.new_record(COMMITMENTS, "author", now)?;
        self.doc.put(&obj, "created_at", now)?;
        self.doc.put(&obj, "kind", kind_str(kind))?;
        self.doc.put(&obj, "text", text.as_str())?;
        self.container(&obj, "log")?;
        self.commit("make commitment", now);
        Ok(id)
    }

    /// Logs, for one's own commitment, that a day was kept (or not).
    pub fn log_commitment(
        &mut self,
        id: &str,
        day: Option<&str>,
        kept: bool,
        note: Option<&str>,
        now: Millis,
    ) -> Result<String> {
        let day = validate::day("day", day)?;
        let note = validate::optional_text("note", note, validate::MAX_NOTE_CHARS)?;
        let (_, obj) = self.find(COMMITMENTS, "commitment", id)?;
        self.require_author(
            &obj,
            "author",
            "a commitment is logged by the partner who made it",
        )?;
        if self.obj(&obj).int("ended_at").is_some() {
            return Err(CoreError::NotPermitted("this commitment has ended"));
        }
        let log = self.container_for_write(&obj, "log")?;
        let lid = new_id();
        let entry = self.doc.put_object(&log, lid.as_str(), ObjType::Map)?;
        self.doc.put(&entry, "at", now)?;
        self.doc.put(&entry, "day", day.as_str())?;
        self.doc.put(&entry, "kept", kept)?;
        self.put_opt_text(&entry, "note", note.as_deref())?;
        self.commit("log commitment", now);
        Ok(lid)
    }

    /// Ends one's own commitment.
    pub fn end_commitment(&mut self, id: &str, now: Millis) -> Result<()> {
        let (_, obj) = self.find(COMMITMENTS, "commitment", id)?;
        self.require_author(
            &obj,
            "author",
            "only the partner who made a commitment can end it",
        )?;
        if self.obj(&obj).int("ended_at").is_none() {
            self.doc.put(&obj, "ended_at", now)?;
            self.commit("end commitment", now);
        }
        Ok(())
    }

    pub fn commitments(&self) -> Vec<Commitment> {
        self.read_family::<Commitments>()
    }
}

fn kind_str(kind: CommitmentKind) -> &'static str {
    match kind {
        CommitmentKind::NoContact => "no_contact",
        CommitmentKind::AddedResponsibility => "added_responsibility",
        CommitmentKind::SmallChange => "small_change",
        CommitmentKind::Other => "other",
    }
}

fn parse_kind(s: &str) -> CommitmentKind {
    match s {
        "no_contact" => CommitmentKind::NoContact,
        "added_responsibility" => CommitmentKind::AddedResponsibility,
        "small_change" => CommitmentKind::SmallChange,
        _ => CommitmentKind::Other,
    }
}

pub(crate) struct Commitments;

impl FamilyDef for Commitments {
    type R = Commitment;
    const MAP: &'static str = COMMITMENTS;
    const KIND: RecordKind = RecordKind::Commitment;

    fn read(id: &str, c: &Obj<'_>) -> Vec<Commitment> {
        let id = id.to_owned();
        vec![{
            let mut log: Vec<CommitmentLog> = c
                .entries_of("log")
                .into_iter()
                .map(|(lid, l)| CommitmentLog {
                    at: l.time("at"),
                    day: l.string("day"),
                    kept: l.bool("kept").unwrap_or(true),
                    note: l.str("note"),
                    id: lid,
                })
                .collect();
            by_time(&mut log, |l| (l.at, l.id.as_str()));
            Commitment {
                author: c.string("author"),
                created_at: c.time("created_at"),
                kind: parse_kind(&c.string("kind")),
                text: c.string("text"),
                ended_at: c.int("ended_at"),
                log,
                id,
            }
        }]
    }

    fn list(s: &Snapshot) -> &Vec<Commitment> {
        &s.commitments
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<Commitment> {
        &mut s.commitments
    }
}
