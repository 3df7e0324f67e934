//! The device, the pairing, the two members, the recovery phase, sync and
//! its content-free notices.

use kintsugi_core::{self as core, notify};
use kintsugi_sync::Relays;

use super::FromCore;
use crate::KintsugiError;

/// How the device reaches its partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NetworkMode {
    /// Relays and address lookup: works across the internet. The default for phones.
    Internet,
    /// "Private network": only through relays, so the partner's device
    /// never learns this phone's IP addresses, and no announcement on the
    /// local network. Slower than `Internet`.
    RelayOnly,
    /// Direct addresses only: a home network with no internet; nothing goes to a server.
    LocalNetwork,
    /// 127.0.0.1 only, for tests.
    Loopback,
}

/// What `Companion` needs to open a device.
///
/// It holds the storage key: do not log it (the generated Kotlin, Swift and
/// Python records print every field).
#[derive(Clone, uniffi::Record)]
pub struct CompanionConfig {
    /// The app's private data directory (it is created if missing).
    pub data_dir: String,
    /// How this partner wants to be named in the shared space.
    pub display_name: String,
    /// How to reach the partner.
    pub network: NetworkMode,
    /// The key every file in `data_dir` is encrypted with, an age identity
    /// (`AGE-SECRET-KEY-1…`) from `generate_storage_key()`. The app keeps it
    /// in the iOS Keychain or the Android Keystore, never on disk in the
    /// clear, and passes the same key every time.
    pub storage_key: String,
    /// Self-hosted relays (`https://…`, run with `iroh-relay`) to use instead
    /// of the default ones; empty keeps the mode's relays. With
    /// `LocalNetwork`, the partner is also reached through them. A URL that
    /// is not one is `InvalidInput`.
    #[uniffi(default)]
    pub relay_urls: Vec<String>,
    /// The app's cache directory (Android `Context.cacheDir`, iOS
    /// `Library/Caches`): where `stage_for_sharing` puts sealed files for the
    /// share sheet, which shares files rather than bytes. Only sealed
    /// (age-encrypted) files are ever written there. `None`: no staging.
    #[uniffi(default)]
    pub cache_dir: Option<String>,
    /// The language of the texts the core writes (the notices, the OS
    /// notification, the counselling prompt), as a language tag (`es`,
    /// `pt-BR`); `None`: English. `set_locale` changes it later and adds the
    /// app's own catalog. A tag that is not a locale is `InvalidInput`, and
    /// nothing is opened or written.
    #[uniffi(default)]
    pub locale: Option<String>,
}

impl CompanionConfig {
    /// The core's catalogs for `locale` (English when `None`).
    pub(crate) fn messages(&self) -> Result<kintsugi_core::i18n::Messages, KintsugiError> {
        Ok(match &self.locale {
            None => kintsugi_core::i18n::Messages::english(),
            Some(tag) => kintsugi_core::i18n::Messages::for_locale(tag)?,
        })
    }

    /// The network configuration these settings ask for.
    pub(crate) fn network_config(&self) -> Result<kintsugi_sync::NetworkConfig, KintsugiError> {
        let config = kintsugi_sync::NetworkConfig::from(self.network);
        match Relays::parse_custom(&self.relay_urls) {
            Ok(Some(relays)) => Ok(config.with_relays(relays)),
            Ok(None) => Ok(config),
            Err(e) => Err(KintsugiError::InvalidInput {
                message: format!("relay_urls: {e}"),
            }),
        }
    }
}

impl std::fmt::Debug for CompanionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompanionConfig")
            .field("data_dir", &self.data_dir)
            .field("display_name", &self.display_name)
            .field("network", &self.network)
            .field("storage_key", &"(hidden)")
            .field("cache_dir", &self.cache_dir)
            .field("relay_urls", &self.relay_urls)
            .field("locale", &self.locale)
            .finish()
    }
}

/// A pairing invitation: show `qr_svg`, or share `payload` as text.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Invite {
    /// A `kintsugi:` URI; the joining phone passes it to `join`.
    pub payload: String,
    /// The payload drawn as a QR code, a standalone SVG document.
    pub qr_svg: String,
    /// When the code stops working (unix seconds), for a countdown: a few
    /// minutes after it was made. Make a new invite after that.
    pub expires_at: u64,
}

/// A pairing waiting for this user: show `code` and ask whether the
/// partner's screen shows the same code, then call `confirm_pairing` or
/// `reject_pairing`. Who is on the other side is not known yet: the two
/// phones tell each other only once both confirmed (the partner's name and
/// role then come in `PartnerInfo`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct PairingCode {
    /// Six digits in two groups ("123 456"), derived from this connection
    /// and from a random value each phone chose: both phones show the same
    /// code only if they talk to each other directly.
    pub code: String,
}

