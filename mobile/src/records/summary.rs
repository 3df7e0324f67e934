//! The summary a partner chooses to bring to a therapist (see
//! `docs/summary.md`): what they choose, and the report as data.

use kintsugi_core::views::summary as core;

use super::{FromCore, list};
use crate::{RecordKind, RequestFlow, Role, WeeklyBand};

/// What the partner preparing the summary chooses to bring. Nothing is
/// brought unless chosen: a kind left out leaves no trace, not even in a
/// chart, and the private journal and notes are read only for the entries
/// named one by one.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SummaryChoice {
    /// First day of the period (`YYYY-MM-DD`), inclusive.
    pub first_day: String,
    /// Last day of the period (`YYYY-MM-DD`), inclusive. Nothing that
    /// happened after it appears.
    pub last_day: String,
    /// The kinds of shared records to bring; empty brings none (the header
    /// alone, plus any private entries).
    pub kinds: Vec<RecordKind>,
    /// With `RecordKind.Question` chosen: only the questions someone tagged
    /// "for the therapist".
    #[uniffi(default = false)]
    pub therapist_questions_only: bool,
    /// Ids of private journal entries or private notes to add, one by one
    /// (a unique start of an id is enough). A chosen entry is included
    /// whatever its date. An id that names nothing is `NotFound`, one that
    /// names several `InvalidInput`.
    #[uniffi(default = [])]
    pub private_entries: Vec<String>,
    /// The couple's time zone, an IANA name such as `Europe/Berlin`, for
    /// the days of instants and the dates shown; `None` is this device's
    /// zone (UTC if it has no name). An unknown name is `InvalidInput`.
    #[uniffi(default = None)]
    pub time_zone: Option<String>,
}

/// A partner as the summary names them.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SummaryPerson {
    /// Their member id.
    pub member_id: String,
    /// Their display name.
    pub name: String,
    /// How they describe their place in what happened.
    pub role: Role,
    /// True for this device's partner.
    pub is_me: bool,
}

/// The summary as data, for an app that draws it itself; `RenderedSummary`
/// also carries it as Markdown and as a standalone HTML page.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TherapistSummary {
    /// Who prepared it (this device's partner).
    pub prepared_by: SummaryPerson,
    /// The other partner, once they have joined.
    pub partner: Option<SummaryPerson>,
    /// When it was prepared (ms since the Unix epoch).
    pub prepared_at_ms: i64,
    /// That day in the couple's time zone ("Mon 30 Nov 2026").
    pub prepared_on: String,
    /// First day of the period (`YYYY-MM-DD`).
    pub first_day: String,
    /// Last day of the period (`YYYY-MM-DD`), inclusive.
    pub last_day: String,
    /// The period in words ("Tue 1 Sep 2026 to Mon 30 Nov 2026").
    pub period: String,
    /// The IANA name of the time zone the dates are shown in.
    pub time_zone: String,
    /// The kinds brought, in the report's order.
    pub included: Vec<RecordKind>,
    /// The kinds left out, in the report's order.
    pub left_out: Vec<RecordKind>,
    /// Only the questions tagged "for the therapist" were brought.
    pub therapist_questions_only: bool,
    /// The numbers behind the charts.
    pub charts: SummaryCharts,
    /// One section per kind brought (questions may take two), in order.
    pub sections: Vec<SummarySection>,
    /// The private entries added one by one, oldest first.
    pub private_entries: Vec<SummaryItem>,
    /// Whether the other partner's own words are in it (only when they
    /// allowed it); otherwise each of their notes reads "(note not shared)".
    pub partner_words: bool,
    /// The ids of the other partner's records it drew on (they see the same
    /// list in `summaries_made`).
    pub drew_on: Vec<String>,
}

/// The content-free trace a summary leaves in the shared space: both
/// partners see that it was made, when, for which period and kinds, and
/// which records of the other partner it drew on; never its text.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SummaryMade {
    /// Stable id of this trace.
    pub id: String,
    /// Member id of the partner who prepared it.
    pub by: String,
    /// True when this device's partner prepared it.
    pub by_me: bool,
    /// When (ms since the Unix epoch).
    pub at_ms: i64,
    /// First day of its period (`YYYY-MM-DD`).
    pub first_day: String,
    /// Last day of its period (`YYYY-MM-DD`), inclusive.
    pub last_day: String,
    /// The kinds it brought.
    pub kinds: Vec<RecordKind>,
    /// Only the questions tagged "for the therapist" were brought.
    pub therapist_questions_only: bool,
    /// Ids of the records of the partner who did not prepare it (or with
    /// entries of theirs) that it drew on: for them, "which of mine".
    pub drew_on: Vec<String>,
    /// Whether that partner's own words were in it.
    pub partner_words: bool,
}

