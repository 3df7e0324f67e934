//! Numbered fault points in every step of every write, rename and delete the
//! storage layer makes, for the crash and full-disk tests.
//!
//! Off unless a test arms it through [`arm`]: there is no environment switch,
//! so a shipped app cannot be made to crash or fail from outside. The cost
//! when off is one atomic load per file step.

use std::io;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// What happens when the armed step is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The process kills itself with SIGKILL: no destructor, no flush,
    /// exactly as if the OS or the user had killed the app at that instant.
    Kill,
    /// The step fails with "no space left on device".
    DiskFull,
    /// The step fails with "read-only file system".
    ReadOnly,
}

static ARMED_AT: AtomicU64 = AtomicU64::new(0);
static FAULT: AtomicU8 = AtomicU8::new(0);
static STEPS: AtomicU64 = AtomicU64::new(0);

/// Arms `fault` at the `at`-th step from now (1 = the next step). Steps are
/// counted process-wide.
#[doc(hidden)]
pub fn arm(at: u64, fault: Fault) {
    FAULT.store(
        match fault {
            Fault::Kill => 0,
            Fault::DiskFull => 1,
            Fault::ReadOnly => 2,
        },
        Ordering::SeqCst,
    );
    STEPS.store(0, Ordering::SeqCst);
    ARMED_AT.store(at, Ordering::SeqCst);
}

/// Disarms and returns how many steps were taken since [`arm`] or the last
/// [`disarm`].
#[doc(hidden)]
pub fn disarm() -> u64 {
    ARMED_AT.store(0, Ordering::SeqCst);
    STEPS.swap(0, Ordering::SeqCst)
}

/// Starts counting steps without any fault, to learn how many a scenario takes.
#[doc(hidden)]
pub fn count_only() {
    arm(u64::MAX, Fault::Kill);
}

/// Called before each step of the write protocol.
pub(crate) fn step(what: &'static str) -> io::Result<()> {
    let armed = ARMED_AT.load(Ordering::Relaxed);
    if armed == 0 {
        return Ok(());
    }
    let n = STEPS.fetch_add(1, Ordering::SeqCst) + 1;
    if n != armed {
        return Ok(());
    }
    match FAULT.load(Ordering::SeqCst) {
        0 => kill_self(what),
        1 => Err(io::Error::new(
            io::ErrorKind::StorageFull,
            format!("no space left on device (injected at {what})"),
        )),
        _ => Err(io::Error::new(
            io::ErrorKind::ReadOnlyFilesystem,
            format!("read-only file system (injected at {what})"),
        )),
    }
}

fn kill_self(what: &str) -> ! {
    tracing::debug!(step = what, "fault point: killing the process");
    #[cfg(unix)]
    {
        // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
    std::process::abort()
}
