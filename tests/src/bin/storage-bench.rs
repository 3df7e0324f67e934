//! Storage figures for a generated couple, each beside plain Automerge
//! `save()` / `load()` of the same document, measured in the same run:
//!
//!   cargo run --release -p kintsugi-tests --bin storage-bench -- [YEARS]
//!
//! - size on disk of the whole data directory (age-encrypted snapshot +
//!   chunks, keys, profile), after the last 60 days arrived day by day the
//!   way syncs deliver them, and its peak along the way;
//! - cold open (unwrap the device key, decrypt, load) and peak memory, each
//!   in a fresh process, beside reading + `load()` of the plain snapshot;
//! - appending one check-in durably;
//! - compaction, beside plain `save()` and beside `save()` + durable write.
//!
//! The generated fixture is cached under target/kintsugi-bench/ (generating
//! ten years takes minutes); delete it to regenerate.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use automerge::AutoCommit;
use kintsugi_core::{CheckInInput, CoupleDoc, Device, Unlock};
use kintsugi_tests::fixture::{CoupleFixture, DAY_MS};

/// 2016-01-04, a Monday: the fixture's first day.
const START: i64 = 1_451_865_600_000;
/// The days that arrive one by one after the bulk of the history.
const TAIL_DAYS: usize = 60;
const RUNS: usize = 7;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("open-child") => {
            open_child(&args.next().context("dir")?, &args.next().context("key")?)
        }
        Some("load-child") => load_child(&args.next().context("file")?),
        years => run(years.map(str::parse).transpose()?.unwrap_or(10)),
    }
}

/// Child: opens the device cold and reports time and peak memory.
fn open_child(dir: &str, key: &str) -> Result<()> {
    let unlock = Unlock::host_key(key)?;
    let t = Instant::now();
    let device = Device::open(dir, &unlock)?;
    let elapsed = t.elapsed();
    let records = device.snapshot()?.checkins.len();
    println!("RESULT {} {} {records}", elapsed.as_micros(), peak_kib());
    Ok(())
}

/// Child: reads and loads the plain snapshot, as plain Automerge would.
fn load_child(file: &str) -> Result<()> {
    let t = Instant::now();
    let bytes = fs::read(file)?;
    let doc = AutoCommit::load(&bytes)?;
    let elapsed = t.elapsed();
    let records = automerge::ReadDoc::length(&doc, automerge::ROOT);
    println!("RESULT {} {} {records}", elapsed.as_micros(), peak_kib());
    Ok(())
}

fn peak_kib() -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn fixture(years: u32) -> Result<Vec<u8>> {
    let cache = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/kintsugi-bench")
        .join(format!("fixture-{years}y-seed7.automerge"));
    if let Ok(bytes) = fs::read(&cache) {
        eprintln!("fixture: cached {}", cache.display());
        return Ok(bytes);
    }
    let tmp = tempfile::tempdir()?;
    let unlock = Unlock::HostKey(Unlock::generate_host_key());
    let mut a = Device::init(tmp.path().join("a"), "Ana", &unlock)?;
    a.start_couple()?;
    let mut b = Device::init(tmp.path().join("b"), "Ben", &unlock)?;
    b.join_couple(&a.export_automerge()?)?;
    let mut ana = CoupleDoc::load(&b.export_automerge()?, &a.profile().actor()?)?;
    let mut ben = CoupleDoc::load(&b.export_automerge()?, &b.profile().actor()?)?;
    let days = years * 365 + years / 4;
    let t = Instant::now();
    let counts = {
        let mut fx = CoupleFixture::new(&mut ana, &mut ben, 7);
        fx.live(START, days, 7);
        fx.sync();
        fx.counts
    };
    eprintln!(
        "fixture: {years} years generated in {:.0?}: {} check-ins, {} agreements",
        t.elapsed(),
        counts.checkins,
        counts.agreements
    );
    let bytes = ana.save();
    fs::create_dir_all(cache.parent().unwrap())?;
    fs::write(&cache, &bytes)?;
    Ok(bytes)
}

