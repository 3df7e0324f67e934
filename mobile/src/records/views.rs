//! The derived views the core computes for the apps to draw: the timeline,
//! weekly trend bands, consistency, signs of progress, the counselling prompt.
//! None of them counts streaks or missed days.

use kintsugi_core::views;

use super::{FromCore, count};

// ------------------------------------------------------------------ timeline

/// The record families of the shared space: the twelve a couple writes,
/// the partners themselves, and the traces of summaries for a therapist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum RecordKind {
    /// Agreements and boundaries.
    Agreement,
    /// Temporary transparency offers.
    Offer,
    /// Daily check-ins.
    CheckIn,
    /// Requests for small behaviours, with what was done and acknowledged.
    Request,
    /// Disclosures (volunteered truth-telling).
    Disclosure,
    /// Questions and topics.
    Question,
    /// Triggers and their repairs.
    Trigger,
    /// Appreciations.
    Appreciation,
    /// Time together: plans and outcomes.
    TimeTogether,
    /// Moves of the recovery phase.
    Phase,
    /// Trust surveys.
    Survey,
    /// Commitments and their logs.
    Commitment,
    /// A partner's own entry: name, role, whether their words may appear in summaries.
    Member,
    /// A summary one partner prepared for a therapist (its trace, never its text).
    Summary,
}

/// What happened, for one timeline entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum EntryKind {
    /// The first version of an agreement.
    AgreementProposed,
    /// A later version of an agreement.
    AgreementRevised,
    /// A partner accepted a version they did not write.
    AgreementAccepted,
    /// An agreement was withdrawn.
    AgreementWithdrawn,
    /// A partner's note that they kept, or slipped on, an agreement.
    AgreementKeptCheck,
    /// A transparency offer was made.
    OfferMade,
    /// Its owner withdrew an offer.
    OfferWithdrawn,
    /// An offer reached its end (no author: nobody did it).
    OfferExpired,
    /// A check-in.
    CheckIn,
    /// A request was made.
    RequestMade,
    /// The other partner logged doing the requested thing.
    RequestDone,
    /// The asker answered a done entry.
    RequestAcknowledged,
    /// The asker retired the request.
    RequestRetired,
    /// A disclosure.
    Disclosure,
    /// A question was asked.
    QuestionAsked,
    /// Not ready yet, scheduled, for the therapist, answered, parked, reopened.
    QuestionResponse,
    /// A trigger was noted.
    Trigger,
    /// The other partner responded to a trigger.
    TriggerRepair,
    /// An appreciation.
    Appreciation,
    /// Time together was planned.
    TogetherPlanned,
    /// One partner's word on how a planned time together went.
    TogetherOutcome,
    /// The recovery phase moved.
    PhaseChange,
    /// A trust survey was answered.
    Survey,
    /// A commitment was made.
    CommitmentMade,
    /// A commitment was logged for a day.
    CommitmentLog,
    /// Its author ended a commitment.
    CommitmentEnded,
    /// The author changed a field of their own record; the old value stays visible.
    Edited,
    /// The asked partner answered a request: yes, let's talk first, not now, or took back a yes.
    RequestAnswered,
    /// A partner changed their role (it decides who moves the phase forward).
    RoleChanged,
    /// A partner allowed, or stopped allowing, their words in summaries.
    WordsInSummariesChanged,
    /// A partner prepared a summary for a therapist.
    SummaryPrepared,
}

/// Which timeline entries to return. Every field is optional: an empty
/// filter (`TimelineFilter()`) keeps everything.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct TimelineFilter {
    /// Record families to keep; empty keeps all.
    #[uniffi(default = [])]
    pub kinds: Vec<RecordKind>,
    /// Keep only what this member did.
    #[uniffi(default = None)]
    pub author: Option<String>,
    /// Keep entries at or after this instant.
    #[uniffi(default = None)]
    pub since_ms: Option<i64>,
    /// Keep entries at or before this instant.
    #[uniffi(default = None)]
    pub until_ms: Option<i64>,
    /// At most this many entries (the newest); a negative limit keeps none.
    #[uniffi(default = None)]
    pub limit: Option<i32>,
    /// Continue after the page that gave this cursor
    /// (`TimelinePage.next_cursor`); `None` starts from the newest entry.
    #[uniffi(default = None)]
    pub cursor: Option<String>,
}

