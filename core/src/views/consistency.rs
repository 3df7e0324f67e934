//! Consistency over rolling four-week windows: the requested things that
//! were done and how they were received, and how agreements and commitments
//! were kept. Counts of what was done over a month, never streaks, ratios or
//! scores: a day without an entry is not counted as anything, a slip is one
//! honest entry among many, and only what the asked partner said yes to
//! counts (a request is asked, not imposed).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Agreement, Millis, Snapshot};
use crate::views::days::{DayRange, add_days, end_of_day_millis, parse_day};

/// Days in one window.
pub const WINDOW_DAYS: i64 = 28;
/// Days between the ends of two neighbouring windows.
pub const WINDOW_STEP_DAYS: i64 = 7;

/// One window of `WINDOW_DAYS` days, `start..=end`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsistencyWindow {
    /// First day of the window (`YYYY-MM-DD`).
    pub start: String,
    /// Last day of the window (`YYYY-MM-DD`), inclusive.
    pub end: String,
    pub requests: RequestConsistency,
    pub agreements: AgreementConsistency,
    pub commitments: CommitmentConsistency,
}

/// Requested things done in the window, of those the asked partner said
/// yes to, and how the asker received them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestConsistency {
    /// Done entries logged in the window while the doer's yes stood.
    pub done: u32,
    /// Of those, how many the asker has answered (by `today`).
    pub acknowledged: u32,
    /// Of the answered, how many landed.
    pub landed: u32,
    /// Of the answered, "thank you, but it did not land".
    pub did_not_land: u32,
    /// The same counts for each (doer, asker) pair, e.g. "Ben did 9 things
    /// Ana asked for; 8 landed". Ordered by doer, then asker.
    pub flows: Vec<RequestFlow>,
}

/// What one partner did of what the other asked, and how it was received.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestFlow {
    /// Who logged doing it.
    pub doer: String,
    /// Who asked for it (and acknowledges it).
    pub asker: String,
    pub done: u32,
    pub acknowledged: u32,
    pub landed: u32,
    pub did_not_land: u32,
}

/// Kept-checks on agreements logged in the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgreementConsistency {
    pub kept: u32,
    pub slipped: u32,
    /// Agreements in force on the window's last day.
    pub in_force: u32,
    /// Kept and slipped per member who wrote the check, ordered by member id.
    pub by_member: Vec<MemberKept>,
}

/// Commitment log entries for days in the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitmentConsistency {
    pub kept: u32,
    pub slipped: u32,
    /// Kept and slipped per commitment author, ordered by member id.
    pub by_member: Vec<MemberKept>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberKept {
    pub member: String,
    pub kept: u32,
    pub slipped: u32,
}

/// The last `windows` windows, newest first: the first ends on `today`, each
/// next one ends `WINDOW_STEP_DAYS` days earlier, and each spans
/// `WINDOW_DAYS` days. An unreadable `today` gives no windows.
pub fn consistency(snapshot: &Snapshot, today: &str, windows: usize) -> Vec<ConsistencyWindow> {
    let Some(today) = parse_day(today) else {
        return Vec::new();
    };
    let Some(as_of) = end_of_day_millis(today) else {
        return Vec::new();
    };
    (0..windows as i64)
        .map_while(|i| {
            let end = add_days(today, -i * WINDOW_STEP_DAYS)?;
            let range = DayRange::ending(end, WINDOW_DAYS)?;
            Some(window(snapshot, range, as_of))
        })
        .collect()
}

fn window(snapshot: &Snapshot, range: DayRange, as_of: Millis) -> ConsistencyWindow {
    ConsistencyWindow {
        start: range.start.to_string(),
        end: range.end.to_string(),
        requests: requests(snapshot, range, as_of),
        agreements: agreements(snapshot, range),
        commitments: commitments(snapshot, range),
    }
}

#[derive(Default, Clone, Copy)]
struct Tally {
    done: u32,
    acknowledged: u32,
    landed: u32,
    did_not_land: u32,
}

impl Tally {
    fn add(&mut self, acknowledgement: Option<bool>) {
        self.done += 1;
        if let Some(landed) = acknowledgement {
            self.acknowledged += 1;
            if landed {
                self.landed += 1;
            } else {
                self.did_not_land += 1;
            }
        }
    }
}

fn requests(snapshot: &Snapshot, range: DayRange, as_of: Millis) -> RequestConsistency {
    let mut total = Tally::default();
    let mut pairs: BTreeMap<(&str, &str), Tally> = BTreeMap::new();
    for r in &snapshot.requests {
        // Only what the asked partner said yes to is something to do.
        for d in r
            .done
            .iter()
            .filter(|d| range.contains_millis(d.at) && r.counts(d))
        {
            // An acknowledgement counts once it exists, as of `today`.
            let ack = d
                .acknowledgement
                .as_ref()
                .filter(|a| a.at < as_of)
                .map(|a| a.landed);
            total.add(ack);
            pairs
                .entry((d.by.as_str(), r.asker.as_str()))
                .or_default()
                .add(ack);
        }
    }
    RequestConsistency {
        done: total.done,
        acknowledged: total.acknowledged,
        landed: total.landed,
        did_not_land: total.did_not_land,
        flows: pairs
            .into_iter()
            .map(|((doer, asker), t)| RequestFlow {
                doer: doer.to_owned(),
                asker: asker.to_owned(),
                done: t.done,
                acknowledged: t.acknowledged,
                landed: t.landed,
                did_not_land: t.did_not_land,
            })
            .collect(),
    }
}

