//! The timeline: every event in the shared space, newest first, with who did
//! it and when. Both partners see the same timeline; nothing is hidden from
//! it and earlier wording stays visible (edits appear as their own entries).

use serde::{Deserialize, Serialize};

use crate::model::*;

mod index;

pub use index::TimelinePage;
pub(crate) use index::{Front, RecordRef, TimelineIndex};

/// The record families of the shared space: the twelve a couple writes,
/// plus the partners themselves (names, roles, summary settings) and the
/// traces of summaries prepared for a therapist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Agreement,
    Offer,
    CheckIn,
    Request,
    Disclosure,
    Question,
    Trigger,
    Appreciation,
    TimeTogether,
    Phase,
    Survey,
    Commitment,
    /// A partner's own entry: name, role, whether their words may appear in summaries.
    Member,
    /// A summary one partner prepared for a therapist (content-free).
    Summary,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The first version of an agreement.
    AgreementProposed,
    /// A later version of an agreement.
    AgreementRevised,
    /// A partner accepted a version they did not write.
    AgreementAccepted,
    AgreementWithdrawn,
    /// A partner's note that they kept, or slipped on, an agreement.
    AgreementKeptCheck,
    OfferMade,
    OfferWithdrawn,
    /// An offer reached its end date (no author: nobody did it).
    OfferExpired,
    CheckIn,
    RequestMade,
    /// The other partner logged doing the requested thing.
    RequestDone,
    /// The asker answered a done entry (landed, or "thank you, but it did not land").
    RequestAcknowledged,
    /// The asker retired the request.
    RequestRetired,
    /// The asked partner answered: yes, let's talk first, not now, or took back a yes.
    RequestAnswered,
    Disclosure,
    QuestionAsked,
    /// Not ready yet, scheduled, for the therapist, answered, parked, reopened.
    QuestionResponse,
    Trigger,
    TriggerRepair,
    Appreciation,
    TogetherPlanned,
    /// One partner's word on how a planned time together went.
    TogetherOutcome,
    PhaseChange,
    Survey,
    CommitmentMade,
    CommitmentLog,
    CommitmentEnded,
    /// The author changed a field of their own record; the old value stays visible.
    Edited,
    /// A partner changed their role (the role decides who moves the phase forward).
    RoleChanged,
    /// A partner allowed, or stopped allowing, their words in summaries.
    WordsInSummariesChanged,
    /// A partner prepared a summary for a therapist.
    SummaryPrepared,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    pub at: Millis,
    pub kind: EntryKind,
    pub record_kind: RecordKind,
    /// The id of the record the event belongs to.
    pub record_id: String,
    /// A stable id for this entry, unique within the timeline (the id of the
    /// version, check, done entry, response, repair or log entry; otherwise
    /// the record id with a suffix). Apps can use it as a list key.
    pub entry_id: String,
    /// The member who did it; `None` only for an offer that expired.
    pub author: Option<String>,
    /// A short human line: the text, or "safety 4 · trust 3 · connection 5".
    pub summary: String,
}

/// Which entries to return. The default keeps everything (with `now` = 0, no
/// offer counts as expired).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineFilter {
    /// Record families to keep; empty keeps all.
    pub kinds: Vec<RecordKind>,
    /// Keep only what this member did.
    pub author: Option<String>,
    /// Keep entries at or after this instant.
    pub since: Option<Millis>,
    /// Keep entries at or before this instant.
    pub until: Option<Millis>,
    /// At most this many entries (the newest).
    pub limit: Option<usize>,
    /// Continue after the page this cursor ended ([`TimelinePage::next`]);
    /// `None` starts from the newest entry.
    #[serde(default)]
    pub cursor: Option<String>,
    /// The present: offers whose end is at or before it appear as expired.
    pub now: Millis,
}

/// Longest text a summary quotes before it is shortened with "…".
pub const SUMMARY_MAX_CHARS: usize = 120;

/// Every event of the shared space that passes `filter`, newest first. Ties
/// in time are broken by record id, then by the record's own order (later
/// steps of one record first), so the order is the same on both phones.
///
/// This indexes the whole snapshot first: for an archive or a test. A
/// device keeps the index in its read model and pages through it
/// ([`crate::Device::timeline`]).
pub fn timeline(snapshot: &Snapshot, filter: &TimelineFilter) -> Vec<TimelineEntry> {
    match TimelineIndex::of(snapshot).page(snapshot, filter) {
        Ok(page) => page.entries,
        // Only a cursor can be malformed; a caller without one never is.
        Err(_) => Vec::new(),
    }
}

