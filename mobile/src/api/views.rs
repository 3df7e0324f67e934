//! The derived views. Those that depend on the date use this device's local
//! day; all are computed on demand from the shared space and never stored.

use age::secrecy::zeroize::Zeroize;
use kintsugi_core::{Device, Unlock, now_millis, views};

use super::today;
use crate::records::{FromCore, list};
use crate::{
    Companion, CompanionConfig, ConsistencyWindow, CounsellingPrompt, Result, SignsOfProgress,
    TimelineEntry, TimelineFilter, TimelinePage, WeeklyBand,
};

/// The first page of the timeline before the companion opens: call it on
/// the main thread at launch and show what it gives while `Companion(config)`
/// opens on a worker (opening loads the whole document; this reads only a
/// small cache the last close saved). `None` when there is nothing saved to
/// show from, when the document changed since (a sync in the background),
/// or when `filter` asks for more than the saved newest entries: then show
/// the page once the companion is open. What it shows is always exactly
/// what `Companion.timeline_page(filter)` would; its `next_cursor` goes on
/// there. Only `data_dir` and `storage_key` of `config` are used.
#[uniffi::export]
pub fn first_screen(
    config: CompanionConfig,
    filter: TimelineFilter,
) -> Result<Option<TimelinePage>> {
    let CompanionConfig {
        data_dir,
        mut storage_key,
        ..
    } = config;
    let unlock = Unlock::host_key(&storage_key);
    storage_key.zeroize();
    let filter = filter.into_core(now_millis());
    let Some(screen) = Device::first_screen(&data_dir, &unlock?)? else {
        return Ok(None);
    };
    Ok(screen
        .page(&filter)?
        .map(|page| TimelinePage::from_core(page, &screen.member_id)))
}

#[uniffi::export]
impl Companion {
    /// Every event of the shared space that passes `filter`, newest first,
    /// with who did it and when. Both partners see the same timeline; edits
    /// appear as their own entries. Offers past their end show as expired.
    pub fn timeline(&self, filter: TimelineFilter) -> Result<Vec<TimelineEntry>> {
        Ok(self.timeline_page(filter)?.entries)
    }

    /// One page of the timeline (`filter.limit` entries, newest first) and
    /// the cursor of the next: each page costs its own size, however long
    /// the history. Pass `next_cursor` back in `filter.cursor` to go on.
    pub fn timeline_page(&self, filter: TimelineFilter) -> Result<TimelinePage> {
        let filter = filter.into_core(now_millis());
        let device = self.device()?;
        let page = device.timeline(&filter)?;
        Ok(TimelinePage::from_core(page, device.member_id()))
    }

    /// One band per partner per ISO week with check-ins: the median and spread
    /// of each score, ordered by member, then week. Weeks without check-ins
    /// are absent, never zero.
    pub fn weekly_bands(&self) -> Result<Vec<WeeklyBand>> {
        let device = self.device()?;
        Ok(list(device.weekly_bands()?, device.member_id()))
    }

    /// The last `windows` rolling 28-day windows, newest first, the first
    /// ending today and each next one a week earlier: how requests were done
    /// and acknowledged, how agreements and commitments were kept.
    pub fn consistency(&self, windows: i32) -> Result<Vec<ConsistencyWindow>> {
        let windows = usize::try_from(windows).unwrap_or(0);
        let today = today();
        self.view(|snapshot, me| list(views::consistency(snapshot, &today, windows), me))
    }

    /// The last 28 days beside the 28 before, per partner: safer to talk,
    /// being listened to, warm moments.
    pub fn signs_of_progress(&self) -> Result<SignsOfProgress> {
        let device = self.device()?;
        let progress = device.signs_of_progress(&today())?;
        Ok(SignsOfProgress::from_core(progress, device.member_id()))
    }

    /// A gentle suggestion to see a couples therapist when the couple seem
    /// stuck (the same topic or trigger keeps returning, a partner keeps
    /// feeling unheard, trust stays low for weeks); `None` otherwise.
    ///
    /// Worked out for this device's user: when their own feeling of safety
    /// has stayed low for weeks, it is a `SafetyFirst` prompt that names
    /// individual and safety support first and does not advise couples
    /// counselling. The partner's safety scores are never read for it, so
    /// the partner's phone shows nothing of it. In the language set with
    /// `set_locale`.
    pub fn counselling_prompt(&self) -> Result<Option<CounsellingPrompt>> {
        let messages = crate::lock(&self.messages).clone();
        let prompt = self.device()?.counselling_prompt(&today(), &messages)?;
        Ok(prompt.map(Into::into))
    }
}
