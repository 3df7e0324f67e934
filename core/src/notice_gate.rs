//! The gate between what the partner did and the phone's notification.
//!
//! A lock screen can be seen by anyone, and a partner who wants to pressure
//! can make the other's phone buzz all day (ten hard moments in a minute).
//! So the core proposes to the OS only:
//!
//! - one neutral text, the same whatever happened ("Something new in
//!   Kintsugi"): the gate never sees a notice's kind, only how many
//!   arrived, so no kind word can reach the lock screen. The kind and its
//!   sentence stay in the in-app list (`notify::Notice`), read once the
//!   phone is unlocked and the app open;
//! - at most one notification per interval (15 minutes by default; the
//!   receiving user alone sets it, in their private document): whatever
//!   arrives in between is coalesced into the next one, handed out once the
//!   interval has passed.
//!
//! [`GateState`] is a pure state machine (no clock, no I/O): notices
//! arrive, the host asks "what to post now" and "when to ask next". Its
//! state is kept in an encrypted file of the data directory
//! (`files::NOTICE_GATE`), so a restart does not reset the limit.

use serde::{Deserialize, Serialize};

use crate::device::Device;
use crate::error::{CoreError, Result};
use crate::i18n::Messages;
use crate::model::Millis;
use crate::storage::{Store, files};

/// The interval when the user never chose one.
pub const DEFAULT_INTERVAL_MINUTES: u32 = 15;
/// The shortest interval a user may choose: even then a flood of changes
/// buzzes the phone at most once a minute.
pub const MIN_INTERVAL_MINUTES: u32 = 1;
/// The longest: one a day.
pub const MAX_INTERVAL_MINUTES: u32 = 1440;

const MINUTE_MS: Millis = 60_000;

/// At most one OS notification per this many minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval(u32);

impl Interval {
    /// `minutes` within `MIN_INTERVAL_MINUTES..=MAX_INTERVAL_MINUTES`.
    pub fn minutes(minutes: u32) -> Result<Self> {
        if (MIN_INTERVAL_MINUTES..=MAX_INTERVAL_MINUTES).contains(&minutes) {
            Ok(Interval(minutes))
        } else {
            Err(CoreError::InvalidValue {
                field: "notice interval",
                reason: format!(
                    "must be between {MIN_INTERVAL_MINUTES} and {MAX_INTERVAL_MINUTES} minutes, \
                     got {minutes}"
                ),
            })
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    pub fn as_millis(self) -> Millis {
        Millis::from(self.0) * MINUTE_MS
    }
}

impl Default for Interval {
    fn default() -> Self {
        Interval(DEFAULT_INTERVAL_MINUTES)
    }
}

/// What the host posts to the OS: the same neutral words whatever the
/// partner did. `coalesced` is how many in-app notices it stands for, for
/// the app's own use (it is not in the text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsNotification {
    pub title: String,
    pub body: String,
    pub coalesced: u32,
}

impl OsNotification {
    /// Built from a count alone, so no kind can reach the lock screen.
    pub fn new(coalesced: u32, messages: &Messages) -> Self {
        OsNotification {
            title: messages.get("os-notification-title", &[]),
            body: messages.get("os-notification-body", &[]),
            coalesced,
        }
    }
}

/// The answer to "what now?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Poll {
    /// Post one notification standing for this many notices now.
    pub post: Option<u32>,
    /// Ask again at this time (ms): notices are waiting for the interval to
    /// pass. `None`: nothing waits.
    pub next_check_at: Option<Millis>,
}

/// The rate limit's memory: when the last notification went out and how
/// many notices wait for the next.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateState {
    #[serde(default)]
    pub last_posted_at: Option<Millis>,
    #[serde(default)]
    pub pending: u32,
}

impl GateState {
    /// `count` new notices from the partner.
    pub fn arrive(&mut self, count: u32) {
        self.pending = self.pending.saturating_add(count);
    }

    /// What to post at `now`, and when to ask next. Posting empties the
    /// waiting count and starts a new interval.
    pub fn poll(&mut self, now: Millis, interval: Interval) -> Poll {
        // A clock set back must not hold notices for as long as it moved.
        if self.last_posted_at.is_some_and(|last| last > now) {
            self.last_posted_at = Some(now);
        }
        let due = self.due_at(interval);
        if self.pending > 0 && due.is_none_or(|due| now >= due) {
            let post = std::mem::take(&mut self.pending);
            self.last_posted_at = Some(now);
            return Poll {
                post: Some(post),
                next_check_at: None,
            };
        }
        Poll {
            post: None,
            next_check_at: (self.pending > 0).then(|| due.unwrap_or(now)),
        }
    }

    /// When the next notification may go out (`None`: at once).
    fn due_at(&self, interval: Interval) -> Option<Millis> {
        self.last_posted_at
            .map(|last| last.saturating_add(interval.as_millis()))
    }