/// The entries of one record, each with its step inside the record, in
/// timeline order (newest first; later steps first; then by entry id).
/// `now` decides which offers count as expired (`Millis::MAX`: every one
/// that ran out, for the index to keep until its time comes).
pub(crate) fn record_entries(
    record: RecordRef<'_>,
    members: &[Member],
    now: Millis,
) -> Vec<(u32, TimelineEntry)> {
    let mut out = Collector {
        entries: Vec::new(),
    };
    match record {
        RecordRef::Agreement(a) => out.agreement(a),
        RecordRef::Offer(o) => out.offer(o, now),
        RecordRef::CheckIn(c) => out.checkin(c),
        RecordRef::Request(r) => out.request(r),
        RecordRef::Disclosure(d) => out.disclosure(d),
        RecordRef::Question(q) => out.question(q),
        RecordRef::Trigger(t) => out.trigger(t),
        RecordRef::Appreciation(a) => out.appreciation(a, members),
        RecordRef::Together(t) => out.together(t),
        RecordRef::Phase(p) => out.phase(p),
        RecordRef::Survey(s) => out.survey(s),
        RecordRef::Commitment(c) => out.commitment(c),
        RecordRef::Member(m) => out.member(m),
        RecordRef::Summary(s) => out.summary(s),
    }
    let mut entries = out.entries;
    entries.sort_by(|(sa, a), (sb, b)| {
        b.at.cmp(&a.at)
            .then_with(|| sb.cmp(sa))
            .then_with(|| a.entry_id.cmp(&b.entry_id))
    });
    entries
}

/// Gathers entries with their step number inside their record.
struct Collector {
    entries: Vec<(u32, TimelineEntry)>,
}