/// One page of the timeline, newest first.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TimelinePage {
    pub entries: Vec<TimelineEntry>,
    /// Pass it as the filter's `cursor` for the next (older) page; `None`
    /// when this page reached the oldest entry.
    pub next_cursor: Option<String>,
}

impl FromCore<views::TimelinePage> for TimelinePage {
    fn from_core(page: views::TimelinePage, me: &str) -> Self {
        TimelinePage {
            entries: super::list(page.entries, me),
            next_cursor: page.next,
        }
    }
}

/// One event of the shared space. Both partners see the same timeline.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TimelineEntry {
    /// When it happened (ms since the Unix epoch).
    pub at_ms: i64,
    /// What happened.
    pub kind: EntryKind,
    /// The record family it belongs to.
    pub record_kind: RecordKind,
    /// The id of the record the event belongs to.
    pub record_id: String,
    /// A stable id for this entry, unique within the timeline: use it as a list key.
    pub entry_id: String,
    /// The member who did it; `None` only for an offer that expired.
    pub author: Option<String>,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// A short human line: the text, or "safety 4 · trust 3 · connection 5".
    pub summary: String,
}

impl From<RecordKind> for views::RecordKind {
    fn from(k: RecordKind) -> Self {
        use views::RecordKind as K;
        match k {
            RecordKind::Agreement => K::Agreement,
            RecordKind::Offer => K::Offer,
            RecordKind::CheckIn => K::CheckIn,
            RecordKind::Request => K::Request,
            RecordKind::Disclosure => K::Disclosure,
            RecordKind::Question => K::Question,
            RecordKind::Trigger => K::Trigger,
            RecordKind::Appreciation => K::Appreciation,
            RecordKind::TimeTogether => K::TimeTogether,
            RecordKind::Phase => K::Phase,
            RecordKind::Survey => K::Survey,
            RecordKind::Commitment => K::Commitment,
            RecordKind::Member => K::Member,
            RecordKind::Summary => K::Summary,
        }
    }
}

impl From<views::RecordKind> for RecordKind {
    fn from(k: views::RecordKind) -> Self {
        use views::RecordKind as K;
        match k {
            K::Agreement => RecordKind::Agreement,
            K::Offer => RecordKind::Offer,
            K::CheckIn => RecordKind::CheckIn,
            K::Request => RecordKind::Request,
            K::Disclosure => RecordKind::Disclosure,
            K::Question => RecordKind::Question,
            K::Trigger => RecordKind::Trigger,
            K::Appreciation => RecordKind::Appreciation,
            K::TimeTogether => RecordKind::TimeTogether,
            K::Phase => RecordKind::Phase,
            K::Survey => RecordKind::Survey,
            K::Commitment => RecordKind::Commitment,
            K::Member => RecordKind::Member,
            K::Summary => RecordKind::Summary,
        }
    }
}

impl From<views::EntryKind> for EntryKind {
    fn from(k: views::EntryKind) -> Self {
        use views::EntryKind as K;
        match k {
            K::AgreementProposed => EntryKind::AgreementProposed,
            K::AgreementRevised => EntryKind::AgreementRevised,
            K::AgreementAccepted => EntryKind::AgreementAccepted,
            K::AgreementWithdrawn => EntryKind::AgreementWithdrawn,
            K::AgreementKeptCheck => EntryKind::AgreementKeptCheck,
            K::OfferMade => EntryKind::OfferMade,
            K::OfferWithdrawn => EntryKind::OfferWithdrawn,
            K::OfferExpired => EntryKind::OfferExpired,
            K::CheckIn => EntryKind::CheckIn,
            K::RequestMade => EntryKind::RequestMade,
            K::RequestDone => EntryKind::RequestDone,
            K::RequestAcknowledged => EntryKind::RequestAcknowledged,
            K::RequestRetired => EntryKind::RequestRetired,
            K::Disclosure => EntryKind::Disclosure,
            K::QuestionAsked => EntryKind::QuestionAsked,
            K::QuestionResponse => EntryKind::QuestionResponse,
            K::Trigger => EntryKind::Trigger,
            K::TriggerRepair => EntryKind::TriggerRepair,
            K::Appreciation => EntryKind::Appreciation,
            K::TogetherPlanned => EntryKind::TogetherPlanned,
            K::TogetherOutcome => EntryKind::TogetherOutcome,
            K::PhaseChange => EntryKind::PhaseChange,
            K::Survey => EntryKind::Survey,
            K::CommitmentMade => EntryKind::CommitmentMade,
            K::CommitmentLog => EntryKind::CommitmentLog,
            K::CommitmentEnded => EntryKind::CommitmentEnded,
            K::Edited => EntryKind::Edited,
            K::RequestAnswered => EntryKind::RequestAnswered,
            K::RoleChanged => EntryKind::RoleChanged,
            K::WordsInSummariesChanged => EntryKind::WordsInSummariesChanged,
            K::SummaryPrepared => EntryKind::SummaryPrepared,
        }
    }
}

