//! Micro figures on the generated couple (ten years unless
//! `KINTSUGI_BENCH_YEARS` says otherwise), with criterion's statistics:
//!
//!   cargo bench -p kintsugi-tests
//!
//! - the derived views as the apps call them (the snapshot of every record,
//!   then the view), and each view alone on a snapshot;
//! - appending one check-in durably to a real device. Appends run back to
//!   back, so the automatic compactions they trigger (about every sixty at
//!   ten years) are part of the mean, as on a phone.
//!
//! The couple is the one `kintsugi-bench` caches under target/; the first
//! run generates it (minutes for ten years). The whole table, with
//! baselines and targets, is `kintsugi-bench` (docs/performance.md).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kintsugi_core::Device;
use kintsugi_core::views::{counselling_prompt, timeline, weekly_bands};
use kintsugi_tests::bench::couple::{Couple, scratch};
use kintsugi_tests::bench::storage::checkin_on;
use kintsugi_tests::bench::views::{last_day, page_filter};

fn years() -> u32 {
    std::env::var("KINTSUGI_BENCH_YEARS")
        .ok()
        .and_then(|y| y.parse().ok())
        .unwrap_or(10)
}

fn couple() -> Couple {
    Couple::get_blocking(years()).expect("the generated couple")
}

fn views(c: &mut Criterion) {
    let couple = couple();
    let doc = couple.ana_doc().expect("Ana's document");
    let snapshot = doc.snapshot();
    let today = last_day(couple.years);
    let filter = page_filter(couple.years);
    // The prompt as Ana's phone shows it.
    let viewer = doc.me().to_owned();

    // Each call reads the whole history: tens of milliseconds at ten years.
    let mut calls = c.benchmark_group("views: snapshot + view, as the apps call them");
    calls
        .sample_size(10)
        .measurement_time(Duration::from_secs(4));
    calls.bench_function("snapshot", |b| b.iter(|| black_box(doc.snapshot())));
    calls.bench_function("timeline first page", |b| {
        b.iter(|| black_box(timeline(&doc.snapshot(), &filter)))
    });
    calls.bench_function("trend bands", |b| {
        b.iter(|| black_box(weekly_bands(&doc.snapshot())))
    });
    calls.bench_function("counselling prompt", |b| {
        b.iter(|| black_box(counselling_prompt(&doc.snapshot(), &today, &viewer)))
    });
    calls.finish();

    let mut alone = c.benchmark_group("views alone, on a snapshot");
    alone.measurement_time(Duration::from_secs(3));
    alone.bench_function("timeline first page", |b| {
        b.iter(|| black_box(timeline(&snapshot, &filter)))
    });
    alone.bench_function("trend bands", |b| {
        b.iter(|| black_box(weekly_bands(&snapshot)))
    });
    alone.bench_function("counselling prompt", |b| {
        b.iter(|| black_box(counselling_prompt(&snapshot, &today, &viewer)))
    });
    alone.finish();
}

fn append(c: &mut Criterion) {
    let couple = couple();
    let root = scratch().expect("scratch directory");
    let dir = couple
        .copy_device("ana", root.path())
        .expect("a copy of Ana");
    let mut device = Device::open(&dir, &couple.unlock().expect("key")).expect("open");
    // One check-in per partner per day: each append is on a new day.
    let mut day = i64::from(couple.days()) + 1_000;
    let mut group = c.benchmark_group("storage");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("append one check-in durably", |b| {
        b.iter(|| {
            day += 1;
            let input = checkin_on(day, "A quiet evening; we cooked together.").expect("day");
            black_box(device.record_checkin(&input).expect("check-in"))
        })
    });
    group.finish();
}

criterion_group!(benches, views, append);
criterion_main!(benches);
