//! The summary a partner chooses to bring to a therapist.
//!
//! The partner who prepares it chooses a period (two days, inclusive), which
//! kinds of shared records to bring and, one by one, any entries of their own
//! private journal or notes. Nothing else goes in: a kind that was not chosen
//! leaves no trace (not even in a chart), the private space is read only for
//! the entries named by id, and nothing that happened after the period shows.
//!
//! [`therapist_summary`] gives the report as data ([`TherapistSummary`]);
//! [`TherapistSummary::to_markdown`] and [`TherapistSummary::to_html`] render
//! it (the HTML is one standalone page: inline CSS and inline SVG charts, no
//! scripts, no external resources); [`prepare_therapist_summary`] does all
//! three at once, and [`seal_for_therapist`] encrypts a rendered file with age
//! to the therapist's recipient.
//!
//! Written for the therapist reading it: plain headings, who wrote what and
//! when, scores as weekly bands (never streaks or missed days), and a header
//! that says who prepared it, for which period, what was chosen and what was
//! left out.

mod html;
mod markdown;
mod svg;
mod withhold;

pub use withhold::{NOTE_NOT_SHARED, WORDS_NOT_SHARED};

use std::collections::BTreeMap;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::error::{CoreError, Result};
use crate::model::*;
use crate::private::PrivateDoc;
use crate::views::consistency::{RequestFlow, consistency, in_force_before};
use crate::views::days::{DayRange, add_days, iso_week_label, iso_week_start, parse_day};
use crate::views::span::Span;
use crate::views::timeline::RecordKind;
use crate::views::trends::{WeeklyBand, weekly_bands};

/// Every kind of shared record, in the order the report presents them.
pub const SUMMARY_KIND_ORDER: [RecordKind; 12] = [
    RecordKind::Phase,
    RecordKind::Agreement,
    RecordKind::Commitment,
    RecordKind::Offer,
    RecordKind::Request,
    RecordKind::CheckIn,
    RecordKind::Disclosure,
    RecordKind::Question,
    RecordKind::Trigger,
    RecordKind::Appreciation,
    RecordKind::TimeTogether,
    RecordKind::Survey,
];

/// What the preparing partner chose to bring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryChoice {
    /// The member id of the partner preparing it (this device's member).
    pub prepared_by: String,
    /// First day of the period (`YYYY-MM-DD`), inclusive.
    pub from: String,
    /// Last day of the period (`YYYY-MM-DD`), inclusive.
    pub to: String,
    /// The kinds of shared records to bring. Empty brings none (the header
    /// alone, plus any private entries).
    pub kinds: Vec<RecordKind>,
    /// With `RecordKind::Question` chosen: bring only the questions someone
    /// tagged "for the therapist".
    pub therapist_questions_only: bool,
    /// Ids of private journal entries or private notes to add, one by one
    /// (a unique prefix of an id is enough). Never anything else from the
    /// private space.
    pub private_entries: Vec<String>,
    /// The couple's time zone (an IANA name such as `Europe/Berlin`) for the
    /// days of instants and the dates shown; `None` is UTC.
    pub time_zone: Option<String>,
    /// When it is prepared (ms); shown in the header.
    pub prepared_at: Millis,
}

/// A partner as the report names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryPerson {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// The report as data: what the header says, the charts' numbers and the
/// chosen records, each with who wrote it and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TherapistSummary {
    pub prepared_by: SummaryPerson,
    /// The other partner, once they have joined.
    pub partner: Option<SummaryPerson>,
    pub prepared_at: Millis,
    /// `prepared_at` as a date in the couple's time zone ("Mon 30 Nov 2026").
    pub prepared_on: String,
    /// The period, `YYYY-MM-DD`, inclusive.
    pub from: String,
    pub to: String,
    /// The period in words ("Tue 1 Sep 2026 to Mon 30 Nov 2026").
    pub period: String,
    /// The IANA name of the time zone dates are shown in.
    pub time_zone: String,
    /// The chosen kinds, in report order.
    pub included: Vec<RecordKind>,
    /// The kinds left out, in report order.
    pub left_out: Vec<RecordKind>,
    pub therapist_questions_only: bool,
    pub charts: SummaryCharts,
    /// One section per chosen kind (questions may take two), in report order.
    pub sections: Vec<SummarySection>,
    /// The private entries added one by one, oldest first.
    pub private_entries: Vec<SummaryItem>,
    /// Whether the other partner's own words are in it: only when they
    /// allowed it (`Member::words_in_summaries`); otherwise each of their
    /// notes reads [`NOTE_NOT_SHARED`] and each text [`WORDS_NOT_SHARED`].
    pub partner_words: bool,
    /// The ids of the other partner's records (or records with entries of
    /// theirs) the report brings, for them to see.
    pub drew_on: Vec<String>,
}

/// The numbers behind the charts. Each is empty unless its kind was chosen:
/// check-ins for the trends and the frequency, requests for consistency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryCharts {
    /// Every ISO week that overlaps the period, oldest first: the charts'
    /// common time axis.
    pub weeks: Vec<SummaryWeek>,
    /// Weekly bands of safety, trust and connection per partner, from the
    /// check-ins in the period.
    pub trends: Vec<WeeklyBand>,
    /// Check-ins per partner per week (weeks without any are absent).
    pub checkin_frequency: Vec<WeekCount>,
    /// Requested things done and how they were received, over four-week
    /// windows (the app's consistency view) ending a week apart, oldest
    /// first, counting only what happened in the period.
    pub request_consistency: Vec<RequestWindow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryWeek {
    /// `2026-W47`.
    pub week: String,
    /// The Monday it starts on (`YYYY-MM-DD`).
    pub week_start: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekCount {
    pub member: String,
    pub week: String,
    pub week_start: String,
    pub checkins: u32,
}

/// One four-week window of the consistency view, limited to the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestWindow {
    /// First day counted (`YYYY-MM-DD`): the window's start, or the start
    /// of the period when the window begins before it.
    pub start: String,
    pub end: String,
    /// What each partner did of what the other asked, and how it landed.
    pub flows: Vec<RequestFlow>,
}

/// One part of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummarySection {
    pub kind: RecordKind,
    pub title: String,
    /// One or two sentences on what the section holds and how to read it.
    pub intro: String,
    /// Oldest first.
    pub items: Vec<SummaryItem>,
}

/// One record, as the therapist reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryItem {
    pub record_id: String,
    /// When it was written (ms), for ordering.
    pub at: Millis,
    /// When, in the couple's terms: "Tue 3 Nov 2026" or "Tue 3 Nov 2026, 20:15".
    pub date: String,
    /// The display name of who wrote it.
    pub by: Option<String>,
    /// The record itself: its wording, or the scores of a check-in.
    pub text: String,
    /// The author's own note, quoted as they wrote it.
    pub quote: Option<String>,
    /// What happened to it in the period (versions, logs, answers, repairs),
    /// each a plain sentence. For a check-in: its mood words.
    pub details: Vec<String>,
    /// A check-in's scores.
    pub scores: Option<CheckInScores>,
}