impl TimelineFilter {
    /// `now` decides which offers show as expired.
    pub(crate) fn into_core(self, now: i64) -> views::TimelineFilter {
        views::TimelineFilter {
            kinds: self.kinds.into_iter().map(Into::into).collect(),
            author: self.author,
            since: self.since_ms,
            until: self.until_ms,
            limit: self.limit.map(|l| usize::try_from(l).unwrap_or(0)),
            cursor: self.cursor,
            now,
        }
    }
}

impl FromCore<views::TimelineEntry> for TimelineEntry {
    fn from_core(e: views::TimelineEntry, me: &str) -> Self {
        TimelineEntry {
            by_me: e.author.as_deref() == Some(me),
            at_ms: e.at,
            kind: e.kind.into(),
            record_kind: e.record_kind.into(),
            record_id: e.record_id,
            entry_id: e.entry_id,
            author: e.author,
            summary: e.summary,
        }
    }
}

// ------------------------------------------------------------- weekly bands

/// The middle and spread of one score (0–10) over one week.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Band {
    /// The median score of the week.
    pub median: f32,
    /// The lowest score of the week.
    pub low: i32,
    /// The highest score of the week.
    pub high: i32,
    /// First quartile.
    pub q1: f32,
    /// Third quartile.
    pub q3: f32,
}

/// One partner's check-ins in one ISO week: a range, so an up-and-down week
/// shows as what it is. A week without check-ins is absent, never a zero.
#[derive(Debug, Clone, uniffi::Record)]
pub struct WeeklyBand {
    /// Member id of the partner whose check-ins these are.
    pub member: String,
    /// True for this device's partner.
    pub is_me: bool,
    /// The ISO week, e.g. `2026-W47`.
    pub week: String,
    /// The Monday the week starts on (`YYYY-MM-DD`).
    pub week_start: String,
    /// How many check-ins the week holds (at least one).
    pub checkins: i32,
    /// The week's safety scores.
    pub safety: Band,
    /// The week's trust scores.
    pub trust: Band,
    /// The week's connection scores.
    pub connection: Band,
    /// "Did you feel listened to?", over the check-ins that answered it.
    pub heard: Option<Band>,
}

impl From<views::Band> for Band {
    fn from(b: views::Band) -> Self {
        Band {
            median: b.median,
            low: b.low.into(),
            high: b.high.into(),
            q1: b.q1,
            q3: b.q3,
        }
    }
}

impl FromCore<views::WeeklyBand> for WeeklyBand {
    fn from_core(b: views::WeeklyBand, me: &str) -> Self {
        WeeklyBand {
            is_me: b.member == me,
            member: b.member,
            week: b.week,
            week_start: b.week_start,
            checkins: count(b.checkins),
            safety: b.safety.into(),
            trust: b.trust.into(),
            connection: b.connection.into(),
            heard: b.heard.map(Into::into),
        }
    }
}

// -------------------------------------------------------------- consistency