impl Collector {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        step: u32,
        at: Millis,
        kind: EntryKind,
        record_kind: RecordKind,
        record_id: &str,
        entry_id: String,
        author: Option<&str>,
        summary: String,
    ) {
        self.entries.push((
            step,
            TimelineEntry {
                at,
                kind,
                record_kind,
                record_id: record_id.to_owned(),
                entry_id,
                author: author.map(str::to_owned),
                summary,
            },
        ));
    }

    /// Each of a record's earlier values, as "edited" entries.
    fn revisions(&mut self, record_kind: RecordKind, record_id: &str, revisions: &[Revision]) {
        for (i, r) in revisions.iter().enumerate() {
            self.push(
                1_000 + i as u32,
                r.at,
                EntryKind::Edited,
                record_kind,
                record_id,
                format!("{record_id}:edit:{i}"),
                Some(&r.by),
                format!("changed {} (was: {})", r.field, short(&r.before)),
            );
        }
    }

    fn agreement(&mut self, a: &Agreement) {
        const K: RecordKind = RecordKind::Agreement;
        for (i, v) in a.versions.iter().enumerate() {
            let step = 2 * i as u32;
            let (kind, at, by, summary) = if i == 0 {
                // The agreement's own fields are the truth for its proposal.
                (
                    EntryKind::AgreementProposed,
                    a.proposed_at,
                    a.proposed_by.as_str(),
                    short(&v.text),
                )
            } else {
                (
                    EntryKind::AgreementRevised,
                    v.at,
                    v.by.as_str(),
                    format!("version {}: {}", v.number, short(&v.text)),
                )
            };
            self.push(step, at, kind, K, &a.id, v.id.clone(), Some(by), summary);
            // The proposer of a version accepts it by proposing it; that is
            // already the entry above.
            for (j, acc) in v
                .acceptances
                .iter()
                .enumerate()
                .filter(|(_, acc)| acc.by != v.by)
            {
                self.push(
                    step + 1,
                    acc.at,
                    EntryKind::AgreementAccepted,
                    K,
                    &a.id,
                    format!("{}:accepted:{j}", v.id),
                    Some(&acc.by),
                    format!("accepted version {}: {}", v.number, short(&v.text)),
                );
            }
        }
        if a.versions.is_empty() {
            let id = format!("{}:proposed", a.id);
            self.push(
                0,
                a.proposed_at,
                EntryKind::AgreementProposed,
                K,
                &a.id,
                id,
                Some(&a.proposed_by),
                String::new(),
            );
        }
        let latest_text = a
            .versions
            .last()
            .map(|v| short(&v.text))
            .unwrap_or_default();
        if let Some(at) = a.withdrawn_at {
            self.push(
                500,
                at,
                EntryKind::AgreementWithdrawn,
                K,
                &a.id,
                format!("{}:withdrawn", a.id),
                Some(a.withdrawn_by.as_ref().unwrap_or(&a.proposed_by)),
                format!("withdrawn: {latest_text}"),
            );
        }
        for c in &a.checks {
            let word = if c.kept { "kept" } else { "slipped" };
            self.push(
                600,
                c.at,
                EntryKind::AgreementKeptCheck,
                K,
                &a.id,
                c.id.clone(),
                Some(&c.by),
                with_note(format!("{word}: {latest_text}"), c.note.as_deref()),
            );
        }
    }

    fn offer(&mut self, o: &TransparencyOffer, now: Millis) {
        const K: RecordKind = RecordKind::Offer;
        let text = short(&o.text);
        self.push(
            0,
            o.offered_at,
            EntryKind::OfferMade,
            K,
            &o.id,
            o.id.clone(),
            Some(&o.owner),
            text.clone(),
        );
        if let Some(at) = o.withdrawn_at {
            self.push(
                1,
                at,
                EntryKind::OfferWithdrawn,
                K,
                &o.id,
                format!("{}:withdrawn", o.id),
                Some(&o.owner),
                format!("withdrawn: {text}"),
            );
        }
        // An offer withdrawn before its end never reached it.
        let ran_out = o.withdrawn_at.is_none_or(|w| w > o.expires_at);
        if ran_out && o.expires_at <= now {
            self.push(
                2,
                o.expires_at,
                EntryKind::OfferExpired,
                K,
                &o.id,
                format!("{}:expired", o.id),
                None,
                format!("ended: {text}"),
            );
        }
    }

    fn checkin(&mut self, c: &CheckIn) {
        let summary = c.summary();
        self.push(
            0,
            c.recorded_at,
            EntryKind::CheckIn,
            RecordKind::CheckIn,
            &c.id,
            c.id.clone(),
            Some(&c.author),
            summary,
        );
        self.revisions(RecordKind::CheckIn, &c.id, &c.revisions);
    }

    fn request(&mut self, r: &Request) {
        const K: RecordKind = RecordKind::Request;
        let text = short(&r.text);
        self.push(
            0,
            r.created_at,
            EntryKind::RequestMade,
            K,
            &r.id,
            r.id.clone(),
            Some(&r.asker),
            text.clone(),
        );
        for a in &r.answers {
            self.push(
                1,
                a.at,
                EntryKind::RequestAnswered,
                K,
                &r.id,
                a.id.clone(),
                Some(&a.by),
                with_note(format!("{}: {text}", a.kind.words()), a.note.as_deref()),
            );
        }
        for d in &r.done {
            self.push(
                1,
                d.at,
                EntryKind::RequestDone,
                K,
                &r.id,
                d.id.clone(),
                Some(&d.by),
                with_note(format!("done: {text}"), d.note.as_deref()),
            );
            if let Some(ack) = &d.acknowledgement {
                let word = if ack.landed {
                    "landed"
                } else {
                    "thank you, but it did not land"
                };
                // Only the asker acknowledges.
                self.push(
                    2,
                    ack.at,
                    EntryKind::RequestAcknowledged,
                    K,
                    &r.id,
                    format!("{}:ack", d.id),
                    Some(&r.asker),
                    with_note(format!("{word}: {text}"), ack.note.as_deref()),
                );
            }
        }
        if let Some(at) = r.retired_at {
            self.push(
                3,
                at,
                EntryKind::RequestRetired,
                K,
                &r.id,
                format!("{}:retired", r.id),
                Some(&r.asker),
                format!("retired: {text}"),
            );
        }
        self.revisions(K, &r.id, &r.revisions);
    }

    fn disclosure(&mut self, d: &Disclosure) {
        self.push(
            0,
            d.at,
            EntryKind::Disclosure,
            RecordKind::Disclosure,
            &d.id,
            d.id.clone(),
            Some(&d.author),
            short(&d.what),
        );
        self.revisions(RecordKind::Disclosure, &d.id, &d.revisions);
    }

    fn question(&mut self, q: &Question) {
        const K: RecordKind = RecordKind::Question;
        self.push(
            0,
            q.at,
            EntryKind::QuestionAsked,
            K,
            &q.id,
            q.id.clone(),
            Some(&q.asker),
            short(&q.text),
        );
        for r in &q.responses {
            let summary = match r.kind {
                ResponseKind::NotReadyYet => "not ready yet".to_owned(),
                ResponseKind::Schedule => match &r.window {
                    Some(day) => format!("scheduled for {day}"),
                    None => "scheduled".to_owned(),
                },
                ResponseKind::ForTherapist => "for the therapist".to_owned(),
                ResponseKind::Answer => {
                    format!("answered: {}", short(r.text.as_deref().unwrap_or("")))
                }
                ResponseKind::Park => "set aside".to_owned(),
                ResponseKind::Reopen => "reopened".to_owned(),
            };
            let summary = match (r.kind, &r.text) {
                (ResponseKind::Answer, _) | (_, None) => summary,
                (_, Some(word)) => format!("{summary} · {}", short(word)),
            };
            self.push(
                1,
                r.at,
                EntryKind::QuestionResponse,
                K,
                &q.id,
                r.id.clone(),
                Some(&r.by),
                summary,
            );
        }
    }

    fn trigger(&mut self, t: &Trigger) {
        const K: RecordKind = RecordKind::Trigger;
        let summary = format!("{} (intensity {})", short(&t.what), t.intensity);
        self.push(
            0,
            t.at,
            EntryKind::Trigger,
            K,
            &t.id,
            t.id.clone(),
            Some(&t.author),
            summary,
        );
        for r in &t.repairs {
            self.push(
                1,
                r.at,
                EntryKind::TriggerRepair,
                K,
                &t.id,
                r.id.clone(),
                Some(&r.by),
                short(&r.text),
            );
        }
    }

    fn appreciation(&mut self, a: &Appreciation, members: &[Member]) {
        let to = members
            .iter()
            .find(|m| m.id == a.to)
            .map(|m| m.name.as_str())
            .unwrap_or(&a.to);
        self.push(
            0,
            a.at,
            EntryKind::Appreciation,
            RecordKind::Appreciation,
            &a.id,
            a.id.clone(),
            Some(&a.author),
            format!("to {to}: {}", short(&a.text)),
        );
    }

    fn together(&mut self, t: &TimeTogether) {
        const K: RecordKind = RecordKind::TimeTogether;
        let kind = match t.kind {
            TogetherKind::Date => "date",
            TogetherKind::Ritual => "ritual",
            TogetherKind::RecreateMemory => "recreate a memory",
        };
        let title = short(&t.title);
        self.push(
            0,
            t.created_at,
            EntryKind::TogetherPlanned,
            K,
            &t.id,
            t.id.clone(),
            Some(&t.planner),
            format!("{kind} for {}: {title}", t.planned_for),
        );
        for o in &t.outcomes {
            let mut summary = if o.happened {
                format!("happened: {title}")
            } else {
                format!("did not happen: {title}")
            };
            if let Some(felt) = o.felt {
                summary.push_str(&format!(" · felt {felt}"));
            }
            self.push(
                1,
                o.at,
                EntryKind::TogetherOutcome,
                K,
                &t.id,
                format!("{}:outcome:{}", t.id, o.by),
                Some(&o.by),
                with_note(summary, o.note.as_deref()),
            );
        }
    }

    fn phase(&mut self, p: &PhaseChange) {
        let mut line = format!("{} → {}", p.from.as_str(), p.to.as_str());
        if let Some(role) = p.role {
            // Who may move it depends on the role: say which one they held.
            line.push_str(&format!(" (as \u{201c}{}\u{201d})", role.words()));
        }
        self.push(
            0,
            p.at,
            EntryKind::PhaseChange,
            RecordKind::Phase,
            &p.id,
            p.id.clone(),
            Some(&p.by),
            with_note(line, p.note.as_deref()),
        );
    }

    /// A partner's changes of name, role and summary setting, each with
    /// what it was before and what it became.
    fn member(&mut self, m: &Member) {
        const K: RecordKind = RecordKind::Member;
        let current = |field: &str| match field {
            "name" => m.name.clone(),
            "role" => m.role.as_str().to_owned(),
            "words_in_summaries" => m.words_in_summaries.to_string(),
            _ => String::new(),
        };
        for (i, r) in m.revisions.iter().enumerate() {
            // The value it became: the next change's "before", or today's value.
            let after = m.revisions[i + 1..]
                .iter()
                .find(|later| later.field == r.field)
                .map(|later| later.before.clone())
                .unwrap_or_else(|| current(&r.field));
            let (kind, summary) = match r.field.as_str() {
                "role" => (
                    EntryKind::RoleChanged,
                    format!(
                        "role: \u{201c}{}\u{201d} → \u{201c}{}\u{201d}",
                        role_words(&r.before),
                        role_words(&after)
                    ),
                ),
                "words_in_summaries" => (
                    EntryKind::WordsInSummariesChanged,
                    if after == "true" {
                        "allowed their words in summaries for a therapist".to_owned()
                    } else {
                        "stopped allowing their words in summaries for a therapist".to_owned()
                    },
                ),
                field => (
                    EntryKind::Edited,
                    format!("changed {field} (was: {})", short(&r.before)),
                ),
            };
            self.push(
                1_000 + i as u32,
                r.at,
                kind,
                K,
                &m.id,
                format!("{}:edit:{i}", m.id),
                Some(&r.by),
                summary,
            );
        }
    }

    /// That a summary was prepared, for which period and kinds: never its text.
    fn summary(&mut self, s: &SummaryMade) {
        let kinds: Vec<String> = s.kinds.iter().map(|k| k.replace('_', " ")).collect();
        let line = format!(
            "prepared a summary for a therapist: {} – {}; {}",
            s.from,
            s.to,
            if kinds.is_empty() {
                "no shared records".to_owned()
            } else {
                kinds.join(", ")
            }
        );
        self.push(
            0,
            s.at,
            EntryKind::SummaryPrepared,
            RecordKind::Summary,
            &s.id,
            s.id.clone(),
            Some(&s.by),
            line,
        );
    }

    fn survey(&mut self, s: &TrustSurvey) {
        self.push(
            0,
            s.at,
            EntryKind::Survey,
            RecordKind::Survey,
            &s.id,
            s.id.clone(),
            Some(&s.author),
            format!("trust survey {} · score {}", s.month, s.score),
        );
        self.revisions(RecordKind::Survey, &s.id, &s.revisions);
    }

    fn commitment(&mut self, c: &Commitment) {
        const K: RecordKind = RecordKind::Commitment;
        let text = short(&c.text);
        self.push(
            0,
            c.created_at,
            EntryKind::CommitmentMade,
            K,
            &c.id,
            c.id.clone(),
            Some(&c.author),
            text.clone(),
        );
        for l in &c.log {
            let word = if l.kept { "kept" } else { "slipped" };
            self.push(
                1,
                l.at,
                EntryKind::CommitmentLog,
                K,
                &c.id,
                l.id.clone(),
                Some(&c.author),
                with_note(format!("{word} on {}: {text}", l.day), l.note.as_deref()),
            );
        }
        if let Some(at) = c.ended_at {
            self.push(
                2,
                at,
                EntryKind::CommitmentEnded,
                K,
                &c.id,
                format!("{}:ended", c.id),
                Some(&c.author),
                format!("ended: {text}"),
            );
        }
    }
}