fn kept_by_member(counts: BTreeMap<&str, (u32, u32)>) -> Vec<MemberKept> {
    counts
        .into_iter()
        .map(|(member, (kept, slipped))| MemberKept {
            member: member.to_owned(),
            kept,
            slipped,
        })
        .collect()
}

fn agreements(snapshot: &Snapshot, range: DayRange) -> AgreementConsistency {
    let mut counts: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for c in snapshot
        .agreements
        .iter()
        .flat_map(|a| &a.checks)
        .filter(|c| range.contains_millis(c.at))
    {
        let entry = counts.entry(c.by.as_str()).or_default();
        if c.kept {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    let in_force = end_of_day_millis(range.end)
        .map(|cutoff| {
            snapshot
                .agreements
                .iter()
                .filter(|a| in_force_before(a, snapshot, cutoff))
                .count()
        })
        .unwrap_or(0) as u32;
    AgreementConsistency {
        kept: counts.values().map(|c| c.0).sum(),
        slipped: counts.values().map(|c| c.1).sum(),
        in_force,
        by_member: kept_by_member(counts),
    }
}

/// Whether, just before `cutoff`, some version had been accepted by every
/// member (at least two) and the agreement had not been withdrawn. A
/// version's author accepts it by writing it.
pub(crate) fn in_force_before(a: &Agreement, snapshot: &Snapshot, cutoff: Millis) -> bool {
    if snapshot.members.len() < 2 || a.withdrawn_at.is_some_and(|w| w < cutoff) {
        return false;
    }
    a.versions.iter().filter(|v| v.at < cutoff).any(|v| {
        snapshot.members.iter().all(|m| {
            m.id == v.by
                || v.acceptances
                    .iter()
                    .any(|acc| acc.by == m.id && acc.at < cutoff)
        })
    })
}

fn commitments(snapshot: &Snapshot, range: DayRange) -> CommitmentConsistency {
    let mut counts: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for c in &snapshot.commitments {
        for l in &c.log {
            let in_range = match parse_day(&l.day) {
                Some(day) => range.contains(day),
                None => range.contains_millis(l.at),
            };
            if !in_range {
                continue;
            }
            let entry = counts.entry(c.author.as_str()).or_default();
            if l.kept {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }
    CommitmentConsistency {
        kept: counts.values().map(|c| c.0).sum(),
        slipped: counts.values().map(|c| c.1).sum(),
        by_member: kept_by_member(counts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::fixtures::*;

    #[test]
    fn empty_with_no_data() {
        let w = consistency(&couple(), "2026-11-28", 1);
        assert_eq!(w.len(), 1);
        let r = &w[0].requests;
        assert_eq!((r.done, r.acknowledged), (0, 0));
        assert!(r.flows.is_empty());
        assert_eq!(
            (
                w[0].agreements.kept,
                w[0].agreements.slipped,
                w[0].agreements.in_force
            ),
            (0, 0, 0)
        );
        assert_eq!((w[0].commitments.kept, w[0].commitments.slipped), (0, 0));
        assert!(consistency(&Snapshot::default(), "2026-11-28", 0).is_empty());
        assert!(consistency(&Snapshot::default(), "someday", 3).is_empty());
    }

    #[test]
    fn windows_step_back_a_week_and_span_four() {
        let w = consistency(&couple(), "2026-11-28", 3);
        let spans: Vec<(&str, &str)> = w
            .iter()
            .map(|w| (w.start.as_str(), w.end.as_str()))
            .collect();
        assert_eq!(
            spans,
            vec![
                ("2026-11-01", "2026-11-28"),
                ("2026-10-25", "2026-11-21"),
                ("2026-10-18", "2026-11-14")
            ]
        );
    }

    #[test]
    fn ben_did_nine_requested_things_and_ana_acknowledged_eight() {
        let mut s = couple();
        let mut r = request("r1", ANA, "Tell me when you are running late", "2026-10-01");
        for i in 0..9 {
            let day = format!("2026-11-{:02}", 10 + i);
            let landed = match i {
                0..=6 => Some(true),
                7 => Some(false),
                _ => None,
            };
            r.done.push(done(&format!("d{i}"), BEN, &day, landed));
        }
        // Outside the window: not counted.
        r.done.push(done("old", BEN, "2026-10-20", Some(true)));
        s.requests.push(r);
        let w = &consistency(&s, "2026-11-28", 1)[0];
        let r = &w.requests;
        assert_eq!(
            (r.done, r.acknowledged, r.landed, r.did_not_land),
            (9, 8, 7, 1)
        );
        assert_eq!(r.flows.len(), 1);
        let f = &r.flows[0];
        assert_eq!(
            (f.doer.as_str(), f.asker.as_str(), f.done, f.acknowledged),
            (BEN, ANA, 9, 8)
        );
    }

    #[test]
    fn only_what_the_asked_partner_said_yes_to_counts() {
        use crate::model::RequestAnswerKind::*;
        let mut s = couple();
        // Ben said "not now": what he logged anyway is not a ledger entry.
        let mut not_now = request("r1", ANA, "Text me every hour", "2026-11-01");
        not_now.answers = vec![answer("a1", BEN, "2026-11-01", NotNow)];
        not_now.done.push(done("d1", BEN, "2026-11-10", Some(true)));
        // Never answered: nothing counts, and nothing is counted against anyone.
        let mut open = request("r2", ANA, "Share your location", "2026-11-01");
        open.answers.clear();
        open.done.push(done("d2", BEN, "2026-11-10", None));
        // Yes, then talk first, then yes again, then the yes taken back:
        // only what was done while a yes stood counts.
        let mut changing = request("r3", ANA, "Call at lunch", "2026-11-01");
        changing
            .answers
            .push(answer("a3", BEN, "2026-11-05", TalkFirst));
        changing.answers.push(answer("a4", BEN, "2026-11-08", Yes));
        changing
            .answers
            .push(answer("a5", BEN, "2026-11-20", YesRetired));
        for (id, day) in [
            ("e1", "2026-11-03"),
            ("e2", "2026-11-06"),
            ("e3", "2026-11-09"),
            ("e4", "2026-11-21"),
        ] {
            changing.done.push(done(id, BEN, day, Some(true)));
        }
        s.requests.extend([not_now, open, changing]);
        let r = &consistency(&s, "2026-11-28", 1)[0].requests;
        assert_eq!((r.done, r.acknowledged, r.landed), (2, 2, 2));
    }

    #[test]
    fn acknowledgements_after_today_do_not_count_yet() {
        let mut s = couple();
        let mut r = request("r1", ANA, "Call at lunch", "2026-11-01");
        let mut d = done("d1", BEN, "2026-11-10", None);
        d.acknowledgement = Some(crate::model::Acknowledgement {
            at: ms("2026-11-12"),
            landed: true,
            note: None,
            revisions: vec![],
        });
        r.done.push(d);
        s.requests.push(r);
        assert_eq!(consistency(&s, "2026-11-11", 1)[0].requests.acknowledged, 0);
        assert_eq!(consistency(&s, "2026-11-12", 1)[0].requests.acknowledged, 1);
    }

    #[test]
    fn agreements_and_commitments_per_member() {
        let mut s = couple();
        let mut a = agreement(
            "a1",
            BEN,
            "Phone stays on the table at dinner",
            "2026-10-01",
        );
        a.checks.push(kept_check("k1", BEN, "2026-11-05", true));
        a.checks.push(kept_check("k2", BEN, "2026-11-06", false));
        a.checks.push(kept_check("k3", ANA, "2026-11-07", true));
        s.agreements.push(a);
        let mut pending = agreement("a2", ANA, "Weekly walk", "2026-11-02");
        pending.versions[0].acceptances.retain(|acc| acc.by == ANA);
        s.agreements.push(pending);
        s.agreements
            .push(agreement("a3", ANA, "Not yet written", "2026-12-01"));
        let mut c = commitment("m1", BEN, "No contact", "2026-10-01");
        c.log.push(commitment_log("l1", "2026-11-20", true));
        c.log.push(commitment_log("l2", "2026-11-21", true));
        c.log.push(commitment_log("l3", "2026-11-22", false));
        c.log.push(commitment_log("l4", "2026-09-22", false));
        s.commitments.push(c);

        let w = &consistency(&s, "2026-11-28", 1)[0];
        assert_eq!(
            (
                w.agreements.kept,
                w.agreements.slipped,
                w.agreements.in_force
            ),
            (2, 1, 1)
        );
        assert_eq!(
            w.agreements.by_member,
            vec![
                MemberKept {
                    member: ANA.into(),
                    kept: 1,
                    slipped: 0
                },
                MemberKept {
                    member: BEN.into(),
                    kept: 1,
                    slipped: 1
                },
            ]
        );
        assert_eq!((w.commitments.kept, w.commitments.slipped), (2, 1));
        assert_eq!(
            w.commitments.by_member,
            vec![MemberKept {
                member: BEN.into(),
                kept: 2,
                slipped: 1
            }]
        );

        // In force only once the partner has accepted it.
        let mut late = agreement("a4", BEN, "Home by ten", "2026-11-20");
        late.versions[0]
            .acceptances
            .iter_mut()
            .filter(|acc| acc.by == ANA)
            .for_each(|acc| acc.at = ms("2026-11-30"));
        s.agreements.push(late);
        assert_eq!(consistency(&s, "2026-11-28", 1)[0].agreements.in_force, 1);
        assert_eq!(consistency(&s, "2026-11-30", 1)[0].agreements.in_force, 2);

        let earlier = &consistency(&s, "2026-09-30", 1)[0];
        assert_eq!(earlier.agreements.in_force, 0, "not yet proposed then");
        assert_eq!(earlier.commitments.slipped, 1);
    }
}