/// One rolling window of 28 days: counts, never streaks.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ConsistencyWindow {
    /// First day of the window (`YYYY-MM-DD`).
    pub start: String,
    /// Last day of the window (`YYYY-MM-DD`), inclusive.
    pub end: String,
    /// Requested behaviours done in the window.
    pub requests: RequestConsistency,
    /// Kept-checks on agreements in the window.
    pub agreements: AgreementConsistency,
    /// Commitment log entries in the window.
    pub commitments: CommitmentConsistency,
}

/// Requested things done in the window, of those the asked partner said yes
/// to, and how the asker received them. Counts of what was done, never a
/// rate: show them as such ("Ben did 9 things Ana asked for; 8 landed"),
/// and never what had no answer as anyone's failure.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RequestConsistency {
    /// Done entries logged in the window while the doer's yes stood.
    pub done: i32,
    /// Of those, how many the asker has answered.
    pub acknowledged: i32,
    /// Of the answered, how many landed.
    pub landed: i32,
    /// Of the answered, "thank you, but it did not land".
    pub did_not_land: i32,
    /// The same counts for each (doer, asker) pair.
    pub flows: Vec<RequestFlow>,
}

/// What one partner did of what the other asked, and how it was received.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RequestFlow {
    /// Who logged doing it.
    pub doer: String,
    /// True when the doer is this device's partner.
    pub done_by_me: bool,
    /// Who asked for it (and acknowledges it).
    pub asker: String,
    /// Done entries logged in the window.
    pub done: i32,
    /// Of those, how many the asker acknowledged.
    pub acknowledged: i32,
    /// Of the acknowledged, how many landed.
    pub landed: i32,
    /// Of the acknowledged, how many did not land.
    pub did_not_land: i32,
}

/// Kept-checks on agreements logged in the window.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AgreementConsistency {
    /// Checks that say "kept".
    pub kept: i32,
    /// Checks that say "slipped".
    pub slipped: i32,
    /// Agreements in force on the window's last day.
    pub in_force: i32,
    /// Kept and slipped per member who wrote the check.
    pub by_member: Vec<MemberKept>,
}

/// Commitment log entries for days in the window.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CommitmentConsistency {
    /// Days logged as kept.
    pub kept: i32,
    /// Days logged as slipped.
    pub slipped: i32,
    /// Kept and slipped per commitment author.
    pub by_member: Vec<MemberKept>,
}

/// One member's kept and slipped counts.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MemberKept {
    /// Member id of the partner who wrote the checks.
    pub member: String,
    /// True when `member` is this device's partner.
    pub is_me: bool,
    /// Their checks that say "kept".
    pub kept: i32,
    /// Their checks that say "slipped".
    pub slipped: i32,
}

impl FromCore<views::ConsistencyWindow> for ConsistencyWindow {
    fn from_core(w: views::ConsistencyWindow, me: &str) -> Self {
        ConsistencyWindow {
            start: w.start,
            end: w.end,
            requests: RequestConsistency {
                done: count(w.requests.done),
                acknowledged: count(w.requests.acknowledged),
                landed: count(w.requests.landed),
                did_not_land: count(w.requests.did_not_land),
                flows: super::list(w.requests.flows, me),
            },
            agreements: AgreementConsistency {
                kept: count(w.agreements.kept),
                slipped: count(w.agreements.slipped),
                in_force: count(w.agreements.in_force),
                by_member: super::list(w.agreements.by_member, me),
            },
            commitments: CommitmentConsistency {
                kept: count(w.commitments.kept),
                slipped: count(w.commitments.slipped),
                by_member: super::list(w.commitments.by_member, me),
            },
        }
    }
}

impl FromCore<views::RequestFlow> for RequestFlow {
    fn from_core(f: views::RequestFlow, me: &str) -> Self {
        RequestFlow {
            done_by_me: f.doer == me,
            doer: f.doer,
            asker: f.asker,
            done: count(f.done),
            acknowledged: count(f.acknowledged),
            landed: count(f.landed),
            did_not_land: count(f.did_not_land),
        }
    }
}

impl FromCore<views::MemberKept> for MemberKept {
    fn from_core(m: views::MemberKept, me: &str) -> Self {
        MemberKept {
            is_me: m.member == me,
            member: m.member,
            kept: count(m.kept),
            slipped: count(m.slipped),
        }
    }
}

