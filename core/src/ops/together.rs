use crate::am::Obj;
use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::transaction::Transactable;

use crate::doc::{CoupleDoc, TOGETHER, by_time};
use crate::error::Result;
use crate::model::{Millis, TimeTogether, TogetherKind, TogetherOutcome};
use crate::validate;

impl CoupleDoc {
    /// Plans a date, a ritual or "recreate a memory".
    pub fn plan_together(
        &mut self,
        kind: TogetherKind,
        title: &str,
        planned_for: &str,
        now: Millis,
    ) -> Result<String> {
        let title = validate::text("title", title, validate::MAX_AGREEMENT_CHARS)?;
        let day = validate::day("planned for", Some(planned_for))?;
        let (id, obj) = self.new_record(TOGETHER, "planner", now)?;
        self.doc.put(&obj, "created_at", now)?;
        self.doc.put(&obj, "kind", kind_str(kind))?;
        self.doc.put(&obj, "title", title.as_str())?;
        self.doc.put(&obj, "planned_for", day.as_str())?;
        self.container(&obj, "outcomes")?;
        self.commit("plan time together", now);
        Ok(id)
    }

    /// Says, for oneself, whether it happened and how it felt. Each partner
    /// writes only their own outcome; a later word replaces their earlier one.
    pub fn record_together_outcome(
        &mut self,
        id: &str,
        happened: bool,
        felt: Option<i64>,
        note: Option<&str>,
        now: Millis,
    ) -> Result<()> {
        let felt = felt.map(|f| validate::score("felt", f)).transpose()?;
        let note = validate::optional_text("note", note, validate::MAX_NOTE_CHARS)?;
        let (_, obj) = self.find(TOGETHER, "time together", id)?;
        let outcomes = self.container_for_write(&obj, "outcomes")?;
        // Each partner's own outcome map; a changed word keeps the earlier one.
        let me = self.me.clone();
        let mine = self.container_for_write(&outcomes, &me)?;
        self.revise(&mine, "happened", Some(happened.into()), now)?;
        self.revise(&mine, "felt", felt.map(|f| u64::from(f).into()), now)?;
        self.revise(&mine, "note", note.map(|n| n.as_str().into()), now)?;
        self.doc.put(&mine, "at", now)?;
        self.commit("time together outcome", now);
        Ok(())
    }

    pub fn together(&self) -> Vec<TimeTogether> {
        self.read_family::<Together>()
    }
}

fn kind_str(kind: TogetherKind) -> &'static str {
    match kind {
        TogetherKind::Date => "date",
        TogetherKind::Ritual => "ritual",
        TogetherKind::RecreateMemory => "recreate_memory",
    }
}

fn parse_kind(s: &str) -> TogetherKind {
    match s {
        "ritual" => TogetherKind::Ritual,
        "recreate_memory" => TogetherKind::RecreateMemory,
        _ => TogetherKind::Date,
    }
}

pub(crate) struct Together;

impl FamilyDef for Together {
    type R = TimeTogether;
    const MAP: &'static str = TOGETHER;
    const KIND: RecordKind = RecordKind::TimeTogether;

    fn read(id: &str, t: &Obj<'_>) -> Vec<TimeTogether> {
        let id = id.to_owned();
        vec![{
            let mut outcomes: Vec<TogetherOutcome> = t
                .entries_of("outcomes")
                .into_iter()
                .map(|(by, o)| TogetherOutcome {
                    at: o.time("at"),
                    happened: o.bool("happened").unwrap_or(false),
                    felt: o.small("felt", 10),
                    note: o.str("note"),
                    revisions: crate::doc::revisions(&o),
                    by,
                })
                .collect();
            by_time(&mut outcomes, |o| (o.at, o.by.as_str()));
            TimeTogether {
                planner: t.string("planner"),
                created_at: t.time("created_at"),
                kind: parse_kind(&t.string("kind")),
                title: t.string("title"),
                planned_for: t.string("planned_for"),
                outcomes,
                id,
            }
        }]
    }

    fn list(s: &Snapshot) -> &Vec<TimeTogether> {
        &s.together
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<TimeTogether> {
        &mut s.together
    }
}
