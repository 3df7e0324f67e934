//! Derived views: pure functions of a `Snapshot`, never stored.
//!
//! Every view takes the snapshot plus, where time matters, an explicit
//! `now` (milliseconds) or `today` (`YYYY-MM-DD`); no view reads the clock.
//! An empty snapshot gives empty views, never an error. The rules, thresholds
//! and the reasons behind them are written up in `docs/views.md`.
//!
//! The guidance the views follow: skipping a day is normal and is never shown
//! as a failure; an up-and-down week is normal; the hurt partner sets the
//! pace; nothing shames. So there are no streaks, no "missed" counters, and a
//! counselling prompt is a suggestion, never a diagnosis.

pub mod consistency;
pub mod counselling;
pub mod progress;
pub mod summary;
pub mod timeline;
pub mod trends;

mod days;
pub(crate) mod span;
mod stats;

pub use consistency::{
    AgreementConsistency, CommitmentConsistency, ConsistencyWindow, MemberKept, RequestConsistency,
    RequestFlow, consistency,
};
pub use counselling::{
    CounsellingPrompt, CounsellingReason, Measure, PromptKind, ReasonKind, ResourceKind,
    SupportResource, counselling_prompt, counselling_prompt_from, counselling_prompt_in,
};
pub use progress::{Direction, Period, Progress, Sign, SignName, signs_of_progress};
pub use summary::{
    NOTE_NOT_SHARED, RenderedSummary, SummaryChoice, SummaryItem, SummarySection, TherapistSummary,
    WORDS_NOT_SHARED, prepare_therapist_summary, seal_for_therapist, therapist_recipient,
    therapist_summary,
};
pub use timeline::{EntryKind, RecordKind, TimelineEntry, TimelineFilter, TimelinePage, timeline};
pub use trends::{Band, WeeklyBand, weekly_bands};