    /// The state kept in `store`; a fresh one when there is none. A file
    /// that cannot be read is treated as a notification posted `now`: the
    /// limit holds (nothing buzzes at once), and the in-app list still has
    /// every notice.
    pub fn load(store: &Store, now: Millis) -> Result<Self> {
        let unreadable = || GateState {
            last_posted_at: Some(now),
            pending: 0,
        };
        match store.read(files::NOTICE_GATE) {
            Ok(None) => Ok(GateState::default()),
            Ok(Some(bytes)) => Ok(serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                tracing::warn!("the notice gate's state is unreadable; starting anew");
                unreadable()
            })),
            Err(CoreError::Corrupt { .. }) => {
                tracing::warn!("the notice gate's state cannot be decrypted; starting anew");
                Ok(unreadable())
            }
            Err(e) => Err(e),
        }
    }

    /// Durably, encrypted like every file of the device.
    pub fn save(&self, store: &Store) -> Result<()> {
        let bytes = serde_json::to_vec(self).expect("the gate state serialises");
        store.write(files::NOTICE_GATE, &bytes)
    }
}

/// `count` notices from the partner arrived on `device` at `now`: kept for
/// the next notification. Does nothing for none.
pub fn arrived(device: &Device, count: u32, now: Millis) -> Result<()> {
    if count == 0 {
        return Ok(());
    }
    let mut state = GateState::load(device.store(), now)?;
    state.arrive(count);
    state.save(device.store())
}

