//! Kintsugi's fuzz targets, one per door (see `docs/fuzzing.md`). The
//! bodies live in `targets.rs`, which the corpus replay test
//! (`tests/tests/fuzz_corpus.rs`) includes too, so `cargo test` on stable
//! runs every committed input through exactly what the fuzzer runs.

pub mod targets;
