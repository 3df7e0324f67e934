//! The `Companion` methods, one file per family of the shared space (UniFFI
//! merges several `#[uniffi::export] impl` blocks into one object). Each
//! method converts its arguments, runs one core operation or view, and
//! converts the result; every rule lives in `kintsugi-core`.

mod agreements;
mod backups;
mod bundles;
mod cache;
mod checkins;
mod exchanges;
mod live;
mod logging;
mod notices;
mod platform;
mod private;
mod progress;
mod space;
mod storage;
mod summary;
mod views;

pub use backups::restore_from_backup;
pub(crate) use cache::clear_staged;
pub use live::{CompanionObserver, Subscription};
pub use logging::{LogLevel, LogSink, init_logging};
pub use notices::{catalog_message_ids, shipped_catalog};
pub use platform::android_context_installed;
pub use private::PrivateSpaceLock;
pub(crate) use progress::deliver as deliver_progress;
pub use progress::{ProgressListener, ProgressStep};
pub use storage::{generate_storage_key, wipe_data_dir};

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// This device's local calendar day (`YYYY-MM-DD`): the `today` of the views.
fn today() -> String {
    jiff::Zoned::now().date().to_string()
}
