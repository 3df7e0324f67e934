//! A counting allocator, for peak-memory figures that other threads do not
//! disturb: a test or bench binary installs [`Counting`] as its global
//! allocator, and [`measure`] reports what one closure allocated on the
//! calling thread (every door's work runs on the thread that calls it).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting each thread's live bytes and their peak.
pub struct Counting;

thread_local! {
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
    static INSTALLED: Cell<bool> = const { Cell::new(false) };
}

fn note(delta: i64) {
    // `try_with`: allocations while a thread's locals are torn down go
    // uncounted rather than abort.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
        let _ = INSTALLED.try_with(|i| i.set(true));
    });
}

// SAFETY: every call forwards to `System` unchanged; the counters are
// const-initialised thread locals that never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

/// What one piece of work allocated on this thread, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// The highest point above where it started.
    pub peak: i64,
    /// Still held when it returned (what a document grew by).
    pub kept: i64,
}

impl Memory {
    pub fn mib(bytes: i64) -> f64 {
        bytes as f64 / f64::from(1 << 20)
    }

    /// The larger of two peaks (several messages of one sync).
    pub fn max(self, other: Memory) -> Memory {
        if other.peak > self.peak { other } else { self }
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "peak +{:.1} MiB, kept +{:.1} MiB",
            Memory::mib(self.peak),
            Memory::mib(self.kept)
        )
    }
}

/// Runs `f` and reports what it allocated on this thread (all zero when
/// this binary's global allocator is not [`Counting`]).
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Memory) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    let peak = PEAK.with(Cell::get) - start;
    let kept = LIVE.with(Cell::get) - start;
    (out, Memory { peak, kept })
}

/// Whether this binary's allocator is [`Counting`] (it has counted on this
/// thread).
pub fn counting() -> bool {
    let _probe = Box::new(0u8);
    INSTALLED.with(Cell::get)
}