impl From<&kintsugi_sync::PairingRequest> for PairingCode {
    fn from(r: &kintsugi_sync::PairingRequest) -> Self {
        PairingCode {
            code: r.code().to_owned(),
        }
    }
}

/// Where sync with the partner stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncStateKind {
    /// Not paired, or networking not started.
    Idle,
    /// Dialling the partner's device.
    Connecting,
    /// Connected; changes are travelling.
    Syncing,
    /// Connected; both devices hold the same changes.
    UpToDate,
    /// The partner's device cannot be reached now. Both keep working
    /// apart; nothing is lost. Since when is not told: it would tell when
    /// the partner's phone went offline or was switched off.
    Unreachable,
    /// The partner's device sent changes this app cannot accept (a newer
    /// app, or one changed to break the couple's rules); nothing of them was
    /// kept. Sync waits until the user asks to sync again (`sync_now`).
    /// Show it without blame: "Syncing is paused" (see `paused_since_ms`).
    Paused,
    /// The partner's device sent more in a day than a couple writes in
    /// years; its further changes wait until `quota_until_ms`, unread. This
    /// device's own changes still reach the partner.
    QuotaReached,
}

/// The sync status an app shows ("Up to date", "Not in touch right now").
///
/// It carries no time the partner's phone was reached or lost: "last
/// synced at" and "unreachable since" are when the partner's phone was
/// last online, or went off, which a partner could watch (see
/// docs/threat-model.md, "A coercive partner").
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatusInfo {
    /// Where sync stands now.
    pub state: SyncStateKind,
    /// Set when `state` is `Paused`: since when (ms since the epoch).
    pub paused_since_ms: Option<i64>,
    /// Set when `state` is `QuotaReached`: until when (ms since the epoch).
    pub quota_until_ms: Option<i64>,
}

impl From<kintsugi_sync::SyncStatus> for SyncStatusInfo {
    fn from(s: kintsugi_sync::SyncStatus) -> Self {
        use kintsugi_sync::SyncState as S;
        // The sync layer's `since` of `Unreachable` and `last_synced_at`
        // stay behind (see the type's comment).
        let (state, paused, until) = match s.state {
            S::Idle => (SyncStateKind::Idle, None, None),
            S::Connecting => (SyncStateKind::Connecting, None, None),
            S::Syncing => (SyncStateKind::Syncing, None, None),
            S::UpToDate => (SyncStateKind::UpToDate, None, None),
            S::Unreachable { .. } => (SyncStateKind::Unreachable, None, None),
            S::Paused { since } => (SyncStateKind::Paused, Some(since), None),
            S::QuotaReached { until } => (SyncStateKind::QuotaReached, None, Some(until)),
        };
        SyncStatusInfo {
            state,
            paused_since_ms: paused,
            quota_until_ms: until,
        }
    }
}

/// The paired partner's device, as this device remembers it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PartnerInfo {
    /// The partner's display name at pairing time.
    pub name: String,
    /// The partner's member id in the shared space.
    pub member_id: String,
    /// The partner's network identity (a public key).
    pub endpoint_id: String,
    /// When the pairing completed (ms since the Unix epoch).
    pub paired_at_ms: i64,
    /// The partner's age recipient and signing key, exchanged inside the
    /// pairing channel (for sealed bundles). Missing for a pairing made
    /// before they were exchanged.
    pub age_recipient: Option<String>,
    /// The partner's ed25519 key that signs their sealed bundles.
    pub signing_key: Option<String>,
    /// The role the partner had chosen when pairing, if they had one (an
    /// inviter has; a phone that joined had not yet). The shared space's
    /// members stay the truth after that.
    pub role: Option<Role>,
}

/// How a partner describes their place in what happened. Each partner sets
/// only their own; the recovery phase moves forward only for `Hurt` or `Both`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    /// "I was hurt."
    Hurt,
    /// "I broke the trust."
    BrokeTrust,
    /// Both.
    Both,
    /// Prefer not to say (everyone's role until they set one).
    Unsaid,
}

/// One partner in the shared space.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Member {
    /// The member id (stable for the life of their device).
    pub member_id: String,
    /// The display name they chose.
    pub name: String,
    /// This device's own partner.
    pub is_me: bool,
    /// When they joined the shared space (ms since the Unix epoch).
    pub joined_at_ms: i64,
    /// The role they set for themselves. Every change shows in both
    /// timelines (`EntryKind::RoleChanged`) and as a notice.
    pub role: Role,
    /// Whether their own words (notes and texts) may appear in a summary the
    /// other partner prepares for a therapist. Off until they turn it on
    /// (`set_words_in_summaries`); only they can.
    pub words_in_summaries: bool,
}

