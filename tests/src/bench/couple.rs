//! The benchmarked couple: two real devices (Ana invited, Ben joined),
//! paired over loopback, with YEARS of the fixture written on replicas of
//! their documents as their own actors, given to the devices as the app
//! would have saved them, and a first sync behind them (so the persisted
//! per-partner sync states hold the shared heads).
//!
//! Ten years take minutes to generate, so the result is kept under
//! `target/kintsugi-bench/couple-<YEARS>y-seed<SEED>-v<FIXTURE_VERSION>/`:
//! the two data directories, the host key their files are sealed to (a
//! benchmark's throwaway key), Ana's document as plain Automerge, and what
//! generating it measured. Each run works on copies. Delete the directory
//! to regenerate; bump [`FIXTURE_VERSION`] when the fixture changes.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use kintsugi_core::{CoupleDoc, Device, Unlock};
use kintsugi_sync::NetworkConfig;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::{START, days_in};
use crate::fixture::{CoupleFixture, FixtureCounts};
use crate::{Phone, copy_dir, pair};

/// The generator's version: part of the cache's name.
pub const FIXTURE_VERSION: u32 = 2;
pub const SEED: u64 = 7;

/// A generated couple in the cache.
pub struct Couple {
    pub years: u32,
    pub dir: PathBuf,
    key: String,
    pub meta: Value,
}

/// Where generated couples are kept.
pub fn cache_root() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // The workspace's target/, beside tests/.
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .unwrap_or(Path::new("."))
                .join("target")
        })
        .join("kintsugi-bench")
}

/// A scratch directory for one run, under the cache (never outside
/// target/), removed when dropped.
pub fn scratch() -> Result<TempDir> {
    let root = cache_root();
    fs::create_dir_all(&root)?;
    Ok(tempfile::Builder::new().prefix(".run-").tempdir_in(root)?)
}

impl Couple {
    /// The cached couple of `years`, generated first if missing. Builds its
    /// own runtime: for callers that have none (criterion benches).
    pub fn get_blocking(years: u32) -> Result<Couple> {
        if let Some(c) = Couple::cached(years)? {
            return Ok(c);
        }
        tokio::runtime::Runtime::new()?.block_on(Couple::get(years))
    }

    /// The cached couple of `years`, generated first if missing.
    pub async fn get(years: u32) -> Result<Couple> {
        if let Some(c) = Couple::cached(years)? {
            return Ok(c);
        }
        let dir = Couple::path(years);
        eprintln!(
            "generating the {years}-year couple into {} (once; minutes for ten years)",
            dir.display()
        );
        generate(years, &dir).await?;
        Couple::cached(years)?.context("the generated couple is not where it was written")
    }

    fn path(years: u32) -> PathBuf {
        cache_root().join(format!("couple-{years}y-seed{SEED}-v{FIXTURE_VERSION}"))
    }

    fn cached(years: u32) -> Result<Option<Couple>> {
        let dir = Couple::path(years);
        let Ok(meta) = fs::read(dir.join("meta.json")) else {
            return Ok(None);
        };
        Ok(Some(Couple {
            years,
            key: fs::read_to_string(dir.join("host-key"))?,
            meta: serde_json::from_slice(&meta)?,
            dir,
        }))
    }

    pub fn unlock(&self) -> Result<Unlock> {
        Ok(Unlock::host_key(&self.key)?)
    }

    /// The host key's text, for child processes.
    pub fn key_text(&self) -> &str {
        &self.key
    }

    /// Ana's shared document, as plain Automerge `save()`.
    pub fn document(&self) -> Result<Vec<u8>> {
        Ok(fs::read(self.dir.join("document.automerge"))?)
    }

    /// Ana's document, loaded for the views (editing as Ana).
    pub fn ana_doc(&self) -> Result<CoupleDoc> {
        let actor = automerge::ActorId::from(hex_bytes(
            self.meta["ana_actor"].as_str().context("ana_actor")?,
        )?);
        Ok(CoupleDoc::load(&self.document()?, &actor)?)
    }

    /// A copy of one phone's data directory (`"ana"` or `"ben"`) in `root`.
    pub fn copy_device(&self, who: &str, root: &Path) -> Result<PathBuf> {
        let to = root.join(who);
        copy_dir(&self.dir.join(who), &to)?;
        Ok(to)
    }

    /// Both phones, from copies in `root`, on loopback.
    pub async fn open_phones(&self, root: &TempDir) -> Result<(Phone, Phone)> {
        let unlock = self.unlock()?;
        let config = NetworkConfig::loopback();
        let ana =
            Phone::open_unlocked(&self.copy_device("ana", root.path())?, &config, &unlock).await?;
        let ben =
            Phone::open_unlocked(&self.copy_device("ben", root.path())?, &config, &unlock).await?;
        Ok((ana, ben))
    }

    /// The day after the last one the fixture lived.
    pub fn days(&self) -> u32 {
        days_in(self.years)
    }

