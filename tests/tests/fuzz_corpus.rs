//! Replays every committed fuzz input (`fuzz/corpus/<target>/`, the seeds
//! and what the fuzzer kept, and `fuzz/regressions/<target>/`, the inputs
//! that once crashed a target) through the very functions the fuzz targets
//! call (`fuzz/src/targets.rs`), on stable and without instrumentation, so
//! `cargo test` keeps every finding fixed. See `docs/fuzzing.md`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/targets.rs"]
#[allow(dead_code)] // shared with the fuzz crate; not every item is used here
mod targets;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Every file under `fuzz/<kind>/<target>/`, sorted.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `target` on every input of `kind`; fails naming each input that panicked.
fn replay(kind: &str, target: &str) -> usize {
    let files = inputs(kind, target);
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| targets::run(target, &bytes))).is_err()
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: inputs that panic: {failed:#?}"
    );
    files.len()
}

#[test]
fn every_target_has_seeds_and_every_seed_passes() {
    for target in targets::TARGETS {
        let n = replay("corpus", target);
        assert!(n > 0, "{target}: no seeds in fuzz/corpus/{target}");
        eprintln!("{target}: {n} corpus inputs");
    }
}

#[test]
fn every_regression_input_passes() {
    for target in targets::TARGETS {
        let n = replay("regressions", target);
        eprintln!("{target}: {n} regression inputs");
    }
}