/// Small builders for hand-made snapshots in the views' tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::model::*;

    pub const ANA: &str = "ana";
    pub const BEN: &str = "ben";

    /// Noon UTC of a `YYYY-MM-DD` day, in milliseconds.
    pub fn ms(day: &str) -> Millis {
        let date: jiff::civil::Date = day.parse().expect("a YYYY-MM-DD day");
        date.at(12, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .expect("in range")
            .timestamp()
            .as_millisecond()
    }

    /// Ana (hurt) and Ben (broke the trust), both joined long before any test day.
    pub fn couple() -> Snapshot {
        Snapshot {
            members: vec![
                Member {
                    id: ANA.into(),
                    name: "Ana".into(),
                    joined_at: ms("2025-01-01"),
                    role: Role::Hurt,
                    revisions: vec![],
                    words_in_summaries: false,
                },
                Member {
                    id: BEN.into(),
                    name: "Ben".into(),
                    joined_at: ms("2025-01-01"),
                    role: Role::BrokeTrust,
                    revisions: vec![],
                    words_in_summaries: false,
                },
            ],
            ..Snapshot::default()
        }
    }

    pub fn checkin(
        id: &str,
        author: &str,
        day: &str,
        safety: u8,
        trust: u8,
        connection: u8,
    ) -> CheckIn {
        CheckIn {
            id: id.into(),
            author: author.into(),
            day: day.into(),
            recorded_at: ms(day),
            safety,
            trust,
            connection,
            heard: None,
            moods: vec![],
            free_words: vec![],
            note: None,
            revisions: vec![],
        }
    }

    pub fn heard(mut c: CheckIn, heard: u8) -> CheckIn {
        c.heard = Some(heard);
        c
    }

    /// A request the other partner said yes to on the day it was made.
    pub fn request(id: &str, asker: &str, text: &str, day: &str) -> Request {
        let asked = if asker == ANA { BEN } else { ANA };
        Request {
            id: id.into(),
            asker: asker.into(),
            text: text.into(),
            created_at: ms(day),
            retired_at: None,
            done: vec![],
            revisions: vec![],
            answers: vec![answer(
                &format!("{id}-yes"),
                asked,
                day,
                RequestAnswerKind::Yes,
            )],
        }
    }

    /// An answer of the asked partner, a minute after noon of `day`.
    pub fn answer(id: &str, by: &str, day: &str, kind: RequestAnswerKind) -> RequestAnswer {
        RequestAnswer {
            id: id.into(),
            by: by.into(),
            at: ms(day) + 60_000,
            kind,
            note: None,
        }
    }

    /// A done entry, acknowledged on the same day when `landed` is given.
    pub fn done(id: &str, by: &str, day: &str, landed: Option<bool>) -> DoneEntry {
        DoneEntry {
            id: id.into(),
            by: by.into(),
            at: ms(day),
            note: None,
            acknowledgement: landed.map(|landed| Acknowledgement {
                at: ms(day) + 1_000,
                landed,
                note: None,
                revisions: vec![],
            }),
        }
    }

    /// An agreement proposed by `by` on `day` and accepted by the other partner an hour later.
    pub fn agreement(id: &str, by: &str, text: &str, day: &str) -> Agreement {
        Agreement {
            id: id.into(),
            proposed_by: by.into(),
            proposed_at: ms(day),
            versions: vec![AgreementVersion {
                id: format!("{id}-v1"),
                number: 1,
                text: text.into(),
                review_on: None,
                by: by.into(),
                at: ms(day),
                acceptances: [ANA, BEN]
                    .into_iter()
                    .map(|m| Acceptance {
                        by: m.into(),
                        at: if m == by {
                            ms(day)
                        } else {
                            ms(day) + 3_600_000
                        },
                    })
                    .collect(),
            }],
            withdrawn_at: None,
            withdrawn_by: None,
            checks: vec![],
        }
    }

    pub fn kept_check(id: &str, by: &str, day: &str, kept: bool) -> KeptCheck {
        KeptCheck {
            id: id.into(),
            by: by.into(),
            at: ms(day),
            kept,
            note: None,
        }
    }

    pub fn commitment(id: &str, author: &str, text: &str, day: &str) -> Commitment {
        Commitment {
            id: id.into(),
            author: author.into(),
            created_at: ms(day),
            kind: CommitmentKind::NoContact,
            text: text.into(),
            ended_at: None,
            log: vec![],
        }
    }

    pub fn commitment_log(id: &str, day: &str, kept: bool) -> CommitmentLog {
        CommitmentLog {
            id: id.into(),
            at: ms(day),
            day: day.into(),
            kept,
            note: None,
        }
    }

    pub fn question(id: &str, asker: &str, day: &str, text: &str, topic: Option<&str>) -> Question {
        Question {
            id: id.into(),
            asker: asker.into(),
            at: ms(day),
            text: text.into(),
            topic: topic.map(Into::into),
            responses: vec![],
            status: QuestionStatus::Open,
            for_therapist: false,
            scheduled_for: None,
        }
    }

    pub fn trigger(id: &str, author: &str, day: &str, what: &str, intensity: u8) -> Trigger {
        Trigger {
            id: id.into(),
            author: author.into(),
            at: ms(day),
            what: what.into(),
            intensity,
            repairs: vec![],
        }
    }

    pub fn appreciation(id: &str, author: &str, to: &str, day: &str, text: &str) -> Appreciation {
        Appreciation {
            id: id.into(),
            author: author.into(),
            to: to.into(),
            at: ms(day),
            text: text.into(),
        }
    }

    pub fn together(id: &str, planner: &str, planned_for: &str) -> TimeTogether {
        TimeTogether {
            id: id.into(),
            planner: planner.into(),
            created_at: ms(planned_for) - 86_400_000,
            kind: TogetherKind::Date,
            title: "walk by the river".into(),
            planned_for: planned_for.into(),
            outcomes: vec![],
        }
    }

    pub fn outcome(by: &str, day: &str, happened: bool, felt: Option<u8>) -> TogetherOutcome {
        TogetherOutcome {
            by: by.into(),
            at: ms(day) + 3_600_000,
            happened,
            felt,
            note: None,
            revisions: vec![],
        }
    }
}
