//! Signs of progress: the last four weeks beside the four before, per
//! partner. A sign going down is shown as plainly as one going up; it is data
//! for the couple, not a verdict, and an up-and-down month is normal.

use serde::Serialize;

use crate::model::{Member, Snapshot};
use crate::views::days::{DayRange, add_days, day_of, parse_day};
use crate::views::span::Span;
use crate::views::stats::median;

/// Days in each of the two periods compared.
pub const PERIOD_DAYS: i64 = 28;
/// Fewest values a period needs before a score sign gets a direction.
pub const MIN_VALUES_FOR_DIRECTION: usize = 3;
/// A median score that moves by at most this much (0–10 scale) is steady.
pub const SCORE_DEAD_BAND: f32 = 0.5;
/// A warm-moment count that moves by at most this much is steady.
pub const WARM_MOMENTS_DEAD_BAND: f32 = 1.0;
/// Time together counts as a warm moment when it happened and felt at least this (0–10).
pub const WARM_FELT_MIN: u8 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignName {
    /// Median `safety` of the member's check-ins.
    SaferToTalk,
    /// Median `heard` of the member's check-ins that answered it.
    BeingListenedTo,
    /// Appreciations the member received, plus time together that happened
    /// and felt good to them.
    WarmMoments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    Steady,
    NotEnoughData,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sign {
    pub name: SignName,
    /// The member the sign is about.
    pub member: String,
    /// The value over the earlier period (`None`: nothing to measure).
    pub before: Option<f32>,
    /// The value over the recent period (`None`: nothing to measure).
    pub now: Option<f32>,
    pub direction: Direction,
    /// How many entries the earlier value rests on.
    pub before_count: u32,
    /// How many entries the recent value rests on.
    pub now_count: u32,
}

/// An inclusive range of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// The recent period: the `PERIOD_DAYS` days ending today.
    pub now_period: Option<Period>,
    /// The `PERIOD_DAYS` days before that.
    pub before_period: Option<Period>,
    /// For each member (in the snapshot's order): safer to talk, being
    /// listened to, warm moments.
    pub signs: Vec<Sign>,
}

/// Compares the last `PERIOD_DAYS` days (ending on `today`) with the
/// `PERIOD_DAYS` days before them, for each member. An unreadable `today`
/// gives no periods and no signs.
pub fn signs_of_progress(snapshot: &Snapshot, today: &str) -> Progress {
    signs_in(&Span::bare(snapshot), today)
}

/// [`signs_of_progress`] over `span`: with the read model's index, the cost
/// of the two periods, not of the history.
pub(crate) fn signs_in(span: &Span<'_>, today: &str) -> Progress {
    let snapshot = span.s;
    let periods = parse_day(today).and_then(|today| {
        let now = DayRange::ending(today, PERIOD_DAYS)?;
        let before = DayRange::ending(add_days(now.start, -1)?, PERIOD_DAYS)?;
        Some((now, before))
    });
    let Some((now, before)) = periods else {
        return Progress {
            now_period: None,
            before_period: None,
            signs: Vec::new(),
        };
    };
    let signs = snapshot
        .members
        .iter()
        .flat_map(|m| {
            [
                score_sign(span, m, SignName::SaferToTalk, before, now, |c| {
                    Some(c.safety)
                }),
                score_sign(span, m, SignName::BeingListenedTo, before, now, |c| c.heard),
                warm_sign(span, m, before, now),
            ]
        })
        .collect();
    Progress {
        now_period: Some(period(now)),
        before_period: Some(period(before)),
        signs,
    }
}

fn period(r: DayRange) -> Period {
    Period {
        start: r.start.to_string(),
        end: r.end.to_string(),
    }
}

fn score_sign(
    span: &Span<'_>,
    member: &Member,
    name: SignName,
    before: DayRange,
    now: DayRange,
    score: fn(&crate::model::CheckIn) -> Option<u8>,
) -> Sign {
    let values = |range: DayRange| -> Vec<f32> {
        span.checkins(range, Some(&member.id))
            .into_iter()
            .filter_map(|c| score(c).map(f32::from))
            .collect()
    };
    let (b, n) = (values(before), values(now));
    let enough = b.len() >= MIN_VALUES_FOR_DIRECTION && n.len() >= MIN_VALUES_FOR_DIRECTION;
    let (before_value, now_value) = (median(b.iter().copied()), median(n.iter().copied()));
    Sign {
        name,
        member: member.id.clone(),
        before: before_value,
        now: now_value,
        direction: if enough {
            direction(before_value, now_value, SCORE_DEAD_BAND)
        } else {
            Direction::NotEnoughData
        },
        before_count: b.len() as u32,
        now_count: n.len() as u32,
    }
}

