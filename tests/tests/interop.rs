//! The couple's data is theirs: an export loads in another Automerge
//! implementation (the JavaScript package, through node), which sees the
//! same document, change for change.
//!
//! `scripts/test-all.sh` installs the package and sets `KINTSUGI_AUTOMERGE_JS`;
//! under CI a missing package is a failure, not a skip.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use kintsugi_core::Device;
use kintsugi_tests::{checkin, unlock};

#[test]
fn the_javascript_automerge_loads_an_export() -> Result<()> {
    let Some(js) = std::env::var_os("KINTSUGI_AUTOMERGE_JS") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            bail!("KINTSUGI_AUTOMERGE_JS is not set: run scripts/test-all.sh");
        }
        eprintln!("skipped: run scripts/automerge-interop.sh and set KINTSUGI_AUTOMERGE_JS");
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let mut device = Device::init(tmp.path().join("ana"), "Ana", &unlock())?;
    device.start_couple()?;
    device.propose_agreement("Sunday walks")?;
    device.propose_agreement("Phones away at dinner")?;
    device.record_checkin(&checkin(6, "We cooked together."))?;
    let exported = device.export_automerge()?;
    let file = tmp.path().join("couple.automerge");
    std::fs::write(&file, &exported)?;

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop/load-export.cjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(&file)
        .env("KINTSUGI_AUTOMERGE_JS", &js)
        .output()
        .context("running node")?;
    ensure!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let doc = device.doc_mut()?;
    assert_eq!(seen["couple_id"], doc.couple_id()?.as_str());
    assert_eq!(seen["schema_version"], kintsugi_core::SCHEMA_VERSION);
    assert_eq!(seen["agreements"], 2);
    assert_eq!(seen["checkins"], 1);
    let mut heads: Vec<String> = doc.heads().iter().map(|h| h.to_string()).collect();
    heads.sort();
    assert_eq!(seen["heads"], serde_json::json!(heads));
    Ok(())
}
