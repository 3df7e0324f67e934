//! The derived views on the whole history, as the apps call them: each call
//! reads the snapshot of every record (`Device::snapshot`) and computes the
//! view from it. Beside them, the snapshot alone, and plain Automerge's
//! `hydrate()` of the whole document (every value read, no model built).

use anyhow::Result;
use kintsugi_core::views::{TimelineFilter, counselling_prompt, timeline, weekly_bands};
use kintsugi_core::{CoupleDoc, Millis};

use super::couple::Couple;
use super::report::{Report, Samples, ms, time_runs, times};
use super::storage::PAGE;
use super::{START, days_in};
use crate::fixture::DAY_MS;

const RUNS: usize = 15;

/// The fixture's last day, `YYYY-MM-DD`: "today" for the views.
pub fn last_day(years: u32) -> String {
    day_of(START + i64::from(days_in(years) - 1) * DAY_MS)
}

/// The UTC day of `at`, `YYYY-MM-DD`.
pub fn day_of(at: Millis) -> String {
    jiff::Timestamp::from_millisecond(at)
        .expect("a valid time")
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

/// The first timeline page at the end of the fixture.
pub fn page_filter(years: u32) -> TimelineFilter {
    TimelineFilter {
        limit: Some(PAGE),
        now: START + i64::from(days_in(years)) * DAY_MS,
        ..TimelineFilter::default()
    }
}

pub fn run(couple: &Couple, report: &mut Report) -> Result<()> {
    eprintln!("views: {RUNS} runs each");
    let mut doc: CoupleDoc = couple.ana_doc()?;
    let today = last_day(couple.years);
    let filter = page_filter(couple.years);
    // The prompt as Ana's phone shows it.
    let viewer = doc.me().to_owned();

    let hydrate = {
        let am = doc.automerge_mut().document();
        time_runs(RUNS, || am.hydrate(None))
    };
    let snapshot = time_runs(RUNS, || doc.snapshot());
    let s = doc.snapshot();
    let weeks = weekly_bands(&s).len();
    let base = format!("snapshot alone: {}", ms(snapshot.median()));
    report.row(
        format!(
            "snapshot of every record ({} check-ins, …), what each view call starts from (median of {RUNS})",
            s.checkins.len()
        ),
        ms(snapshot.median()),
        format!("plain `hydrate()` of the document: {}", ms(hydrate.median())),
        times(
            snapshot.median().as_secs_f64(),
            hydrate.median().as_secs_f64(),
        ),
        None,
    );
    let views: [(String, Samples, Samples); 3] = [
        (
            format!("view: timeline, first page ({PAGE} entries)"),
            time_runs(RUNS, || timeline(&doc.snapshot(), &filter)),
            time_runs(RUNS, || timeline(&s, &filter)),
        ),
        (
            format!(
                "view: trend bands over {} year(s) ({weeks} member-weeks)",
                couple.years
            ),
            time_runs(RUNS, || weekly_bands(&doc.snapshot())),
            time_runs(RUNS, || weekly_bands(&s)),
        ),
        (
            "view: counselling prompt".to_owned(),
            time_runs(RUNS, || {
                counselling_prompt(&doc.snapshot(), &today, &viewer)
            }),
            time_runs(RUNS, || counselling_prompt(&s, &today, &viewer)),
        ),
    ];
    for (what, whole, alone) in views {
        report.row(
            format!("{what}: snapshot + view (median of {RUNS}; the view alone)"),
            format!("{} ({})", ms(whole.median()), ms(alone.median())),
            base.clone(),
            times(
                whole.median().as_secs_f64(),
                snapshot.median().as_secs_f64(),
            ),
            None,
        );
    }
    Ok(())
}