fn warm_sign(span: &Span<'_>, member: &Member, before: DayRange, now: DayRange) -> Sign {
    let snapshot = span.s;
    let count = |range: DayRange| -> u32 {
        let appreciations = span
            .appreciations(range)
            .iter()
            .filter(|a| a.to == member.id && range.contains_millis(a.at))
            .count();
        let together = snapshot
            .together
            .iter()
            .flat_map(|t| t.outcomes.iter().map(move |o| (t, o)))
            .filter(|(_, o)| {
                o.by == member.id && o.happened && o.felt.is_some_and(|f| f >= WARM_FELT_MIN)
            })
            .filter(|(t, o)| match parse_day(&t.planned_for) {
                Some(day) => range.contains(day),
                None => range.contains_millis(o.at),
            })
            .count();
        (appreciations + together) as u32
    };
    let (b, n) = (count(before), count(now));
    // A member who joined partway through the earlier period has no fair
    // "before" to compare with: a count there would look like a rise.
    let whole_before = day_of(member.joined_at).is_some_and(|joined| joined <= before.start);
    let (before_value, now_value) = (Some(b as f32), Some(n as f32));
    Sign {
        name: SignName::WarmMoments,
        member: member.id.clone(),
        before: before_value,
        now: now_value,
        direction: if whole_before {
            direction(before_value, now_value, WARM_MOMENTS_DEAD_BAND)
        } else {
            Direction::NotEnoughData
        },
        before_count: b,
        now_count: n,
    }
}