fn run(years: u32) -> Result<()> {
    let full = fixture(years)?;
    let mut all = AutoCommit::load(&full)?;
    let changes = all.get_changes(&[]);
    let n = changes.len();
    // The history up to 60 days before the end arrives at once (as when
    // pairing); the last 60 days arrive one day's changes at a time.
    let per_day = (n as f64 / (f64::from(years) * 365.25)).ceil() as usize;
    let split = n - per_day * TAIL_DAYS;
    let mut bulk = AutoCommit::new();
    bulk.apply_changes(changes[..split].iter().cloned())?;

    let root = tempfile::tempdir()?;
    let dir = root.path().join("ana");
    let key = Unlock::generate_host_key();
    let key_text = age::secrecy::ExposeSecret::expose_secret(&key).to_owned();
    let unlock = Unlock::host_key(&key_text)?;
    let mut device = Device::init(&dir, "Ana", &unlock)?;
    device.join_couple(&bulk.save())?;

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

    println!("# Storage, {years}-year couple ({n} changes)\n");
    let plain = device.doc_mut()?.save();
    let plain_file = root.path().join("plain.automerge");
    fs::write(&plain_file, &plain)?;
    let stats = device.storage_stats();
    let on_disk = dir_bytes(&dir)?;
    println!("| measure | Kintsugi | plain Automerge | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| size on disk, after {TAIL_DAYS} days arrived one by one ({compactions} automatic compactions) | {} B ({} snapshot + {} chunk files) | {} B | {:.3}x |",
        on_disk,
        stats.couple.snapshots,
        stats.couple.chunks,
        plain.len(),
        on_disk as f64 / plain.len() as f64
    );
    println!("| size on disk, peak over those {TAIL_DAYS} days | | | {peak_ratio:.3}x |");
    let compacted = device.compact()?;
    let after = dir_bytes(&dir)?;
    println!(
        "| size on disk, just compacted | {after} B (snapshot {} B) | {} B | {:.3}x |",
        compacted.couple.snapshot_bytes,
        plain.len(),
        after as f64 / plain.len() as f64
    );
    // The snapshot file holds exactly `save()` of this document: what it
    // adds is age's header and tags.
    let overhead = compacted.couple.snapshot_bytes as i64 - device.doc_mut()?.save().len() as i64;
    println!(
        "| encryption overhead of the snapshot file | {overhead} B | | {:.3}% |",
        overhead as f64 * 100.0 / plain.len() as f64
    );

    // Cold open, each in a fresh process.
    let exe = std::env::current_exe()?;
    let mut open = Vec::new();
    let mut load = Vec::new();
    for _ in 0..RUNS {
        open.push(child(
            &exe,
            &["open-child", dir.to_str().unwrap(), &key_text],
        )?);
        load.push(child(&exe, &["load-child", plain_file.to_str().unwrap()])?);
    }
    let (open_t, open_mem) = median(&mut open);
    let (load_t, load_mem) = median(&mut load);
    println!(
        "| cold open, fresh process (median of {RUNS}) | {:.1?} | {:.1?} | {:.3}x |",
        open_t,
        load_t,
        open_t.as_secs_f64() / load_t.as_secs_f64()
    );
    println!(
        "| peak memory of that process (VmHWM) | {} MiB | {} MiB | {:.2}x |",
        open_mem / 1024,
        load_mem / 1024,
        open_mem as f64 / load_mem as f64
    );

    // One check-in, durably (each on its own day: one per partner per day).
    let mut appends = Vec::new();
    for day in 4000..4060 {
        let input = checkin_on(day, "A quiet evening; we cooked together.")?;
        let t = Instant::now();
        device.record_checkin(&input)?;
        appends.push(t.elapsed());
    }
    // The storage part alone: the operation in memory, then the durable save.
    let mut persists = Vec::new();
    for day in 4100..4160 {
        let input = checkin_on(day, "Walked to the bakery and back.")?;
        device
            .doc_mut()?
            .record_checkin(&input, START + day * DAY_MS)?;
        let t = Instant::now();
        device.persist()?;
        persists.push(t.elapsed());
    }
    let mut save_plain = Vec::new();
    let mut save_durable = Vec::new();
    let mut compact = Vec::new();
    for _ in 0..RUNS {
        let doc = device.doc_mut()?.automerge_mut();
        let t = Instant::now();
        let bytes = doc.save();
        save_plain.push(t.elapsed());
        let path = root.path().join("plain-save.automerge");
        let t = Instant::now();
        let bytes2 = doc.save();
        let mut f = fs::File::create(&path)?;
        f.write_all(&bytes2)?;
        f.sync_all()?;
        save_durable.push(t.elapsed());
        drop((bytes, bytes2));
        let t = Instant::now();
        device.compact()?;
        compact.push(t.elapsed());
    }
    println!(
        "| record one check-in durably: operation + save (60 runs) | {} | | |",
        stats_line(&mut appends),
    );
    println!(
        "| of which the durable save (60 runs) | {} | plain `save()` + write + fsync: {} | {:.3}x (p50) |",
        stats_line(&mut persists),
        stats_line(&mut save_durable),
        median_t(&mut persists).as_secs_f64() / median_t(&mut save_durable).as_secs_f64()
    );
    println!(
        "| compaction (median of {RUNS}) | {:.1?} | `save()` {:.1?}; `save()` + write + fsync {:.1?} | {:.2}x of save() |",
        median_t(&mut compact),
        median_t(&mut save_plain),
        median_t(&mut save_durable),
        median_t(&mut compact).as_secs_f64() / median_t(&mut save_plain).as_secs_f64()
    );

    // The passphrase path: scrypt once per open.
    let pdir = root.path().join("passphrase");
    let pass = Unlock::passphrase("correct horse battery staple");
    Device::init(&pdir, "Ana", &pass)?;
    let t = Instant::now();
    Device::open(&pdir, &pass)?;
    println!(
        "\nUnlocking with a passphrase (CLI) adds one scrypt stretch per open: {:.0?} here. Phones use a host key from the keystore (X25519, the figures above).",
        t.elapsed()
    );
    Ok(())
}

/// A check-in on the fixture's `day`-th day.
fn checkin_on(day: i64, note: &str) -> Result<CheckInInput> {
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

fn child(exe: &Path, args: &[&str]) -> Result<(Duration, u64)> {
    let out = Command::new(exe).args(args).output()?;
    if !out.status.success() {
        bail!("{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8(out.stdout)?;
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .context("no result")?;
    let mut parts = line.split_whitespace().map(|p| p.parse::<u64>());
    let micros = parts.next().context("time")??;
    let kib = parts.next().context("memory")??;
    Ok((Duration::from_micros(micros), kib))
}

fn median(samples: &mut [(Duration, u64)]) -> (Duration, u64) {
    samples.sort();
    let t = samples[samples.len() / 2].0;
    let mut mem: Vec<u64> = samples.iter().map(|s| s.1).collect();
    mem.sort();
    (t, mem[mem.len() / 2])
}

fn median_t(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn stats_line(samples: &mut [Duration]) -> String {
    samples.sort();
    let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    format!("p50 {:.1?}, p99 {:.1?}", pick(0.5), pick(0.99))
}

fn dir_bytes(dir: &Path) -> Result<u64> {
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
