//! Peak memory at every door, measured by a counting allocator: what taking
//! in the largest input a door accepts makes this device allocate on top of
//! what it held before (its open document), and what it still holds after.
//! The allocator counts per thread and each door's work runs on the calling
//! thread, so tests running at the same time do not add to the figures.
//!
//! The ten-year figures (the first sync as several messages, a daily sync,
//! an import and a backup's history taken in) come from an ignored test in
//! a release build:
//!
//! ```text
//! cargo test --release -p kintsugi-tests --test memory -- --ignored --nocapture
//! ```

use anyhow::{Result, ensure};
use automerge::ActorId;
use kintsugi_core::CoupleDoc;
use kintsugi_tests::bench::couple::Couple;
use kintsugi_tests::bench::doors::{self, BOUND};
use kintsugi_tests::counting::{Counting, Memory, measure};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A sync message (live or on-demand) holding as much as a device accepts,
/// in each shape a partner's app can send it: a chunk per change,
/// Automerge's single V2 entry, one document chunk (a first sync). Each is
/// taken in whole within the bound, and the budget's estimate stays above
/// what was measured (the estimate is what keeps every other shape in).
#[test]
fn the_largest_sync_message_a_device_accepts_costs_at_most_64_mib() -> Result<()> {
    for (shape, cost, memory) in doors::largest_message_costs(40)? {
        println!(
            "{}: {} changes, {} operations, {} bytes, estimate {:.1} MiB; {memory}",
            shape.what,
            cost.changes,
            cost.ops,
            shape.bytes.len(),
            Memory::mib(cost.memory() as i64)
        );
        ensure!(memory.peak > 0, "the allocator counted nothing");
        let calibrating = std::env::var_os("KINTSUGI_CALIBRATE").is_some();
        ensure!(
            memory.peak <= BOUND || calibrating,
            "{}: {memory}",
            shape.what
        );
        ensure!(
            memory.peak <= cost.memory() as i64 || calibrating,
            "{}: the estimate ({:.1} MiB) is below what was measured ({memory})",
            shape.what,
            Memory::mib(cost.memory() as i64)
        );
    }
    Ok(())
}

/// The first document at pairing, the largest a joiner accepts (a new
/// space, held to one message's limits): the same history as the largest
/// sync message, as a whole document, loaded through the door.
#[test]
fn the_largest_first_document_at_pairing_costs_at_most_64_mib() -> Result<()> {
    let (shapes, _, mut ben) = doors::largest_messages(40)?;
    let shape = shapes
        .iter()
        .find(|s| s.what == "one document chunk")
        .expect("the document shape");
    let message = automerge::sync::Message::decode(&shape.bytes)?;
    let document = message.changes.iter().next().expect("a chunk").to_vec();
    kintsugi_core::precheck_document(&document, kintsugi_core::sync_budget::MESSAGE)?;
    let door = kintsugi_tests::fixture_door(&ben);
    let _ = ben.heads();
    let (loaded, memory) =
        measure(|| CoupleDoc::load_received(&document, &ActorId::from(vec![0xc; 16]), &door));
    let mut loaded = loaded?;
    println!(
        "first document: {} bytes, {} changes; {memory}",
        document.len(),
        loaded.automerge_mut().get_changes(&[]).len()
    );
    ensure!(memory.peak > 0, "the allocator counted nothing");
    ensure!(memory.peak <= BOUND, "first document: {memory}");
    Ok(())
}

/// The ten-year couple: the first sync (as a restored device takes it
/// back), a daily sync, an import of the whole export and a backup's
/// history taken in, each within the bound.
#[test]
#[ignore = "the ten-year fixture: minutes in a release build"]
fn ten_years_through_every_door_within_64_mib() -> Result<()> {
    let couple = Couple::get_blocking(10)?;
    let document = couple.document()?;

    let first = doors::first_sync(&document)?;
    println!("first sync: {first:?}");
    ensure!(first.messages > 1, "one message: {first:?}");
    ensure!(first.memory.peak <= BOUND, "first sync: {}", first.memory);

    let (through, plain, memory) = doors::daily_sync(&document)?;
    println!(
        "daily sync: through the door {}, Automerge alone {}; {memory}",
        through.p50_p99(),
        plain.p50_p99()
    );
    ensure!(memory.peak <= BOUND, "daily sync: {memory}");

    // A file holding the whole history (an import of the export, a
    // backup's history taken in) on a device that holds all of it but its
    // last 20 changes.
    let all = automerge::AutoCommit::load(&document)?.get_changes(&[]);
    let mut behind = automerge::AutoCommit::new();
    behind.apply_changes(all[..all.len() - 20].to_vec())?;
    drop(all);
    let ana = couple.ana_doc()?;
    let mut device = CoupleDoc::load(&behind.save(), &ActorId::random())?.as_member(ana.me());
    drop(behind);
    let door = kintsugi_tests::fixture_door(&ana);
    drop(ana);
    let (merged, memory) = measure(|| device.merge_received(&document, &door));
    println!("a file of the whole history, 20 changes new: {merged:?}; {memory}");
    ensure!(merged? == 20, "the 20 new changes");
    ensure!(memory.peak <= BOUND, "file: {memory}");
    drop(device);

    // A bundle of the whole history (a full bundle to a device that holds
    // only the space's first change): checked whole, applied in parts.
    let all = automerge::AutoCommit::load(&document)?.get_changes(&[]);
    let mut seed = automerge::AutoCommit::new();
    seed.apply_changes(all[..1].to_vec())?;
    let ana = couple.ana_doc()?;
    let mut device = CoupleDoc::load(&seed.save(), &ActorId::random())?.as_member(ana.me());
    let door = kintsugi_tests::fixture_door(&ana);
    drop(ana);
    let rest = all[1..].to_vec();
    drop(all);
    let (received, memory) = measure(|| device.receive_changes(rest, 1_900_000_000_000, &door));
    println!("a bundle of the whole history: {received:?}; {memory}");
    received?;
    ensure!(memory.peak <= BOUND, "bundle: {memory}");
    Ok(())
}