/// A check-in's own 0–10 scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckInScores {
    pub safety: u8,
    pub trust: u8,
    pub connection: u8,
    /// "Did you feel listened to?", when answered.
    pub heard: Option<u8>,
}

/// The summary as data with both renderings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderedSummary {
    pub summary: TherapistSummary,
    pub markdown: String,
    pub html: String,
}

/// Builds the report from the shared records and, for the entries named in
/// `choice.private_entries` only, the preparing partner's private space.
///
/// Errors: an unreadable day, a period that ends before it starts, an
/// unknown time zone, a preparing member who is not in the couple, or a
/// private id that names no entry (or more than one).
pub fn therapist_summary(
    snapshot: &Snapshot,
    private: Option<&PrivateDoc>,
    choice: &SummaryChoice,
) -> Result<TherapistSummary> {
    summary_in(&Span::bare(snapshot), private, choice)
}

/// [`therapist_summary`] over `span`: with the read model's index, the
/// period's check-ins are found by their weeks.
pub(crate) fn summary_in(
    span: &Span<'_>,
    private: Option<&PrivateDoc>,
    choice: &SummaryChoice,
) -> Result<TherapistSummary> {
    summary_with(span, private, choice, Period::cut)
}

/// The summary over what `cut` keeps of `span` for the period: the period's
/// part ([`Period::cut`]), or in tests the whole snapshot, which must give
/// the same summary.
fn summary_with(
    span: &Span<'_>,
    private: Option<&PrivateDoc>,
    choice: &SummaryChoice,
    cut: fn(&Period, &Span<'_>) -> Snapshot,
) -> Result<TherapistSummary> {
    let snapshot = span.s;
    let period = Period::of(choice)?;
    let person = |m: &Member| SummaryPerson {
        id: m.id.clone(),
        name: m.name.clone(),
        role: m.role,
    };
    let me = snapshot
        .members
        .iter()
        .find(|m| m.id == choice.prepared_by)
        .ok_or_else(|| CoreError::UnknownId {
            kind: "member",
            id: choice.prepared_by.clone(),
        })?;
    let partner = snapshot.members.iter().find(|m| m.id != me.id);
    let private_entries = private_items(private, &choice.private_entries, &period, &me.name)?;
    // The other partner's words come only with their say-so.
    let partner_words = partner.is_none_or(|p| p.words_in_summaries);
    // Only the period's records are copied and worked on, not the history.
    let cut = cut(&period, span);
    let withheld;
    let snapshot = match partner {
        Some(p) if !partner_words => {
            withheld = withhold::withhold(&cut, &p.id, &me.id);
            &withheld
        }
        _ => &cut,
    };

    let wants = |k: RecordKind| choice.kinds.contains(&k);
    let included: Vec<RecordKind> = SUMMARY_KIND_ORDER
        .into_iter()
        .filter(|k| wants(*k))
        .collect();
    let left_out: Vec<RecordKind> = SUMMARY_KIND_ORDER
        .into_iter()
        .filter(|k| !wants(*k))
        .collect();

    let names = Names(
        snapshot
            .members
            .iter()
            .map(|m| (m.id.clone(), m.name.clone()))
            .collect(),
    );
    let cx = Cx {
        snapshot,
        period: &period,
        names: &names,
        me_name: Some(me.name.clone()),
    };
    let mut sections = Vec::new();
    for kind in &included {
        match kind {
            RecordKind::Question => sections.extend(cx.questions(choice.therapist_questions_only)),
            k => sections.push(cx.section(*k)),
        }
    }

    let drew_on = match partner {
        Some(p) => {
            let theirs = withhold::records_touched_by(snapshot, &p.id);
            let brought: std::collections::BTreeSet<&str> = sections
                .iter()
                .flat_map(|s| &s.items)
                .map(|i| i.record_id.as_str())
                .collect();
            theirs
                .into_iter()
                .filter(|id| brought.contains(id.as_str()))
                .collect()
        }
        None => Vec::new(),
    };

    Ok(TherapistSummary {
        partner_words,
        drew_on,
        prepared_by: person(me),
        partner: partner.map(person),
        prepared_at: choice.prepared_at,
        prepared_on: period.date_of(choice.prepared_at),
        from: period.from.to_string(),
        to: period.to.to_string(),
        period: format!("{} to {}", fmt_day(period.from), fmt_day(period.to)),
        time_zone: period.tz_name.clone(),
        therapist_questions_only: choice.therapist_questions_only && wants(RecordKind::Question),
        charts: charts(
            snapshot,
            &period,
            wants(RecordKind::CheckIn),
            wants(RecordKind::Request),
        ),
        included,
        left_out,
        sections,
        private_entries,
    })
}

/// [`therapist_summary`] with its Markdown and HTML renderings.
pub fn prepare_therapist_summary(
    snapshot: &Snapshot,
    private: Option<&PrivateDoc>,
    choice: &SummaryChoice,
) -> Result<RenderedSummary> {
    prepare_in(&Span::bare(snapshot), private, choice)
}

/// [`prepare_therapist_summary`] over `span`.
pub(crate) fn prepare_in(
    span: &Span<'_>,
    private: Option<&PrivateDoc>,
    choice: &SummaryChoice,
) -> Result<RenderedSummary> {
    let summary = summary_in(span, private, choice)?;
    Ok(RenderedSummary {
        markdown: summary.to_markdown(),
        html: summary.to_html(),
        summary,
    })
}

/// Reads a therapist's age recipient (`age1…`), refusing anything else with
/// a message that says what was expected.
pub fn therapist_recipient(recipient: &str) -> Result<age::x25519::Recipient> {
    age::x25519::Recipient::from_str(recipient.trim()).map_err(|e| CoreError::InvalidValue {
        field: "therapist's recipient",
        reason: format!(
            "{:?} is not an age recipient ({e}); it starts with \"age1\", and the therapist \
             gets it from `age-keygen` or their age app",
            recipient.trim()
        ),
    })
}

/// Encrypts a rendered report with age (binary format) to the therapist's
/// recipient: only the matching identity opens it.
pub fn seal_for_therapist(recipient: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    let recipient = therapist_recipient(recipient)?;
    age::encrypt(&recipient, bytes).map_err(|e| CoreError::Encrypt(e.to_string()))
}

impl TherapistSummary {
    /// The content-free trace both partners see of this summary: who, when,
    /// the period and kinds, and which of the other partner's records it
    /// drew on.
    pub fn trace(&self) -> SummaryMade {
        SummaryMade {
            id: String::new(),
            by: self.prepared_by.id.clone(),
            at: self.prepared_at,
            from: self.from.clone(),
            to: self.to.clone(),
            kinds: self
                .included
                .iter()
                .map(|k| {
                    serde_json::to_value(k)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect(),
            therapist_questions_only: self.therapist_questions_only,
            drew_on: self.drew_on.clone(),
            partner_words: self.partner_words,
        }
    }
}

impl SummaryChoice {
    /// A choice of every kind over a period, with nothing private.
    pub fn everything(prepared_by: &str, from: &str, to: &str, prepared_at: Millis) -> Self {
        SummaryChoice {
            prepared_by: prepared_by.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            kinds: SUMMARY_KIND_ORDER.to_vec(),
            therapist_questions_only: false,
            private_entries: Vec::new(),
            time_zone: None,
            prepared_at,
        }
    }
}

impl TherapistSummary {
    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }

    /// The report as one standalone HTML page.
    pub fn to_html(&self) -> String {
        html::render(self)
    }

    /// A member's display name (the id's start for someone unknown).
    pub fn name_of(&self, id: &str) -> String {
        [Some(&self.prepared_by), self.partner.as_ref()]
            .into_iter()
            .flatten()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| short(id))
    }
}

/// The plural words for a kind, as the header lists them.
pub fn kind_words(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Agreement => "agreements and boundaries",
        RecordKind::Offer => "transparency offers",
        RecordKind::CheckIn => "check-ins",
        RecordKind::Request => "requests and what was done about them",
        RecordKind::Disclosure => "disclosures",
        RecordKind::Question => "questions",
        RecordKind::Trigger => "hard moments and repairs",
        RecordKind::Appreciation => "appreciations",
        RecordKind::TimeTogether => "time together",
        RecordKind::Phase => "recovery phase changes",
        RecordKind::Survey => "trust surveys",
        RecordKind::Commitment => "commitments",
        RecordKind::Member => "the partners' roles and settings",
        RecordKind::Summary => "earlier summaries",
    }
}

