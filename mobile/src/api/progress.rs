//! Progress of long work (bundles, backups) reported to an app's listener.
//!
//! The work reports on its own thread while it holds the device; the
//! listener is called on another one, in order, so that a listener that
//! calls back into the companion waits for the device instead of
//! deadlocking, and a slow one does not slow the work.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

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
/// Called from a background thread, one report at a time and in order:
/// within one step, `done` never goes back and never passes `total`. Every
/// report is delivered before the operation returns, and none after the
/// caller stopped waiting. Return quickly (post the numbers to the UI
/// thread). Whatever it throws is logged and the work goes on.
#[uniffi::export(foreign)]
pub trait ProgressListener: Send + Sync {
    /// `done` units of `total` of `step` are finished.
    fn on_progress(&self, step: ProgressStep, done: u64, total: u64) -> Result<(), CallbackError>;
}

type Report = (Step, u64, u64);

/// What the work reports to: queues each report for the delivery thread.
pub(crate) struct Reporter(Option<mpsc::Sender<Report>>);

impl Progress for Reporter {
    fn report(&self, step: Step, done: u64, total: u64) {
        if let Some(queue) = &self.0 {
            // The delivery ends only once this sender is gone.
            let _ = queue.send((step, done.min(total), total));
        }
    }
}

/// Calls the listener with the queued reports on a blocking thread of
/// `runtime` until the work's `Reporter` is dropped. Dropped without
/// `finish` (the caller stopped waiting), it calls the listener no more.
pub(crate) struct Delivery {
    task: Option<tokio::task::JoinHandle<()>>,
    stopped: Arc<AtomicBool>,
}

impl Delivery {
    /// Waits until every report has reached the listener; call once the
    /// work (and with it the `Reporter`) is done.
    pub(crate) async fn finish(mut self) {
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            // A panic's message may hold anything: say only how it ended.
            tracing::warn!(panicked = e.is_panic(), "progress could not be delivered");
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Release);
    }
}

/// A reporter for the work and the delivery of its reports to `listener`.
pub(crate) fn deliver(
    listener: Option<Arc<dyn ProgressListener>>,
    runtime: &tokio::runtime::Handle,
) -> (Reporter, Delivery) {
    let stopped = Arc::new(AtomicBool::new(false));
    let Some(listener) = listener else {
        let none = Delivery {
            task: None,
            stopped,
        };
        return (Reporter(None), none);
    };
    let (queue, reports) = mpsc::channel::<Report>();
    let task = runtime.spawn_blocking({
        let stopped = stopped.clone();
        move || {
            let mut failed = false;
            for (step, done, total) in reports {
                if stopped.load(Ordering::Acquire) {
                    continue;
                }
                // Logged once, not once per report.
                // What the app's listener threw is its own text: not logged.
                if listener.on_progress(step.into(), done, total).is_err()
                    && !std::mem::replace(&mut failed, true)
                {
                    tracing::warn!("a progress listener failed (the work goes on)");
                }
            }
        }
    });
    let delivery = Delivery {
        task: Some(task),
        stopped,
    };
    (Reporter(Some(queue)), delivery)
}
