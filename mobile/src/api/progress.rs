//! Progress of long work (bundles, backups) reported to an app's listener.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kintsugi_sync::progress::{Progress, Step};

use crate::CallbackError;

/// What a long operation is doing now. Each step counts its own units in
/// `done` out of `total`; an operation may go through several steps, and a
/// step may come back (a shared-folder exchange opens, then seals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ProgressStep {
    /// Gathering the changes or documents to seal.
    Collecting,
    /// Encrypting; counts bytes.
    Sealing,
    /// Decrypting; counts bytes of the sealed file.
    Opening,
    /// Checking and merging changes into the shared space; counts changes.
    Applying,
    /// Writing to the data directory.
    Saving,
}

impl From<Step> for ProgressStep {
    fn from(step: Step) -> Self {
        match step {
            Step::Collecting => ProgressStep::Collecting,
            Step::Sealing => ProgressStep::Sealing,
            Step::Opening => ProgressStep::Opening,
            Step::Applying => ProgressStep::Applying,
            Step::Saving => ProgressStep::Saving,
        }
    }
}

/// Hears the progress of a long operation (a bundle of years of changes, a
/// backup or a restore), for a progress bar.
///
/// Called on the thread doing the work, in order: within one step, `done`
/// never goes back and never passes `total`. Return quickly (post the
/// numbers to the UI thread); the work waits for each call. Whatever it
/// throws is logged and the work goes on.
#[uniffi::export(foreign)]
pub trait ProgressListener: Send + Sync {
    /// `done` units of `total` of `step` are finished.
    fn on_progress(&self, step: ProgressStep, done: u64, total: u64) -> Result<(), CallbackError>;
}

/// Hands the sync crate's progress reports to an app's listener, if any.
pub(crate) struct Forward {
    listener: Option<Arc<dyn ProgressListener>>,
    /// A failing listener is logged once, not once per report.
    failed: AtomicBool,
}

impl Forward {
    pub(crate) fn new(listener: Option<Arc<dyn ProgressListener>>) -> Self {
        Forward {
            listener,
            failed: AtomicBool::new(false),
        }
    }
}

impl Progress for Forward {
    fn report(&self, step: Step, done: u64, total: u64) {
        let Some(listener) = &self.listener else {
            return;
        };
        if let Err(e) = listener.on_progress(step.into(), done.min(total), total)
            && !self.failed.swap(true, Ordering::Relaxed)
        {
            tracing::warn!("a progress listener failed (the work goes on): {e}");
        }
    }
}
