//! Sync figures over real iroh endpoints on loopback, each beside its
//! baseline measured in the same run:
//!
//! - pairing time, QR payload to confirmed on both, beside a bare iroh
//!   connection with one message echoed;
//! - daily syncs (a week of them) and a sync after 30 days apart, over
//!   Kintsugi's protocol from the persisted per-partner sync state: bytes
//!   both ways and round trips, beside the raw bytes of the missing changes
//!   and beside plain Automerge sync of the same data from a fresh sync
//!   state (as the iroh-automerge example does it);
//! - recording a check-in right after a sync brought the partner's day;
//! - on-demand propagation (one check-in, then `sync_now`) and live
//!   propagation (`start_live`, nobody calls sync) until the partner holds
//!   the check-in durably, beside an echo on an open iroh stream.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use kintsugi_core::device::Listener;
use kintsugi_core::{ChangeEvent, CoupleDoc};
use kintsugi_sync::{Direction, SyncState};

use super::START;
use super::couple::{Couple, fork_of, scratch};
use super::net;
use super::report::{Report, Samples, Target, bytes, ms};
use crate::fixture::{CoupleFixture, DAY_MS};
use crate::{Phone, pair};

const PAIRINGS: usize = 15;
const DAILY_SYNCS: u32 = 7;
const ON_DEMAND: u32 = 100;
const LIVE: u32 = 200;