// --------------------------------------------------------- signs of progress

/// Which sign of progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SignName {
    /// The member's median `safety`.
    SaferToTalk,
    /// The member's median `heard`.
    BeingListenedTo,
    /// Appreciations the member received, plus time together that happened
    /// and felt good to them.
    WarmMoments,
}

/// Which way a sign moved. Down is shown as plainly as up: data, not a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SignDirection {
    /// Better over the recent period.
    Up,
    /// Lower over the recent period.
    Down,
    /// About the same.
    Steady,
    /// Too few entries in one of the periods to tell.
    NotEnoughData,
}

/// One sign for one member: the recent period beside the one before.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Sign {
    /// Which sign of progress this is.
    pub name: SignName,
    /// The member the sign is about.
    pub member: String,
    /// True when `member` is this device's partner.
    pub is_me: bool,
    /// The value over the earlier period (`None`: nothing to measure).
    pub before: Option<f32>,
    /// The value over the recent period (`None`: nothing to measure).
    pub now: Option<f32>,
    /// Which way it moved from the earlier period to the recent one.
    pub direction: SignDirection,
    /// How many entries the earlier value rests on.
    pub before_count: i32,
    /// How many entries the recent value rests on.
    pub now_count: i32,
}

/// An inclusive range of days (`YYYY-MM-DD`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct Period {
    /// First day (`YYYY-MM-DD`).
    pub start: String,
    /// Last day (`YYYY-MM-DD`), inclusive.
    pub end: String,
}

/// The last four weeks beside the four before, per partner.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SignsOfProgress {
    /// The recent period: the 28 days ending today.
    pub now_period: Option<Period>,
    /// The 28 days before that.
    pub before_period: Option<Period>,
    /// For each member: safer to talk, being listened to, warm moments.
    pub signs: Vec<Sign>,
}

impl From<views::SignName> for SignName {
    fn from(n: views::SignName) -> Self {
        match n {
            views::SignName::SaferToTalk => SignName::SaferToTalk,
            views::SignName::BeingListenedTo => SignName::BeingListenedTo,
            views::SignName::WarmMoments => SignName::WarmMoments,
        }
    }
}

impl From<views::Direction> for SignDirection {
    fn from(d: views::Direction) -> Self {
        match d {
            views::Direction::Up => SignDirection::Up,
            views::Direction::Down => SignDirection::Down,
            views::Direction::Steady => SignDirection::Steady,
            views::Direction::NotEnoughData => SignDirection::NotEnoughData,
        }
    }
}

impl FromCore<views::Sign> for Sign {
    fn from_core(s: views::Sign, me: &str) -> Self {
        Sign {
            is_me: s.member == me,
            name: s.name.into(),
            member: s.member,
            before: s.before,
            now: s.now,
            direction: s.direction.into(),
            before_count: count(s.before_count),
            now_count: count(s.now_count),
        }
    }
}

impl From<views::Period> for Period {
    fn from(p: views::Period) -> Self {
        Period {
            start: p.start,
            end: p.end,
        }
    }
}

impl FromCore<views::Progress> for SignsOfProgress {
    fn from_core(p: views::Progress, me: &str) -> Self {
        SignsOfProgress {
            now_period: p.now_period.map(Into::into),
            before_period: p.before_period.map(Into::into),
            signs: super::list(p.signs, me),
        }
    }
}

// ------------------------------------------------------- counselling prompt

/// Which weekly score stayed low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PainMeasure {
    /// The safety score.
    Safety,
    /// The trust score.
    Trust,
}

/// What the counselling prompt noticed, with the facts an app may show.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum CounsellingReasonKind {
    /// Several questions share one topic.
    TopicReturns { topic: String, questions: i32 },
    /// Several triggers name the same moment.
    TriggerReturns { what: String, triggers: i32 },
    /// A partner answered "did you feel listened to?" low several times.
    FeelingUnheard { member: String, checkins: i32 },
    /// A partner's weekly safety or trust stayed low several weeks running.
    PainStaysHigh {
        member: String,
        measure: PainMeasure,
        weeks: i32,
        /// The ISO week of the latest painful week, e.g. `2026-W47`.
        latest_week: String,
    },
}

