//! What `Companion.subscribe` delivers: the state at the start, then each
//! change. Events carry no record content, only what kind of thing changed:
//! the app reads the records it shows again.

use crate::{OsNotification, PairingCode, PartnerInfo, RecordKind, SyncStatusInfo};

/// Where the companion stands, as `subscribe` reports it first.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CompanionState {
    /// Where sync with the partner stands (`Idle` while networking is off).
    pub sync_status: SyncStatusInfo,
    /// The paired partner, if any.
    pub partner: Option<PartnerInfo>,
    /// A pairing waiting for this user to compare codes and decide.
    pub pending_pairing: Option<PairingCode>,
}

/// One thing an observer hears. The first event of every subscription is
/// `Current`; the others follow as things change, in order.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum CompanionEvent {
    /// Where things stand when the subscription starts (delivered once, first).
    Current { state: CompanionState },
    /// The shared space changed, here or on the partner's device. `kinds`
    /// lists the record families whose records were added or changed;
    /// `members_changed` is set when a member joined or changed their name
    /// or role. `from_partner` is set when some of the changes were made on
    /// the partner's device (they arrived by sync), unset when all were made
    /// on this one. Read again what the screen shows of those families.
    DocumentChanged {
        kinds: Vec<RecordKind>,
        members_changed: bool,
        from_partner: bool,
    },
    /// Sync with the partner moved to another state (or its last sync time
    /// changed).
    SyncStatusChanged { status: SyncStatusInfo },
    /// A phone scanned this one's invitation (inviter), or the inviter's
    /// phone checked this one's code (joiner): show `code` and ask the user
    /// to compare it with the partner's screen, then `confirm_pairing` or
    /// `reject_pairing`. The other phone's name is not known yet.
    PairingRequested { code: PairingCode },
    /// Both partners confirmed: the two devices now share one space.
    /// `partner` is the first the app hears of who the partner is (their
    /// name and role).
    Paired { partner: PartnerInfo },
    /// The pairing ended, from this device or the partner's. The shared
    /// history stays on this device.
    Unpaired,
    /// Post `notification` to the OS now. The partner's changes pass the
    /// same gate as `take_os_notification`: neutral words, at most one per
    /// interval, what arrived in between coalesced (one subscription hears
    /// each). Post to the lock screen only these, never one per
    /// `DocumentChanged`, whose kinds say what the partner did.
    PostNotification { notification: OsNotification },
}