impl FromCore<kintsugi_core::SummaryMade> for SummaryMade {
    fn from_core(s: kintsugi_core::SummaryMade, me: &str) -> Self {
        SummaryMade {
            by_me: s.by == me,
            id: s.id,
            by: s.by,
            at_ms: s.at,
            first_day: s.from,
            last_day: s.to,
            kinds: s
                .kinds
                .iter()
                .filter_map(|k| {
                    serde_json::from_value::<kintsugi_core::views::RecordKind>(
                        serde_json::Value::String(k.clone()),
                    )
                    .ok()
                })
                .map(Into::into)
                .collect(),
            therapist_questions_only: s.therapist_questions_only,
            drew_on: s.drew_on,
            partner_words: s.partner_words,
        }
    }
}

/// The numbers behind the summary's charts. Each is empty unless its kind
/// was chosen: check-ins for the bands and the frequency, requests for the
/// request windows.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SummaryCharts {
    /// Every ISO week that overlaps the period, oldest first: the charts'
    /// common time axis.
    pub weeks: Vec<SummaryWeek>,
    /// Weekly bands of each partner's scores, from the check-ins in the period.
    pub trends: Vec<WeeklyBand>,
    /// Check-ins per partner per week (weeks without any are absent).
    pub checkin_frequency: Vec<WeekCount>,
    /// Four-week windows ending a week apart, oldest first: what each
    /// partner did of what the other asked, counting only the period.
    pub request_consistency: Vec<RequestWindow>,
}

/// One ISO week of the charts' time axis.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SummaryWeek {
    /// The ISO week, e.g. `2026-W47`.
    pub week: String,
    /// The Monday it starts on (`YYYY-MM-DD`).
    pub week_start: String,
}

/// How many check-ins one partner wrote in one week.
#[derive(Debug, Clone, uniffi::Record)]
pub struct WeekCount {
    /// The partner's member id.
    pub member: String,
    /// True for this device's partner.
    pub is_me: bool,
    /// The ISO week, e.g. `2026-W47`.
    pub week: String,
    /// The Monday it starts on (`YYYY-MM-DD`).
    pub week_start: String,
    /// Check-ins that week (at least one).
    pub checkins: i32,
}

/// One four-week window of requests, limited to the period.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RequestWindow {
    /// First day counted (`YYYY-MM-DD`): the window's start, or the
    /// period's when the window begins before it.
    pub start: String,
    /// Last day (`YYYY-MM-DD`), inclusive.
    pub end: String,
    /// What each partner did of what the other asked, and how it landed.
    pub flows: Vec<RequestFlow>,
}

/// One part of the summary.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SummarySection {
    /// The kind of records it holds.
    pub kind: RecordKind,
    /// Its heading.
    pub title: String,
    /// One or two sentences on what it holds and how to read it.
    pub intro: String,
    /// Its records, oldest first.
    pub items: Vec<SummaryItem>,
}

/// One record as the therapist reads it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SummaryItem {
    /// The record's id (a private entry's id for a private entry).
    pub record_id: String,
    /// When it was written (ms since the Unix epoch).
    pub at_ms: i64,
    /// When, in words: "Tue 3 Nov 2026" or "Tue 3 Nov 2026, 20:15".
    pub date: String,
    /// The display name of who wrote it.
    pub by: Option<String>,
    /// The record itself: its wording, or a check-in's scores.
    pub text: String,
    /// The author's own note, quoted as they wrote it.
    pub quote: Option<String>,
    /// What happened to it in the period (versions, logs, answers,
    /// repairs), each a plain sentence; for a check-in, its mood words.
    pub details: Vec<String>,
    /// A check-in's scores.
    pub scores: Option<SummaryScores>,
}

/// A check-in's own scores (0–10).
#[derive(Debug, Clone, uniffi::Record)]
pub struct SummaryScores {
    /// Feeling safe.
    pub safety: i32,
    /// Trust.
    pub trust: i32,
    /// Connection.
    pub connection: i32,
    /// "Did you feel listened to?", when answered.
    pub heard: Option<i32>,
}

/// The summary as data, as Markdown and as one standalone HTML page (inline
/// CSS and SVG charts; no scripts, no links, nothing fetched), e.g. to show
/// in a web view.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RenderedSummary {
    /// The report as data.
    pub summary: TherapistSummary,
    /// The report as Markdown.
    pub markdown: String,
    /// The report as an HTML page.
    pub html: String,
}