/// What `device` should post to the OS at `now` (in the words of
/// `messages`), with the interval its user chose, and when to ask again.
pub fn poll(
    device: &Device,
    now: Millis,
    messages: &Messages,
) -> Result<(Option<OsNotification>, Option<Millis>)> {
    let mut state = GateState::load(device.store(), now)?;
    let before = state.clone();
    let poll = state.poll(now, device.notice_interval());
    if state != before {
        state.save(device.store())?;
    }
    Ok((
        poll.post.map(|n| OsNotification::new(n, messages)),
        poll.next_check_at,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Millis = MINUTE_MS;
    const T0: Millis = 1_790_000_000_000;

    fn every(minutes: u32) -> Interval {
        Interval::minutes(minutes).unwrap()
    }

    #[test]
    fn ten_hard_moments_within_a_minute_give_one_coalesced_notification() {
        let mut gate = GateState::default();
        let interval = Interval::default();
        let mut posted = Vec::new();
        // Ten triggers, six seconds apart; the host asks after each.
        for i in 0..10 {
            let now = T0 + i * 6_000;
            gate.arrive(1);
            let poll = gate.poll(now, interval);
            posted.extend(poll.post.map(|n| (now, n)));
            if poll.post.is_none() {
                assert_eq!(poll.next_check_at, Some(T0 + 15 * MIN));
            }
        }
        // The first goes out at once; the other nine wait.
        assert_eq!(posted, vec![(T0, 1)]);
        assert_eq!(gate.pending, 9);
        // Asking before the interval has passed gives nothing.
        assert_eq!(gate.poll(T0 + 14 * MIN, interval).post, None);
        // Then one notification for all nine.
        let poll = gate.poll(T0 + 15 * MIN, interval);
        assert_eq!(poll.post, Some(9));
        assert_eq!(poll.next_check_at, None);
        assert_eq!(gate.poll(T0 + 16 * MIN, interval).post, None);
    }

    #[test]
    fn a_flood_after_a_quiet_spell_is_one_notification_per_interval() {
        let mut gate = GateState::default();
        let interval = every(5);
        let mut posts = 0;
        // One notice a second for an hour: 12 notifications, not 3,600.
        for s in 0..3_600 {
            gate.arrive(1);
            if gate.poll(T0 + s * 1_000, interval).post.is_some() {
                posts += 1;
            }
        }
        assert_eq!(posts, 12);
    }

    #[test]
    fn nothing_waiting_means_nothing_to_post_and_no_time_to_ask() {
        let mut gate = GateState::default();
        assert_eq!(
            gate.poll(T0, Interval::default()),
            Poll {
                post: None,
                next_check_at: None
            }
        );
        gate.arrive(0);
        assert_eq!(gate.poll(T0, Interval::default()).post, None);
    }

    #[test]
    fn a_longer_interval_chosen_later_applies_to_what_waits() {
        let mut gate = GateState::default();
        gate.arrive(1);
        assert_eq!(gate.poll(T0, every(15)).post, Some(1));
        gate.arrive(2);
        let poll = gate.poll(T0 + 20 * MIN, every(60));
        assert_eq!(poll.post, None);
        assert_eq!(poll.next_check_at, Some(T0 + 60 * MIN));
        assert_eq!(gate.poll(T0 + 60 * MIN, every(60)).post, Some(2));
    }

    #[test]
    fn a_clock_set_back_holds_notices_one_interval_at_most() {
        let mut gate = GateState::default();
        gate.arrive(1);
        assert_eq!(gate.poll(T0, every(15)).post, Some(1));
        gate.arrive(1);
        // The clock jumps a day back: the wait is one interval from there.
        let back = T0 - 24 * 60 * MIN;
        let poll = gate.poll(back, every(15));
        assert_eq!(poll.post, None);
        assert_eq!(poll.next_check_at, Some(back + 15 * MIN));
        assert_eq!(gate.poll(back + 15 * MIN, every(15)).post, Some(1));
    }

    #[test]
    fn the_interval_has_bounds() {
        assert!(Interval::minutes(0).is_err());
        assert!(Interval::minutes(1441).is_err());
        assert_eq!(Interval::minutes(1).unwrap().as_millis(), MIN);
        assert_eq!(Interval::minutes(1440).unwrap().get(), 1440);
        assert_eq!(Interval::default().get(), 15);
    }

    #[test]
    fn the_os_text_is_the_same_whatever_the_count_and_names_no_kind() {
        let english = Messages::english();
        let one = OsNotification::new(1, &english);
        let many = OsNotification::new(10, &english);
        assert_eq!((&one.title, &one.body), (&many.title, &many.body));
        assert_eq!(one.body, "Something new in Kintsugi");
        assert_eq!(many.coalesced, 10);
    }

    /// Every notice kind. The match makes a new kind fail to compile here
    /// until it is listed, so the test below covers it too.
    fn every_kind() -> Vec<crate::notify::NoticeKind> {
        use crate::notify::NoticeKind::*;
        let all = vec![
            CheckedIn,
            AgreementProposed,
            AgreementAccepted,
            RequestMade,
            RequestDone,
            RequestAcknowledged,
            Disclosure,
            QuestionAsked,
            QuestionResponse,
            Trigger,
            TriggerRepair,
            Appreciation,
            TimeTogether,
            PhaseChanged,
            OfferMade,
            CommitmentUpdate,
            RoleChanged,
            RequestAnswered,
            SummaryPrepared,
            WordsInSummariesChanged,
        ];
        for kind in &all {
            match kind {
                CheckedIn
                | AgreementProposed
                | AgreementAccepted
                | RequestMade
                | RequestDone
                | RequestAcknowledged
                | Disclosure
                | QuestionAsked
                | QuestionResponse
                | Trigger
                | TriggerRepair
                | Appreciation
                | TimeTogether
                | PhaseChanged
                | OfferMade
                | CommitmentUpdate
                | RoleChanged
                | RequestAnswered
                | SummaryPrepared
                | WordsInSummariesChanged => {}
            }
        }
        all
    }

    #[test]
    fn the_os_notification_names_no_kind_for_any_kind() {
        let english = Messages::english();
        let banned = [
            "check",
            "agreement",
            "request",
            "hard moment",
            "phase",
            "question",
            "trigger",
            "appreciat",
            "offer",
            "commitment",
            "disclos",
            "together",
            "partner",
            "repair",
            "accept",
            "respon",
            "role",
            "answer",
            "summar",
            "therapist",
            "words",
        ];
        for kind in every_kind() {
            // What the gate is given for a notice of this kind: its count.
            let mut gate = GateState::default();
            gate.arrive(1);
            let n = OsNotification::new(gate.poll(T0, Interval::default()).post.unwrap(), &english);
            let text = format!("{} {}", n.title, n.body).to_lowercase();
            for word in banned {
                assert!(!text.contains(word), "{word:?} for {kind:?}: {text:?}");
            }
            // Nor any word of the kind's own name.
            let name = serde_json::to_string(&kind).unwrap();
            for word in name.trim_matches('"').split('_').filter(|w| w.len() > 3) {
                assert!(!text.contains(word), "{word:?} for {kind:?}: {text:?}");
            }
        }
    }

    #[test]
    fn the_state_survives_a_restart_and_a_damaged_file_holds_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let unlock = crate::Unlock::HostKey(crate::Unlock::generate_host_key());
        let store = Store::create_or_unlock(dir.path(), &unlock).unwrap();
        assert_eq!(GateState::load(&store, T0).unwrap(), GateState::default());
        let mut gate = GateState::default();
        gate.arrive(3);
        gate.poll(T0, Interval::default());
        gate.arrive(4);
        gate.save(&store).unwrap();
        // Encrypted on disk like every other file.
        let raw = std::fs::read(store.path(files::NOTICE_GATE)).unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("pending"));
        let again = Store::unlock(dir.path(), &unlock).unwrap();
        let mut reloaded = GateState::load(&again, T0 + MIN).unwrap();
        assert_eq!(reloaded, gate);
        assert_eq!(reloaded.poll(T0 + MIN, Interval::default()).post, None);

        std::fs::write(store.path(files::NOTICE_GATE), b"garbage").unwrap();
        let mut damaged = GateState::load(&again, T0 + 2 * MIN).unwrap();
        damaged.arrive(1);
        assert_eq!(damaged.poll(T0 + 2 * MIN, Interval::default()).post, None);
    }
}
