//! Weekly trend bands: for each partner and each ISO week in which they
//! checked in, the middle and the spread of their scores. A band shows an
//! up-and-down week as what it is, a range, rather than singling out a bad
//! day; a week without check-ins is simply absent, never a zero.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::model::{CheckIn, Millis, Snapshot};
use crate::views::days::{DayRange, iso_week_label, iso_week_start, parse_day};
use crate::views::stats::quantile;

/// The middle and spread of one score over one week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub median: f32,
    /// The lowest score of the week.
    pub low: u8,
    /// The highest score of the week.
    pub high: u8,
    /// First quartile (linear interpolation between neighbours).
    pub q1: f32,
    /// Third quartile (linear interpolation between neighbours).
    pub q3: f32,
}

impl Band {
    /// The band of a non-empty sample; `None` when there is nothing to describe.
    pub fn of(values: &[u8]) -> Option<Band> {
        let mut sorted: Vec<u8> = values.to_vec();
        sorted.sort_unstable();
        let low = *sorted.first()?;
        let high = *sorted.last()?;
        let as_f32: Vec<f32> = sorted.iter().map(|v| f32::from(*v)).collect();
        Some(Band {
            median: quantile(&as_f32, 0.5)?,
            low,
            high,
            q1: quantile(&as_f32, 0.25)?,
            q3: quantile(&as_f32, 0.75)?,
        })
    }
}

/// One partner's check-ins in one ISO week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeeklyBand {
    /// The member id.
    pub member: String,
    /// The ISO week, e.g. `2026-W47`.
    pub week: String,
    /// The Monday the week starts on (`YYYY-MM-DD`).
    pub week_start: String,
    /// How many check-ins the week holds (at least one).
    pub checkins: u32,
    pub safety: Band,
    pub trust: Band,
    pub connection: Band,
    /// "Did you feel listened to?", over the check-ins that answered it;
    /// `None` when none did.
    pub heard: Option<Band>,
}

/// One band per (member, ISO week) with at least one check-in, ordered by
/// member id, then week. The week comes from each check-in's own `day` (the
/// author's local day); check-ins whose day cannot be read are left out.
pub fn weekly_bands(snapshot: &Snapshot) -> Vec<WeeklyBand> {
    let mut weeks: BTreeMap<(&str, Date), Vec<&CheckIn>> = BTreeMap::new();
    for c in &snapshot.checkins {
        if let Some(day) = parse_day(&c.day) {
            weeks
                .entry((c.author.as_str(), iso_week_start(day)))
                .or_default()
                .push(c);
        }
    }
    weeks
        .into_iter()
        .filter_map(|((member, monday), checkins)| band_of(&(member.to_owned(), monday), &checkins))
        .collect()
}

/// A member's week: the member id and the week's Monday.
type Week = (String, Date);

/// The check-ins of one member-week, by the order the read model keeps
/// them in (`recorded_at`, then id), so each is found without a scan.
type WeekCheckins = BTreeSet<(Millis, String)>;

/// The weekly bands, kept with the read model: a change re-bands only the
/// weeks of the check-ins it touched, and asking for the bands costs the
/// weeks, not the check-ins.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct WeekIndex {
    checkins: BTreeMap<Week, WeekCheckins>,
    bands: BTreeMap<Week, WeeklyBand>,
}

impl WeekIndex {
    /// The bands of every check-in of `s`.
    pub(crate) fn of(s: &Snapshot) -> WeekIndex {
        let mut index = WeekIndex::default();
        let mut weeks: BTreeMap<Week, Vec<&CheckIn>> = BTreeMap::new();
        for c in &s.checkins {
            if let Some(week) = week_of(c) {
                index
                    .checkins
                    .entry(week.clone())
                    .or_default()
                    .insert((c.recorded_at, c.id.clone()));
                weeks.entry(week).or_default().push(c);
            }
        }
        for (week, checkins) in weeks {
            if let Some(band) = band_of(&week, &checkins) {
                index.bands.insert(week, band);
            }
        }
        index
    }

