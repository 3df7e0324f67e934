//! What the phone's notification shows: the same neutral words whatever the
//! partner did, at most once per interval the user chose
//! (`kintsugi_core::notice_gate`). The kind of each thing is in the in-app
//! list (`Notice`), never here.

use kintsugi_core::notice_gate;

use super::count;

/// What to post to the OS (the lock screen, the notification shade). Built
/// from a count alone, so it cannot say what kind of thing happened.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OsNotification {
    /// The notification's title ("Kintsugi").
    pub title: String,
    /// Its text ("Something new in Kintsugi"), the same for every kind.
    pub body: String,
    /// How many in-app notices it stands for (at least 1), for the app's
    /// own use, e.g. a badge inside the app. Keep it off the lock screen:
    /// a burst of activity is itself a signal.
    pub coalesced: i32,
}

/// The answer of `take_os_notification`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OsNotificationCheck {
    /// Post this now, if set: it is handed out once.
    pub notification: Option<OsNotification>,
    /// When notices wait for the interval to pass: ask again at this time
    /// (ms since the Unix epoch), e.g. with a scheduled background task or
    /// a local notification timer. Unset when nothing waits.
    pub next_check_at_ms: Option<i64>,
}

impl From<notice_gate::OsNotification> for OsNotification {
    fn from(n: notice_gate::OsNotification) -> Self {
        OsNotification {
            title: n.title,
            body: n.body,
            coalesced: count(n.coalesced),
        }
    }
}