/// A stored role word as the timeline says it.
fn role_words(stored: &str) -> &str {
    Role::parse(stored).map(Role::words).unwrap_or(stored)
}

/// The text on one line, shortened to `SUMMARY_MAX_CHARS` characters.
fn short(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= SUMMARY_MAX_CHARS {
        line
    } else {
        let mut cut: String = line.chars().take(SUMMARY_MAX_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

fn with_note(summary: String, note: Option<&str>) -> String {
    match note.map(str::trim) {
        Some(n) if !n.is_empty() => format!("{summary} · {}", short(n)),
        _ => summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::fixtures::*;

    #[test]
    fn each_family_and_the_members_are_told_apart() {
        // What changed is told by the change event (no snapshot is compared).
        let now = 1_790_000_000_000;
        let mut doc =
            crate::CoupleDoc::create(&automerge::ActorId::from([7u8; 16]), "Alex", now).unwrap();
        doc.build_read_model();
        let apart = |e: crate::ChangeEvent| {
            let kinds: Vec<RecordKind> = e
                .kinds()
                .into_iter()
                .filter(|k| *k != RecordKind::Member)
                .collect();
            (kinds, e.members_changed())
        };
        let nothing = doc.take_change_event().map(apart).unwrap_or_default();
        assert_eq!(nothing, (vec![], false));

        let input = crate::CheckInInput {
            safety: 5,
            trust: 5,
            connection: 5,
            moods: vec!["calm".into()],
            ..Default::default()
        };
        doc.record_checkin(&input, now).unwrap();
        assert_eq!(
            doc.take_change_event().map(apart).unwrap(),
            (vec![RecordKind::CheckIn], false)
        );

        doc.set_my_role(crate::Role::Hurt, now + 1).unwrap();
        assert_eq!(doc.take_change_event().map(apart).unwrap(), (vec![], true));
    }

    fn sample() -> Snapshot {
        let mut s = couple();
        s.checkins.push(checkin("c1", ANA, "2026-11-02", 4, 3, 5));
        s.checkins
            .push(heard(checkin("c2", BEN, "2026-11-03", 6, 6, 6), 7));
        let mut r = request("r1", ANA, "Text me when you leave work", "2026-11-01");
        r.done.push(done("d1", BEN, "2026-11-04", Some(false)));
        s.requests.push(r);
        s.appreciations.push(appreciation(
            "p1",
            BEN,
            ANA,
            "2026-11-05",
            "Thank you for listening",
        ));
        s
    }

    fn all(now: Millis) -> TimelineFilter {
        TimelineFilter {
            now,
            ..TimelineFilter::default()
        }
    }

    #[test]
    fn newest_first_with_readable_summaries() {
        let entries = timeline(&sample(), &all(0));
        let kinds: Vec<EntryKind> = entries.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                EntryKind::Appreciation,
                EntryKind::RequestAcknowledged,
                EntryKind::RequestDone,
                EntryKind::CheckIn,
                EntryKind::CheckIn,
                EntryKind::RequestAnswered,
                EntryKind::RequestMade,
            ]
        );
        assert!(entries.windows(2).all(|w| w[0].at >= w[1].at));
        let ana_checkin = entries.iter().find(|e| e.record_id == "c1").unwrap();
        assert_eq!(ana_checkin.summary, "safety 4 · trust 3 · connection 5");
        let ben_checkin = entries.iter().find(|e| e.record_id == "c2").unwrap();
        assert_eq!(
            ben_checkin.summary,
            "safety 6 · trust 6 · connection 6 · heard 7"
        );
        assert_eq!(entries[0].summary, "to Ana: Thank you for listening");
        assert_eq!(
            entries[1].author.as_deref(),
            Some(ANA),
            "the asker acknowledges"
        );
        assert!(
            entries[1]
                .summary
                .starts_with("thank you, but it did not land")
        );
    }

    #[test]
    fn author_filter_keeps_only_that_partner() {
        let filter = TimelineFilter {
            author: Some(BEN.into()),
            ..all(0)
        };
        let entries = timeline(&sample(), &filter);
        assert_eq!(
            entries.len(),
            4,
            "his yes, what he did, his check-in, his thanks"
        );
        assert!(entries.iter().all(|e| e.author.as_deref() == Some(BEN)));
    }

    #[test]
    fn kind_time_and_limit_filters() {
        let s = sample();
        let only_checkins = timeline(
            &s,
            &TimelineFilter {
                kinds: vec![RecordKind::CheckIn],
                ..all(0)
            },
        );
        assert_eq!(only_checkins.len(), 2);
        assert!(
            only_checkins
                .iter()
                .all(|e| e.record_kind == RecordKind::CheckIn)
        );

        let window = TimelineFilter {
            since: Some(ms("2026-11-02")),
            until: Some(ms("2026-11-03")),
            ..all(0)
        };
        let ids: Vec<String> = timeline(&s, &window)
            .into_iter()
            .map(|e| e.record_id)
            .collect();
        assert_eq!(ids, vec!["c2", "c1"]);

        let newest = timeline(
            &s,
            &TimelineFilter {
                limit: Some(1),
                ..all(0)
            },
        );
        assert_eq!(newest.len(), 1);
        assert_eq!(newest[0].kind, EntryKind::Appreciation);
    }

    #[test]
    fn ties_are_broken_by_record_id() {
        let mut s = couple();
        s.checkins.push(checkin("b", ANA, "2026-11-02", 5, 5, 5));
        s.checkins.push(checkin("a", BEN, "2026-11-02", 5, 5, 5));
        let ids: Vec<String> = timeline(&s, &all(0))
            .into_iter()
            .map(|e| e.record_id)
            .collect();
        assert_eq!(ids, vec!["a", "b"]);
    }

    #[test]
    fn agreement_versions_acceptances_and_checks_all_appear() {
        let mut s = couple();
        let mut a = agreement("a1", BEN, "No contact with her", "2026-10-01");
        a.versions[0].acceptances.retain(|acc| acc.by == BEN);
        a.versions.push(AgreementVersion {
            id: "a1-v2".into(),
            number: 2,
            text: "No contact with her, and I tell you if she reaches out".into(),
            review_on: Some("2027-01-01".into()),
            by: ANA.into(),
            at: ms("2026-10-05"),
            acceptances: vec![
                Acceptance {
                    by: ANA.into(),
                    at: ms("2026-10-05"),
                },
                Acceptance {
                    by: BEN.into(),
                    at: ms("2026-10-06"),
                },
            ],
        });
        a.checks.push(kept_check("k1", BEN, "2026-10-20", true));
        s.agreements.push(a);
        let entries = timeline(&s, &all(0));
        let kinds: Vec<(EntryKind, Option<&str>)> = entries
            .iter()
            .map(|e| (e.kind, e.author.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (EntryKind::AgreementKeptCheck, Some(BEN)),
                (EntryKind::AgreementAccepted, Some(BEN)),
                (EntryKind::AgreementRevised, Some(ANA)),
                (EntryKind::AgreementProposed, Some(BEN)),
            ]
        );
        assert!(
            entries[0]
                .summary
                .starts_with("kept: No contact with her, and I tell you")
        );
        assert_eq!(
            entries[1].at,
            ms("2026-10-06"),
            "an acceptance carries its own time"
        );
    }

    #[test]
    fn offers_expire_only_once_now_passes_their_end_and_never_after_withdrawal() {
        let mut s = couple();
        s.offers.push(TransparencyOffer {
            id: "o1".into(),
            owner: BEN.into(),
            text: "My phone is open to you this month".into(),
            offered_at: ms("2026-11-01"),
            expires_at: ms("2026-12-01"),
            withdrawn_at: None,
        });
        s.offers.push(TransparencyOffer {
            id: "o2".into(),
            owner: BEN.into(),
            text: "Shared calendar".into(),
            offered_at: ms("2026-11-01"),
            expires_at: ms("2026-11-20"),
            withdrawn_at: Some(ms("2026-11-10")),
        });
        let before_end = timeline(&s, &all(ms("2026-11-30")));
        assert!(!before_end.iter().any(|e| e.kind == EntryKind::OfferExpired));

        let after_end = timeline(&s, &all(ms("2026-12-01")));
        let expired: Vec<&TimelineEntry> = after_end
            .iter()
            .filter(|e| e.kind == EntryKind::OfferExpired)
            .collect();
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].record_id, "o1");
        assert_eq!(expired[0].author, None);
        assert_eq!(after_end[0].kind, EntryKind::OfferExpired, "newest first");
        assert!(
            after_end
                .iter()
                .any(|e| e.kind == EntryKind::OfferWithdrawn && e.record_id == "o2")
        );

        let bens = timeline(
            &s,
            &TimelineFilter {
                author: Some(BEN.into()),
                ..all(ms("2026-12-01"))
            },
        );
        assert!(
            bens.iter().all(|e| e.kind != EntryKind::OfferExpired),
            "nobody did the expiry"
        );
    }

    #[test]
    fn every_family_produces_its_events() {
        let mut s = sample();
        s.disclosures.push(Disclosure {
            id: "x1".into(),
            author: BEN.into(),
            at: ms("2026-11-06"),
            what: "She emailed me; I did not reply".into(),
            action_taken: Some("blocked the address".into()),
            revisions: vec![Revision {
                at: ms("2026-11-07"),
                by: BEN.into(),
                field: "what".into(),
                before: "She emailed".into(),
            }],
        });
        let mut q = question(
            "q1",
            ANA,
            "2026-11-06",
            "Where did you meet?",
            Some("meetings"),
        );
        q.responses.push(QuestionResponse {
            id: "qr1".into(),
            by: BEN.into(),
            at: ms("2026-11-07"),
            kind: ResponseKind::Schedule,
            window: Some("2026-11-10".into()),
            text: None,
        });
        s.questions.push(q);
        let mut t = trigger("t1", ANA, "2026-11-08", "that song", 7);
        t.repairs.push(Repair {
            id: "tr1".into(),
            by: BEN.into(),
            at: ms("2026-11-08") + 1,
            text: "I held her hand".into(),
        });
        s.triggers.push(t);
        let mut tt = together("tt1", BEN, "2026-11-09");
        tt.outcomes.push(outcome(ANA, "2026-11-09", true, Some(7)));
        s.together.push(tt);
        s.phase_changes.push(PhaseChange {
            id: "ph1".into(),
            by: ANA.into(),
            at: ms("2026-11-10"),
            from: Phase::Atone,
            to: Phase::Attune,
            note: None,
            role: Some(Role::Hurt),
        });
        s.surveys.push(TrustSurvey {
            id: "s1".into(),
            author: ANA.into(),
            month: "2026-11".into(),
            at: ms("2026-11-11"),
            answers: vec![2; 6],
            score: 50,
            revisions: vec![],
        });
        let mut c = commitment("m1", BEN, "No contact", "2026-11-01");
        c.log.push(commitment_log("ml1", "2026-11-12", true));
        c.ended_at = Some(ms("2026-11-13"));
        s.commitments.push(c);
        let entries = timeline(&s, &all(0));
        for kind in [
            EntryKind::Disclosure,
            EntryKind::Edited,
            EntryKind::QuestionAsked,
            EntryKind::QuestionResponse,
            EntryKind::Trigger,
            EntryKind::TriggerRepair,
            EntryKind::TogetherPlanned,
            EntryKind::TogetherOutcome,
            EntryKind::PhaseChange,
            EntryKind::Survey,
            EntryKind::CommitmentMade,
            EntryKind::CommitmentLog,
            EntryKind::CommitmentEnded,
        ] {
            assert!(entries.iter().any(|e| e.kind == kind), "missing {kind:?}");
        }
        let phase = entries
            .iter()
            .find(|e| e.kind == EntryKind::PhaseChange)
            .unwrap();
        assert_eq!(phase.summary, "atone → attune (as “I was hurt”)");
        let scheduled = entries
            .iter()
            .find(|e| e.kind == EntryKind::QuestionResponse)
            .unwrap();
        assert_eq!(scheduled.summary, "scheduled for 2026-11-10");
        let mut ids: Vec<&str> = entries.iter().map(|e| e.entry_id.as_str()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "entry ids are unique");
    }

    #[test]
    fn empty_snapshot_gives_empty_timeline_and_json_uses_snake_case() {
        assert!(timeline(&Snapshot::default(), &all(i64::MAX)).is_empty());
        let e = &timeline(&sample(), &all(0))[0];
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(json["kind"], "appreciation");
        assert_eq!(json["record_kind"], "appreciation");
        let filter: TimelineFilter = serde_json::from_str(
            r#"{"kinds":["check_in"],"author":null,"since":null,"until":null,"limit":5,"now":0}"#,
        )
        .unwrap();
        assert_eq!(filter.kinds, vec![RecordKind::CheckIn]);
    }

    #[test]
    fn long_text_is_shortened_to_one_line() {
        let long = "word ".repeat(100);
        let s = short(&long);
        assert_eq!(s.chars().count(), SUMMARY_MAX_CHARS);
        assert!(s.ends_with('…'));
        assert_eq!(short("two\nlines"), "two lines");
    }
}