/// One reason the prompt was raised.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CounsellingReason {
    /// What was noticed.
    pub reason: CounsellingReasonKind,
    /// One plain sentence describing what was noticed.
    pub sentence: String,
}

/// Which counselling prompt it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CounsellingPromptKind {
    /// The couple seem stuck: a couples therapist may help.
    CouplesCounselling,
    /// This user's own feeling of safety stayed low: individual and safety
    /// support first, and no couples counselling for now. Only this user's
    /// device shows it.
    SafetyFirst,
}

/// A kind of support a `SafetyFirst` prompt names, in the order shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SupportResourceKind {
    /// An individual counsellor or therapist, for this user alone.
    IndividualCounsellor,
    /// A domestic-abuse or family-violence support service in their area.
    SupportService,
    /// The local emergency number, for danger now.
    EmergencyServices,
    /// A friend or family member they trust.
    TrustedPerson,
}

/// One kind of support, with its text. No phone numbers or named services
/// come from the core: an app that knows the user's region adds them (or
/// puts them in its catalog, see `set_locale`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct SupportResource {
    pub kind: SupportResourceKind,
    /// Ready to show.
    pub text: String,
}

/// A gentle suggestion: a suggestion, never a diagnosis, and it never
/// labels either partner.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CounsellingPrompt {
    pub kind: CounsellingPromptKind,
    /// The suggestion itself, ready to show.
    pub message: String,
    /// Why it was raised; never empty.
    pub reasons: Vec<CounsellingReason>,
    /// For `SafetyFirst`: the support to name, in order (individual support
    /// first). Empty for `CouplesCounselling`.
    pub resources: Vec<SupportResource>,
    /// Whether the prompt suggests couples counselling: never while this
    /// user feels unsafe.
    pub couples_counselling_advised: bool,
}

impl From<views::ReasonKind> for CounsellingReasonKind {
    fn from(r: views::ReasonKind) -> Self {
        use views::ReasonKind as R;
        match r {
            R::TopicReturns { topic, questions } => CounsellingReasonKind::TopicReturns {
                topic,
                questions: count(questions),
            },
            R::TriggerReturns { what, triggers } => CounsellingReasonKind::TriggerReturns {
                what,
                triggers: count(triggers),
            },
            R::FeelingUnheard { member, checkins } => CounsellingReasonKind::FeelingUnheard {
                member,
                checkins: count(checkins),
            },
            R::PainStaysHigh {
                member,
                measure,
                weeks,
                latest_week,
            } => CounsellingReasonKind::PainStaysHigh {
                member,
                measure: match measure {
                    views::Measure::Safety => PainMeasure::Safety,
                    views::Measure::Trust => PainMeasure::Trust,
                },
                weeks: count(weeks),
                latest_week,
            },
        }
    }
}

impl From<views::CounsellingPrompt> for CounsellingPrompt {
    fn from(p: views::CounsellingPrompt) -> Self {
        CounsellingPrompt {
            kind: match p.kind {
                views::PromptKind::CouplesCounselling => CounsellingPromptKind::CouplesCounselling,
                views::PromptKind::SafetyFirst => CounsellingPromptKind::SafetyFirst,
            },
            message: p.message,
            reasons: p
                .reasons
                .into_iter()
                .map(|r| CounsellingReason {
                    reason: r.reason.into(),
                    sentence: r.sentence,
                })
                .collect(),
            resources: p
                .resources
                .into_iter()
                .map(|r| SupportResource {
                    kind: match r.kind {
                        views::ResourceKind::IndividualCounsellor => {
                            SupportResourceKind::IndividualCounsellor
                        }
                        views::ResourceKind::SupportService => SupportResourceKind::SupportService,
                        views::ResourceKind::EmergencyServices => {
                            SupportResourceKind::EmergencyServices
                        }
                        views::ResourceKind::TrustedPerson => SupportResourceKind::TrustedPerson,
                    },
                    text: r.text,
                })
                .collect(),
            couples_counselling_advised: p.couples_counselling_advised,
        }
    }
}
