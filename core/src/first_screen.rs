//! The first screen before the document: the newest pages of the timeline
//! and the weekly bands served from the small first-screen cache
//! (`read_cache`) while the
//! document itself still loads, on another thread or in another process.
//! Nothing here reads the document; what is shown is exactly what the
//! document would show, or nothing at all.

use std::path::PathBuf;

use crate::device::{Device, read_profile};
use crate::error::{CoreError, Result};
use crate::model::Member;
use crate::storage::{Store, Unlock, docfiles, files};
use crate::views::timeline::Front;
use crate::views::{TimelineFilter, TimelinePage, WeeklyBand};
use serde::{Deserialize, Serialize};

/// The newest entries of the timeline and the weekly bands as last saved,
/// to show before the document loads.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstScreen {
    /// The member this device belongs to (whose entries are "mine").
    pub member_id: String,
    saved: Saved,
}

/// What the first-screen cache holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Saved {
    pub(crate) front: Front,
    /// Every weekly band (one per partner per week with check-ins: small
    /// beside the check-ins themselves).
    pub(crate) bands: Vec<WeeklyBand>,
}

impl crate::read_cache::Cacheable for Saved {
    const WHAT: &'static str = "first screen";
}

impl FirstScreen {
    /// The page `filter` asks for, exactly as the opened device would give
    /// it; `None` when it would reach past the newest entries saved (ask
    /// the opened device then).
    pub fn page(&self, filter: &TimelineFilter) -> Result<Option<TimelinePage>> {
        self.saved.front.page(filter)
    }

    /// The members of the shared space (to name who did what).
    pub fn members(&self) -> &[Member] {
        &self.saved.front.snapshot.members
    }

    /// The weekly trend bands, as the opened device gives them.
    pub fn weekly_bands(&self) -> &[WeeklyBand] {
        &self.saved.bands
    }
}

impl Device {
    /// The newest entries of the timeline from the first-screen cache,
    /// without loading the document: `None` in a directory with no device
    /// or no such cache, or when the cache was not saved from exactly the
    /// document files now on disk. Costs the unlock and a read of a file a
    /// small part of the document's size.
    pub fn first_screen(dir: impl Into<PathBuf>, unlock: &Unlock) -> Result<Option<FirstScreen>> {
        let store = match Store::unlock(dir, unlock) {
            Ok(store) => store,
            // Not set up yet: nothing to show before the open sets it up.
            Err(CoreError::NoDevice { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(profile) = read_profile(&store)? else {
            return Ok(None);
        };
        let cached = match store.read(files::FIRST_SCREEN) {
            Ok(Some(bytes)) => crate::read_cache::decode::<Saved>(&bytes),
            Ok(None) => return Ok(None),
            Err(e) => Err(e),
        };
        let cached = match cached {
            Ok(cached) => cached,
            Err(e) => {
                tracing::debug!("first-screen cache ignored: {e}");
                return Ok(None);
            }
        };
        // Document files are named by the hash of what they hold: the same
        // names are the same document, whoever wrote them since.
        if cached.files != docfiles::names_on_disk(&store.path(files::COUPLE_DIR))? {
            tracing::debug!("first-screen cache ignored: the document files changed");
            return Ok(None);
        }
        Ok(Some(FirstScreen {
            member_id: profile.member().to_owned(),
            saved: cached.snapshot,
        }))
    }
}
