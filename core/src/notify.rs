//! Notifications the core proposes to the app. They carry no content: never
//! a score, a word of a note or a name of an affair partner, only that the
//! partner did something of a kind. A lock screen can be seen by anyone.

use serde::Serialize;

use crate::i18n::Messages;
use crate::model::Snapshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    CheckedIn,
    AgreementProposed,
    AgreementAccepted,
    RequestMade,
    RequestDone,
    RequestAcknowledged,
    Disclosure,
    QuestionAsked,
    QuestionResponse,
    Trigger,
    TriggerRepair,
    Appreciation,
    TimeTogether,
    PhaseChanged,
    OfferMade,
    CommitmentUpdate,
    RoleChanged,
    RequestAnswered,
    SummaryPrepared,
    WordsInSummariesChanged,
}

/// "Your partner did something of this kind, this many times."
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub count: u32,
}

impl Notice {
    /// Its sentence in the language of `messages` ("Your partner checked
    /// in."): fixed words with no content from the records.
    pub fn text(&self, messages: &Messages) -> String {
        messages.get(self.kind.message_id(), &[])
    }
}

impl NoticeKind {
    /// The catalog message of its sentence (`core/locales/*/notices.ftl`).
    pub fn message_id(self) -> &'static str {
        match self {
            NoticeKind::CheckedIn => "notice-checked-in",
            NoticeKind::AgreementProposed => "notice-agreement-proposed",
            NoticeKind::AgreementAccepted => "notice-agreement-accepted",
            NoticeKind::RequestMade => "notice-request-made",
            NoticeKind::RequestDone => "notice-request-done",
            NoticeKind::RequestAcknowledged => "notice-request-acknowledged",
            NoticeKind::Disclosure => "notice-disclosure",
            NoticeKind::QuestionAsked => "notice-question-asked",
            NoticeKind::QuestionResponse => "notice-question-response",
            NoticeKind::Trigger => "notice-trigger",
            NoticeKind::TriggerRepair => "notice-trigger-repair",
            NoticeKind::Appreciation => "notice-appreciation",
            NoticeKind::TimeTogether => "notice-time-together",
            NoticeKind::PhaseChanged => "notice-phase-changed",
            NoticeKind::OfferMade => "notice-offer-made",
            NoticeKind::CommitmentUpdate => "notice-commitment-update",
            NoticeKind::RoleChanged => "notice-role-changed",
            NoticeKind::RequestAnswered => "notice-request-answered",
            NoticeKind::SummaryPrepared => "notice-summary-prepared",
            NoticeKind::WordsInSummariesChanged => "notice-words-in-summaries-changed",
        }
    }
}

/// What the partner (anyone but `me`) added between two snapshots.
pub fn notices(before: &Snapshot, after: &Snapshot, me: &str) -> Vec<Notice> {
    let seen: std::collections::HashSet<String> =
        events(before).into_iter().map(|(_, key, _)| key).collect();
    let mut counts: Vec<Notice> = Vec::new();
    for (kind, key, by) in events(after) {
        if by == me || seen.contains(&key) {
            continue;
        }
        match counts.iter_mut().find(|n| n.kind == kind) {
            Some(n) => n.count += 1,
            None => counts.push(Notice { kind, count: 1 }),
        }
    }
    counts
}

/// Every event of a snapshot as (kind, a key unique to that event, who did it).
fn events(s: &Snapshot) -> Vec<(NoticeKind, String, String)> {
    use NoticeKind::*;
    let mut out = Vec::new();
    let mut push = |kind: NoticeKind, key: String, by: &str| out.push((kind, key, by.to_owned()));
    for c in &s.checkins {
        // A revision the same day is news again: the time is part of the key.
        push(
            CheckedIn,
            format!("checkin {} {}", c.id, c.recorded_at),
            &c.author,
        );
    }
    for a in &s.agreements {
        for v in &a.versions {
            push(AgreementProposed, format!("version {}", v.id), &v.by);
            for x in v.acceptances.iter().filter(|x| x.by != v.by) {
                push(
                    AgreementAccepted,
                    format!("accept {} {}", v.id, x.by),
                    &x.by,
                );
            }
        }
    }
    for o in &s.offers {
        push(OfferMade, format!("offer {}", o.id), &o.owner);
    }
    for m in &s.members {
        for r in &m.revisions {
            let kind = match r.field.as_str() {
                "role" => RoleChanged,
                "words_in_summaries" => WordsInSummariesChanged,
                _ => continue,
            };
            push(
                kind,
                format!("member {} {} {} {}", m.id, r.field, r.at, r.before),
                &r.by,
            );
        }
    }
    for m in &s.summaries {
        push(SummaryPrepared, format!("summary {}", m.id), &m.by);
    }
    for r in &s.requests {
        push(RequestMade, format!("request {}", r.id), &r.asker);
        for a in &r.answers {
            push(RequestAnswered, format!("answer {}", a.id), &a.by);
        }
        for d in &r.done {
            push(RequestDone, format!("done {}", d.id), &d.by);
            if let Some(ack) = &d.acknowledgement {
                push(
                    RequestAcknowledged,
                    format!("ack {} {}", d.id, ack.at),
                    &r.asker,
                );
            }
        }
    }
    for d in &s.disclosures {
        push(Disclosure, format!("disclosure {}", d.id), &d.author);
    }
    for q in &s.questions {
        push(QuestionAsked, format!("question {}", q.id), &q.asker);
        for r in &q.responses {
            push(QuestionResponse, format!("response {}", r.id), &r.by);
        }
    }
    for t in &s.triggers {
        push(Trigger, format!("trigger {}", t.id), &t.author);
        for r in &t.repairs {
            push(TriggerRepair, format!("repair {}", r.id), &r.by);
        }
    }
    for a in &s.appreciations {
        push(Appreciation, format!("appreciation {}", a.id), &a.author);
    }
    for t in &s.together {
        push(TimeTogether, format!("together {}", t.id), &t.planner);
        for o in &t.outcomes {
            push(
                TimeTogether,
                format!("outcome {} {} {}", t.id, o.by, o.at),
                &o.by,
            );
        }
    }
    for c in &s.phase_changes {
        push(PhaseChanged, format!("phase {}", c.id), &c.by);
    }
    for c in &s.commitments {
        push(CommitmentUpdate, format!("commitment {}", c.id), &c.author);
        for l in &c.log {
            push(
                CommitmentUpdate,
                format!("commitment log {}", l.id),
                &c.author,
            );
        }
    }
    out
}