/// The recovery phases, in order: atone → attune → attach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Phase {
    /// The partner who broke the trust shows remorse through consistent action.
    Atone,
    /// The couple learn to turn toward each other again.
    Attune,
    /// Closeness and a new shared story.
    Attach,
}

/// One move of the recovery phase, with who made it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PhaseChange {
    /// Stable id of this record.
    pub id: String,
    /// Member id of the partner who moved the phase.
    pub by: String,
    /// True when this device's partner did it.
    pub by_me: bool,
    /// When the phase moved (ms since the Unix epoch).
    pub at_ms: i64,
    /// The phase before the move.
    pub from_phase: Phase,
    /// The phase after the move.
    pub to_phase: Phase,
    /// An optional word about why.
    pub note: Option<String>,
    /// The mover's role at that moment (who may move it forward depends on
    /// it); `None` for moves recorded before roles were kept with them.
    pub role: Option<Role>,
}

/// One earlier value of a field, kept when its author changed it: history is
/// never silently rewritten.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Revision {
    /// When the field was changed (ms since the Unix epoch).
    pub at_ms: i64,
    /// Member id of the partner who changed it (its author).
    pub by: String,
    /// True when this device's partner changed it.
    pub by_me: bool,
    /// The field's name, e.g. `note`, `safety`, `text`, `action_taken`.
    pub field: String,
    /// The value before the change, as text (a score in decimal); `None`
    /// when the field had no value before.
    pub before: Option<String>,
}

/// What one sync session did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncSummary {
    /// Changes from the partner that were new on this device.
    pub changes_received: u64,
    /// Bytes this device sent in the session.
    pub bytes_sent: u64,
    /// Bytes this device received in the session.
    pub bytes_received: u64,
    /// What the partner did that this device had not reported yet: what this
    /// sync brought, plus anything the partner's device pushed since the
    /// last `notices_since_last_call` or `sync_now`. For the in-app list
    /// only (each names its kind): the lock screen gets `OsNotification`.
    pub notices: Vec<Notice>,
}

/// The kinds of things a partner can do that deserve a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NoticeKind {
    /// The partner checked in.
    CheckedIn,
    /// The partner proposed an agreement or a revision.
    AgreementProposed,
    /// The partner accepted an agreement.
    AgreementAccepted,
    /// The partner asked for a small behaviour.
    RequestMade,
    /// The partner did something that was asked for.
    RequestDone,
    /// The partner answered something that was done for them.
    RequestAcknowledged,
    /// The partner shared something (a disclosure).
    Disclosure,
    /// The partner asked a question.
    QuestionAsked,
    /// The partner responded to a question.
    QuestionResponse,
    /// The partner noted a hard moment.
    Trigger,
    /// The partner responded to a hard moment.
    TriggerRepair,
    /// The partner appreciated this partner.
    Appreciation,
    /// The partner planned time together or said how it went.
    TimeTogether,
    /// The recovery phase moved.
    PhaseChanged,
    /// The partner made a transparency offer.
    OfferMade,
    /// The partner made, logged or ended a commitment.
    CommitmentUpdate,
    /// The partner changed their role.
    RoleChanged,
    /// The partner answered a request (yes, let's talk first, not now, or took back a yes).
    RequestAnswered,
    /// The partner prepared a summary for a therapist.
    SummaryPrepared,
    /// The partner changed whether their words may appear in summaries.
    WordsInSummariesChanged,
}

/// "Your partner did something of this kind, this many times." It carries no
/// content (no score, no word of a note, no name), but its kind and sentence
/// say what the partner did: show it inside the unlocked app only, never on
/// the lock screen (post `OsNotification` there).
#[derive(Debug, Clone, uniffi::Record)]
pub struct Notice {
    /// What kind of thing the partner did.
    pub kind: NoticeKind,
    /// How many such things arrived (at least 1).
    pub count: i32,
    /// A fixed sentence in the companion's language (`set_locale`), e.g.
    /// "Your partner checked in."
    pub text: String,
}

impl From<NetworkMode> for kintsugi_sync::NetworkConfig {
    fn from(mode: NetworkMode) -> Self {
        match mode {
            NetworkMode::Internet => Self::internet(),
            NetworkMode::RelayOnly => Self::relay_only(),
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
            age_recipient: p.age_recipient,
            signing_key: p.signing_key,
            role: p
                .role
                .as_deref()
                .and_then(core::Role::parse)
                .map(Into::into),
        }
    }
}