// ------------------------------------------------------------------ header

/// The header's sentences, shared by both renderings (plain text; each
/// renderer escapes it).
pub(super) struct Header {
    pub prepared: String,
    pub period: String,
    pub selection: String,
    pub brought: String,
    pub left_out: String,
    pub private: String,
    pub people: Vec<String>,
}

fn role_words(role: Role) -> &'static str {
    match role {
        Role::Hurt => "the partner who was hurt",
        Role::BrokeTrust => "the partner who broke the trust",
        Role::Both => "both hurt and broke the trust",
        Role::Unsaid => "has not said how they describe their place in what happened",
    }
}

fn list_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

impl TherapistSummary {
    pub(super) fn header(&self) -> Header {
        let me = &self.prepared_by.name;
        let zone = if self.time_zone == "UTC" {
            "UTC".to_owned()
        } else {
            format!("{} time", self.time_zone)
        };
        let mut brought: Vec<&str> = self.included.iter().map(|k| kind_words(*k)).collect();
        if self.therapist_questions_only {
            for w in &mut brought {
                if *w == "questions" {
                    *w = "the questions tagged “for the therapist” (no others)";
                }
            }
        }
        let left: Vec<&str> = self.left_out.iter().map(|k| kind_words(*k)).collect();
        let partner = self.partner.as_ref().map(|p| p.name.as_str());
        let selection = match partner {
            Some(p) => format!(
                "This is {me}’s own selection. {me} chose the period and which kinds of records \
                 to bring. The records are as the partners wrote them in the space they share, \
                 which both of them can see; {p}’s entries appear where they belong to the \
                 records {me} chose. Nothing from {p}’s private journal is here: it never leaves \
                 {p}’s phone. {}",
                if self.partner_words {
                    format!("{p} has allowed their own words in summaries.")
                } else {
                    format!(
                        "{p} has not allowed their own words in summaries, so their scores, \
                         dates and choices are here while each of their notes reads \
                         “{NOTE_NOT_SHARED}” and each of their texts “{WORDS_NOT_SHARED}”."
                    )
                }
            ),
            None => format!(
                "This is {me}’s own selection. {me} chose the period and which kinds of records \
                 to bring."
            ),
        };
        let private = match self.private_entries.len() {
            0 => format!("Nothing from {me}’s private journal or notes."),
            n => format!(
                "{} from {me}’s private journal and notes, which otherwise never leave {me}’s \
                 phone, added one by one.",
                plural(n, "entry", "entries")
            ),
        };
        let mut people = vec![format!("{me}: {}.", role_words(self.prepared_by.role))];
        if let Some(p) = &self.partner {
            people.push(format!("{}: {}.", p.name, role_words(p.role)));
        }
        Header {
            prepared: format!(
                "Prepared by {me} on {}, from the couple’s shared records in Kintsugi.",
                self.prepared_on
            ),
            period: format!("Period: {} (dates and times in {zone}).", self.period),
            selection,
            brought: if brought.is_empty() {
                "Brought: no shared records.".to_owned()
            } else {
                format!("Brought: {}.", list_words(&brought))
            },
            left_out: if left.is_empty() {
                "Left out: nothing; every kind of shared record is here.".to_owned()
            } else {
                format!("Left out by {me}’s choice: {}.", list_words(&left))
            },
            private,
            people,
        }
    }

    /// The partners in chart order (the preparing partner first) with their colours.
    pub(super) fn chart_members(&self) -> Vec<(String, &'static str)> {
        let mut out = vec![(self.prepared_by.id.clone(), svg::PARTNER_COLOURS[0])];
        if let Some(p) = &self.partner {
            out.push((p.id.clone(), svg::PARTNER_COLOURS[1]));
        }
        out
    }

    /// The (doer, asker) pairs that appear in the request windows, the one
    /// with the most done first.
    pub(super) fn request_flows(&self) -> Vec<(String, String)> {
        let mut totals: BTreeMap<(String, String), u32> = BTreeMap::new();
        for f in self
            .charts
            .request_consistency
            .iter()
            .flat_map(|w| &w.flows)
        {
            *totals.entry((f.doer.clone(), f.asker.clone())).or_default() += f.done;
        }
        let mut flows: Vec<((String, String), u32)> = totals.into_iter().collect();
        flows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        flows.into_iter().map(|(k, _)| k).collect()
    }
}

// ------------------------------------------------------------------ period

/// The chosen days in the couple's time zone.
struct Period {
    from: Date,
    to: Date,
    tz: TimeZone,
    tz_name: String,
    /// The first instant of `from` and of the day after `to`.
    start_ms: Millis,
    end_ms: Millis,
}

