//! Limits on how fast and how far the partner's device can grow this
//! device's copy of the shared space.
//!
//! Each sync message is bounded on its own ([`kintsugi_core::sync_budget`]);
//! these bound how many of them arrive:
//!
//! - [`RateLimit`]: per conversation, a token bucket on frames and bytes.
//!   A partner's app that sends faster is cut off (the conversation ends,
//!   nothing of the frame is read) and dialled again later as usual.
//! - [`GrowthQuota`]: per partner, what their changes may add in any 24
//!   hours, kept across restarts. Past it, their messages that bring
//!   changes are refused unread until the window has room again, and the
//!   status says so ([`crate::SyncState::QuotaReached`]).
//!
//! A couple writes a few dozen operations a day (the ten-year fixture:
//! 126,376 operations in 3,653 days); the quota is a thousand times that,
//! and a device restored from a backup, which takes back years at once, is
//! exempt until the partner's device has brought it up to date.
//! Both are pure state machines, driven by the caller's clock.

use kintsugi_core::Millis;
use serde::{Deserialize, Serialize};

/// The quota's window.
pub const WINDOW_MS: Millis = 24 * 60 * 60 * 1000;
/// Operations the partner's changes may add in any window.
pub const OPS_PER_WINDOW: u64 = 50_000;
/// Changes the partner may add in any window.
pub const CHANGES_PER_WINDOW: u64 = 10_000;
/// What the partner's changes may add in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub ops: u64,
    pub changes: u64,
}

impl Default for Allowance {
    fn default() -> Self {
        Allowance {
            ops: OPS_PER_WINDOW,
            changes: CHANGES_PER_WINDOW,
        }
    }
}

/// The window is kept as this many buckets (hours).
const BUCKET_MS: Millis = 60 * 60 * 1000;

/// What the partner's changes added, per hour, over the last window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrowthQuota {
    /// (start of the hour, operations, changes), oldest first.
    buckets: Vec<(Millis, u64, u64)>,
}

/// The quota is spent until this time (ms since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spent {
    pub until: Millis,
}

impl GrowthQuota {
    /// Reads a saved quota; anything unreadable starts empty (the worst a
    /// lost quota does is allow one more window).
    pub fn decode(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    fn forget_before(&mut self, now: Millis) {
        self.buckets.retain(|(start, _, _)| start + WINDOW_MS > now);
    }

    fn used(&self) -> (u64, u64) {
        self.buckets
            .iter()
            .fold((0, 0), |(o, c), (_, ops, changes)| (o + ops, c + changes))
    }

    /// Whether a message bringing `ops` operations in `changes` changes fits
    /// what is left of the window at `now`; if not, from when it would.
    pub fn check(
        &mut self,
        allowance: Allowance,
        now: Millis,
        ops: u64,
        changes: u64,
    ) -> Result<(), Spent> {
        self.forget_before(now);
        let (used_ops, used_changes) = self.used();
        let fits = |o: u64, c: u64| o + ops <= allowance.ops && c + changes <= allowance.changes;
        if fits(used_ops, used_changes) {
            return Ok(());
        }
        // The first time enough of the oldest buckets have left the window.
        let (mut o, mut c) = (used_ops, used_changes);
        for (start, ops_then, changes_then) in &self.buckets {
            o -= ops_then;
            c -= changes_then;
            if fits(o, c) {
                return Err(Spent {
                    until: start + WINDOW_MS,
                });
            }
        }
        // More than a whole window on its own: it never fits; a message
        // that large is refused by the message budget first.
        Err(Spent {
            until: now + WINDOW_MS,
        })
    }

    /// Counts what a message brought.
    pub fn charge(&mut self, now: Millis, ops: u64, changes: u64) {
        self.forget_before(now);
        let hour = now - now.rem_euclid(BUCKET_MS);
        match self.buckets.last_mut() {
            Some((start, o, c)) if *start == hour => {
                *o += ops;
                *c += changes;
            }
            _ => self.buckets.push((hour, ops, changes)),
        }
    }
}

/// Frames per second a conversation may sustain, and the burst above it.
pub const FRAMES_PER_SECOND: f64 = 20.0;
pub const FRAME_BURST: f64 = 200.0;
/// Bytes per second a conversation may sustain, and the burst above it:
/// a ten-year first sync (about 4 MB as several messages) passes at once.
pub const BYTES_PER_SECOND: f64 = 1024.0 * 1024.0;
pub const BYTE_BURST: f64 = 32.0 * 1024.0 * 1024.0;

/// A token bucket on a conversation's incoming frames and bytes.
#[derive(Debug, Clone)]
pub struct RateLimit {
    frames: f64,
    bytes: f64,
    at: Option<std::time::Instant>,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            frames: FRAME_BURST,
            bytes: BYTE_BURST,
            at: None,
        }
    }
}

