use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::ScalarValue;
use automerge::transaction::Transactable;

use crate::am::Obj;
use crate::doc::{CHECKINS, CheckinDays, CoupleDoc, revisions};
use crate::error::Result;
use crate::model::{CheckIn, CheckInInput, Millis};
use crate::validate;

impl CoupleDoc {
    /// Records the author's check-in for a day. At most one per partner per
    /// day: a second one that day revises the first, and the earlier values
    /// stay in its history. Skipping days is normal; nothing counts them.
    pub fn record_checkin(&mut self, input: &CheckInInput, now: Millis) -> Result<String> {
        let day = validate::day("day", input.day.as_deref())?;
        let safety = validate::score("safety", input.safety)?;
        let trust = validate::score("trust", input.trust)?;
        let connection = validate::score("connection", input.connection)?;
        let heard = input
            .heard
            .map(|h| validate::score("heard", h))
            .transpose()?;
        let moods = validate::moods(&input.moods)?;
        let free_words = validate::free_words(&input.free_words)?;
        let note =
            validate::optional_text("note", input.note.as_deref(), validate::MAX_NOTE_CHARS)?;

        // Revising a schema-1 check-in writes schema-2 fields: migrate first.
        self.migrate(now)?;
        let existing = self.my_checkin_on(&day);
        let (id, obj, message) = match existing {
            Some(id) => {
                let (id, obj) = self.find(CHECKINS, "check-in", &id)?;
                (id, obj, "revise check-in")
            }
            None => {
                let (id, obj) = self.new_record(CHECKINS, "author", now)?;
                self.doc.put(&obj, "day", day.as_str())?;
                self.container(&obj, "revisions")?;
                (id, obj, "record check-in")
            }
        };
        let revising = message == "revise check-in";
        let fields: [(&str, Option<ScalarValue>); 6] = [
            ("safety", Some(u64::from(safety).into())),
            ("trust", Some(u64::from(trust).into())),
            ("connection", Some(u64::from(connection).into())),
            ("heard", heard.map(|h| u64::from(h).into())),
            ("note", note.as_deref().map(Into::into)),
            ("recorded_at", Some(now.into())),
        ];
        for (field, value) in fields {
            if revising && field != "recorded_at" {
                self.revise(&obj, field, value, now)?;
            } else if let Some(value) = value {
                self.doc.put(&obj, field, value)?;
            }
        }
        if revising {
            self.revise_list(&obj, "moods", &moods, now)?;
            self.revise_list(&obj, "free_words", &free_words, now)?;
        } else {
            self.put_list(&obj, "moods", &moods)?;
            self.put_list(&obj, "free_words", &free_words)?;
        }
        self.commit(message, now);
        // Keep the index valid at the new heads: this change is the only
        // one since it was checked, and it added at most this day.
        if let Some(index) = self.my_checkin_days.as_mut() {
            index.by_day.insert(day, id.clone());
            index.heads = self.doc.get_heads();
        }
        Ok(id)
    }

    /// The id of the check-in this partner recorded on `day`, if any.
    fn my_checkin_on(&mut self, day: &str) -> Option<String> {
        if self.read_is_current() {
            // The read model holds every check-in already (the same choice
            // as below when a day has two: the smallest id).
            return self
                .snapshot()
                .checkins
                .iter()
                .filter(|c| c.author == self.me && c.day == day)
                .map(|c| c.id.clone())
                .min();
        }
        let heads = self.doc.get_heads();
        if self
            .my_checkin_days
            .as_ref()
            .is_none_or(|i| i.heads != heads)
        {
            // Reads two fields per record, not whole check-ins.
            let mut by_day = std::collections::HashMap::new();
            for (id, c) in self.records(CHECKINS) {
                if c.str("author").as_deref() == Some(self.me.as_str()) {
                    let day = c
                        .str("day")
                        .unwrap_or_else(|| utc_day(c.time("recorded_at")));
                    by_day.entry(day).or_insert(id);
                }
            }
            self.my_checkin_days = Some(CheckinDays { heads, by_day });
        }
        self.my_checkin_days
            .as_ref()
            .and_then(|i| i.by_day.get(day).cloned())
    }

    /// Every check-in of both partners, oldest first.
    pub fn checkins(&self) -> Vec<CheckIn> {
        self.read_family::<CheckIns>()
    }
}

fn read_checkin(id: String, c: &Obj<'_>) -> CheckIn {
    let recorded_at = c.time("recorded_at");
    CheckIn {
        author: c.string("author"),
        // Schema 1 check-ins had no day: use the UTC day of recording.
        day: c.str("day").unwrap_or_else(|| utc_day(recorded_at)),
        recorded_at,
        safety: c.small("safety", 10).unwrap_or(0),
        trust: c.small("trust", 10).unwrap_or(0),
        connection: c.small("connection", 10).unwrap_or(0),
        heard: c.small("heard", 10),
        moods: c.strings("moods"),
        free_words: c.strings("free_words"),
        note: c.str("note"),
        revisions: revisions(c),
        id,
    }
}

pub(crate) fn utc_day(ms: Millis) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
        .unwrap_or_else(|_| "1970-01-01".into())
}

pub(crate) struct CheckIns;

impl FamilyDef for CheckIns {
    type R = CheckIn;
    const MAP: &'static str = CHECKINS;
    const KIND: RecordKind = RecordKind::CheckIn;

    fn read(id: &str, c: &Obj<'_>) -> Vec<CheckIn> {
        let id = id.to_owned();
        vec![read_checkin(id, c)]
    }

    fn list(s: &Snapshot) -> &Vec<CheckIn> {
        &s.checkins
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<CheckIn> {
        &mut s.checkins
    }
}
