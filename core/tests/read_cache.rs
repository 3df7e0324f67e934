//! The read-model caches beside the document: the whole model, used when it
//! matches the files and heads just loaded, and the first screen's part,
//! shown before the document loads when it matches the files on disk; each
//! ignored (and the views still right) when it is damaged, cut short,
//! swapped for another device's or the other cache, or stale.

use std::fs;
use std::path::Path;

use kintsugi_core::Unlock;
use kintsugi_core::storage::files;
use kintsugi_core::views::{self, TimelineFilter, TimelinePage};
use kintsugi_core::{CheckInInput, Device};

fn key() -> Unlock {
    static KEY: std::sync::OnceLock<Unlock> = std::sync::OnceLock::new();
    KEY.get_or_init(|| Unlock::HostKey(Unlock::generate_host_key()))
        .clone()
}

fn checkin(day: &str, note: &str) -> CheckInInput {
    CheckInInput {
        day: Some(day.into()),
        safety: 6,
        trust: 4,
        connection: 5,
        note: Some(note.into()),
        ..Default::default()
    }
}

/// The `d`th day of a year of months of 28 days (enough for a test).
fn day(d: u32) -> String {
    format!("2026-{:02}-{:02}", d / 28 + 1, d % 28 + 1)
}

/// A device with a few days written, closed (which saves its cache).
fn written(dir: &Path, days: std::ops::Range<u32>) {
    let mut device = match Device::open(dir, &key()) {
        Ok(device) => device,
        Err(_) => {
            let mut device = Device::init(dir, "Ana", &key()).unwrap();
            device.start_couple().unwrap();
            device
        }
    };
    for d in days {
        device
            .record_checkin(&checkin(&day(d), "a slow day"))
            .unwrap();
        device
            .propose_agreement(&format!("Walk on day {d}"))
            .unwrap();
    }
}

/// Every view the device gives equals the same view of the document read
/// afresh.
fn views_are_right(device: &Device) {
    let fresh = device.doc().unwrap().read_snapshot();
    assert_eq!(*device.snapshot().unwrap(), fresh);
    let filter = TimelineFilter {
        limit: Some(5),
        now: i64::MAX,
        ..TimelineFilter::default()
    };
    let page = device.timeline(&filter).unwrap();
    let whole = views::timeline(
        &fresh,
        &TimelineFilter {
            limit: None,
            ..filter
        },
    );
    assert_eq!(page.entries[..], whole[..5]);
    assert!(page.next.is_some());
}

fn cache(dir: &Path) -> std::path::PathBuf {
    dir.join(files::READ_CACHE)
}

fn first_cache(dir: &Path) -> std::path::PathBuf {
    dir.join(files::FIRST_SCREEN)
}

fn first_page(size: usize) -> TimelineFilter {
    TimelineFilter {
        limit: Some(size),
        now: kintsugi_core::now_millis(),
        ..TimelineFilter::default()
    }
}

/// What the first screen shows from its cache, if anything.
fn first_screen(dir: &Path, filter: &TimelineFilter) -> Option<TimelinePage> {
    Device::first_screen(dir, &key())
        .unwrap()
        .and_then(|screen| screen.page(filter).unwrap())
}

#[test]
fn the_first_screen_is_the_opened_device_s_first_page_without_the_document() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(
        first_screen(tmp.path(), &first_page(50)),
        None,
        "no device yet"
    );
    // More entries than the cache holds the records of.
    written(tmp.path(), 1..111);
    assert!(first_cache(tmp.path()).exists());
    let device = Device::open(tmp.path(), &key()).unwrap();
    for size in [1, 20, 50] {
        let filter = first_page(size);
        let screen = Device::first_screen(tmp.path(), &key()).unwrap().unwrap();
        assert_eq!(screen.member_id, device.member_id());
        assert_eq!(screen.members(), device.snapshot().unwrap().members);
        assert_eq!(screen.weekly_bands(), device.weekly_bands().unwrap());
        let shown = screen
            .page(&filter)
            .unwrap()
            .expect("served from the cache");
        assert_eq!(shown, device.timeline(&filter).unwrap(), "{size}");
        // Its cursor goes on in the opened device.
        let next = device
            .timeline(&TimelineFilter {
                cursor: shown.next.clone(),
                ..filter
            })
            .unwrap();
        assert!(!next.entries.is_empty());
        assert!(next.entries[0].at <= shown.entries[size - 1].at);
    }
    // More than the newest entries it holds: that is the opened device's.
    assert_eq!(first_screen(tmp.path(), &first_page(1000)), None);
    // A wrong key is told, not taken for "nothing to show".
    let wrong = Unlock::HostKey(Unlock::generate_host_key());
    assert!(Device::first_screen(tmp.path(), &wrong).is_err());
}