impl Period {
    fn of(choice: &SummaryChoice) -> Result<Period> {
        let day = |field: &'static str, value: &str| {
            parse_day(value).ok_or_else(|| CoreError::InvalidDate {
                field,
                value: value.to_owned(),
            })
        };
        let from = day("start of the period", &choice.from)?;
        let to = day("end of the period", &choice.to)?;
        if to < from {
            return Err(CoreError::InvalidValue {
                field: "period",
                reason: format!("it ends on {to}, before it starts on {from}"),
            });
        }
        let (tz, tz_name) = match choice.time_zone.as_deref().map(str::trim) {
            None | Some("") | Some("UTC") => (TimeZone::UTC, "UTC".to_owned()),
            Some(name) => (
                TimeZone::get(name).map_err(|e| CoreError::InvalidValue {
                    field: "time zone",
                    reason: format!("{name:?} is not a time zone this device knows ({e})"),
                })?,
                name.to_owned(),
            ),
        };
        let first_instant = |d: Date| -> Result<Millis> {
            d.to_zoned(tz.clone())
                .map(|z| z.timestamp().as_millisecond())
                .map_err(|e| CoreError::InvalidValue {
                    field: "period",
                    reason: e.to_string(),
                })
        };
        let after = add_days(to, 1).ok_or_else(|| CoreError::InvalidDate {
            field: "end of the period",
            value: choice.to.clone(),
        })?;
        Ok(Period {
            start_ms: first_instant(from)?,
            end_ms: first_instant(after)?,
            from,
            to,
            tz,
            tz_name,
        })
    }

    /// Whether an instant falls on a day of the period (in the couple's zone).
    fn has(&self, at: Millis) -> bool {
        self.start_ms <= at && at < self.end_ms
    }

    /// The part of `s` a summary of the period can show: the records that
    /// happen once, only where they fall in the period; those that go on
    /// (agreements, requests, commitments, …) with only the entries a
    /// section reads (a request's times done and an agreement's checks in
    /// the period, a commitment's days in it). Years of daily entries are
    /// never copied for a three-month summary.
    fn cut(&self, span: &Span<'_>) -> Snapshot {
        fn within<R: Clone>(list: &[R], keep: impl Fn(&R) -> bool) -> Vec<R> {
            list.iter().filter(|r| keep(r)).cloned().collect()
        }
        let s = span.s;
        let days = DayRange {
            start: self.from,
            end: self.to,
        };
        // Families kept in order of the time a summary filters them by are
        // cut by a search in the model, then filtered (a bare snapshot's
        // lists come whole).
        let (start, end) = (self.start_ms, self.end_ms);
        Snapshot {
            checkins: span.checkins(days, None).into_iter().cloned().collect(),
            disclosures: within(span.between(&s.disclosures, start, end, |d| d.at), |d| {
                self.has(d.at)
            }),
            appreciations: within(span.between(&s.appreciations, start, end, |a| a.at), |a| {
                self.has(a.at)
            }),
            phase_changes: within(span.between(&s.phase_changes, start, end, |p| p.at), |p| {
                self.has(p.at)
            }),
            surveys: within(span.between(&s.surveys, start, end, |v| v.at), |v| {
                self.has(v.at)
            }),
            summaries: within(&s.summaries, |v| self.has(v.at)),
            members: s.members.clone(),
            agreements: s.agreements.iter().map(|a| self.agreement_in(a)).collect(),
            offers: within(
                span.between(&s.offers, Millis::MIN, end, |o| o.offered_at),
                |o| {
                    self.by_end(o.offered_at)
                        && o.expires_at >= self.start_ms
                        && o.withdrawn_at.is_none_or(|w| w >= self.start_ms)
                },
            ),
            requests: s.requests.iter().map(|r| self.request_in(r)).collect(),
            questions: within(&s.questions, |q| {
                self.has(q.at) || q.responses.iter().any(|r| self.has(r.at))
            }),
            triggers: within(span.between(&s.triggers, start, end, |t| t.at), |t| {
                self.has(t.at)
            }),
            together: within(&s.together, |t| self.has_day(&t.planned_for)),
            commitments: s
                .commitments
                .iter()
                .map(|c| self.commitment_in(c))
                .collect(),
        }
    }

    /// `a` with only the checks noted in the period.
    fn agreement_in(&self, a: &Agreement) -> Agreement {
        // Spelled out so that a new field is a compile error here, not a
        // field silently left empty.
        let Agreement {
            id,
            proposed_by,
            proposed_at,
            versions,
            withdrawn_at,
            withdrawn_by,
            checks,
        } = a;
        Agreement {
            id: id.clone(),
            proposed_by: proposed_by.clone(),
            proposed_at: *proposed_at,
            versions: versions.clone(),
            withdrawn_at: *withdrawn_at,
            withdrawn_by: withdrawn_by.clone(),
            checks: checks.iter().filter(|c| self.has(c.at)).cloned().collect(),
        }
    }

    /// `r` with only the times it was done in the period.
    fn request_in(&self, r: &Request) -> Request {
        let Request {
            id,
            asker,
            text,
            created_at,
            retired_at,
            done,
            revisions,
            answers,
        } = r;
        Request {
            id: id.clone(),
            asker: asker.clone(),
            text: text.clone(),
            created_at: *created_at,
            retired_at: *retired_at,
            done: done.iter().filter(|d| self.has(d.at)).cloned().collect(),
            revisions: revisions.clone(),
            answers: answers.clone(),
        }
    }

    /// `c` with only the days logged in the period.
    fn commitment_in(&self, c: &Commitment) -> Commitment {
        let Commitment {
            id,
            author,
            created_at,
            kind,
            text,
            ended_at,
            log,
        } = c;
        Commitment {
            id: id.clone(),
            author: author.clone(),
            created_at: *created_at,
            kind: *kind,
            text: text.clone(),
            ended_at: *ended_at,
            log: log.iter().filter(|l| self.logged_in(l)).cloned().collect(),
        }
    }

    /// Whether a commitment's entry is for a day of the period (by the day
    /// it names, or when it was written if it names none).
    fn logged_in(&self, l: &CommitmentLog) -> bool {
        match parse_day(&l.day) {
            Some(_) => self.has_day(&l.day),
            None => self.has(l.at),
        }
    }

    /// Whether a `YYYY-MM-DD` day falls in the period.
    fn has_day(&self, day: &str) -> bool {
        parse_day(day).is_some_and(|d| self.from <= d && d <= self.to)
    }

    /// Whether an instant is before the period ends.
    fn by_end(&self, at: Millis) -> bool {
        at < self.end_ms
    }

    fn zoned(&self, at: Millis) -> Option<jiff::Zoned> {
        let ts = jiff::Timestamp::from_millisecond(at).ok()?;
        Some(ts.to_zoned(self.tz.clone()))
    }

    /// "Tue 3 Nov 2026".
    fn date_of(&self, at: Millis) -> String {
        self.zoned(at)
            .map(|z| fmt_day(z.date()))
            .unwrap_or_default()
    }

    /// "Tue 3 Nov 2026, 20:15".
    fn when(&self, at: Millis) -> String {
        self.zoned(at)
            .map(|z| format!("{}, {}", fmt_day(z.date()), z.strftime("%H:%M")))
            .unwrap_or_default()
    }
}

fn fmt_day(d: Date) -> String {
    d.strftime("%a %-d %b %Y").to_string()
}

/// "Tue 3 Nov 2026" for a `YYYY-MM-DD` day, the day itself if unreadable.
fn fmt_day_str(day: &str) -> String {
    parse_day(day)
        .map(fmt_day)
        .unwrap_or_else(|| day.to_owned())
}

fn short(id: &str) -> String {
    id.chars().take(8).collect::<String>() + "…"
}

// ------------------------------------------------------------------ charts