fn direction(before: Option<f32>, now: Option<f32>, dead_band: f32) -> Direction {
    match (before, now) {
        (Some(b), Some(n)) if n - b > dead_band => Direction::Up,
        (Some(b), Some(n)) if b - n > dead_band => Direction::Down,
        (Some(_), Some(_)) => Direction::Steady,
        _ => Direction::NotEnoughData,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::fixtures::*;

    const TODAY: &str = "2026-11-28"; // now: 11-01..=11-28, before: 10-04..=10-31

    fn sign<'a>(p: &'a Progress, name: SignName, member: &str) -> &'a Sign {
        p.signs
            .iter()
            .find(|s| s.name == name && s.member == member)
            .unwrap()
    }

    #[test]
    fn periods_are_the_last_four_weeks_and_the_four_before() {
        let p = signs_of_progress(&couple(), TODAY);
        assert_eq!(
            p.now_period,
            Some(Period {
                start: "2026-11-01".into(),
                end: TODAY.into()
            })
        );
        assert_eq!(
            p.before_period,
            Some(Period {
                start: "2026-10-04".into(),
                end: "2026-10-31".into()
            })
        );
        assert_eq!(p.signs.len(), 6);
    }

    #[test]
    fn feeling_safer_shows_as_up_per_member() {
        let mut s = couple();
        for (i, (before, now)) in [(3, 6), (4, 7), (2, 6)].into_iter().enumerate() {
            s.checkins.push(heard(
                checkin(
                    &format!("b{i}"),
                    ANA,
                    &format!("2026-10-1{i}"),
                    before,
                    5,
                    5,
                ),
                4,
            ));
            s.checkins.push(heard(
                checkin(&format!("n{i}"), ANA, &format!("2026-11-1{i}"), now, 5, 5),
                4,
            ));
        }
        let p = signs_of_progress(&s, TODAY);
        let safer = sign(&p, SignName::SaferToTalk, ANA);
        assert_eq!(
            (safer.before, safer.now, safer.direction),
            (Some(3.0), Some(6.0), Direction::Up)
        );
        assert_eq!((safer.before_count, safer.now_count), (3, 3));
        let heard = sign(&p, SignName::BeingListenedTo, ANA);
        assert_eq!(heard.direction, Direction::Steady);
        let ben = sign(&p, SignName::SaferToTalk, BEN);
        assert_eq!(
            (ben.before, ben.now, ben.direction),
            (None, None, Direction::NotEnoughData)
        );
    }

    #[test]
    fn a_lower_month_is_reported_plainly_and_small_moves_are_steady() {
        let mut s = couple();
        for i in 0..3 {
            s.checkins.push(checkin(
                &format!("b{i}"),
                BEN,
                &format!("2026-10-1{i}"),
                7,
                5,
                5,
            ));
            s.checkins.push(checkin(
                &format!("n{i}"),
                BEN,
                &format!("2026-11-1{i}"),
                5,
                5,
                5,
            ));
        }
        let lower = sign(&signs_of_progress(&s, TODAY), SignName::SaferToTalk, BEN).clone();
        assert_eq!(
            (lower.before, lower.now, lower.direction),
            (Some(7.0), Some(5.0), Direction::Down)
        );
        // Now 6, 7, 6, 7: the median moves by half a point, inside the dead band.
        for (c, v) in s
            .checkins
            .iter_mut()
            .filter(|c| c.id.starts_with('n'))
            .zip([6, 7, 6])
        {
            c.safety = v;
        }
        s.checkins.push(checkin("n3", BEN, "2026-11-20", 7, 5, 5));
        let small = sign(&signs_of_progress(&s, TODAY), SignName::SaferToTalk, BEN).clone();
        assert_eq!(
            (small.before, small.now, small.direction),
            (Some(7.0), Some(6.5), Direction::Steady)
        );
    }

    #[test]
    fn too_few_check_ins_is_not_enough_data() {
        let mut s = couple();
        s.checkins.push(checkin("b", ANA, "2026-10-10", 2, 2, 2));
        s.checkins.push(checkin("n", ANA, "2026-11-10", 9, 9, 9));
        let safer = sign(&signs_of_progress(&s, TODAY), SignName::SaferToTalk, ANA).clone();
        assert_eq!((safer.before, safer.now), (Some(2.0), Some(9.0)));
        assert_eq!(safer.direction, Direction::NotEnoughData);
    }

    #[test]
    fn warm_moments_count_appreciations_received_and_good_time_together() {
        let mut s = couple();
        s.appreciations.push(appreciation(
            "p1",
            BEN,
            ANA,
            "2026-11-03",
            "You made dinner",
        ));
        s.appreciations.push(appreciation(
            "p2",
            BEN,
            ANA,
            "2026-11-04",
            "Thanks for the walk",
        ));
        s.appreciations.push(appreciation(
            "p3",
            ANA,
            BEN,
            "2026-11-05",
            "You told me first",
        ));
        let mut t = together("t1", BEN, "2026-11-07");
        t.outcomes.push(outcome(ANA, "2026-11-07", true, Some(8)));
        t.outcomes.push(outcome(BEN, "2026-11-07", true, Some(5)));
        s.together.push(t);
        let mut missed = together("t2", BEN, "2026-11-14");
        missed
            .outcomes
            .push(outcome(ANA, "2026-11-14", false, Some(9)));
        s.together.push(missed);
        let p = signs_of_progress(&s, TODAY);
        let ana = sign(&p, SignName::WarmMoments, ANA);
        assert_eq!(
            (ana.before, ana.now, ana.direction),
            (Some(0.0), Some(3.0), Direction::Up)
        );
        let ben = sign(&p, SignName::WarmMoments, BEN);
        assert_eq!(
            (ben.before, ben.now, ben.direction),
            (Some(0.0), Some(1.0), Direction::Steady)
        );
    }

    #[test]
    fn a_newly_joined_partner_has_no_fair_before() {
        let mut s = couple();
        s.members[1].joined_at = ms("2026-10-20");
        s.appreciations
            .push(appreciation("p1", ANA, BEN, "2026-11-03", "Thank you"));
        s.appreciations.push(appreciation(
            "p2",
            ANA,
            BEN,
            "2026-11-04",
            "Thank you again",
        ));
        s.appreciations
            .push(appreciation("p3", ANA, BEN, "2026-11-05", "And again"));
        let p = signs_of_progress(&s, TODAY);
        assert_eq!(
            sign(&p, SignName::WarmMoments, BEN).direction,
            Direction::NotEnoughData
        );
    }

    #[test]
    fn empty_snapshot_and_unreadable_day_give_no_signs() {
        assert!(
            signs_of_progress(&Snapshot::default(), TODAY)
                .signs
                .is_empty()
        );
        let p = signs_of_progress(&couple(), "yesterday");
        assert_eq!((p.now_period, p.signs.len()), (None, 0));
    }
}
