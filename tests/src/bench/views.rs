//! The derived views on the whole history, as the apps call them: each call
//! reads the snapshot of every record (`Device::snapshot`) and computes the
//! view from it. Beside them, the snapshot alone, and plain Automerge's
//! `hydrate()` of the whole document (every value read, no model built).

use anyhow::Result;
use kintsugi_core::views::{
    RecordKind, SummaryChoice, TimelineFilter, consistency, counselling_prompt, timeline,
    weekly_bands,
};
use kintsugi_core::{CoupleDoc, Millis};

use super::couple::Couple;
use super::report::{Report, Samples, Target, ms, time_runs, times};
use super::storage::PAGE;
use super::{START, days_in};
use crate::fixture::DAY_MS;

const RUNS: usize = 15;
/// Calls of each view on the read model.
const MODEL_RUNS: usize = 200;

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
    read_model_rows(
        &mut doc,
        couple.years,
        &today,
        &viewer,
        snapshot.median(),
        report,
    );
    Ok(())
}

/// A three-month summary of every kind, ending on `today`.
pub fn quarter_summary(today: &str, by: &str) -> SummaryChoice {
    let end: jiff::civil::Date = today.parse().expect("a day");
    let start = end
        .checked_sub(jiff::Span::new().months(3))
        .expect("in range");
    SummaryChoice {
        prepared_by: by.to_owned(),
        from: start.to_string(),
        to: today.to_owned(),
        kinds: vec![
            RecordKind::CheckIn,
            RecordKind::Agreement,
            RecordKind::Request,
            RecordKind::Question,
            RecordKind::Trigger,
            RecordKind::TimeTogether,
            RecordKind::Survey,
        ],
        therapist_questions_only: false,
        private_entries: Vec::new(),
        time_zone: None,
        prepared_at: 0,
    }
}

/// Each view as the app calls it once the device is open: on the read
/// model, kept current from patches (no document read per call).
fn read_model_rows(
    doc: &mut CoupleDoc,
    years: u32,
    today: &str,
    viewer: &str,
    snapshot: std::time::Duration,
    report: &mut Report,
) {
    let build = {
        let t = std::time::Instant::now();
        doc.build_read_model();
        t.elapsed()
    };
    report.row(
        "read model built from the document (once per open without a cache)",
        ms(build),
        format!("snapshot read afresh: {}", ms(snapshot)),
        times(build.as_secs_f64(), snapshot.as_secs_f64()),
        None,
    );
    let filter = page_filter(years);
    let summary = quarter_summary(today, viewer);
    let calls: [(&str, Samples); 6] = [
        (
            "timeline, first page",
            time_runs(MODEL_RUNS, || doc.timeline(&filter)),
        ),
        ("trend bands", time_runs(MODEL_RUNS, || doc.weekly_bands())),
        (
            "consistency (4 windows)",
            time_runs(MODEL_RUNS, || consistency(&doc.snapshot(), today, 4)),
        ),
        (
            "signs of progress",
            time_runs(MODEL_RUNS, || doc.signs_of_progress(today)),
        ),
        (
            "counselling prompt",
            time_runs(MODEL_RUNS, || {
                doc.counselling_prompt(today, viewer, &kintsugi_core::i18n::Messages::english())
            }),
        ),
        (
            "a 3-month summary's data",
            time_runs(MODEL_RUNS, || doc.therapist_summary(&summary)),
        ),
    ];
    for (what, samples) in calls {
        let p99 = samples.p99();
        report.row(
            format!("view after open, on the read model: {what} ({MODEL_RUNS} calls)"),
            samples.p50_p99(),
            format!("snapshot read afresh, before each call: {}", ms(snapshot)),
            times(p99.as_secs_f64(), snapshot.as_secs_f64()),
            Some(Target::new("p99 ≤ 5 ms", p99.as_secs_f64() <= 0.005)),
        );
    }
}