pub async fn run(couple: &Couple, report: &mut Report) -> Result<()> {
    let root = scratch()?;
    let floor = net::floor(200).await?;

    eprintln!("sync: pairing, {PAIRINGS} times");
    let mut pairing = Samples::new();
    for i in 0..PAIRINGS {
        let a = Phone::new(&root, &format!("pa{i}")).await?;
        let b = Phone::new(&root, &format!("pb{i}")).await?;
        let t = Instant::now();
        pair(&a, &b).await?;
        pairing.push(t.elapsed());
        a.close().await;
        b.close().await;
    }
    report.row(
        format!("pairing, QR payload to confirmed on both ({PAIRINGS} runs)"),
        pairing.p50_p99(),
        format!(
            "bare iroh: new connection + one echo: {}",
            floor.connect_and_echo.p50_p99()
        ),
        "",
        None,
    );

    let (ana, ben) = couple.open_phones(&root).await?;
    let first = &couple.meta["first_sync"];
    report.note(format!(
        "The first sync after the whole history arrived (when the cache was generated): {} B sent, {} B received, {} round trips.",
        first["bytes_sent"], first["bytes_received"], first["round_trips"]
    ));

    // Days the two live apart, then sync: a week of daily syncs, then 30 days.
    let mut day = couple.days();
    let mut daily = Vec::new();
    eprintln!("sync: {DAILY_SYNCS} daily syncs and one after 30 days apart");
    for _ in 0..DAILY_SYNCS {
        daily.push(apart_then_sync(&ana, &ben, &mut day, 1).await?);
    }
    report.note(format!(
        "The {DAILY_SYNCS} daily syncs, day by day (bytes both ways, raw change bytes): {}.",
        daily
            .iter()
            .map(|s| format!(
                "{} {} ({})",
                super::views::day_of(START + i64::from(s.first_day) * DAY_MS),
                bytes(s.ours),
                bytes(s.raw)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    daily.sort_by_key(|s| s.ours);
    let median = &daily[daily.len() / 2];
    let worst = &daily[daily.len() - 1];
    let most_trips = daily.iter().map(|s| s.trips).max().unwrap_or(0);
    report.note(format!(
        "Sync bytes are the sync messages' bytes both ways, as `SyncReport` counts them; each frame adds a 4-byte length, and QUIC and TLS their own framing. The median daily sync, message by message (Ana dials): {}.",
        describe_frames(&median.frames)
    ));
    report.row(
        format!(
            "daily sync, 1 day apart: bytes both ways (median of {DAILY_SYNCS} days; largest), round trips"
        ),
        format!(
            "{} ({}), {} round trips",
            bytes(median.ours),
            bytes(worst.ours),
            most_trips
        ),
        format!(
            "raw change bytes {} (raw + {} B); plain Automerge, fresh state: {} in {} round trips",
            bytes(median.raw),
            median.ours as i64 - median.raw as i64,
            bytes(median.plain),
            median.plain_trips
        ),
        format!("{:.2}× raw", median.ours as f64 / median.raw as f64),
        Some(Target::new("≤ 1.5 KB", median.ours <= 1536)),
    );
    let month = apart_then_sync(&ana, &ben, &mut day, 30).await?;
    let limit = 1.05 * month.raw as f64 + 1024.0;
    report.row(
        "sync after 30 days apart: bytes both ways, round trips",
        format!("{}, {} round trips", bytes(month.ours), month.trips),
        format!(
            "raw change bytes {} (raw + {} B); plain Automerge, fresh state: {} in {} round trips",
            bytes(month.raw),
            month.ours as i64 - month.raw as i64,
            bytes(month.plain),
            month.plain_trips
        ),
        format!("{:.3}× raw", month.ours as f64 / month.raw as f64),
        Some(Target::new(
            "≤ 1.05× raw + 1 KB, ≤ 2 round trips",
            month.ours as f64 <= limit && month.trips <= 2,
        )),
    );

    // The plainest day: one check-in from each, with a note.
    let heads_a = ana.device().doc_mut()?.heads();
    let heads_b = ben.device().doc_mut()?.heads();
    let n = i64::from(day);
    ana.device()
        .record_checkin(&checkin_at(n, 5, "A quiet day; we ate together.")?)?;
    ben.device().record_checkin(&checkin_at(
        n,
        6,
        "Told her about my day without being asked.",
    )?)?;
    let raw = raw_bytes(ana.device().doc_mut()?.automerge_mut(), &heads_a)
        + raw_bytes(ben.device().doc_mut()?.automerge_mut(), &heads_b);
    let sync = ana.node.sync_now().await?;
    let ours = sync.bytes_sent + sync.bytes_received;
    report.row(
        "sync of one check-in from each (with a note)",
        format!("{}, {} round trips", bytes(ours), sync.frames_sent),
        format!(
            "raw change bytes {} (raw + {} B)",
            bytes(raw),
            ours as i64 - raw as i64
        ),
        format!("{:.2}× raw", ours as f64 / raw as f64),
        Some(Target::new("≤ 1.5 KB", ours <= 1536)),
    );
    day += 1;

    // A check-in recorded right after a sync brought the partner's day: the
    // everyday case on a phone.
    eprintln!("sync: check-ins after a sync");
    let mut after_sync = Samples::new();
    for _ in 0..20 {
        let n = i64::from(day);
        ben.device()
            .record_checkin(&checkin_at(n, 6, "We walked after dinner.")?)?;
        ana.node.sync_now().await?;
        let input = checkin_at(n, 5, "Better than yesterday.")?;
        let t = Instant::now();
        ana.device().record_checkin(&input)?;
        after_sync.push(t.elapsed());
        ana.node.sync_now().await?;
        day += 1;
    }
    report.row(
        "append one check-in durably, right after a sync brought the partner's day (20 runs)",
        after_sync.p50_p99(),
        "",
        "",
        None,
    );

    // On-demand propagation of one check-in. Each on a day of its own
    // after the history and the days above, at any age: a new check-in,
    // not a revision of an old one.
    eprintln!("sync: on-demand and live propagation");
    let fresh = i64::from(day) + 100;
    let mut on_demand = Samples::new();
    for i in 0..ON_DEMAND {
        let input = checkin_at(fresh + i64::from(i), 6, "one more evening")?;
        let t = Instant::now();
        ana.device().record_checkin(&input).context("check-in")?;
        ana.node.sync_now().await?;
        on_demand.push(t.elapsed());
    }
    report.row(
        format!(
            "on-demand propagation: check-in recorded, `sync_now`, durable on the partner ({ON_DEMAND} runs)"
        ),
        on_demand.p50_p99(),
        format!(
            "bare iroh: new connection + one echo: {}",
            floor.connect_and_echo.p50_p99()
        ),
        "",
        None,
    );

    // Live propagation: both keep in touch; nobody calls sync.
    ana.node.start_live();
    ben.node.start_live();
    let mut status = ana.node.status();
    tokio::time::timeout(
        Duration::from_secs(30),
        status.wait_for(|s| s.state == SyncState::UpToDate),
    )
    .await
    .context("live sync did not connect")??;
    let mut received = ben.node.changes_received();
    let mut live = Samples::new();
    for i in 0..LIVE {
        received.borrow_and_update();
        let input = checkin_at(fresh + i64::from(ON_DEMAND + i), 6, "said it out loud")?;
        let t = Instant::now();
        ana.device().record_checkin(&input).context("check-in")?;
        // Bumped once the change is durable on Ben's side.
        tokio::time::timeout(Duration::from_secs(10), received.changed())
            .await
            .context("the check-in did not arrive live")??;
        live.push(t.elapsed());
        // Let the acknowledgement settle, as between two real check-ins.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let fsync = net::durable_write(root.path(), 50)?;
    report.row(
        format!(
            "live propagation: check-in recorded to durable on the partner, no sync call ({LIVE} runs)"
        ),
        format!("{}, max {}", live.p50_p99(), ms(live.max())),
        format!(
            "bare iroh echo on an open stream: {}; one atomic 1 KiB durable write: {}",
            floor.echo.p50_p99(),
            fsync.p50_p99()
        ),
        "",
        Some(Target::new("p99 ≤ 20 ms", live.p99() <= Duration::from_millis(20))),
    );

    // The same with an observer subscribed on each phone, as an app keeps
    // one: Ana's hears her own write, Ben's the arrival.
    let (tx, mut heard) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let ben_hears: Arc<Listener> = Arc::new(move |event: &ChangeEvent| {
        if event.from_partner {
            let _ = tx.send(Instant::now());
        }
    });
    let own = Arc::new(AtomicUsize::new(0));
    let counted = own.clone();
    let ana_hears: Arc<Listener> = Arc::new(move |event: &ChangeEvent| {
        if event.local {
            counted.fetch_add(1, Ordering::Relaxed);
        }
    });
    ben.device().on_change(&ben_hears);
    ana.device().on_change(&ana_hears);
    let mut observed = Samples::new();
    for i in 0..LIVE {
        while heard.try_recv().is_ok() {}
        let input = checkin_at(
            fresh + i64::from(ON_DEMAND + LIVE + i),
            6,
            "we laughed at dinner",
        )?;
        let t = Instant::now();
        ana.device().record_checkin(&input).context("check-in")?;
        let at = tokio::time::timeout(Duration::from_secs(10), heard.recv())
            .await
            .context("Ben's observer heard nothing")?
            .context("Ben's observer went away")?;
        observed.push(at.duration_since(t));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if own.load(Ordering::Relaxed) < LIVE as usize {
        bail!("Ana's observer missed her own check-ins");
    }
    report.row(
        format!(
            "live propagation with an observer on each phone: check-in recorded to the partner's observer hearing it ({LIVE} runs)"
        ),
        format!("{}, max {}", observed.p50_p99(), ms(observed.max())),
        format!("without observers, to durable: {}", live.p50_p99()),
        "",
        Some(Target::new(
            "p99 ≤ 10 ms",
            observed.p99() <= Duration::from_millis(10),
        )),
    );
    ana.close().await;
    ben.close().await;
    Ok(())
}

/// A check-in for the fixture's `day`-th day.
fn checkin_at(day: i64, safety: i64, note: &str) -> Result<kintsugi_core::CheckInInput> {
    let mut input = super::storage::checkin_on(day, note)?;
    input.safety = safety;
    Ok(input)
}

/// One sync after living apart.
struct Apart {
    /// Kintsugi's bytes both ways.
    ours: u64,
    trips: u32,
    raw: u64,
    plain: u64,
    plain_trips: u32,
    /// The first day lived apart (days since the fixture's start).
    first_day: u32,
    /// Every frame Ana sent and received, in order.
    frames: Vec<(Direction, Vec<u8>)>,
}

/// Both phones live `days` days without syncing (each writing what needs
/// nothing from the other), then Ana syncs with Ben.
async fn apart_then_sync(ana: &Phone, ben: &Phone, day: &mut u32, days: u32) -> Result<Apart> {
    let mut ana_fx = fork_of(ana)?;
    let mut ben_fx = fork_of(ben)?;
    let heads_a = ana_fx.heads();
    let heads_b = ben_fx.heads();
    let first_day = *day;
    {
        let mut fx = CoupleFixture::new(&mut ana_fx, &mut ben_fx, u64::from(*day)).after_days(*day);
        fx.live(START + i64::from(*day) * DAY_MS, days, 0);
    }
    *day += days;
    let raw =
        raw_bytes(ana_fx.automerge_mut(), &heads_a) + raw_bytes(ben_fx.automerge_mut(), &heads_b);
    let (plain, plain_trips) = plain_sync(ana_fx.automerge_mut(), ben_fx.automerge_mut());
    install_since(ana, &mut ana_fx, &heads_a)?;
    install_since(ben, &mut ben_fx, &heads_b)?;
    let frames = Arc::new(Mutex::new(Vec::new()));
    let tap = frames.clone();
    ana.node.set_wire_tap(Some(Arc::new(move |d, f: &[u8]| {
        tap.lock().unwrap().push((d, f.to_vec()))
    })));
    let report = ana.node.sync_now().await;
    ana.node.set_wire_tap(None);
    let report = report?;
    let frames = std::mem::take(&mut *frames.lock().unwrap());
    Ok(Apart {
        ours: report.bytes_sent + report.bytes_received,
        trips: report.frames_sent,
        raw,
        plain,
        plain_trips,
        first_day,
        frames,
    })
}

/// What each sync message of a session carried: "Ana→Ben 74 B (heads 1,
/// need 0, have 1 with a 5 B bloom filter, changes 0 B)".
fn describe_frames(frames: &[(Direction, Vec<u8>)]) -> String {
    frames
        .iter()
        .map(|(direction, frame)| {
            let who = match direction {
                Direction::Sent => "Ana→Ben",
                Direction::Received => "Ben→Ana",
            };
            if frame.is_empty() {
                return format!("{who} empty frame");
            }
            match Message::decode(frame) {
                Ok(m) => {
                    let changes: usize = m.changes.iter().map(<[u8]>::len).sum();
                    let bloom: usize = m.have.iter().map(|h| h.bloom.to_bytes().len()).sum();
                    let last_sync: usize = m.have.iter().map(|h| h.last_sync.len()).sum();
                    format!(
                        "{who} {} B (v{}; {} heads, {} needs, {} last-sync hashes, bloom filter {} B, changes {} B: {} B besides them)",
                        frame.len(),
                        if frame[0] == 0x43 { 2 } else { 1 },
                        m.heads.len(),
                        m.need.len(),
                        last_sync,
                        bloom,
                        changes,
                        frame.len() - changes
                    )
                }
                Err(_) => format!("{who} {} B (undecodable)", frame.len()),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Gives a phone what its replica wrote since `since`, in one durable
/// write, as if the app had written it.
pub fn install_since(phone: &Phone, replica: &mut CoupleDoc, since: &[ChangeHash]) -> Result<()> {
    let changes: Vec<u8> = replica
        .automerge_mut()
        .get_changes(since)
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect();
    if !changes.is_empty() {
        phone.device().update(|doc, _| doc.merge_bytes(&changes))?;
    }
    Ok(())
}

pub fn raw_bytes(doc: &mut AutoCommit, since: &[ChangeHash]) -> u64 {
    doc.get_changes(since)
        .iter()
        .map(|c| c.raw_bytes().len() as u64)
        .sum()
}

/// Plain Automerge sync of two copies with fresh states: bytes and round
/// trips (a round trip: one message each way, the first side speaking).
pub fn plain_sync(a: &mut AutoCommit, b: &mut AutoCommit) -> (u64, u32) {
    let (mut a, mut b) = (a.fork(), b.fork());
    let (mut sa, mut sb) = (State::new(), State::new());
    let (mut total, mut trips) = (0u64, 0u32);
    loop {
        let mut quiet = true;
        if let Some(m) = a.sync().generate_sync_message(&mut sa) {
            let enc = m.encode();
            total += enc.len() as u64;
            b.sync()
                .receive_sync_message(&mut sb, Message::decode(&enc).expect("decodes"))
                .expect("applies");
            quiet = false;
        }
        if let Some(m) = b.sync().generate_sync_message(&mut sb) {
            let enc = m.encode();
            total += enc.len() as u64;
            a.sync()
                .receive_sync_message(&mut sa, Message::decode(&enc).expect("decodes"))
                .expect("applies");
            quiet = false;
        }
        if quiet {
            break;
        }
        trips += 1;
    }
    assert_eq!(a.get_heads(), b.get_heads());
    (total, trips)
}