/// The summary sealed with age to the therapist's recipient: only their
/// identity opens the files (`age -d -i key.txt summary.html.age`). Write
/// or share the bytes as `summary.md.age` and `summary.html.age`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SealedSummary {
    /// The report as data, for the app to say what was sealed.
    pub summary: TherapistSummary,
    /// The Markdown, sealed (age binary format).
    pub markdown_sealed: Vec<u8>,
    /// The HTML page, sealed (age binary format).
    pub html_sealed: Vec<u8>,
}

impl SummaryChoice {
    /// The core's choice, prepared by `me` now.
    pub(crate) fn into_core(self, me: &str, now: i64) -> core::SummaryChoice {
        let time_zone = self
            .time_zone
            .or_else(|| jiff::tz::TimeZone::system().iana_name().map(str::to_owned));
        core::SummaryChoice {
            prepared_by: me.to_owned(),
            from: self.first_day,
            to: self.last_day,
            kinds: self.kinds.into_iter().map(Into::into).collect(),
            therapist_questions_only: self.therapist_questions_only,
            private_entries: self.private_entries,
            time_zone,
            prepared_at: now,
        }
    }
}

impl FromCore<core::SummaryPerson> for SummaryPerson {
    fn from_core(p: core::SummaryPerson, me: &str) -> Self {
        SummaryPerson {
            is_me: p.id == me,
            member_id: p.id,
            name: p.name,
            role: p.role.into(),
        }
    }
}

impl FromCore<core::TherapistSummary> for TherapistSummary {
    fn from_core(s: core::TherapistSummary, me: &str) -> Self {
        let kinds = |ks: Vec<kintsugi_core::views::RecordKind>| -> Vec<RecordKind> {
            ks.into_iter().map(Into::into).collect()
        };
        TherapistSummary {
            prepared_by: SummaryPerson::from_core(s.prepared_by, me),
            partner: s.partner.map(|p| SummaryPerson::from_core(p, me)),
            prepared_at_ms: s.prepared_at,
            prepared_on: s.prepared_on,
            first_day: s.from,
            last_day: s.to,
            period: s.period,
            time_zone: s.time_zone,
            included: kinds(s.included),
            left_out: kinds(s.left_out),
            therapist_questions_only: s.therapist_questions_only,
            charts: SummaryCharts::from_core(s.charts, me),
            sections: s
                .sections
                .into_iter()
                .map(|section| SummarySection {
                    kind: section.kind.into(),
                    title: section.title,
                    intro: section.intro,
                    items: section.items.into_iter().map(Into::into).collect(),
                })
                .collect(),
            private_entries: s.private_entries.into_iter().map(Into::into).collect(),
            partner_words: s.partner_words,
            drew_on: s.drew_on,
        }
    }
}

impl FromCore<core::SummaryCharts> for SummaryCharts {
    fn from_core(c: core::SummaryCharts, me: &str) -> Self {
        SummaryCharts {
            weeks: c
                .weeks
                .into_iter()
                .map(|w| SummaryWeek {
                    week: w.week,
                    week_start: w.week_start,
                })
                .collect(),
            trends: list(c.trends, me),
            checkin_frequency: c
                .checkin_frequency
                .into_iter()
                .map(|w| WeekCount {
                    is_me: w.member == me,
                    member: w.member,
                    week: w.week,
                    week_start: w.week_start,
                    checkins: super::count(w.checkins),
                })
                .collect(),
            request_consistency: c
                .request_consistency
                .into_iter()
                .map(|w| RequestWindow {
                    start: w.start,
                    end: w.end,
                    flows: list(w.flows, me),
                })
                .collect(),
        }
    }
}

impl From<core::SummaryItem> for SummaryItem {
    fn from(i: core::SummaryItem) -> Self {
        SummaryItem {
            record_id: i.record_id,
            at_ms: i.at,
            date: i.date,
            by: i.by,
            text: i.text,
            quote: i.quote,
            details: i.details,
            scores: i.scores.map(|s| SummaryScores {
                safety: s.safety.into(),
                trust: s.trust.into(),
                connection: s.connection.into(),
                heard: s.heard.map(Into::into),
            }),
        }
    }
}

impl FromCore<core::RenderedSummary> for RenderedSummary {
    fn from_core(r: core::RenderedSummary, me: &str) -> Self {
        RenderedSummary {
            summary: TherapistSummary::from_core(r.summary, me),
            markdown: r.markdown,
            html: r.html,
        }
    }
}
