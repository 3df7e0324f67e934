//! The other partner's own words in a summary they did not prepare.
//!
//! A summary is one partner's selection, but the records it brings hold
//! both partners' words. The other partner's notes and texts go in only if
//! they said so (`Member::words_in_summaries`); otherwise their scores,
//! dates and choices stay and every text of theirs reads as withheld. An
//! agreement wording the preparer also accepted is both partners' words and
//! stays.

use std::collections::BTreeSet;

use crate::model::*;

/// What a withheld note reads.
pub const NOTE_NOT_SHARED: &str = "(note not shared)";
/// What a withheld text (a disclosure, a question, a request…) reads.
pub const WORDS_NOT_SHARED: &str = "(words not shared)";

/// `snapshot` with every free text `partner` wrote replaced.
pub(super) fn withhold(snapshot: &Snapshot, partner: &str, preparer: &str) -> Snapshot {
    let mut s = snapshot.clone();
    let theirs = |by: &str| by == partner;
    let note = |n: &mut Option<String>| {
        if n.is_some() {
            *n = Some(NOTE_NOT_SHARED.to_owned());
        }
    };
    let text = |t: &mut String| *t = WORDS_NOT_SHARED.to_owned();
    // Earlier wording of their own records is theirs too.
    let revisions = |rs: &mut Vec<Revision>| {
        for r in rs.iter_mut().filter(|r| r.by == partner) {
            r.before = WORDS_NOT_SHARED.to_owned();
        }
    };

    for a in &mut s.agreements {
        for v in a.versions.iter_mut().filter(|v| theirs(&v.by)) {
            if !v.acceptances.iter().any(|acc| acc.by == preparer) {
                text(&mut v.text);
            }
        }
        for c in a.checks.iter_mut().filter(|c| theirs(&c.by)) {
            note(&mut c.note);
        }
    }
    for o in s.offers.iter_mut().filter(|o| theirs(&o.owner)) {
        text(&mut o.text);
    }
    for c in s.checkins.iter_mut().filter(|c| theirs(&c.author)) {
        note(&mut c.note);
        if !c.free_words.is_empty() {
            c.free_words = vec![WORDS_NOT_SHARED.to_owned()];
        }
        revisions(&mut c.revisions);
    }
    for r in &mut s.requests {
        if theirs(&r.asker) {
            text(&mut r.text);
            revisions(&mut r.revisions);
            for d in &mut r.done {
                if let Some(ack) = &mut d.acknowledgement {
                    note(&mut ack.note);
                }
            }
        }
        for a in r.answers.iter_mut().filter(|a| theirs(&a.by)) {
            note(&mut a.note);
        }
        for d in r.done.iter_mut().filter(|d| theirs(&d.by)) {
            note(&mut d.note);
        }
    }
    for d in s.disclosures.iter_mut().filter(|d| theirs(&d.author)) {
        text(&mut d.what);
        note(&mut d.action_taken);
        revisions(&mut d.revisions);
    }
    for q in &mut s.questions {
        if theirs(&q.asker) {
            text(&mut q.text);
            if q.topic.is_some() {
                q.topic = Some(WORDS_NOT_SHARED.to_owned());
            }
        }
        for r in q.responses.iter_mut().filter(|r| theirs(&r.by)) {
            note(&mut r.text);
        }
    }
    for t in &mut s.triggers {
        if theirs(&t.author) {
            text(&mut t.what);
        }
        for r in t.repairs.iter_mut().filter(|r| theirs(&r.by)) {
            text(&mut r.text);
        }
    }
    for a in s.appreciations.iter_mut().filter(|a| theirs(&a.author)) {
        text(&mut a.text);
    }
    for t in &mut s.together {
        if theirs(&t.planner) {
            text(&mut t.title);
        }
        for o in t.outcomes.iter_mut().filter(|o| theirs(&o.by)) {
            note(&mut o.note);
            revisions(&mut o.revisions);
        }
    }
    for p in s.phase_changes.iter_mut().filter(|p| theirs(&p.by)) {
        note(&mut p.note);
    }
    for c in s.commitments.iter_mut().filter(|c| theirs(&c.author)) {
        text(&mut c.text);
        for l in &mut c.log {
            note(&mut l.note);
        }
    }
    s
}

/// The ids of the records `member` wrote, or wrote an entry in: what a
/// summary bringing them draws on, for that member to see.
pub(super) fn records_touched_by(snapshot: &Snapshot, member: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut add = |id: &str, touched: bool| {
        if touched {
            ids.insert(id.to_owned());
        }
    };
    let m = member;
    for a in &snapshot.agreements {
        add(
            &a.id,
            a.proposed_by == m
                || a.versions
                    .iter()
                    .any(|v| v.by == m || v.acceptances.iter().any(|x| x.by == m))
                || a.checks.iter().any(|c| c.by == m)
                || a.withdrawn_by.as_deref() == Some(m),
        );
    }
    for o in &snapshot.offers {
        add(&o.id, o.owner == m);
    }
    for c in &snapshot.checkins {
        add(&c.id, c.author == m);
    }
    for r in &snapshot.requests {
        add(
            &r.id,
            r.asker == m || r.answers.iter().any(|a| a.by == m) || r.done.iter().any(|d| d.by == m),
        );
    }
    for d in &snapshot.disclosures {
        add(&d.id, d.author == m);
    }
    for q in &snapshot.questions {
        add(&q.id, q.asker == m || q.responses.iter().any(|r| r.by == m));
    }
    for t in &snapshot.triggers {
        add(&t.id, t.author == m || t.repairs.iter().any(|r| r.by == m));
    }
    for a in &snapshot.appreciations {
        add(&a.id, a.author == m);
    }
    for t in &snapshot.together {
        add(
            &t.id,
            t.planner == m || t.outcomes.iter().any(|o| o.by == m),
        );
    }
    for p in &snapshot.phase_changes {
        add(&p.id, p.by == m);
    }
    for s in &snapshot.surveys {
        add(&s.id, s.author == m);
    }
    for c in &snapshot.commitments {
        add(&c.id, c.author == m);
    }
    ids
}
