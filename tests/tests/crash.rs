//! Crash safety of the storage layer, proven by killing a real process.
//!
//! A child process (this test binary, re-run in child mode) writes agreements
//! and journal entries, compacts, and prints `ACK <text>` after each call
//! returns. It is armed to SIGKILL itself at the k-th file step (create,
//! write, fsync, rename, directory fsync, delete) for every k the scenario
//! takes. After each crash the parent opens the directory and checks that
//! every acknowledged change is there, nothing is reported damaged, and the
//! device goes on working.
//!
//! The full-disk and read-only tests inject an I/O error at every step of a
//! save instead, in this process.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use anyhow::{Context, Result, bail, ensure};
use kintsugi_core::storage::faults::{self, Fault};
use kintsugi_core::{CompactionPolicy, CoreError, Device, Unlock};
use kintsugi_tests::copy_dir;

const CHILD_ENV: &str = "KINTSUGI_CRASH_CHILD_DIR";
const CRASH_AT_ENV: &str = "KINTSUGI_CRASH_AT";
const KEY_ENV: &str = "KINTSUGI_CRASH_KEY";

/// Fault points are process-wide: the tests that arm them, and the test
/// that writes in this process while they might, take turns.
static FAULTS: Mutex<()> = Mutex::new(());

/// A policy small enough that the scenario batches chunks, starts new
/// ones and compacts by itself within a few dozen saves.
fn tight_policy() -> CompactionPolicy {
    CompactionPolicy {
        batch_bytes: 1024,
        chunk_percent: 40,
        min_chunk_bytes: 0,
    }
}

fn agreements(device: &Device) -> BTreeSet<String> {
    device
        .agreements()
        .unwrap()
        .iter()
        .map(|a| a.text().to_owned())
        .collect()
}

fn journal(device: &Device) -> BTreeSet<String> {
    device
        .private()
        .unwrap()
        .journal()
        .into_iter()
        .map(|e| e.text)
        .collect()
}

/// The scenario the child runs; `ack` is called after each durable return.
fn scenario(device: &mut Device, mut ack: impl FnMut(&str)) -> Result<()> {
    for i in 0..14 {
        let text = format!("agreement {i}");
        device.propose_agreement(&text)?;
        ack(&text);
        if i % 4 == 1 {
            let text = format!("journal {i}");
            device.update_private(|p, now| p.write_journal(&text, now))?;
            ack(&text);
        }
        if i == 7 {
            device.compact()?;
            ack("compacted");
        }
    }
    Ok(())
}

/// Child mode: does nothing in a normal test run.
#[test]
fn crash_child() -> Result<()> {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return Ok(());
    };
    let unlock = Unlock::host_key(&std::env::var(KEY_ENV)?)?;
    let mut device = Device::open(&dir, &unlock)?;
    device.set_compaction_policy(tight_policy());
    let crash_at: u64 = std::env::var(CRASH_AT_ENV)?.parse()?;
    if crash_at == 0 {
        faults::count_only();
    } else {
        faults::arm(crash_at, Fault::Kill);
    }
    let mut out = std::io::stdout().lock();
    // libtest has printed "test crash_child ... " without a line break.
    writeln!(out)?;
    scenario(&mut device, |text| {
        // Straight to the pipe: what was printed survives the kill.
        writeln!(out, "ACK {text}").unwrap();
        out.flush().unwrap();
    })?;
    let steps = faults::disarm();
    writeln!(out, "STEPS {steps}")?;
    out.flush()?;
    Ok(())
}