fn charts(snapshot: &Snapshot, period: &Period, checkins: bool, requests: bool) -> SummaryCharts {
    let mut weeks = Vec::new();
    let mut monday = iso_week_start(period.from);
    while monday <= period.to {
        weeks.push(SummaryWeek {
            week: iso_week_label(monday),
            week_start: monday.to_string(),
        });
        match add_days(monday, 7) {
            Some(next) => monday = next,
            None => break,
        }
    }
    let (trends, checkin_frequency) = if checkins {
        let only = Snapshot {
            members: snapshot.members.clone(),
            checkins: snapshot
                .checkins
                .iter()
                .filter(|c| period.has_day(&c.day))
                .cloned()
                .collect(),
            ..Snapshot::default()
        };
        let bands = weekly_bands(&only);
        let counts = bands
            .iter()
            .map(|b| WeekCount {
                member: b.member.clone(),
                week: b.week.clone(),
                week_start: b.week_start.clone(),
                checkins: b.checkins,
            })
            .collect();
        (bands, counts)
    } else {
        (Vec::new(), Vec::new())
    };
    let request_consistency = if requests {
        request_windows(snapshot, period)
    } else {
        Vec::new()
    };
    SummaryCharts {
        weeks,
        trends,
        checkin_frequency,
        request_consistency,
    }
}

/// The consistency view's four-week windows ending on the period's last day
/// and a week apart before it, over the requests' entries in the period only
/// (acknowledgements count once they exist by the period's end). Windows
/// that would start before the period are left out, except the latest one,
/// which is kept (counting from the period's start) when the period is
/// shorter than four weeks.
fn request_windows(snapshot: &Snapshot, period: &Period) -> Vec<RequestWindow> {
    let only = Snapshot {
        members: snapshot.members.clone(),
        requests: snapshot
            .requests
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.done.retain(|d| period.has(d.at));
                for d in &mut r.done {
                    if d.acknowledgement
                        .as_ref()
                        .is_some_and(|a| !period.by_end(a.at))
                    {
                        d.acknowledgement = None;
                    }
                }
                r
            })
            .collect(),
        ..Snapshot::default()
    };
    let days = (period.to - period.from).get_days().max(0) as usize + 1;
    let count = days / 7 + 1;
    // The view buckets instants by UTC day; the period's instants were
    // already chosen in the couple's zone above, so shift nothing further.
    let mut windows: Vec<RequestWindow> = consistency(&only, &period.to.to_string(), count)
        .into_iter()
        .enumerate()
        .filter(|(i, w)| *i == 0 || parse_day(&w.start).is_some_and(|s| s >= period.from))
        .map(|(_, w)| {
            let start = parse_day(&w.start)
                .map(|s| s.max(period.from).to_string())
                .unwrap_or(w.start);
            RequestWindow {
                start,
                end: w.end,
                flows: w.requests.flows,
            }
        })
        .collect();
    windows.reverse();
    windows
}

// ---------------------------------------------------------------- sections

struct Names(BTreeMap<String, String>);

impl Names {
    fn get(&self, id: &str) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| short(id))
    }
}

struct Cx<'a> {
    snapshot: &'a Snapshot,
    period: &'a Period,
    names: &'a Names,
    /// The preparing partner's display name.
    me_name: Option<String>,
}

/// A field's value as it stood at `cutoff`: the `before` of the first
/// revision of that field made at or after it, else the current value.
fn as_of(current: &str, revisions: &[Revision], field: &str, cutoff: Millis) -> String {
    revisions
        .iter()
        .filter(|r| r.field == field && r.at >= cutoff)
        .min_by_key(|r| r.at)
        .map(|r| r.before.clone())
        .unwrap_or_else(|| current.to_owned())
}