impl RateLimit {
    /// Takes one frame of `len` bytes arriving at `now`; `false` once the
    /// conversation has sent faster than the limits.
    pub fn take(&mut self, now: std::time::Instant, len: usize) -> bool {
        if let Some(at) = self.at {
            let secs = now.saturating_duration_since(at).as_secs_f64();
            self.frames = (self.frames + secs * FRAMES_PER_SECOND).min(FRAME_BURST);
            self.bytes = (self.bytes + secs * BYTES_PER_SECOND).min(BYTE_BURST);
        }
        self.at = Some(now);
        self.frames -= 1.0;
        self.bytes -= len as f64;
        self.frames >= 0.0 && self.bytes >= 0.0
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    const HOUR: Millis = BUCKET_MS;

    #[test]
    fn the_quota_refuses_what_passes_the_window_and_says_from_when_it_fits() {
        let mut quota = GrowthQuota::default();
        let t0 = 1_767_571_200_000;
        assert!(quota.check(Allowance::default(), t0, 30_000, 10).is_ok());
        quota.charge(t0, 30_000, 10);
        assert!(
            quota
                .check(Allowance::default(), t0 + 2 * HOUR, 15_000, 10)
                .is_ok()
        );
        quota.charge(t0 + 2 * HOUR, 15_000, 10);
        // 45,000 used: 10,000 more does not fit until the first hour leaves.
        assert_eq!(
            quota.check(Allowance::default(), t0 + 3 * HOUR, 10_000, 1),
            Err(Spent {
                until: t0 + WINDOW_MS
            })
        );
        assert!(
            quota
                .check(Allowance::default(), t0 + 3 * HOUR, 5_000, 1)
                .is_ok()
        );
        assert!(
            quota
                .check(Allowance::default(), t0 + WINDOW_MS, 10_000, 1)
                .is_ok()
        );
        // Changes count on their own.
        let mut many = GrowthQuota::default();
        many.charge(t0, 100, CHANGES_PER_WINDOW);
        assert!(many.check(Allowance::default(), t0 + HOUR, 1, 1).is_err());
        // Kept across restarts.
        assert_eq!(GrowthQuota::decode(&quota.encode()), quota);
        assert_eq!(GrowthQuota::decode(b"not json"), GrowthQuota::default());
    }

    #[test]
    fn the_quota_holds_at_most_a_window_of_hours() {
        let mut quota = GrowthQuota::default();
        let t0 = 1_767_571_200_000;
        for minute in 0..(3 * 24 * 60) {
            quota.charge(t0 + minute * 60_000, 1, 1);
        }
        assert!(quota.buckets.len() <= 25, "{}", quota.buckets.len());
    }

    #[test]
    fn a_conversation_faster_than_the_limits_is_cut_off() {
        let t0 = Instant::now();
        let mut limit = RateLimit::default();
        // A first sync: a few large messages at once.
        for _ in 0..8 {
            assert!(limit.take(t0, 2 << 20));
        }
        // A flood of small frames passes the burst, then is cut off.
        let mut limit = RateLimit::default();
        let taken = (0..1_000).take_while(|_| limit.take(t0, 100)).count();
        assert_eq!(taken, FRAME_BURST as usize);
        // After a pause it may go on at the sustained rate.
        assert!(limit.take(t0 + Duration::from_secs(1), 100));
        // A stream of large frames is cut off by bytes.
        let mut limit = RateLimit::default();
        let taken = (0..100).take_while(|_| limit.take(t0, 4 << 20)).count();
        assert_eq!(taken, 8);
    }
}