/// Where a daily sync's time goes on the ten-year document (printed).
#[test]
#[ignore = "the ten-year fixture: a release build"]
fn daily_sync_steps_on_ten_years() -> Result<()> {
    use std::time::Instant;
    let couple = Couple::get_blocking(10)?;
    let document = couple.document()?;
    let members = CoupleDoc::load(&document, &ActorId::random())?.members();
    let (ana_id, ben_id) = (members[0].id.clone(), members[1].id.clone());
    let actor = |id: &str| doors::actor_of(id).expect("a member id is an actor's hex");
    let mut ben = CoupleDoc::load(&document, &actor(&ben_id))?;
    let base = ben.heads();
    ben.record_checkin(&doors::calm_checkin(), 1_900_000_000_000)?;
    let changes = ben.automerge_mut().get_changes(&base);
    let door = doors::door(&ana_id, &ben_id);
    for _ in 0..3 {
        let mut ana = CoupleDoc::load(&document, &actor(&ana_id))?;
        let t = Instant::now();
        let n = ana.receive_changes(changes.clone(), 1_900_000_000_000, &door)?;
        let through = t.elapsed();
        let mut plain = automerge::AutoCommit::load(&document)?;
        let t = Instant::now();
        plain.apply_changes(changes.clone())?;
        let alone = t.elapsed();
        let mut ana = CoupleDoc::load(&document, &actor(&ana_id))?;
        let t = Instant::now();
        let _ = ana.automerge_mut().get_heads();
        let heads = t.elapsed();
        let t = Instant::now();
        let _ = ana.automerge_mut().get_missing_deps(&[]);
        let missing = t.elapsed();
        let t = Instant::now();
        let _ = ana.automerge_mut().get_changes_meta(&base).len();
        let meta = t.elapsed();
        let bytes = doors::message_of(
            changes.iter().map(|c| c.raw_bytes().to_vec()).collect(),
            automerge::sync::MessageVersion::V1,
        );
        let mut ana = CoupleDoc::load(&document, &actor(&ana_id))?;
        let t = Instant::now();
        let (r, _) = doors::receive(&mut ana, &mut automerge::sync::State::new(), &door, &bytes);
        r?;
        let message_path = t.elapsed();
        println!(
            "message path {message_path:?}; {n} new: through the door {through:?}, apply alone {alone:?}; heads {heads:?}, missing deps {missing:?}, changes_meta {meta:?}"
        );
    }
    Ok(())
}

/// The largest file a device accepts (an import, a partner's backup taken
/// in): a whole document at the file limits, every change new, through the
/// door. Ignored: it writes 150,000 operations (a minute in a debug build).
#[test]
#[ignore = "150,000 operations: run in a release build"]
fn the_largest_file_a_device_accepts_costs_at_most_64_mib() -> Result<()> {
    let limits = kintsugi_core::sync_budget::DOCUMENT;
    let (mut ana, mut ben) = doors::paired()?;
    let ana_id = ana.me().to_owned();
    let ben_id = ben.me().to_owned();
    let per_change = 3_600u64; // records of 5 operations: 18,000 a change
    let mut n = 0u64;
    loop {
        let mut trial = CoupleDoc::load(&ben.save(), ben.automerge_mut().get_actor())?;
        let am = trial.automerge_mut();
        doors::put_appreciations(am, &ben_id, &ana_id, n..n + per_change)?;
        n += per_change;
        am.commit();
        let file = trial.save();
        if kintsugi_core::precheck_document(&file, limits).is_err() {
            break;
        }
        ben = trial;
    }
    let file = ben.save();
    let cost = kintsugi_core::precheck_document(&file, limits)?;
    let door = kintsugi_tests::fixture_door(&ben);
    let (merged, memory) = measure(|| ana.merge_received(&file, &door));
    println!(
        "the largest file: {} bytes, {} changes, {} operations; merged {merged:?}; {memory}",
        file.len(),
        cost.changes,
        cost.ops
    );
    merged?;
    ensure!(memory.peak <= BOUND, "file: {memory}");
    Ok(())
}