    /// One line on what the fixture holds, for the notes under a table.
    pub fn describe(&self) -> String {
        let m = &self.meta;
        let c = &m["counts"];
        let n = |k: &str| c[k].as_u64().unwrap_or(0);
        format!(
            "fixture: {} year(s) ({} days, seed {SEED}, generator v{FIXTURE_VERSION}): {} check-ins ({} with a note), {} agreements ({} revised, {} kept-checks), {} requests ({} done and acknowledged), {} appreciations, {} times together, {} questions, {} triggers, {} disclosures, {} transparency offers, {} surveys, {} commitment logs; {} changes, Automerge snapshot {} B; generated in {:.0} s",
            self.years,
            self.days(),
            n("checkins"),
            n("checkin_notes"),
            n("agreements"),
            n("agreement_revisions"),
            n("agreement_checks"),
            n("requests"),
            n("requests_done"),
            n("appreciations"),
            n("dates"),
            n("questions"),
            n("triggers"),
            n("disclosures"),
            n("offers"),
            n("surveys"),
            n("commitment_logs"),
            m["changes"],
            m["snapshot_bytes"],
            m["generated_secs"].as_f64().unwrap_or(0.0),
        )
    }
}

fn hex_bytes(hex: &str) -> Result<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        bail!("odd hex length");
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| Ok(u8::from_str_radix(&hex[i..i + 2], 16)?))
        .collect()
}

/// Writes the couple into a scratch directory beside `dest`, then renames it
/// into place, so an interrupted run never leaves half a cache.
async fn generate(years: u32, dest: &Path) -> Result<()> {
    let parent = dest.parent().context("cache root")?;
    fs::create_dir_all(parent)?;
    let scratch = tempfile::Builder::new()
        .prefix(".generating-")
        .tempdir_in(parent)?;
    let work = scratch.path();
    let key = Unlock::generate_host_key();
    let key_text = age::secrecy::ExposeSecret::expose_secret(&key).to_owned();
    let unlock = Unlock::host_key(&key_text)?;
    let config = NetworkConfig::loopback();
    let started = Instant::now();

    let mut phones = Vec::new();
    for name in ["Ana", "Ben"] {
        let dir = work.join(name.to_lowercase());
        Device::init(&dir, name, &unlock)?;
        phones.push(Phone::open_unlocked(&dir, &config, &unlock).await?);
    }
    let (ben, ana) = (phones.pop().unwrap(), phones.pop().unwrap());
    pair(&ana, &ben).await?;
    ben.node.sync_now().await?;

    let mut ana_fx = fork_of(&ana)?;
    let mut ben_fx = fork_of(&ben)?;
    let counts = {
        let mut fx = CoupleFixture::new(&mut ana_fx, &mut ben_fx, SEED);
        fx.live(START, days_in(years), 7);
        fx.sync();
        fx.counts
    };
    install(&ana, &mut ana_fx)?;
    install(&ben, &mut ben_fx)?;
    // The first sync after the history arrived: from here on each sync
    // starts from persisted shared heads, as on phones in daily use.
    let first = ana.node.sync_now().await?;
    let generated = started.elapsed();

    let document = ana.device().export_automerge()?;
    let changes = automerge::AutoCommit::load(&document)?
        .get_changes(&[])
        .len();
    let ana_actor = ana.device().profile().actor()?.to_hex_string();
    ana.close().await;
    ben.close().await;

    fs::write(work.join("document.automerge"), &document)?;
    write_private(&work.join("host-key"), key_text.as_bytes())?;
    let meta = json!({
        "years": years,
        "seed": SEED,
        "fixture_version": FIXTURE_VERSION,
        "generated_secs": generated.as_secs_f64(),
        "counts": counts_json(&counts),
        "changes": changes,
        "snapshot_bytes": document.len(),
        "ana_actor": ana_actor,
        "first_sync": {
            "bytes_sent": first.bytes_sent,
            "bytes_received": first.bytes_received,
            "round_trips": first.frames_sent,
            "ms": first.duration_ms,
        },
    });
    // meta.json last: its presence marks a complete couple.
    fs::write(work.join("meta.json"), serde_json::to_vec_pretty(&meta)?)?;
    let work = scratch.keep();
    if let Err(e) = fs::rename(&work, dest) {
        let _ = fs::remove_dir_all(&work);
        // Another run may have finished first; its couple is as good.
        if !dest.join("meta.json").exists() {
            return Err(e).context("moving the generated couple into place");
        }
    }
    eprintln!("generated in {:.0?}", generated);
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    std::io::Write::write_all(&mut f, bytes)?;
    Ok(())
}

fn counts_json(c: &FixtureCounts) -> Value {
    json!({
        "checkins": c.checkins,
        "checkin_notes": c.checkin_notes,
        "agreements": c.agreements,
        "agreement_revisions": c.agreement_revisions,
        "agreement_checks": c.agreement_checks,
        "requests": c.requests,
        "requests_done": c.requests_done,
        "appreciations": c.appreciations,
        "dates": c.dates,
        "questions": c.questions,
        "triggers": c.triggers,
        "disclosures": c.disclosures,
        "offers": c.offers,
        "surveys": c.surveys,
        "commitment_logs": c.commitment_logs,
    })
}

/// An in-memory replica of a phone's document, editing as that phone.
pub fn fork_of(phone: &Phone) -> Result<CoupleDoc> {
    let mut device = phone.device();
    let actor = device.profile().actor()?;
    let member = device.member_id().to_owned();
    let bytes = device.doc_mut()?.save();
    Ok(CoupleDoc::load(&bytes, &actor)?.as_member(&member))
}

/// Gives a phone what its replica wrote since the phone's heads, as if the
/// app had written it.
pub fn install(phone: &Phone, replica: &mut CoupleDoc) -> Result<()> {
    let mut device = phone.device();
    let heads = device.doc_mut()?.heads();
    let bytes: Vec<u8> = replica
        .automerge_mut()
        .get_changes(&heads)
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect();
    if !bytes.is_empty() {
        device.update(|doc, _| doc.merge_bytes(&bytes))?;
    }
    Ok(())
}
