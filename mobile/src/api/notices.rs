//! Notices and the phone's notification. Two things, kept apart on purpose:
//!
//! - the in-app list (`notices_since_last_call`, `SyncSummary.notices`):
//!   what the partner did, by kind, for inside the unlocked app;
//! - the OS notification (`take_os_notification`, and the observer's
//!   `PostNotification` event): the same neutral words whatever happened,
//!   at most once per interval the user chose (15 minutes unless they chose
//!   otherwise), what arrived in between coalesced into the next one.
//!
//! Post to the OS only what these hand out: a notification per
//! `DocumentChanged` would tell the lock screen what kind of thing happened
//! and let a partner make the phone buzz at will.
//!
//! Also here: the language of the texts the core writes (`set_locale`).

use kintsugi_core::i18n::{self, Messages};
use kintsugi_core::notice_gate;

use crate::{Companion, OsNotificationCheck, Result, lock};

#[uniffi::export]
impl Companion {
    /// What to post to the OS now, if anything, and when to ask again.
    /// Looks for the partner's changes first. Each notification is handed
    /// out once, whether here or to an observer (`PostNotification`): post
    /// what you get. Call it when the app wakes (a push from the OS, a
    /// background window, the time it was told to ask again). Nothing
    /// before pairing.
    pub fn take_os_notification(&self) -> Result<OsNotificationCheck> {
        let messages = lock(&self.messages).clone();
        let (notification, next) =
            crate::take_os_notification(&self.device, &self.wiped, &self.notices, &messages)?;
        Ok(OsNotificationCheck {
            notification: notification.map(Into::into),
            next_check_at_ms: next,
        })
    }

    /// The shortest time, in minutes, between two OS notifications of the
    /// partner's changes: 15 until the user chooses. This user's setting
    /// alone, kept in the private space: it never syncs, and the partner
    /// neither sees nor changes it.
    pub fn notice_interval_minutes(&self) -> Result<i32> {
        Ok(crate::records::count(
            self.device()?.notice_interval().get(),
        ))
    }

    /// Sets that interval: 1 to 1440 minutes (a day); anything else is
    /// `InvalidInput`. There is no "every change": even at 1 a partner
    /// cannot make the phone buzz more than once a minute. What waits is
    /// posted once the new interval has passed since the last notification.
    pub fn set_notice_interval_minutes(&self, minutes: i32) -> Result<()> {
        let minutes = u32::try_from(minutes).unwrap_or(0);
        notice_gate::Interval::minutes(minutes)?;
        self.device()?
            .update_private(|private, now| private.set_notice_interval(minutes, now))?;
        Ok(())
    }

    /// The language of every text the core writes (the OS notification,
    /// the in-app notices, the counselling prompt), as a language tag
    /// (`es`, `pt-BR`; the core ships English and Spanish), with the
    /// app's own Fluent catalog for it if it has one (`catalog_ftl`; see
    /// `catalog_message_ids`). Messages the catalog lacks come from the
    /// core's own catalog for the language, then English. A tag that is not
    /// a locale, or text that is not valid Fluent, is `InvalidInput` and
    /// changes nothing. Kept for the life of this companion.
    pub fn set_locale(&self, locale: String, catalog_ftl: Option<String>) -> Result<()> {
        let messages = match catalog_ftl {
            Some(ftl) => Messages::with_host_catalog(&locale, &ftl),
            None => Messages::for_locale(&locale),
        }?;
        *lock(&self.messages) = messages;
        Ok(())
    }
}

/// Every message id the core's texts are looked up by: what an app's
/// catalog for another language supplies.
#[uniffi::export]
pub fn catalog_message_ids() -> Vec<String> {
    i18n::MESSAGE_IDS.iter().map(|&id| id.to_owned()).collect()
}

/// The Fluent catalog the core ships for `locale` (English is always
/// there), for a translator to start from; `None` if it ships none.
#[uniffi::export]
pub fn shipped_catalog(locale: String) -> Option<String> {
    i18n::shipped_catalog(&locale)
}
