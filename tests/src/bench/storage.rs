//! Storage figures, each beside plain Automerge `save()` / `load()` of the
//! same document measured in the same run:
//!
//! - size on disk of the whole data directory (age-encrypted snapshot +
//!   chunks, keys, profile) after the last 60 days arrived day by day the
//!   way syncs deliver them, its peak along the way, and just compacted;
//! - cold open (unwrap the device key, decrypt, load, and the first page of
//!   the timeline) and the memory of that process, each in a fresh process,
//!   beside reading + `load()` of the plain snapshot in a fresh process;
//! - appending one check-in durably, beside plain `save()` + write + fsync;
//! - compaction, beside plain `save()`.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use automerge::AutoCommit;
use kintsugi_core::views::TimelineFilter;
use kintsugi_core::{CheckInInput, Device, Unlock, now_millis};

use super::couple::Couple;
use super::report::{Report, Samples, Target, bytes, mib, ms, times};
use super::{START, days_in};
use crate::fixture::DAY_MS;

/// The days that arrive one by one after the bulk of the history.
const TAIL_DAYS: usize = 60;
/// Fresh processes per cold-open figure (the median is reported).
const OPEN_RUNS: usize = 9;
/// The first page of the timeline, as an app shows it.
pub const PAGE: usize = 50;
/// The environment variable that hands the host key to a child.
const KEY_VAR: &str = "KINTSUGI_BENCH_HOST_KEY";

/// Runs a child role named by `args[0]`, if any.
pub fn child(args: &[String]) -> Option<Result<()>> {
    match args.first().map(String::as_str) {
        Some("open-child") => Some(open_child(args.get(1)?, args.get(2).map(String::as_str))),
        Some("load-child") => Some(load_child(args.get(1)?)),
        _ => None,
    }
}

/// What one child process measured.
#[derive(Debug, Clone, Copy)]
struct Child {
    /// Until the document is in memory.
    loaded: Duration,
    /// Until the first timeline page is ready (Kintsugi only): from the
    /// first-screen cache when it served it, else from the opened device.
    page: Duration,
    /// Until the opened device gave the first page (Kintsugi only).
    device_page: Duration,
    hwm_kib: u64,
    rss_kib: u64,
    /// VmRSS once freed memory went back to the system (`malloc_trim`).
    rss_trimmed_kib: u64,
}

/// Child: opens the device cold, shows the first page of the timeline, and
/// reports times and memory with the device still open.
fn open_child(dir: &str, mode: Option<&str>) -> Result<()> {
    let key = std::env::var(KEY_VAR).context(KEY_VAR)?;
    let unlock = Unlock::host_key(&key)?;
    if mode == Some("no-cache") {
        // As after an upgrade or a damaged cache (closing writes them again).
        for name in [
            kintsugi_core::storage::files::READ_CACHE,
            kintsugi_core::storage::files::FIRST_SCREEN,
        ] {
            let cache = Path::new(dir).join(name);
            if cache.exists() {
                fs::remove_file(cache)?;
            }
        }
    }
    let t = Instant::now();
    // As an app launches: the first screen from its cache at once, while
    // the device opens (here after it, to time each alone).
    let shown = match Device::first_screen(dir, &unlock)? {
        Some(screen) => screen.page(&first_filter())?,
        None => None,
    };
    let shown_at = t.elapsed();
    let device = Device::open(dir, &unlock)?;
    let loaded = t.elapsed();
    let page = first_page(&device)?;
    let paged = t.elapsed();
    let first = match shown {
        Some(shown) if mode == Some("cache") => {
            if shown.entries != page {
                bail!("the first screen differs from the opened device's first page");
            }
            shown_at
        }
        Some(_) => bail!("a first screen was shown with no cache"),
        None if mode == Some("cache") => bail!("the first-screen cache served nothing"),
        None => paged,
    };
    report_child(loaded, first, paged, page.len())?;
    drop(device);
    Ok(())
}

fn first_filter() -> TimelineFilter {
    TimelineFilter {
        limit: Some(PAGE),
        now: now_millis(),
        ..TimelineFilter::default()
    }
}

/// What the app shows first: the newest entries of the timeline.
pub fn first_page(device: &Device) -> Result<Vec<kintsugi_core::views::TimelineEntry>> {
    Ok(device.timeline(&first_filter())?.entries)
}

/// Child: reads and loads the plain snapshot, as plain Automerge would.
fn load_child(file: &str) -> Result<()> {
    let t = Instant::now();
    let doc = AutoCommit::load(&fs::read(file)?)?;
    let loaded = t.elapsed();
    let keys = automerge::ReadDoc::length(&doc, automerge::ROOT);
    report_child(loaded, loaded, loaded, keys)?;
    drop(doc);
    Ok(())
}