    /// The check-ins of `before` went, those of `after` came (a delta's
    /// halves); `model` holds every check-in as it is now.
    pub(crate) fn update(&mut self, before: &Snapshot, after: &Snapshot, model: &Snapshot) {
        let mut touched: BTreeSet<Week> = BTreeSet::new();
        for c in &before.checkins {
            if let Some(week) = week_of(c)
                && let Some(set) = self.checkins.get_mut(&week)
            {
                set.remove(&(c.recorded_at, c.id.clone()));
                touched.insert(week);
            }
        }
        for c in &after.checkins {
            if let Some(week) = week_of(c) {
                self.checkins
                    .entry(week.clone())
                    .or_default()
                    .insert((c.recorded_at, c.id.clone()));
                touched.insert(week);
            }
        }
        for week in touched {
            let found: Vec<&CheckIn> = self
                .checkins
                .get(&week)
                .into_iter()
                .flatten()
                .filter_map(|(at, id)| crate::families::find_by_order(&model.checkins, *at, id))
                .collect();
            match band_of(&week, &found) {
                Some(band) => {
                    self.bands.insert(week, band);
                }
                None => {
                    self.bands.remove(&week);
                    self.checkins.remove(&week);
                }
            }
        }
    }

    /// Every band, by member, then week.
    pub(crate) fn bands(&self) -> Vec<WeeklyBand> {
        self.bands.values().cloned().collect()
    }

    /// The check-ins of `model` (the snapshot this index was kept with)
    /// whose day falls in `range`, of `member` only when given, in the
    /// model's order: the cost of the weeks the range touches.
    pub(crate) fn checkins_in<'s>(
        &self,
        model: &'s Snapshot,
        range: DayRange,
        member: Option<&str>,
    ) -> Vec<&'s CheckIn> {
        let first_week = iso_week_start(range.start);
        let mut found = Vec::new();
        let mut next = self.checkins.keys().next();
        // Member by member: each one's weeks in the range, then on to the
        // next member past its last week.
        while let Some((author, _)) = next {
            if member.is_none_or(|m| m == author) {
                let from = (author.clone(), first_week);
                let to = (author.clone(), range.end);
                for set in self.checkins.range(from..=to).map(|(_, set)| set) {
                    found.extend(
                        set.iter()
                            .filter_map(|(at, id)| {
                                crate::families::find_by_order(&model.checkins, *at, id)
                            })
                            .filter(|c| range.contains_day(&c.day)),
                    );
                }
            }
            let past = (author.clone(), Date::MAX);
            next = self
                .checkins
                .range((std::ops::Bound::Excluded(past), std::ops::Bound::Unbounded))
                .next()
                .map(|(week, _)| week);
        }
        found.sort_by(|a, b| (a.recorded_at, &a.id).cmp(&(b.recorded_at, &b.id)));
        found
    }
}

fn week_of(c: &CheckIn) -> Option<Week> {
    let day = parse_day(&c.day)?;
    Some((c.author.clone(), iso_week_start(day)))
}

