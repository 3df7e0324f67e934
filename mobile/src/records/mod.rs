//! Records as the apps see them: plain values, times in milliseconds since
//! the Unix epoch (`*_ms`, `i64`), calendar days as `YYYY-MM-DD` strings,
//! scores and counts as `i32`, and "by me" flags so a screen need not compare
//! member ids.
//!
//! Each file mirrors one part of `kintsugi_core::model` (or of its views)
//! with `From` conversions; records that carry a "by me" flag convert with
//! [`FromCore`], which also gets this device's member id.

mod agreements;
mod backups;
mod bundles;
mod checkins;
mod events;
mod exchanges;
mod notices;
mod private;
mod space;
mod storage;
mod summary;
mod views;

pub use agreements::*;
pub use backups::*;
pub use bundles::*;
pub use checkins::*;
pub use events::{CompanionEvent, CompanionState};
pub use exchanges::*;
pub use notices::*;
pub use private::*;
pub use space::*;
pub use storage::*;
pub use summary::*;
pub use views::*;

/// A conversion from a core value that needs to know who "me" is.
pub(crate) trait FromCore<T>: Sized {
    fn from_core(value: T, me: &str) -> Self;
}

/// Converts every item of a core list.
pub(crate) fn list<T, U: FromCore<T>>(items: Vec<T>, me: &str) -> Vec<U> {
    items.into_iter().map(|x| U::from_core(x, me)).collect()
}

/// A core count as the `i32` the apps get (Kotlin and Swift handle signed
/// integers more naturally than unsigned ones).
pub(crate) fn count(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}
