//! The size of the phone library, as built: the benchmark measures what is
//! there and never builds it (that takes many minutes).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::couple::{cache_root, scratch};
use super::report::{Report, bytes};

const LIB: &str = "libkintsugi_mobile.so";

fn target_dir() -> PathBuf {
    cache_root()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

pub fn run(report: &mut Report) -> Result<()> {
    let target = target_dir();
    let mut found = false;
    for (profile, how) in [
        ("release", "cargo build --release -p kintsugi-mobile"),
        (
            "mobile",
            "cargo build --profile mobile -p kintsugi-mobile (opt-level \"s\", what the phone scripts build)",
        ),
    ] {
        let lib = target.join(profile).join(LIB);
        let Ok(meta) = fs::metadata(&lib) else {
            report.note(format!(
                "No {profile} cdylib at {}: build it with `{how}` and re-run to measure it.",
                lib.display()
            ));
            continue;
        };
        found = true;
        let size = meta.len();
        let stripped = stripped_size(&lib)?;
        let built = meta
            .modified()
            .ok()
            .and_then(|m| jiff::Timestamp::try_from(m).ok())
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "unknown".into());
        report.row(
            format!(
                "cdylib size, x86_64, `{profile}` profile (target/{profile}/{LIB}, built {built})"
            ),
            match stripped {
                Some(s) if s < size => format!("{} ({} stripped)", bytes(size), bytes(s)),
                Some(_) => format!("{} (already stripped)", bytes(size)),
                None => bytes(size),
            },
            "",
            "",
            None,
        );
    }
    if found {
        report.note(
            "The cdylib was built before this run (the file's time is shown); rebuild it to measure the current tree.",
        );
    }
    Ok(())
}

/// The size after `strip --strip-all`, on a copy under target/; `None`
/// when `strip` is not installed.
fn stripped_size(lib: &Path) -> Result<Option<u64>> {
    let dir = scratch()?;
    let out = dir.path().join(LIB);
    let ok = Command::new("strip")
        .arg("--strip-all")
        .arg("-o")
        .arg(&out)
        .arg(lib)
        .status()
        .is_ok_and(|s| s.success());
    Ok(if ok {
        Some(fs::metadata(&out)?.len())
    } else {
        None
    })
}