fn band_of((member, monday): &Week, checkins: &[&CheckIn]) -> Option<WeeklyBand> {
    let scores = |f: fn(&CheckIn) -> u8| checkins.iter().map(|c| f(c)).collect::<Vec<u8>>();
    let heard: Vec<u8> = checkins.iter().filter_map(|c| c.heard).collect();
    Some(WeeklyBand {
        member: member.clone(),
        week: iso_week_label(*monday),
        week_start: monday.to_string(),
        checkins: checkins.len() as u32,
        safety: Band::of(&scores(|c| c.safety))?,
        trust: Band::of(&scores(|c| c.trust))?,
        connection: Band::of(&scores(|c| c.connection))?,
        heard: Band::of(&heard),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::fixtures::*;

    #[test]
    fn an_up_and_down_week_is_a_band_not_a_failure() {
        let mut s = couple();
        s.checkins.push(checkin("c1", ANA, "2026-11-16", 2, 3, 4));
        s.checkins.push(checkin("c2", ANA, "2026-11-19", 9, 8, 7));
        let bands = weekly_bands(&s);
        assert_eq!(bands.len(), 1);
        let b = &bands[0];
        assert_eq!(
            (b.member.as_str(), b.week.as_str(), b.week_start.as_str()),
            (ANA, "2026-W47", "2026-11-16")
        );
        assert_eq!(b.checkins, 2);
        assert_eq!(b.safety.median, 5.5);
        assert_eq!((b.safety.low, b.safety.high), (2, 9));
        assert_eq!((b.safety.q1, b.safety.q3), (3.75, 7.25));
        assert_eq!(b.heard, None);
        let json = serde_json::to_value(b).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert!(
            keys.iter()
                .all(|k| !k.contains("fail") && !k.contains("miss") && !k.contains("streak"))
        );
    }

    #[test]
    fn a_skipped_week_is_absent_not_zero() {
        let mut s = couple();
        s.checkins.push(checkin("c1", ANA, "2026-11-02", 5, 5, 5)); // W45
        s.checkins.push(checkin("c2", ANA, "2026-11-18", 6, 6, 6)); // W47
        let weeks: Vec<String> = weekly_bands(&s).into_iter().map(|b| b.week).collect();
        assert_eq!(weeks, vec!["2026-W45", "2026-W47"]);
    }

    #[test]
    fn partners_get_their_own_bands_and_heard_is_banded_when_given() {
        let mut s = couple();
        s.checkins
            .push(heard(checkin("c1", BEN, "2026-11-17", 6, 7, 8), 4));
        s.checkins.push(checkin("c2", BEN, "2026-11-18", 6, 7, 8));
        s.checkins.push(checkin("c3", ANA, "2026-11-17", 3, 2, 4));
        let mut unreadable = checkin("c4", ANA, "2026-11-18", 3, 2, 4);
        unreadable.day = "bad day".into();
        s.checkins.push(unreadable);
        let bands = weekly_bands(&s);
        assert_eq!(bands.len(), 2);
        assert_eq!((bands[0].member.as_str(), bands[0].checkins), (ANA, 1));
        assert_eq!((bands[1].member.as_str(), bands[1].checkins), (BEN, 2));
        assert_eq!(
            bands[1].heard,
            Some(Band {
                median: 4.0,
                low: 4,
                high: 4,
                q1: 4.0,
                q3: 4.0
            })
        );
    }

    #[test]
    fn weeks_follow_iso_years() {
        let mut s = couple();
        s.checkins.push(checkin("c1", ANA, "2027-01-01", 5, 5, 5));
        s.checkins.push(checkin("c2", ANA, "2026-12-28", 7, 7, 7));
        let bands = weekly_bands(&s);
        assert_eq!(bands.len(), 1);
        assert_eq!(
            (bands[0].week.as_str(), bands[0].week_start.as_str()),
            ("2026-W53", "2026-12-28")
        );
    }

    #[test]
    fn kept_bands_move_with_the_checkins_a_change_touched() {
        let mut s = couple();
        s.checkins.push(checkin("c1", ANA, "2026-11-16", 2, 3, 4));
        s.checkins.push(checkin("c2", BEN, "2026-11-17", 6, 6, 6));
        s.checkins.push(checkin("c3", ANA, "2026-11-19", 9, 8, 7));
        let mut index = WeekIndex::of(&s);
        // Ana's later check-in is revised, and she checks in a week later.
        let mut after = s.clone();
        after.checkins[2].safety = 3;
        after
            .checkins
            .push(checkin("c4", ANA, "2026-11-24", 5, 5, 5));
        let (mut was, mut now) = (Snapshot::default(), Snapshot::default());
        was.checkins.push(s.checkins[2].clone());
        now.checkins
            .extend([after.checkins[2].clone(), after.checkins[3].clone()]);
        index.update(&was, &now, &after);
        assert_eq!(index, WeekIndex::of(&after));
        assert_eq!(index.bands(), weekly_bands(&after));
        assert_eq!(index.bands()[0].safety.high, 3);
        // Ben's only check-in goes (as a modified app might make it): so does his week.
        let mut gone = after.clone();
        gone.checkins.remove(1);
        let mut ben = Snapshot::default();
        ben.checkins.push(after.checkins[1].clone());
        index.update(&ben, &Snapshot::default(), &gone);
        assert_eq!(index, WeekIndex::of(&gone));
        assert!(index.bands().iter().all(|b| b.member == ANA));
    }

    #[test]
    fn empty_snapshot_gives_no_bands() {
        assert!(weekly_bands(&Snapshot::default()).is_empty());
    }
}
