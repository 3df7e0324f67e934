//! What the app shows about sync: one small value, updated as it changes.

use kintsugi_core::Millis;
use serde::Serialize;

/// Where sync with the partner stands right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncState {
    /// Not paired, or live sync not started.
    Idle,
    /// Dialling the partner's device.
    Connecting,
    /// Connected, and changes are travelling one way or the other.
    Syncing,
    /// Connected, and both devices hold the same changes.
    UpToDate,
    /// The partner's device could not be reached since this time (ms since
    /// the epoch). Nothing is wrong with the data: both keep working apart.
    Unreachable { since: Millis },
    /// Since this time the partner's device sent changes this app cannot
    /// accept (a newer app, or one changed to break the couple's rules).
    /// Nothing of them was kept; this device does not sync until its user
    /// asks to sync again.
    Paused { since: Millis },
    /// The partner's device brought more in the last 24 hours than a couple
    /// writes in years ([`crate::quota`]); its further changes wait, unread,
    /// until this time. This device's own changes still reach the partner.
    QuotaReached { until: Millis },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub state: SyncState,
    /// When the two devices last held the same changes (ms since the epoch).
    pub last_synced_at: Option<Millis>,
}

impl SyncStatus {
    pub(crate) fn idle(last_synced_at: Option<Millis>) -> Self {
        SyncStatus {
            state: SyncState::Idle,
            last_synced_at,
        }
    }
}
