//! Calendar helpers shared by the views. Days are `YYYY-MM-DD`; instants
//! (`Millis`) are turned into days in UTC.

use jiff::civil::Date;

use crate::model::Millis;

/// Parses a `YYYY-MM-DD` day; `None` for anything else.
pub(crate) fn parse_day(day: &str) -> Option<Date> {
    day.trim().parse().ok()
}

/// The UTC calendar day of an instant.
pub(crate) fn day_of(at: Millis) -> Option<Date> {
    let ts = jiff::Timestamp::from_millisecond(at).ok()?;
    Some(ts.to_zoned(jiff::tz::TimeZone::UTC).date())
}

/// `date` moved by `days` (negative: back in time).
pub(crate) fn add_days(date: Date, days: i64) -> Option<Date> {
    date.checked_add(jiff::Span::new().try_days(days).ok()?)
        .ok()
}

/// The first instant (UTC midnight) of the day after `date`: everything
/// strictly before it happened on or before `date`.
pub(crate) fn end_of_day_millis(date: Date) -> Option<Millis> {
    let next = add_days(date, 1)?;
    let zoned = next.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
    Some(zoned.timestamp().as_millisecond())
}

/// The ISO week a day belongs to, as `2026-W47`.
pub(crate) fn iso_week_label(date: Date) -> String {
    let week = date.iso_week_date();
    format!("{:04}-W{:02}", week.year(), week.week())
}

/// The Monday that starts the ISO week of `date`.
pub(crate) fn iso_week_start(date: Date) -> Date {
    let back = i64::from(date.weekday().to_monday_zero_offset());
    add_days(date, -back).unwrap_or(date)
}

/// An inclusive range of calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayRange {
    pub start: Date,
    pub end: Date,
}

impl DayRange {
    /// The `len` days ending on `end` (inclusive).
    pub(crate) fn ending(end: Date, len: i64) -> Option<DayRange> {
        Some(DayRange {
            start: add_days(end, -(len - 1))?,
            end,
        })
    }

    pub(crate) fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }

    /// Whether the UTC day of `at` falls in the range.
    pub(crate) fn contains_millis(&self, at: Millis) -> bool {
        day_of(at).is_some_and(|d| self.contains(d))
    }

    /// Whether a `YYYY-MM-DD` day falls in the range (unparseable days do not).
    pub(crate) fn contains_day(&self, day: &str) -> bool {
        parse_day(day).is_some_and(|d| self.contains(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_cross_the_year_boundary() {
        let d = parse_day("2027-01-01").unwrap();
        assert_eq!(iso_week_label(d), "2026-W53");
        assert_eq!(iso_week_start(d).to_string(), "2026-12-28");
        let d = parse_day("2026-11-18").unwrap();
        assert_eq!(iso_week_label(d), "2026-W47");
        assert_eq!(iso_week_start(d).to_string(), "2026-11-16");
    }

    #[test]
    fn ranges_are_inclusive_and_millis_use_utc_days() {
        let r = DayRange::ending(parse_day("2026-11-28").unwrap(), 28).unwrap();
        assert_eq!(r.start.to_string(), "2026-11-01");
        assert!(r.contains_day("2026-11-01") && r.contains_day("2026-11-28"));
        assert!(!r.contains_day("2026-10-31") && !r.contains_day("not a day"));
        let end = end_of_day_millis(r.end).unwrap();
        assert!(r.contains_millis(end - 1));
        assert!(!r.contains_millis(end));
    }
}