/// Runs the child on `dir`; returns its acknowledgements, the step count it
/// printed (when it finished) and whether it was killed.
fn run_child(dir: &Path, key: &str, crash_at: u64) -> Result<(Vec<String>, Option<u64>, bool)> {
    let output = Command::new(std::env::current_exe()?)
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .env(KEY_ENV, key)
        .env(CRASH_AT_ENV, crash_at.to_string())
        .output()
        .context("running the child")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let acks = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ACK "))
        .map(str::to_owned)
        .collect();
    let steps = stdout
        .lines()
        .find_map(|l| l.strip_prefix("STEPS "))
        .and_then(|s| s.trim().parse().ok());
    let killed = output.status.signal() == Some(libc::SIGKILL);
    if !killed && !output.status.success() {
        bail!(
            "child failed at crash point {crash_at}: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok((acks, steps, killed))
}

fn base_device(dir: &Path, unlock: &Unlock) -> Result<()> {
    let mut device = Device::init(dir, "Ana", unlock)?;
    device.start_couple()?;
    device.propose_agreement("written before the crashes")?;
    device.update_private(|p, now| p.write_journal("before the crashes", now))?;
    Ok(())
}

#[test]
fn every_acknowledged_change_survives_a_kill_at_every_file_step() -> Result<()> {
    // This process writes too (checking each crashed directory): no fault
    // armed by another test may hit those writes.
    let _turn = FAULTS.lock().unwrap_or_else(|p| p.into_inner());
    let tmp = tempfile::tempdir()?;
    let key = Unlock::generate_host_key();
    let key_text = age_text(&key);
    let unlock = Unlock::host_key(&key_text)?;
    let base = tmp.path().join("base");
    base_device(&base, &unlock)?;

    // A clean run counts the steps and checks the scenario itself.
    let clean = tmp.path().join("clean");
    copy_dir(&base, &clean)?;
    let (acks, steps, killed) = run_child(&clean, &key_text, 0)?;
    let steps = steps.context("the clean run printed no step count")?;
    ensure!(!killed && acks.len() == 19, "clean run: {acks:?}");
    ensure!(steps >= 150, "only {steps} crash points");

    // Timestamps inside changes can shift a size, and so a compaction, by a
    // step or two between runs: go on until a run finishes uncrashed.
    let mut crashed = 0;
    for k in 1.. {
        let dir = tmp.path().join(format!("crash-{k}"));
        copy_dir(&base, &dir)?;
        let (acks, taken, killed) = run_child(&dir, &key_text, k)?;
        if !killed {
            // The scenario finished in fewer than k steps: every step of it
            // has had its crash.
            ensure!(
                acks.len() == 19 && taken.is_some_and(|t| t < k),
                "run {k} ended early: {} acks, {taken:?} steps",
                acks.len()
            );
            break;
        }
        crashed += 1;

        let mut device = Device::open(&dir, &unlock)
            .with_context(|| format!("opening after a crash at step {k}"))?;
        ensure!(
            device.damage().is_empty(),
            "crash at step {k} left damage: {:?}",
            device.damage()
        );
        let (have, journaled) = (agreements(&device), journal(&device));
        ensure!(have.contains("written before the crashes"));
        for ack in &acks {
            let found = if ack.starts_with("agreement") {
                have.contains(ack)
            } else if ack.starts_with("journal") {
                journaled.contains(ack)
            } else {
                true
            };
            ensure!(found, "crash at step {k}: acknowledged {ack:?} is lost");
        }
        // At most the one change in flight may be there without its ACK.
        ensure!(
            have.len() + journaled.len() <= acks.len() + 3,
            "crash at step {k}: more on disk than was written"
        );
        // The directory is clean and usable: no temporary file left, and
        // the next save works.
        device.propose_agreement("after the crash")?;
        let reopened = Device::open(&dir, &unlock)?;
        ensure!(agreements(&reopened).contains("after the crash"));
        for sub in ["couple", "private", ""] {
            for entry in fs::read_dir(dir.join(sub))? {
                let name = entry?.file_name();
                ensure!(
                    !name.to_string_lossy().starts_with(".tmp-"),
                    "crash at step {k}: {name:?} left behind"
                );
            }
        }
        fs::remove_dir_all(&dir)?;
    }
    ensure!(crashed >= 150, "only {crashed} crash points");
    println!("{crashed} crash points, every acknowledged change kept");
    Ok(())
}

fn age_text(key: &age::secrecy::SecretString) -> String {
    use age::secrecy::ExposeSecret;
    key.expose_secret().to_owned()
}

/// Injects `fault` at each step of one save and checks what a user would:
/// a clear error, nothing acknowledged lost, memory agreeing with disk, and
/// the next save working once the disk is back.
fn fail_every_step(fault: Fault, expect: std::io::ErrorKind) -> Result<()> {
    let _turn = FAULTS.lock().unwrap_or_else(|p| p.into_inner());
    let tmp = tempfile::tempdir()?;
    let unlock = Unlock::HostKey(Unlock::generate_host_key());
    let dir = tmp.path().join("data");
    base_device(&dir, &unlock)?;
    let mut device = Device::open(&dir, &unlock)?;
    device.set_compaction_policy(tight_policy());
    let mut failures = 0;
    for k in 1.. {
        let attempt = format!("attempt {k}");
        faults::arm(k, fault);
        let result = if k % 3 == 0 {
            device.compact().map(|_| ())
        } else {
            device.propose_agreement(&attempt).map(|_| ())
        };
        let taken = faults::disarm();
        if taken < k {
            break; // the whole save ran without reaching step k
        }
        match result {
            Err(CoreError::Io { source, .. }) => {
                ensure!(source.kind() == expect, "step {k}: {source}");
                failures += 1;
            }
            // A failed tidy-up after the change was durable is not an error.
            Ok(()) => {}
            Err(other) => bail!("step {k}: unexpected {other}"),
        }
        let on_disk = Device::open(&dir, &unlock)?;
        ensure!(on_disk.damage().is_empty());
        ensure!(
            agreements(&on_disk) == agreements(&device),
            "step {k}: memory and disk disagree"
        );
        ensure!(agreements(&on_disk).contains("written before the crashes"));
        device.propose_agreement(&format!("after {k}"))?;
        ensure!(agreements(&Device::open(&dir, &unlock)?).contains(&format!("after {k}")));
    }
    ensure!(failures >= 5, "only {failures} steps failed");
    Ok(())
}

#[test]
fn a_full_disk_fails_the_save_clearly_and_loses_nothing() -> Result<()> {
    fail_every_step(Fault::DiskFull, std::io::ErrorKind::StorageFull)
}

#[test]
fn a_read_only_directory_fails_the_save_clearly_and_loses_nothing() -> Result<()> {
    fail_every_step(Fault::ReadOnly, std::io::ErrorKind::ReadOnlyFilesystem)
}

/// The real thing, where permissions apply (root ignores them, so this
/// checks only when run as an ordinary user).
#[test]
fn a_directory_without_write_permission_loses_nothing() -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let unlock = Unlock::HostKey(Unlock::generate_host_key());
    let dir = tmp.path().join("data");
    base_device(&dir, &unlock)?;
    let mut device = Device::open(&dir, &unlock)?;
    let couple = dir.join("couple");
    fs::set_permissions(&couple, fs::Permissions::from_mode(0o500))?;
    let result = device.propose_agreement("cannot be saved");
    fs::set_permissions(&couple, fs::Permissions::from_mode(0o700))?;
    ensure!(matches!(result, Err(CoreError::Io { .. })), "{result:?}");
    ensure!(!agreements(&device).contains("cannot be saved"));
    ensure!(agreements(&Device::open(&dir, &unlock)?).contains("written before the crashes"));
    Ok(())
}
