//! Sync figures on loopback for a generated couple, each beside its baseline
//! measured in the same run:
//!
//!   cargo run --release -p kintsugi-tests --bin sync-report -- [YEARS]
//!
//! - pairing time, payload shown to both confirmed (real iroh endpoints);
//! - a daily sync and a sync after 30 days apart, over Kintsugi's protocol
//!   with the persisted per-partner sync state: bytes both ways and round
//!   trips, beside the raw bytes of the missing changes and beside plain
//!   Automerge sync of the same data with a fresh sync state (as the
//!   iroh-automerge example does it);
//! - on-demand propagation: one check-in, then `sync_now`, until the partner
//!   holds it durably;
//! - live propagation: both devices keep in touch (`start_live`); one
//!   check-in recorded, until the partner holds it durably.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use automerge::sync::{State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use kintsugi_core::{CoupleDoc, Device};
use kintsugi_tests::fixture::{CoupleFixture, DAY_MS};
use kintsugi_tests::{Phone, checkin, pair};

/// 2016-01-04, a Monday: the fixture's first day.
const START: i64 = 1_451_865_600_000;

#[tokio::main]
async fn main() -> Result<()> {
    let years: u32 = std::env::args()
        .nth(1)
        .map(|y| y.parse())
        .transpose()?
        .unwrap_or(10);
    let root = tempfile::tempdir()?;

    // Pairing time.
    let mut pairing = Vec::new();
    for i in 0..15 {
        let a = Phone::new(&root, &format!("pa{i}")).await?;
        let b = Phone::new(&root, &format!("pb{i}")).await?;
        let t = Instant::now();
        pair(&a, &b).await?;
        pairing.push(t.elapsed());
        a.close().await;
        b.close().await;
    }
    println!(
        "pairing, payload to confirmed on both (15 runs): {}",
        stats(&mut pairing)
    );

    // The couple.
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    pair(&ana, &ben).await?;
    ben.node.sync_now().await?;
    let mut ana_fx = fork_of(&ana)?;
    let mut ben_fx = fork_of(&ben)?;
    let t = Instant::now();
    let days = years * 365 + years / 4;
    let counts = {
        let mut fx = CoupleFixture::new(&mut ana_fx, &mut ben_fx, 7);
        fx.live(START, days, 7);
        fx.sync();
        fx.counts
    };
    println!(
        "fixture: {years} years ({days} days) generated in {:.1?}: {} check-ins, {} agreements, {} requests done, {} appreciations, {} times together, {} questions, {} triggers, {} surveys, {} commitment logs",
        t.elapsed(),
        counts.checkins,
        counts.agreements,
        counts.requests_done,
        counts.appreciations,
        counts.dates,
        counts.questions,
        counts.triggers,
        counts.surveys,
        counts.commitment_logs
    );
    let snapshot_bytes = ana_fx.save().len();
    let changes = ana_fx.automerge_mut().get_changes(&[]).len();
    println!("document: {changes} changes, Automerge snapshot {snapshot_bytes} bytes");
    install(&ana, &mut ana_fx)?;
    install(&ben, &mut ben_fx)?;
    let first = ana.node.sync_now().await?;
    println!(
        "first sync after install (establishes the persisted state): {} B sent, {} B received, {} round trips",
        first.bytes_sent, first.bytes_received, first.frames_sent
    );

    println!();
    println!(
        "| scenario | Kintsugi bytes (both ways) | round trips | raw change bytes | plain Automerge, fresh state: bytes / round trips |"
    );
    println!("|---|---|---|---|---|");
    let mut day = days;
    for (label, apart) in [("daily sync (1 day)", 1u32), ("30 days apart", 30)] {
        // Both live `apart` days without syncing, from the same state.
        let heads_a = ana_fx.heads();
        let heads_b = ben_fx.heads();
        {
            let mut fx = CoupleFixture::new(&mut ana_fx, &mut ben_fx, u64::from(day));
            fx.live(START + i64::from(day) * DAY_MS, apart, 0);
        }
        day += apart;
        let raw = raw_bytes(ana_fx.automerge_mut(), &heads_a)
            + raw_bytes(ben_fx.automerge_mut(), &heads_b);
        let (plain_bytes, plain_trips) = plain_sync(ana_fx.automerge_mut(), ben_fx.automerge_mut());
        install(&ana, &mut ana_fx)?;
        install(&ben, &mut ben_fx)?;
        let report = ana.node.sync_now().await?;
        let ours = report.bytes_sent + report.bytes_received;
        println!(
            "| {label} | {ours} B ({:.2}× raw, raw + {} B) | {} | {raw} B | {plain_bytes} B / {plain_trips} |",
            ours as f64 / raw as f64,
            ours as i64 - raw as i64,
            report.frames_sent,
        );
        // Keep the fixture replicas in step with the devices.
        CoupleFixture::new(&mut ana_fx, &mut ben_fx, 0).sync();
    }

    // The plainest day: one check-in from each, with a note.
    let heads_a = ana.device().doc_mut()?.heads();
    let heads_b = ben.device().doc_mut()?.heads();
    ana.device().record_checkin(&kintsugi_tests::checkin_on(
        3000,
        5,
        "A quiet day; we ate together.",
    ))?;
    ben.device().record_checkin(&kintsugi_tests::checkin_on(
        3000,
        6,
        "Told her about my day without being asked.",
    ))?;
    let raw = raw_bytes(ana.device().doc_mut()?.automerge_mut(), &heads_a)
        + raw_bytes(ben.device().doc_mut()?.automerge_mut(), &heads_b);
    let report = ana.node.sync_now().await?;
    println!(
        "| one check-in each | {} B (raw + {} B) | {} | {raw} B | — |",
        report.bytes_sent + report.bytes_received,
        (report.bytes_sent + report.bytes_received) as i64 - raw as i64,
        report.frames_sent
    );

    // On-demand propagation of one check-in.
    let mut latency = Vec::new();
    for i in 0..100u32 {
        let t = Instant::now();
        ana.device()
            .record_checkin(&kintsugi_tests::checkin_on(4000 + i, 6, "one more evening"))
            .context("check-in")?;
        ana.node.sync_now().await?;
        latency.push(t.elapsed());
    }
    let _ = checkin;
    println!();
    println!(
        "on-demand propagation, check-in recorded to durable on the partner (100 runs): {}",
        stats(&mut latency)
    );

    // Live propagation: both keep in touch; nobody calls sync.
    ana.node.start_live();
    ben.node.start_live();
    let mut status = ana.node.status();
    tokio::time::timeout(
        Duration::from_secs(30),
        status.wait_for(|s| s.state == kintsugi_sync::SyncState::UpToDate),
    )
    .await
    .context("live sync did not connect")??;
    let mut received = ben.node.changes_received();
    let mut latency = Vec::new();
    for i in 0..200u32 {
        received.borrow_and_update();
        let t = Instant::now();
        ana.device()
            .record_checkin(&kintsugi_tests::checkin_on(5000 + i, 6, "said it out loud"))
            .context("check-in")?;
        // Bumped once the change is durable on Ben's side.
        tokio::time::timeout(Duration::from_secs(10), received.changed())
            .await
            .context("the check-in did not arrive live")??;
        latency.push(t.elapsed());
        // Let the acknowledgement settle, as between two real check-ins.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "live propagation, check-in recorded to durable on the partner (200 runs): {}",
        stats(&mut latency)
    );
    ana.close().await;
    ben.close().await;
    Ok(())
}

