//! Kintsugi's fuzz targets, one per door (see `docs/fuzzing.md`). The
//! bodies live in `targets.rs`, which the corpus replay test
//! (`tests/tests/fuzz_corpus.rs`) includes too, so `cargo test` on stable
//! runs every committed input through exactly what the fuzzer runs.

pub mod targets;

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, Once};

thread_local! {
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs `target` on `data`, a panic escaping it being a finding.
///
/// libfuzzer-sys's panic hook aborts on every panic, even one caught where
/// it was raised; but the door catches Automerge's panics on hostile input
/// on purpose and refuses the input with an error (`CoupleDoc::load_received`,
/// `merge_received`, `receive_sync_message`). So this hook only notes the
/// panic (and says once per place that one was caught), and a panic counts
/// as a crash when it escapes `target`.
pub fn fuzz(target: fn(&[u8]), data: &[u8]) {
    static HOOK: Once = Once::new();
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let place = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
            if seen.get_or_insert_with(HashSet::new).insert(place) {
                eprintln!("note: a panic (caught, unless reported below): {info}");
            }
            LAST_PANIC.with(|last| *last.borrow_mut() = info.to_string());
        }));
    });
    if catch_unwind(AssertUnwindSafe(|| target(data))).is_err() {
        LAST_PANIC.with(|last| eprintln!("a panic escaped the door: {}", last.borrow()));
        std::process::abort();
    }
}