impl SyncSummary {
    pub(crate) fn new(r: kintsugi_sync::SyncReport, notices: Vec<Notice>) -> Self {
        SyncSummary {
            changes_received: r.changes_received,
            bytes_sent: r.bytes_sent,
            bytes_received: r.bytes_received,
            notices,
        }
    }
}

impl From<core::Role> for Role {
    fn from(r: core::Role) -> Self {
        match r {
            core::Role::Hurt => Role::Hurt,
            core::Role::BrokeTrust => Role::BrokeTrust,
            core::Role::Both => Role::Both,
            core::Role::Unsaid => Role::Unsaid,
        }
    }
}

impl From<Role> for core::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Hurt => core::Role::Hurt,
            Role::BrokeTrust => core::Role::BrokeTrust,
            Role::Both => core::Role::Both,
            Role::Unsaid => core::Role::Unsaid,
        }
    }
}

impl FromCore<core::Member> for Member {
    fn from_core(m: core::Member, me: &str) -> Self {
        Member {
            is_me: m.id == me,
            member_id: m.id,
            name: m.name,
            joined_at_ms: m.joined_at,
            role: m.role.into(),
            words_in_summaries: m.words_in_summaries,
        }
    }
}

impl From<core::Phase> for Phase {
    fn from(p: core::Phase) -> Self {
        match p {
            core::Phase::Atone => Phase::Atone,
            core::Phase::Attune => Phase::Attune,
            core::Phase::Attach => Phase::Attach,
        }
    }
}

impl From<Phase> for core::Phase {
    fn from(p: Phase) -> Self {
        match p {
            Phase::Atone => core::Phase::Atone,
            Phase::Attune => core::Phase::Attune,
            Phase::Attach => core::Phase::Attach,
        }
    }
}

impl FromCore<core::PhaseChange> for PhaseChange {
    fn from_core(c: core::PhaseChange, me: &str) -> Self {
        PhaseChange {
            by_me: c.by == me,
            id: c.id,
            by: c.by,
            at_ms: c.at,
            from_phase: c.from.into(),
            to_phase: c.to.into(),
            note: c.note,
            role: c.role.map(Into::into),
        }
    }
}

impl FromCore<core::Revision> for Revision {
    fn from_core(r: core::Revision, me: &str) -> Self {
        Revision {
            by_me: r.by == me,
            at_ms: r.at,
            by: r.by,
            field: r.field,
            // The core writes an empty text when there was no earlier value.
            before: Some(r.before).filter(|b| !b.is_empty()),
        }
    }
}

impl From<notify::NoticeKind> for NoticeKind {
    fn from(k: notify::NoticeKind) -> Self {
        use notify::NoticeKind as K;
        match k {
            K::CheckedIn => NoticeKind::CheckedIn,
            K::AgreementProposed => NoticeKind::AgreementProposed,
            K::AgreementAccepted => NoticeKind::AgreementAccepted,
            K::RequestMade => NoticeKind::RequestMade,
            K::RequestDone => NoticeKind::RequestDone,
            K::RequestAcknowledged => NoticeKind::RequestAcknowledged,
            K::Disclosure => NoticeKind::Disclosure,
            K::QuestionAsked => NoticeKind::QuestionAsked,
            K::QuestionResponse => NoticeKind::QuestionResponse,
            K::Trigger => NoticeKind::Trigger,
            K::TriggerRepair => NoticeKind::TriggerRepair,
            K::Appreciation => NoticeKind::Appreciation,
            K::TimeTogether => NoticeKind::TimeTogether,
            K::PhaseChanged => NoticeKind::PhaseChanged,
            K::OfferMade => NoticeKind::OfferMade,
            K::CommitmentUpdate => NoticeKind::CommitmentUpdate,
            K::RoleChanged => NoticeKind::RoleChanged,
            K::RequestAnswered => NoticeKind::RequestAnswered,
            K::SummaryPrepared => NoticeKind::SummaryPrepared,
            K::WordsInSummariesChanged => NoticeKind::WordsInSummariesChanged,
        }
    }
}

impl Notice {
    /// `n` with its sentence in the language of `messages`.
    pub(crate) fn of(n: notify::Notice, messages: &kintsugi_core::i18n::Messages) -> Self {
        Notice {
            kind: n.kind.into(),
            count: super::count(n.count),
            text: n.text(messages),
        }
    }
}