/// An in-memory replica of a phone's document, editing as that phone.
fn fork_of(phone: &Phone) -> Result<CoupleDoc> {
    let mut device = phone.device();
    let actor = device.profile().actor()?;
    let bytes = device.doc_mut()?.save();
    Ok(CoupleDoc::load(&bytes, &actor)?)
}

/// Gives a phone what its replica wrote, as if the app had written it.
fn install(phone: &Phone, replica: &mut CoupleDoc) -> Result<()> {
    let bytes = replica.save();
    let mut device: std::sync::MutexGuard<'_, Device> = phone.device();
    device.update(|doc, _| doc.merge_bytes(&bytes))?;
    Ok(())
}

fn raw_bytes(doc: &mut AutoCommit, since: &[ChangeHash]) -> u64 {
    doc.get_changes(since)
        .iter()
        .map(|c| c.raw_bytes().len() as u64)
        .sum()
}

/// Plain Automerge sync of two copies with fresh states: bytes and round trips.
fn plain_sync(a: &mut AutoCommit, b: &mut AutoCommit) -> (u64, u32) {
    let (mut a, mut b) = (a.fork(), b.fork());
    let (mut sa, mut sb) = (State::new(), State::new());
    let (mut bytes, mut trips) = (0u64, 0u32);
    loop {
        let mut quiet = true;
        if let Some(m) = a.sync().generate_sync_message(&mut sa) {
            let enc = m.encode();
            bytes += enc.len() as u64;
            b.sync()
                .receive_sync_message(
                    &mut sb,
                    automerge::sync::Message::decode(&enc).expect("decodes"),
                )
                .expect("applies");
            quiet = false;
        }
        if let Some(m) = b.sync().generate_sync_message(&mut sb) {
            let enc = m.encode();
            bytes += enc.len() as u64;
            a.sync()
                .receive_sync_message(
                    &mut sa,
                    automerge::sync::Message::decode(&enc).expect("decodes"),
                )
                .expect("applies");
            quiet = false;
        }
        if quiet {
            break;
        }
        trips += 1;
    }
    assert_eq!(a.get_heads(), b.get_heads());
    (bytes, trips)
}

fn stats(samples: &mut [Duration]) -> String {
    samples.sort();
    let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "p50 {:.1?}, p99 {:.1?}, max {:.1?}",
        pick(0.5),
        pick(0.99),
        samples[samples.len() - 1]
    )
}
