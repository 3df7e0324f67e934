//! How a view finds the records of a span of days: through the read
//! model's indexes when it has them (the cost of the span, however long the
//! history), else by looking at every record of a bare snapshot (an
//! archive, a file, a test). Both give the same records.

use super::days::{DayRange, day_of};
use super::trends::WeekIndex;
use crate::model::{Appreciation, CheckIn, Millis, Snapshot};

/// A snapshot, and the read model's week index when the snapshot is the
/// model's own (every family's list in its order).
#[derive(Clone, Copy)]
pub(crate) struct Span<'a> {
    pub(crate) s: &'a Snapshot,
    weeks: Option<&'a WeekIndex>,
}

impl<'a> Span<'a> {
    /// A snapshot with no index: spans are found by looking at everything.
    pub(crate) fn bare(s: &'a Snapshot) -> Self {
        Span { s, weeks: None }
    }

    /// The read model's snapshot and its week index.
    pub(crate) fn indexed(s: &'a Snapshot, weeks: &'a WeekIndex) -> Self {
        Span {
            s,
            weeks: Some(weeks),
        }
    }

    /// Whether the read model's indexes are at hand.
    pub(crate) fn is_indexed(&self) -> bool {
        self.weeks.is_some()
    }

    /// The check-ins whose day falls in `range` (of `member` only, when
    /// given), in the snapshot's order.
    pub(crate) fn checkins(&self, range: DayRange, member: Option<&str>) -> Vec<&'a CheckIn> {
        let s = self.s;
        match self.weeks {
            Some(weeks) => weeks.checkins_in(s, range, member),
            None => s
                .checkins
                .iter()
                .filter(|c| member.is_none_or(|m| c.author == m) && range.contains_day(&c.day))
                .collect(),
        }
    }

    /// The appreciations whose (UTC) day falls in `range`, in order.
    pub(crate) fn appreciations(&self, range: DayRange) -> &'a [Appreciation] {
        let (from, to) = millis_of(range);
        self.between(&self.s.appreciations, from, to, |a| a.at)
    }

    /// The records of `list`, one of the model's lists (in order of `at`,
    /// the family's own time), whose `at` lies in `[from, to)`: a slice of
    /// it. Over a bare snapshot, whose lists may be in any order, all of
    /// `list`, for the caller to filter.
    pub(crate) fn between<'l, R>(
        &self,
        list: &'l [R],
        from: Millis,
        to: Millis,
        at: impl Fn(&R) -> Millis,
    ) -> &'l [R] {
        match self.weeks {
            Some(_) => {
                let start = list.partition_point(|r| at(r) < from);
                let end = list.partition_point(|r| at(r) < to);
                &list[start..end.max(start)]
            }
            None => list,
        }
    }
}

/// The instants `[from, to)` of the UTC days of `range` (`day_of`'s days).
fn millis_of(range: DayRange) -> (Millis, Millis) {
    let at = |d: jiff::civil::Date| {
        d.to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(Millis::MIN)
    };
    let end = super::days::add_days(range.end, 1).map_or(Millis::MAX, at);
    debug_assert!(day_of(at(range.start)) == Some(range.start));
    (at(range.start), end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::days::parse_day;
    use crate::views::fixtures::*;

    #[test]
    fn an_index_finds_what_a_look_at_everything_finds_to_the_edges_of_days() {
        let mut s = couple();
        const HOUR: Millis = 3_600_000;
        for (i, day) in ["2026-10-31", "2026-11-01", "2026-11-07", "2026-11-08"]
            .into_iter()
            .enumerate()
        {
            for who in [ANA, BEN] {
                s.checkins
                    .push(checkin(&format!("{who}{i}"), who, day, 5, 5, 5));
            }
            // First and last instants of the day, and noon.
            for (n, at) in [ms(day) - 12 * HOUR, ms(day), ms(day) + 12 * HOUR - 1]
                .into_iter()
                .enumerate()
            {
                let mut a = appreciation(&format!("p{i}{n}"), BEN, ANA, day, "thanks");
                a.at = at;
                s.appreciations.push(a);
            }
        }
        // A check-in whose day cannot be read is in no span.
        let mut odd = checkin("odd", ANA, "2026-11-01", 5, 5, 5);
        odd.day = "2026-11-0x".into();
        s.checkins.push(odd);
        s.checkins
            .sort_by(|a, b| (a.recorded_at, &a.id).cmp(&(b.recorded_at, &b.id)));
        s.appreciations
            .sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        let weeks = WeekIndex::of(&s);
        let (bare, indexed) = (Span::bare(&s), Span::indexed(&s, &weeks));
        let days = [
            "2026-10-30",
            "2026-10-31",
            "2026-11-01",
            "2026-11-07",
            "2026-11-09",
        ];
        for from in days {
            for to in days.into_iter().filter(|to| *to >= from) {
                let range = DayRange {
                    start: parse_day(from).unwrap(),
                    end: parse_day(to).unwrap(),
                };
                for member in [None, Some(ANA), Some(BEN)] {
                    assert_eq!(
                        indexed.checkins(range, member),
                        bare.checkins(range, member),
                        "{from}..{to} {member:?}"
                    );
                }
                let shown = |span: &Span<'_>| -> Vec<String> {
                    span.appreciations(range)
                        .iter()
                        .filter(|a| range.contains_millis(a.at))
                        .map(|a| a.id.clone())
                        .collect()
                };
                assert_eq!(shown(&indexed), shown(&bare), "{from}..{to}");
                // The slice is the span and nothing else.
                assert!(
                    indexed
                        .appreciations(range)
                        .iter()
                        .all(|a| range.contains_millis(a.at))
                );
            }
        }
    }
}
