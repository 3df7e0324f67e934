//! Progress of long work (a large first bundle, a backup or restore of
//! years of data), for a progress bar in the CLI and events in the apps.

/// What the work is doing now. Each step reports `done` out of `total`
/// units (bytes, or changes when applying).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Gathering the changes or documents to seal.
    Collecting,
    /// Encrypting (bytes).
    Sealing,
    /// Decrypting (bytes).
    Opening,
    /// Checking and merging changes into the document (changes).
    Applying,
    /// Writing to the data directory.
    Saving,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Collecting => "collecting",
            Step::Sealing => "sealing",
            Step::Opening => "opening",
            Step::Applying => "applying",
            Step::Saving => "saving",
        }
    }
}

/// Receives progress; called from the thread doing the work, so it must be
/// quick (update a bar, post an event).
pub trait Progress: Send + Sync {
    fn report(&self, step: Step, done: u64, total: u64);
}

impl<F: Fn(Step, u64, u64) + Send + Sync> Progress for F {
    fn report(&self, step: Step, done: u64, total: u64) {
        self(step, done, total)
    }
}

/// For callers that show nothing.
pub struct Silent;

impl Progress for Silent {
    fn report(&self, _: Step, _: u64, _: u64) {}
}