fn report_child(
    loaded: Duration,
    page: Duration,
    device_page: Duration,
    items: usize,
) -> Result<()> {
    let (hwm, rss) = memory_kib();
    // SAFETY: malloc_trim only returns free heap pages to the system.
    unsafe {
        libc::malloc_trim(0);
    }
    let (_, trimmed) = memory_kib();
    println!(
        "RESULT {} {} {} {hwm} {rss} {trimmed} {items}",
        loaded.as_micros(),
        page.as_micros(),
        device_page.as_micros()
    );
    Ok(())
}

/// VmHWM (peak) and VmRSS (now) of this process, in KiB.
pub fn memory_kib() -> (u64, u64) {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn run_child(args: &[&str], key: Option<&str>) -> Result<Child> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.args(args);
    if let Some(key) = key {
        cmd.env(KEY_VAR, key);
    }
    let out = cmd.output()?;
    if !out.status.success() {
        bail!("{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8(out.stdout)?;
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .context("the child printed no result")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    if v.len() < 6 {
        bail!("short result: {line}");
    }
    Ok(Child {
        loaded: Duration::from_micros(v[0]),
        page: Duration::from_micros(v[1]),
        device_page: Duration::from_micros(v[2]),
        hwm_kib: v[3],
        rss_kib: v[4],
        rss_trimmed_kib: v[5],
    })
}

/// The median of one field over the children.
fn median_of<T: Ord + Copy>(children: &[Child], f: impl Fn(&Child) -> T) -> T {
    let mut v: Vec<T> = children.iter().map(f).collect();
    v.sort();
    v[v.len() / 2]
}

pub fn run(couple: &Couple, report: &mut Report) -> Result<()> {
    let full = couple.document()?;
    let mut all = AutoCommit::load(&full)?;
    let changes = all.get_changes(&[]);
    let n = changes.len();
    // The history up to 60 days before the end arrives at once (as when
    // pairing); the last 60 days arrive one day's changes at a time.
    let per_day = (n as f64 / f64::from(days_in(couple.years))).ceil() as usize;
    let split = n.saturating_sub(per_day * TAIL_DAYS);
    let mut bulk = AutoCommit::new();
    bulk.apply_changes(changes[..split].iter().cloned())?;

    let root = super::couple::scratch()?;
    let dir = root.path().join("ana");
    let key = Unlock::generate_host_key();
    let key_text = age::secrecy::ExposeSecret::expose_secret(&key).to_owned();
    let unlock = Unlock::host_key(&key_text)?;
    let mut device = Device::init(&dir, "Ana", &unlock)?;
    // The fixture's own history: trusted, no door.
    device.adopt_trusted(&bulk.save())?;

    eprintln!("storage: {TAIL_DAYS} days arriving one by one");
    let mut peak_ratio: f64 = 0.0;
    let mut compactions = 0;
    for day in changes[split..].chunks(per_day) {
        let raw: Vec<u8> = day.iter().flat_map(|c| c.raw_bytes().to_vec()).collect();
        device.update(|doc, _| doc.merge_bytes(&raw))?;
        if device.storage_stats().couple.chunks == 0 {
            compactions += 1;
        }
        let plain = device.doc_mut()?.save().len() as f64;
        peak_ratio = peak_ratio.max(dir_bytes(&dir)? as f64 / plain);
    }

    let plain = device.doc_mut()?.save();
    let plain_file = root.path().join("plain.automerge");
    fs::write(&plain_file, &plain)?;
    let stats = device.storage_stats();
    let on_disk = dir_bytes(&dir)?;
    let plain_len = plain.len() as f64;
    report.row(
        format!(
            "size on disk (encrypted), after {TAIL_DAYS} days arrived one by one ({compactions} automatic compactions; {} snapshot + {} chunk files)",
            stats.couple.snapshots, stats.couple.chunks
        ),
        bytes(on_disk),
        format!("`save()`: {}", bytes(plain.len() as u64)),
        times(on_disk as f64, plain_len),
        Some(Target::ratio(on_disk as f64, plain_len, 1.1)),
    );
    report.row(
        format!("size on disk, peak over those {TAIL_DAYS} days"),
        "",
        "",
        format!("{peak_ratio:.3}×"),
        Some(Target::new("≤ 1.1×", peak_ratio <= 1.1)),
    );
    let compacted = device.compact()?;
    let after = dir_bytes(&dir)?;
    report.row(
        "size on disk, just compacted",
        format!(
            "{} (snapshot {})",
            bytes(after),
            bytes(compacted.couple.snapshot_bytes)
        ),
        format!("`save()`: {}", bytes(plain.len() as u64)),
        times(after as f64, plain_len),
        Some(Target::ratio(after as f64, plain_len, 1.1)),
    );
    // The snapshot file holds exactly `save()` of this document: what it
    // adds is age's header and tags.
    let overhead = compacted.couple.snapshot_bytes as i64 - device.doc_mut()?.save().len() as i64;
    report.note(format!(
        "Encryption adds {overhead} B to the snapshot file ({:.3}% of it): age's header and a 16-byte tag per 64 KiB; the rest of the size difference is chunks waiting for compaction.",
        overhead as f64 * 100.0 / plain_len
    ));

    // Cold open, each in a fresh process, alternating: with the read-model
    // cache, without it, and plain Automerge.
    device.save_read_cache()?;
    let cache_len = fs::metadata(dir.join(kintsugi_core::storage::files::READ_CACHE))?.len();
    let first_len = fs::metadata(dir.join(kintsugi_core::storage::files::FIRST_SCREEN))?.len();
    eprintln!("storage: cold opens, {OPEN_RUNS} fresh processes each");
    let (mut open, mut uncached, mut load) = (Vec::new(), Vec::new(), Vec::new());
    let dir_text = dir.to_str().context("path")?;
    for _ in 0..OPEN_RUNS {
        open.push(run_child(
            &["open-child", dir_text, "cache"],
            Some(&key_text),
        )?);
        uncached.push(run_child(
            &["open-child", dir_text, "no-cache"],
            Some(&key_text),
        )?);
        load.push(run_child(
            &["load-child", plain_file.to_str().context("path")?],
            None,
        )?);
    }
    let cold_page = median_of(&uncached, |c| c.page);
    let load_t = median_of(&load, |c| c.loaded);
    let open_t = median_of(&open, |c| c.loaded);
    let page_t = median_of(&open, |c| c.page);
    let device_page_t = median_of(&open, |c| c.device_page);
    let base = format!("`load()` (read + load): {}", ms(load_t));
    report.row(
        format!("cold open to the first timeline page ({PAGE} entries) from the first-screen cache, before the document loads, fresh process (median of {OPEN_RUNS})"),
        ms(page_t),
        base.clone(),
        times(page_t.as_secs_f64(), load_t.as_secs_f64()),
        Some(Target::ratio(page_t.as_secs_f64(), load_t.as_secs_f64(), 0.25)),
    );
    report.row(
        format!("cold open: unwrap key + decrypt + load + read model from its cache, fresh process (median of {OPEN_RUNS})"),
        ms(open_t),
        base.clone(),
        times(open_t.as_secs_f64(), load_t.as_secs_f64()),
        None,
    );
    report.row(
        "… and the first page from the opened device",
        ms(device_page_t),
        base.clone(),
        times(device_page_t.as_secs_f64(), load_t.as_secs_f64()),
        None,
    );
    report.row(
        format!("cold open + first timeline page, no usable cache (removed before each run), fresh process (median of {OPEN_RUNS})"),
        ms(cold_page),
        base,
        times(cold_page.as_secs_f64(), load_t.as_secs_f64()),
        Some(Target::ratio(cold_page.as_secs_f64(), load_t.as_secs_f64(), 1.2)),
    );
    report.row(
        "first-screen cache file (encrypted; records of the newest 200 entries, weekly bands)",
        bytes(first_len),
        format!("`save()`: {}", bytes(plain.len() as u64)),
        times(first_len as f64, plain_len),
        Some(Target::ratio(first_len as f64, plain_len, 0.3)),
    );
    report.row(
        "whole read-model cache file (encrypted; every record, for views at full speed once open)",
        bytes(cache_len),
        format!("`save()`: {}", bytes(plain.len() as u64)),
        times(cache_len as f64, plain_len),
        None,
    );
    let (o_hwm, l_hwm) = (
        median_of(&open, |c| c.hwm_kib),
        median_of(&load, |c| c.hwm_kib),
    );
    let (o_rss, l_rss) = (
        median_of(&open, |c| c.rss_kib),
        median_of(&load, |c| c.rss_kib),
    );
    let (o_trim, l_trim) = (
        median_of(&open, |c| c.rss_trimmed_kib),
        median_of(&load, |c| c.rss_trimmed_kib),
    );
    report.row(
        "peak memory of that process (VmHWM)",
        mib(o_hwm),
        mib(l_hwm),
        times(o_hwm as f64, l_hwm as f64),
        Some(Target::ratio(o_hwm as f64, l_hwm as f64, 1.2)),
    );
    report.row(
        "steady memory after open, document held (VmRSS; after malloc_trim)",
        format!("{} ({})", mib(o_rss), mib(o_trim)),
        format!("{} ({})", mib(l_rss), mib(l_trim)),
        format!(
            "{} ({})",
            times(o_rss as f64, l_rss as f64),
            times(o_trim as f64, l_trim as f64)
        ),
        Some(Target::ratio(o_rss as f64, l_rss as f64, 1.2)),
    );

    // One check-in, durably (each on its own day: one per partner per day,
    // after the history at any age, so each is new, never a revision).
    let fresh = i64::from(couple.days()) + 400;
    eprintln!("storage: appends and compactions");
    let mut appends = Samples::new();
    for day in fresh..fresh + 60 {
        let input = checkin_on(day, "A quiet evening; we cooked together.")?;
        let t = Instant::now();
        device.record_checkin(&input)?;
        appends.push(t.elapsed());
    }
    // The storage part alone: the operation in memory, then the durable save.
    let mut persists = Samples::new();
    for day in fresh + 100..fresh + 160 {
        let input = checkin_on(day, "Walked to the bakery and back.")?;
        device
            .doc_mut()?
            .record_checkin(&input, START + day * DAY_MS)?;
        let t = Instant::now();
        device.persist()?;
        persists.push(t.elapsed());
    }
    let (mut save_plain, mut save_durable, mut compact) =
        (Samples::new(), Samples::new(), Samples::new());
    let path = root.path().join("plain-save.automerge");
    for _ in 0..7 {
        let doc = device.doc_mut()?.automerge_mut();
        let t = Instant::now();
        let saved = doc.save();
        save_plain.push(t.elapsed());
        drop(saved);
        let t = Instant::now();
        let saved = doc.save();
        let mut f = fs::File::create(&path)?;
        f.write_all(&saved)?;
        f.sync_all()?;
        save_durable.push(t.elapsed());
        let t = Instant::now();
        device.compact()?;
        compact.push(t.elapsed());
    }
    report.row(
        "append one check-in durably: operation + encrypted chunk + fsyncs (60 runs, back to back)",
        appends.p50_p99(),
        format!("`save()` + write + fsync: {}", save_durable.p50_p99()),
        times(
            appends.median().as_secs_f64(),
            save_durable.median().as_secs_f64(),
        ),
        None,
    );
    report.row(
        "of which the durable save (60 runs)",
        persists.p50_p99(),
        "",
        "",
        None,
    );
    report.row(
        "compaction (median of 7)",
        ms(compact.median()),
        format!("`save()`: {}", ms(save_plain.median())),
        times(
            compact.median().as_secs_f64(),
            save_plain.median().as_secs_f64(),
        ),
        None,
    );

    // What an app's observer waits for: from the call that records a
    // check-in to the change event the core hands its listeners.
    let heard: std::sync::Arc<std::sync::Mutex<Option<Instant>>> = Default::default();
    let inbox = {
        let heard = heard.clone();
        kintsugi_core::ChangeInbox::subscribe(&mut device, move || {
            *heard.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        })
    };
    let mut to_event = Samples::new();
    for day in fresh + 200..fresh + 260 {
        let input = checkin_on(day, "We talked before bed.")?;
        let t = Instant::now();
        device.record_checkin(&input)?;
        let at = heard
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .context("no change event for a check-in")?;
        to_event.push(at.duration_since(t));
        inbox.take().context("the event names the check-in")?;
    }
    report.row(
        "check-in to its change event on the same device (what an observer hears; 60 runs)",
        to_event.p50_p99(),
        format!("the durable append alone: {}", appends.p50_p99()),
        times(to_event.p99().as_secs_f64(), appends.p99().as_secs_f64()),
        Some(Target::new(
            "p99 ≤ 3 ms",
            to_event.p99().as_secs_f64() <= 0.003,
        )),
    );

    // The passphrase path: scrypt once per open.
    let pdir = root.path().join("passphrase");
    let pass = Unlock::passphrase("correct horse battery staple");
    Device::init(&pdir, "Ana", &pass)?;
    let t = Instant::now();
    Device::open(&pdir, &pass)?;
    report.note(format!(
        "Phones unlock with a host key from the keystore (X25519): the figures above. A passphrase (CLI) adds one scrypt stretch per open: {} here.",
        ms(t.elapsed())
    ));
    report.note(
        "Cold opens run in fresh processes with the files in the page cache (a warm disk), Kintsugi and plain alternating; memory is the child's after the open (and the first page), with the document still held.",
    );
    Ok(())
}

/// A check-in on the fixture's `day`-th day.
pub fn checkin_on(day: i64, note: &str) -> Result<CheckInInput> {
    let date = jiff::Timestamp::from_millisecond(START + day * DAY_MS)?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    Ok(CheckInInput {
        day: Some(date),
        safety: 6,
        trust: 5,
        connection: 7,
        note: Some(note.into()),
        ..Default::default()
    })
}

pub fn dir_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