#[test]
fn a_first_screen_cache_of_other_files_damaged_or_swapped_shows_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    written(tmp.path(), 1..4);
    let older = fs::read(first_cache(tmp.path())).unwrap();
    written(tmp.path(), 4..6);
    let good = fs::read(first_cache(tmp.path())).unwrap();
    let model = fs::read(cache(tmp.path())).unwrap();
    let other = tempfile::tempdir().unwrap();
    written(other.path(), 10..12);
    let foreign = fs::read(first_cache(other.path())).unwrap();

    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let cases: [(&str, Vec<u8>); 6] = [
        ("of the document before the last days", older),
        ("a flipped byte", flipped),
        ("cut short", good[..good.len() / 3].to_vec()),
        ("empty", Vec::new()),
        ("another device's", foreign),
        ("the whole model's cache", model),
    ];
    let filter = first_page(4);
    for (what, bytes) in cases {
        fs::write(first_cache(tmp.path()), &bytes).unwrap();
        assert_eq!(first_screen(tmp.path(), &filter), None, "{what}");
    }
    fs::write(first_cache(tmp.path()), &good).unwrap();
    let shown = first_screen(tmp.path(), &filter).expect("the good one");
    assert!(shown.entries.iter().any(|e| e.summary.contains("day 5")));

    // The partner's days arrive in another process: new document files,
    // and the cache no longer speaks for them.
    let mut device = Device::open(tmp.path(), &key()).unwrap();
    device.propose_agreement("Later: a walk together").unwrap();
    assert_eq!(first_screen(tmp.path(), &filter), None);
    drop(device);
    let shown = first_screen(tmp.path(), &filter).expect("saved at close");
    assert!(shown.entries.iter().any(|e| e.summary.contains("Later")));
}

#[test]
fn an_open_takes_the_model_from_a_cache_that_matches() {
    let tmp = tempfile::tempdir().unwrap();
    written(tmp.path(), 1..6);
    assert!(cache(tmp.path()).exists());
    let device = Device::open(tmp.path(), &key()).unwrap();
    assert!(device.opened_from_cache());
    views_are_right(&device);
    assert_eq!(device.checkins().unwrap().len(), 5);
}

#[test]
fn a_damaged_cut_short_or_swapped_cache_is_ignored_and_the_views_stay_right() {
    let tmp = tempfile::tempdir().unwrap();
    written(tmp.path(), 1..6);
    let good = fs::read(cache(tmp.path())).unwrap();

    // Another device's cache (another key), of other records.
    let other = tempfile::tempdir().unwrap();
    written(other.path(), 10..12);
    let foreign = fs::read(cache(other.path())).unwrap();

    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let cases: [(&str, Vec<u8>); 4] = [
        ("a flipped byte", flipped),
        ("cut short", good[..good.len() / 3].to_vec()),
        ("empty", Vec::new()),
        ("another device's", foreign),
    ];
    for (what, bytes) in cases {
        fs::write(cache(tmp.path()), &bytes).unwrap();
        let device = Device::open(tmp.path(), &key()).unwrap();
        assert!(!device.opened_from_cache(), "{what}");
        views_are_right(&device);
        assert_eq!(device.checkins().unwrap().len(), 5, "{what}");
        drop(device);
        // Closing wrote a good one again.
        assert!(
            Device::open(tmp.path(), &key())
                .unwrap()
                .opened_from_cache()
        );
    }
}

#[test]
fn a_stale_cache_never_hides_what_was_written_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    written(tmp.path(), 1..4);
    let older = fs::read(cache(tmp.path())).unwrap();
    written(tmp.path(), 4..8);
    // Put back the cache of three days ago (say, a restore of the phone's
    // files that caught the cache but not the newest document file).
    fs::write(cache(tmp.path()), &older).unwrap();
    let device = Device::open(tmp.path(), &key()).unwrap();
    assert!(!device.opened_from_cache());
    assert_eq!(device.checkins().unwrap().len(), 7);
    views_are_right(&device);
}

#[test]
fn wipe_removes_the_cache_and_a_device_closed_after_a_wipe_leaves_none() {
    let tmp = tempfile::tempdir().unwrap();
    written(tmp.path(), 1..3);
    let device = Device::open(tmp.path(), &key()).unwrap();
    Device::wipe(tmp.path()).unwrap();
    assert!(!cache(tmp.path()).exists());
    assert!(!first_cache(tmp.path()).exists());
    drop(device);
    assert!(!cache(tmp.path()).exists());
    assert!(!first_cache(tmp.path()).exists());
    // Nothing at all is left of the device.
    assert!(!tmp.path().exists() || fs::read_dir(tmp.path()).unwrap().count() == 0);
}

#[test]
fn unpairing_takes_the_caches_of_the_space_it_archives_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    written(tmp.path(), 1..4);
    assert!(first_cache(tmp.path()).exists() && cache(tmp.path()).exists());
    let mut device = Device::open(tmp.path(), &key()).unwrap();
    device.archive_couple().unwrap().expect("archived");
    assert!(!first_cache(tmp.path()).exists());
    assert!(!cache(tmp.path()).exists());
    drop(device);
    // Nothing of the archived space is shown first, nor saved at close.
    assert_eq!(first_screen(tmp.path(), &first_page(5)), None);
    assert!(!first_cache(tmp.path()).exists());
    assert!(!cache(tmp.path()).exists());
}
