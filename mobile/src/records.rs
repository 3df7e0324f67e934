//! Records as the apps see them: plain values, times in milliseconds since
//! the Unix epoch, and "by me" flags so a screen need not compare ids.

use kintsugi_core as core;

/// How the device reaches its partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NetworkMode {
    /// Relays and address lookup: works across the internet. The default for phones.
    Internet,
    /// Direct addresses only: a home network with no internet; nothing goes to a server.
    LocalNetwork,
    /// 127.0.0.1 only, for tests.
    Loopback,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct CompanionConfig {
    /// The app's private data directory (it is created if missing).
    pub data_dir: String,
    /// How this partner wants to be named in the shared space.
    pub display_name: String,
    pub network: NetworkMode,
}

/// A pairing invitation: show `qr_svg`, or share `payload` as text.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Invite {
    /// A `kintsugi:` URI; the joining phone passes it to `join`.
    pub payload: String,
    /// The payload drawn as a QR code, a standalone SVG document.
    pub qr_svg: String,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct PartnerInfo {
    pub name: String,
    pub member_id: String,
    pub endpoint_id: String,
    pub paired_at_ms: i64,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct Agreement {
    pub id: String,
    pub text: String,
    pub proposed_by: String,
    pub proposed_by_me: bool,
    pub proposed_at_ms: i64,
    /// True once the partner who did not propose it has accepted it.
    pub in_force: bool,
    pub accepted_at_ms: Option<i64>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct CheckInInput {
    /// 0–10.
    pub safety: i32,
    /// 0–10.
    pub trust: i32,
    /// 0–10.
    pub connection: i32,
    pub moods: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct CheckIn {
    pub id: String,
    pub author: String,
    pub by_me: bool,
    pub recorded_at_ms: i64,
    pub safety: i32,
    pub trust: i32,
    pub connection: i32,
    pub moods: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncSummary {
    /// Changes from the partner that were new on this device.
    pub changes_received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

impl From<NetworkMode> for kintsugi_sync::NetworkConfig {
    fn from(mode: NetworkMode) -> Self {
        match mode {
            NetworkMode::Internet => Self::internet(),
            NetworkMode::LocalNetwork => Self::local_network(),
            NetworkMode::Loopback => Self::loopback(),
        }
    }
}

impl From<kintsugi_sync::Partner> for PartnerInfo {
    fn from(p: kintsugi_sync::Partner) -> Self {
        PartnerInfo {
            name: p.name,
            member_id: p.member_id,
            endpoint_id: p.endpoint_id,
            paired_at_ms: p.paired_at,
        }
    }
}

impl From<kintsugi_sync::SyncReport> for SyncSummary {
    fn from(r: kintsugi_sync::SyncReport) -> Self {
        SyncSummary {
            changes_received: r.changes_received,
            bytes_sent: r.bytes_sent,
            bytes_received: r.bytes_received,
        }
    }
}

impl From<CheckInInput> for core::CheckInInput {
    fn from(c: CheckInInput) -> Self {
        core::CheckInInput {
            safety: c.safety.into(),
            trust: c.trust.into(),
            connection: c.connection.into(),
            moods: c.moods,
            note: c.note,
            ..Default::default()
        }
    }
}

pub(crate) fn agreement(a: core::Agreement, me: &str) -> Agreement {
    Agreement {
        in_force: a.in_force_version(2).is_some(),
        proposed_by_me: a.proposed_by == me,
        text: a.text().to_owned(),
        id: a.id.clone(),
        accepted_at_ms: a
            .in_force_version(2)
            .and_then(|v| v.acceptances.iter().map(|x| x.at).max()),
        proposed_by: a.proposed_by,
        proposed_at_ms: a.proposed_at,
    }
}

pub(crate) fn checkin(c: core::CheckIn, me: &str) -> CheckIn {
    CheckIn {
        by_me: c.author == me,
        id: c.id,
        author: c.author,
        recorded_at_ms: c.recorded_at,
        safety: c.safety.into(),
        trust: c.trust.into(),
        connection: c.connection.into(),
        moods: c.moods,
        note: c.note,
    }
}