fn note(n: &Option<String>) -> Option<String> {
    n.as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

fn with_note(line: String, n: &Option<String>) -> String {
    match note(n) {
        Some(n) => format!("{line} — “{n}”"),
        None => line,
    }
}

/// Ends a sentence with a full stop unless it already ends with one, or
/// with a quotation that carries its own.
fn sentence(line: String) -> String {
    if line.ends_with(['.', '!', '?', '”']) {
        line
    } else {
        line + "."
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Cx<'_> {
    fn item(&self, id: &str, at: Millis, by: Option<&str>, text: String) -> SummaryItem {
        SummaryItem {
            record_id: id.to_owned(),
            at,
            date: self.period.when(at),
            by: by.map(|b| self.names.get(b)),
            text,
            quote: None,
            details: Vec::new(),
            scores: None,
        }
    }

    fn name(&self, id: &str) -> String {
        self.names.get(id)
    }

    fn section(&self, kind: RecordKind) -> SummarySection {
        let (title, intro, mut items) = match kind {
            RecordKind::Phase => (
                "Recovery phase",
                "Atone, attune, attach: only the partner who was hurt moves it forward.",
                self.phases(),
            ),
            RecordKind::Agreement => (
                "Agreements and boundaries",
                "An agreement is in force once both partners accept it; a revision is a new \
                 version, and earlier versions stay listed. Agreements in force during the \
                 period are listed even when nothing happened to them.",
                self.agreements(),
            ),
            RecordKind::Commitment => (
                "Commitments",
                "Commitments a partner made of their own accord, with what they logged in the \
                 period.",
                self.commitments(),
            ),
            RecordKind::Offer => (
                "Transparency offers",
                "Transparency offered by its owner for a while; only the owner can withdraw it.",
                self.offers(),
            ),
            RecordKind::Request => (
                "Requests",
                "Small, specific things one partner asked for and the other said yes to, \
                 what was done about them and how it was received. Requests that were not \
                 agreed to are not brought: a request is asked, never imposed.",
                self.requests(),
            ),
            RecordKind::CheckIn => (
                "Check-ins",
                "Each partner's own check-ins: safety, trust and connection from 0 to 10 \
                 (and, when answered, whether they felt listened to), their mood words and \
                 any note. Days without a check-in are normal and are not marked.",
                self.checkins(),
            ),
            RecordKind::Disclosure => (
                "Disclosures",
                "Things a partner volunteered to tell, and what they did about them.",
                self.disclosures(),
            ),
            RecordKind::Trigger => (
                "Hard moments and repairs",
                "Moments that hurt again, noted by the partner who felt them (with how strong \
                 it was, 0 to 10), and how the other partner responded.",
                self.triggers(),
            ),
            RecordKind::Appreciation => (
                "Appreciations",
                "Thanks and praise between the partners.",
                self.appreciations(),
            ),
            RecordKind::TimeTogether => (
                "Time together",
                "Dates, rituals and recreated memories planned for the period, and how each \
                 partner said it went.",
                self.together(),
            ),
            RecordKind::Survey => (
                "Trust surveys",
                "The monthly trust survey: six statements answered 0 (not at all) to 4 \
                 (completely); the score is their sum scaled to 100.",
                self.surveys(),
            ),
            RecordKind::Question | RecordKind::Member | RecordKind::Summary => {
                unreachable!("questions have their own sections; the others are never brought")
            }
        };
        // Oldest first; on one day, the preparing partner first.
        items.sort_by(|a, b| {
            (a.at, a.by != self.me_name, &a.record_id).cmp(&(
                b.at,
                b.by != self.me_name,
                &b.record_id,
            ))
        });
        SummarySection {
            kind,
            title: title.to_owned(),
            intro: intro.to_owned(),
            items,
        }
    }

    fn phases(&self) -> Vec<SummaryItem> {
        self.snapshot
            .phase_changes
            .iter()
            .filter(|p| self.period.has(p.at))
            .map(|p| {
                let mut line = format!("Moved from {} to {}", p.from.as_str(), p.to.as_str());
                if let Some(role) = p.role {
                    line.push_str(&format!(", as \u{201c}{}\u{201d}", role.words()));
                }
                let mut it = self.item(&p.id, p.at, Some(&p.by), line);
                it.quote = note(&p.note);
                it
            })
            .collect()
    }

    fn agreements(&self) -> Vec<SummaryItem> {
        let p = self.period;
        let mut out = Vec::new();
        for a in &self.snapshot.agreements {
            let touched = a
                .versions
                .iter()
                .any(|v| p.has(v.at) || v.acceptances.iter().any(|acc| p.has(acc.at)))
                || a.checks.iter().any(|c| p.has(c.at))
                || a.withdrawn_at.is_some_and(|w| p.has(w));
            if !touched && !in_force_before(a, self.snapshot, p.end_ms) {
                continue;
            }
            // The agreement as it stood when the period ended.
            let mut then = a.clone();
            then.versions.retain(|v| p.by_end(v.at));
            for v in &mut then.versions {
                v.acceptances.retain(|acc| p.by_end(acc.at));
            }
            if then.withdrawn_at.is_some_and(|w| !p.by_end(w)) {
                then.withdrawn_at = None;
                then.withdrawn_by = None;
            }
            if then.versions.is_empty() {
                continue;
            }
            let status = match then.status() {
                AgreementStatus::InForce => "in force".to_owned(),
                AgreementStatus::Proposed => "proposed, not yet accepted by both".to_owned(),
                AgreementStatus::RevisionPending => {
                    "in force; a newer wording waits for acceptance".to_owned()
                }
                AgreementStatus::Withdrawn => match (then.withdrawn_at, &then.withdrawn_by) {
                    (Some(at), Some(by)) => {
                        format!("withdrawn by {} on {}", self.name(by), p.when(at))
                    }
                    _ => "withdrawn".to_owned(),
                },
            };
            let mut it = self.item(
                &a.id,
                a.proposed_at,
                Some(&a.proposed_by),
                then.text().to_owned(),
            );
            it.details
                .push(format!("At the end of the period: {status}."));
            for v in &then.versions {
                let mut line = format!(
                    "Version {} by {} on {}{}: “{}”",
                    v.number,
                    self.name(&v.by),
                    p.when(v.at),
                    if p.has(v.at) {
                        ""
                    } else {
                        " (before the period)"
                    },
                    v.text
                );
                let others: Vec<String> = v
                    .acceptances
                    .iter()
                    .filter(|acc| acc.by != v.by)
                    .map(|acc| format!("accepted by {} on {}", self.name(&acc.by), p.when(acc.at)))
                    .collect();
                let mut after = others;
                if let Some(r) = &v.review_on {
                    after.push(format!("to review on {}", fmt_day_str(r)));
                }
                if !after.is_empty() {
                    line.push_str(&format!(" ({})", after.join("; ")));
                }
                it.details.push(line);
            }
            let mut checks: Vec<&KeptCheck> = a.checks.iter().filter(|c| p.has(c.at)).collect();
            checks.sort_by_key(|c| c.at);
            for c in checks {
                let what = if c.kept { "kept it" } else { "slipped" };
                it.details.push(sentence(with_note(
                    format!("{}: {} noted they {what}", p.when(c.at), self.name(&c.by)),
                    &c.note,
                )));
            }
            out.push(it);
        }
        out
    }

    fn commitments(&self) -> Vec<SummaryItem> {
        let p = self.period;
        let mut out = Vec::new();
        for c in &self.snapshot.commitments {
            let log: Vec<&CommitmentLog> = c.log.iter().filter(|l| p.logged_in(l)).collect();
            let active = p.by_end(c.created_at) && c.ended_at.is_none_or(|e| e >= p.start_ms);
            if !active && log.is_empty() {
                continue;
            }
            let kind = match c.kind {
                CommitmentKind::NoContact => "No contact",
                CommitmentKind::AddedResponsibility => "Added responsibility",
                CommitmentKind::SmallChange => "Small change",
                CommitmentKind::Other => "Commitment",
            };
            let mut it = self.item(
                &c.id,
                c.created_at,
                Some(&c.author),
                format!("{kind}: {}", c.text),
            );
            if !p.has(c.created_at) {
                it.details.push(format!(
                    "Made on {} (before the period).",
                    p.when(c.created_at)
                ));
            }
            let kept = log.iter().filter(|l| l.kept).count();
            let slipped = log.len() - kept;
            if log.is_empty() {
                it.details.push("Nothing logged in the period.".into());
            } else {
                let mut line = format!(
                    "In the period {} logged {} kept",
                    self.name(&c.author),
                    plural(kept, "day", "days")
                );
                if slipped > 0 {
                    line.push_str(&format!(" and {slipped} slipped"));
                }
                it.details.push(line + ".");
            }
            let mut log = log;
            log.sort_by(|a, b| (&a.day, a.at).cmp(&(&b.day, b.at)));
            for l in log.iter().filter(|l| !l.kept || note(&l.note).is_some()) {
                let what = if l.kept { "kept" } else { "slipped" };
                it.details.push(with_note(
                    format!("{}: {what}.", fmt_day_str(&l.day)),
                    &l.note,
                ));
            }
            if let Some(e) = c.ended_at.filter(|e| p.has(*e)) {
                it.details.push(format!("Ended on {}.", p.when(e)));
            }
            out.push(it);
        }
        out
    }

    fn offers(&self) -> Vec<SummaryItem> {
        let p = self.period;
        self.snapshot
            .offers
            .iter()
            .filter(|o| {
                p.by_end(o.offered_at)
                    && o.expires_at >= p.start_ms
                    && o.withdrawn_at.is_none_or(|w| w >= p.start_ms)
            })
            .map(|o| {
                let mut it = self.item(&o.id, o.offered_at, Some(&o.owner), o.text.clone());
                if !p.has(o.offered_at) {
                    it.details.push(format!(
                        "Offered on {} (before the period).",
                        p.when(o.offered_at)
                    ));
                }
                match o.withdrawn_at.filter(|w| p.by_end(*w)) {
                    Some(w) => it
                        .details
                        .push(format!("Withdrawn by its owner on {}.", p.when(w))),
                    None if p.by_end(o.expires_at) => it
                        .details
                        .push(format!("Ran until {}.", p.when(o.expires_at))),
                    None => it
                        .details
                        .push(format!("Open until {}.", p.when(o.expires_at))),
                }
                it
            })
            .collect()
    }

    fn requests(&self) -> Vec<SummaryItem> {
        let p = self.period;
        let mut out = Vec::new();
        for r in &self.snapshot.requests {
            // A request is asked, not imposed: only one the asked partner
            // said yes to (a yes standing at some point of the period) is
            // brought, and only what was done while that yes stood.
            let answers: Vec<&RequestAnswer> =
                r.answers.iter().filter(|a| p.by_end(a.at)).collect();
            let yes_in_period = r.answer_at(p.start_ms) == Some(RequestAnswerKind::Yes)
                || answers
                    .iter()
                    .any(|a| p.has(a.at) && a.kind == RequestAnswerKind::Yes);
            if !yes_in_period {
                continue;
            }
            let done: Vec<&DoneEntry> = r
                .done
                .iter()
                .filter(|d| p.has(d.at) && r.counts(d))
                .collect();
            let text = as_of(&r.text, &r.revisions, "text", p.end_ms);
            let mut it = self.item(&r.id, r.created_at, Some(&r.asker), text);
            if !p.has(r.created_at) {
                it.details.push(format!(
                    "Asked by {} on {} (before the period).",
                    self.name(&r.asker),
                    p.when(r.created_at)
                ));
            }
            for a in &answers {
                let said = match a.kind {
                    RequestAnswerKind::Yes => "said yes",
                    RequestAnswerKind::TalkFirst => "asked to talk about it first",
                    RequestAnswerKind::NotNow => "said not now",
                    RequestAnswerKind::YesRetired => "took back their yes",
                };
                let before = if p.has(a.at) {
                    ""
                } else {
                    " (before the period)"
                };
                it.details.push(sentence(with_note(
                    format!("{}: {} {said}{before}", p.when(a.at), self.name(&a.by)),
                    &a.note,
                )));
            }
            let received: Vec<&Acknowledgement> = done
                .iter()
                .filter_map(|d| d.acknowledgement.as_ref().filter(|a| p.by_end(a.at)))
                .collect();
            let landed = received.iter().filter(|a| a.landed).count();
            let not_landed = received.len() - landed;
            let done_count = done.len();
            if !done.is_empty() {
                let mut doers: Vec<String> = done.iter().map(|d| self.name(&d.by)).collect();
                doers.dedup();
                // What was done, and how it was received; never a rate.
                let mut line = format!(
                    "In the period: {} did it {}",
                    doers.join(" and "),
                    plural(done.len(), "time", "times"),
                );
                let mut received_words = Vec::new();
                if landed > 0 {
                    received_words.push(format!("{landed} landed"));
                }
                if not_landed > 0 {
                    received_words.push(format!("{not_landed} did not land"));
                }
                if !received_words.is_empty() {
                    line.push_str(&format!(
                        "; for {}, {}",
                        self.name(&r.asker),
                        received_words.join(" and ")
                    ));
                }
                it.details.push(line + ".");
            }
            // Each time with something to read: a note, or an answer that it
            // did not land (or a note on the answer). The rest are counted above.
            let mut done = done;
            done.sort_by_key(|d| d.at);
            let mut quiet = 0;
            for d in done {
                let answer = d.acknowledgement.as_ref().filter(|a| p.by_end(a.at));
                let telling = note(&d.note).is_some()
                    || answer.is_some_and(|a| !a.landed || note(&a.note).is_some());
                if !telling {
                    quiet += 1;
                    continue;
                }
                let mut line = sentence(with_note(
                    format!("{}: {} did it", p.when(d.at), self.name(&d.by)),
                    &d.note,
                ));
                if let Some(a) = answer {
                    let how = if a.landed {
                        "it landed"
                    } else {
                        "thank you, but it did not land"
                    };
                    line = sentence(with_note(
                        format!("{line} {}: {how}", self.name(&r.asker)),
                        &a.note,
                    ));
                }
                it.details.push(line);
            }
            if quiet > 0 && quiet < done_count {
                it.details.push(format!(
                    "The other {} without notes.",
                    plural(quiet, "time was", "times were")
                ));
            }
            if let Some(t) = r.retired_at.filter(|t| p.has(*t)) {
                it.details.push(format!(
                    "Retired by {} on {}.",
                    self.name(&r.asker),
                    p.when(t)
                ));
            }
            out.push(it);
        }
        out
    }

    fn checkins(&self) -> Vec<SummaryItem> {
        self.snapshot
            .checkins
            .iter()
            .filter(|c| self.period.has_day(&c.day))
            .map(|c| {
                let mut scores = format!(
                    "safety {} · trust {} · connection {}",
                    c.safety, c.trust, c.connection
                );
                if let Some(h) = c.heard {
                    scores.push_str(&format!(" · heard {h}"));
                }
                let words: Vec<&str> = c
                    .moods
                    .iter()
                    .chain(&c.free_words)
                    .map(String::as_str)
                    .collect();
                let mut it = self.item(&c.id, c.recorded_at, Some(&c.author), scores);
                it.date = fmt_day_str(&c.day);
                // Ordered by the day it speaks for.
                it.at = parse_day(&c.day)
                    .and_then(|d| d.to_zoned(self.period.tz.clone()).ok())
                    .map(|z| z.timestamp().as_millisecond())
                    .unwrap_or(c.recorded_at);
                if !words.is_empty() {
                    it.details.push(words.join(", "));
                }
                it.quote = note(&c.note);
                it.scores = Some(CheckInScores {
                    safety: c.safety,
                    trust: c.trust,
                    connection: c.connection,
                    heard: c.heard,
                });
                it
            })
            .collect()
    }

    fn disclosures(&self) -> Vec<SummaryItem> {
        self.snapshot
            .disclosures
            .iter()
            .filter(|d| self.period.has(d.at))
            .map(|d| {
                let end = self.period.end_ms;
                let mut it = self.item(
                    &d.id,
                    d.at,
                    Some(&d.author),
                    as_of(&d.what, &d.revisions, "what", end),
                );
                let action = d
                    .action_taken
                    .as_ref()
                    .map(|a| as_of(a, &d.revisions, "action_taken", end));
                if let Some(a) = action.filter(|a| !a.trim().is_empty()) {
                    it.details.push(format!("What was done about it: {a}"));
                }
                it
            })
            .collect()
    }

    fn questions(&self, tagged_only: bool) -> Vec<SummarySection> {
        let p = self.period;
        let mut tagged = Vec::new();
        let mut other = Vec::new();
        for q in &self.snapshot.questions {
            let responses: Vec<&QuestionResponse> =
                q.responses.iter().filter(|r| p.by_end(r.at)).collect();
            if !p.has(q.at) && !responses.iter().any(|r| p.has(r.at)) {
                continue;
            }
            let tag = responses
                .iter()
                .find(|r| r.kind == ResponseKind::ForTherapist);
            if tagged_only && tag.is_none() {
                continue;
            }
            let mut text = q.text.clone();
            if let Some(t) = &q.topic {
                text.push_str(&format!(" (topic: {t})"));
            }
            let mut it = self.item(&q.id, q.at, Some(&q.asker), text);
            if !p.has(q.at) {
                it.details
                    .push(format!("Asked on {} (before the period).", p.when(q.at)));
            }
            for r in responses.iter().filter(|r| p.has(r.at)) {
                let who = self.name(&r.by);
                let line = match r.kind {
                    ResponseKind::NotReadyYet => {
                        format!("{who} needed space first (not ready yet)")
                    }
                    ResponseKind::Schedule => format!(
                        "{who} set it for a question window on {}",
                        r.window.as_deref().map(fmt_day_str).unwrap_or_default()
                    ),
                    ResponseKind::ForTherapist => {
                        format!("{who} kept it for a session with the therapist")
                    }
                    ResponseKind::Answer => format!("{who} answered"),
                    ResponseKind::Park => format!("{who} set it aside"),
                    ResponseKind::Reopen => format!("{who} opened it again"),
                };
                let text = match r.kind {
                    ResponseKind::Answer => r.text.clone(),
                    _ => None,
                };
                let mut line = format!("{}: {line}", p.when(r.at));
                match note(&text) {
                    Some(t) => line.push_str(&format!(": “{t}”")),
                    None => line.push('.'),
                }
                it.details.push(line);
            }
            match tag {
                Some(_) => tagged.push(it),
                None => other.push(it),
            }
        }
        let sort = |v: &mut Vec<SummaryItem>| {
            v.sort_by(|a, b| (a.at, &a.record_id).cmp(&(b.at, &b.record_id)))
        };
        sort(&mut tagged);
        sort(&mut other);
        let mut out = vec![SummarySection {
            kind: RecordKind::Question,
            title: "Questions kept for you".into(),
            intro: "Questions one of the partners tagged “for the therapist”: often painful \
                    questions about details, which the couple chose to bring to a session with \
                    you rather than talk through alone."
                .into(),
            items: tagged,
        }];
        if !tagged_only {
            out.push(SummarySection {
                kind: RecordKind::Question,
                title: "Other questions".into(),
                intro: "Questions asked in the period, with the space, question windows and \
                        answers that followed."
                    .into(),
                items: other,
            });
        }
        out
    }

    fn triggers(&self) -> Vec<SummaryItem> {
        let p = self.period;
        self.snapshot
            .triggers
            .iter()
            .filter(|t| p.has(t.at))
            .map(|t| {
                let mut it = self.item(&t.id, t.at, Some(&t.author), t.what.clone());
                it.details
                    .push(format!("How strong: {} of 10.", t.intensity));
                let mut repairs: Vec<&Repair> =
                    t.repairs.iter().filter(|r| p.by_end(r.at)).collect();
                repairs.sort_by_key(|r| r.at);
                if repairs.is_empty() {
                    it.details
                        .push("No response noted by the end of the period.".into());
                }
                for r in repairs {
                    it.details.push(format!(
                        "{}: {} responded: “{}”",
                        p.when(r.at),
                        self.name(&r.by),
                        r.text
                    ));
                }
                it
            })
            .collect()
    }

    fn appreciations(&self) -> Vec<SummaryItem> {
        self.snapshot
            .appreciations
            .iter()
            .filter(|a| self.period.has(a.at))
            .map(|a| {
                let mut it = self.item(&a.id, a.at, Some(&a.author), a.text.clone());
                it.by = Some(format!("{} to {}", self.name(&a.author), self.name(&a.to)));
                it
            })
            .collect()
    }

    fn together(&self) -> Vec<SummaryItem> {
        let p = self.period;
        self.snapshot
            .together
            .iter()
            .filter(|t| p.has_day(&t.planned_for))
            .map(|t| {
                let kind = match t.kind {
                    TogetherKind::Date => "A date",
                    TogetherKind::Ritual => "A ritual",
                    TogetherKind::RecreateMemory => "Recreating a memory",
                };
                let mut it = self.item(
                    &t.id,
                    t.created_at,
                    Some(&t.planner),
                    format!("{kind}: {}", t.title),
                );
                it.date = fmt_day_str(&t.planned_for);
                it.at = parse_day(&t.planned_for)
                    .and_then(|d| d.to_zoned(p.tz.clone()).ok())
                    .map(|z| z.timestamp().as_millisecond())
                    .unwrap_or(t.created_at);
                it.details
                    .push(format!("Planned by {}.", self.name(&t.planner)));
                for o in t.outcomes.iter().filter(|o| p.by_end(o.at)) {
                    let mut line = format!(
                        "{}: {}",
                        self.name(&o.by),
                        if o.happened {
                            "it happened"
                        } else {
                            "it did not happen"
                        }
                    );
                    if let Some(f) = o.felt {
                        line.push_str(&format!("; how it felt: {f} of 10"));
                    }
                    it.details.push(with_note(line, &o.note) + ".");
                }
                it
            })
            .collect()
    }

    fn surveys(&self) -> Vec<SummaryItem> {
        self.snapshot
            .surveys
            .iter()
            .filter(|s| self.period.has(s.at))
            .map(|s| {
                let mut it = self.item(
                    &s.id,
                    s.at,
                    Some(&s.author),
                    format!("Survey for {}: score {} of 100", s.month, s.score),
                );
                for (item, answer) in SURVEY_ITEMS.iter().zip(&s.answers) {
                    it.details.push(format!("“{item}” {answer} of 4"));
                }
                it
            })
            .collect()
    }
}

// ----------------------------------------------------------------- private

fn private_items(
    private: Option<&PrivateDoc>,
    ids: &[String],
    period: &Period,
    owner: &str,
) -> Result<Vec<SummaryItem>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let Some(private) = private else {
        return Err(CoreError::UnknownId {
            kind: "private entry",
            id: ids[0].clone(),
        });
    };
    let journal = private.journal();
    let notes = private.notes();
    let mut out: Vec<SummaryItem> = Vec::new();
    for wanted in ids {
        let prefix = wanted.trim();
        if prefix.is_empty() {
            return Err(CoreError::EmptyText {
                field: "private entry id",
            });
        }
        let mut found: Vec<SummaryItem> = journal
            .iter()
            .filter(|e| e.id.starts_with(prefix))
            .map(|e| SummaryItem {
                record_id: e.id.clone(),
                at: e.at,
                date: period.when(e.at),
                by: Some(owner.to_owned()),
                text: e.text.clone(),
                quote: None,
                details: vec!["From the private journal.".into()],
                scores: None,
            })
            .chain(
                notes
                    .iter()
                    .filter(|n| n.id.starts_with(prefix))
                    .map(|n| SummaryItem {
                        record_id: n.id.clone(),
                        at: n.at,
                        date: period.when(n.at),
                        by: Some(owner.to_owned()),
                        text: format!("{}: {}", n.title, n.text),
                        quote: None,
                        details: vec!["From the private notes.".into()],
                        scores: None,
                    }),
            )
            .collect();
        match found.len() {
            0 => {
                return Err(CoreError::UnknownId {
                    kind: "private journal entry or note",
                    id: prefix.to_owned(),
                });
            }
            1 => {
                let item = found.remove(0);
                if !out.iter().any(|o| o.record_id == item.record_id) {
                    out.push(item);
                }
            }
            _ => {
                return Err(CoreError::AmbiguousId {
                    kind: "private journal entry or note",
                    prefix: prefix.to_owned(),
                });
            }
        }
    }
    out.sort_by(|a, b| (a.at, &a.record_id).cmp(&(b.at, &b.record_id)));
    Ok(out)
}

#[cfg(test)]
mod tests;
