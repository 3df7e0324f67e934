//! A device on the network: one iroh endpoint with the pairing and sync
//! protocols mounted on a `Router`, over the device's core state.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use automerge::sync::{Message, State};
use iroh::endpoint::VarInt;
use iroh::protocol::Router;
use iroh::{Endpoint, EndpointAddr, EndpointId, SecretKey};
use iroh_tickets::endpoint::EndpointTicket;
use kintsugi_core::{CoreError, CoupleDoc, Device};
use tokio::sync::{mpsc, watch};
use tracing::info;
use zeroize::Zeroizing;

use crate::config::NetworkConfig;
use crate::discovery::{LocalDiscovery, PartnerSighting};
use crate::error::{Result, SyncError};
use crate::identity::Identity;
use crate::invite::{INVITE_LIFETIME, Invite, SECRET_LEN};
use crate::live::{self, LIVE_ALPN, LiveHandler};
use crate::pairing::{self, PAIR_ALPN, PairingHandler, PairingRequest};
use crate::partner::Partner;
use crate::protocol::{self, SYNC_ALPN, SyncHandler, SyncReport};
use crate::quota::GrowthQuota;
use crate::status::{SyncState, SyncStatus};
use crate::unpair::{self, UNPAIR_ALPN, UnpairHandler};

// Named in core, so that wiping a device knows them; encrypted like every file.
const PORT_FILE: &str = kintsugi_core::storage::files::ENDPOINT_PORT;
const PAUSED_FILE: &str = kintsugi_core::storage::files::SYNC_PAUSED;
const QUOTA_FILE: &str = kintsugi_core::storage::files::SYNC_QUOTA;
const DIAL_TIMEOUT: Duration = Duration::from_secs(20);

/// State the protocol handlers share with the node.
#[derive(Debug)]
pub(crate) struct Shared {
    device: Arc<Mutex<Device>>,
    endpoint: Endpoint,
    partner: watch::Sender<Option<Partner>>,
    /// Set once a pairing handshake has fully completed (or the partner was
    /// loaded from disk): what `wait_for_partner` waits for, so an inviter
    /// that exits right after it never cuts the joiner's answer short.
    paired: watch::Sender<Option<Partner>>,
    /// Secrets of invites shown and not yet redeemed, with their expiry
    /// (unix seconds).
    open_invites: Mutex<Vec<(Zeroizing<[u8; SECRET_LEN]>, u64)>>,
    /// Redeemed secrets, kept only to answer "already used" rather than "not valid".
    used_invites: Mutex<Vec<Zeroizing<[u8; SECRET_LEN]>>>,
    /// Whether the endpoint accepts the pairing ALPN now: only while an
    /// invite is open and unexpired and the device has no partner.
    pairing_mounted: Mutex<bool>,
    /// Wakes the task that unmounts the pairing ALPN when invites expire.
    invites_changed: Arc<tokio::sync::Notify>,
    pub(crate) sync_lock: tokio::sync::Mutex<()>,
    wire_tap: TapSlot,
    identity: Arc<Identity>,
    /// Verified pairings waiting for this user to compare codes.
    requests_tx: mpsc::UnboundedSender<PairingRequest>,
    requests_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<PairingRequest>>,
    status: watch::Sender<SyncStatus>,
    /// Bumped after each durable save of the shared document here (by this
    /// process, or by another one when the data directory is watched).
    local_change: watch::Sender<u64>,
    /// Changes received from the partner since the node started.
    received: watch::Sender<u64>,
    /// Live conversations running now (dialled or accepted).
    conversations: watch::Sender<usize>,
    kick: tokio::sync::Notify,
    /// Since when syncing is paused, after the partner's device sent
    /// changes this device refused.
    paused: watch::Sender<Option<kintsugi_core::Millis>>,
    /// What the partner's changes added in the last 24 hours (loaded on
    /// first use, kept in `sync-quota.age`).
    quota: Mutex<Option<GrowthQuota>>,
    allowance: crate::quota::Allowance,
}

/// Counts a live conversation for as long as it lives.
pub(crate) struct Conversing<'a>(&'a watch::Sender<usize>);

impl Drop for Conversing<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

/// What this device says about itself when pairing.
pub(crate) struct Me {
    pub(crate) name: String,
    pub(crate) member_id: String,
    /// The Automerge actor id this device writes with.
    pub(crate) actor_id: String,
    pub(crate) role: Option<String>,
    pub(crate) identity: Arc<Identity>,
}

#[derive(Default)]
struct TapSlot(Mutex<Option<WireTap>>);

impl std::fmt::Debug for TapSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TapSlot")
    }
}

/// Which way a sync frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// Sees every sync frame sent or received (diagnostics and tests that check
/// what actually crosses the wire).
pub type WireTap = Arc<dyn Fn(Direction, &[u8]) + Send + Sync>;

impl Shared {
    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub(crate) fn endpoint_id(&self) -> EndpointId {
        self.endpoint.id()
    }

    pub(crate) fn endpoint_addr(&self) -> EndpointAddr {
        self.endpoint.addr()
    }

    pub(crate) fn device(&self) -> MutexGuard<'_, Device> {
        // A panic while holding the lock cannot leave the document half
        // written (Automerge commits atomically), so keep going.
        self.device.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn me(&self) -> Result<Me> {
        let device = self.device();
        let member_id = device.member_id().to_owned();
        // Before joining there is no shared document, hence no role yet.
        let role = device
            .members()
            .ok()
            .and_then(|members| members.into_iter().find(|m| m.id == member_id))
            .map(|m| m.role.as_str().to_owned());
        Ok(Me {
            name: device.profile().name.clone(),
            member_id,
            actor_id: device.profile().actor_id.clone(),
            role,
            identity: self.identity.clone(),
        })
    }

    /// Hands a verified pairing to whoever waits in `next_pairing_request`.
    pub(crate) fn offer_pairing_request(&self, request: PairingRequest) {
        // The receiver lives as long as `self`.
        let _ = self.requests_tx.send(request);
    }

    pub(crate) fn partner(&self) -> Result<Partner> {
        self.partner.borrow().clone().ok_or(SyncError::NotPaired)
    }

    pub(crate) fn partner_watch(&self) -> watch::Receiver<Option<Partner>> {
        self.partner.subscribe()
    }

    pub(crate) fn conversations(&self) -> watch::Receiver<usize> {
        self.conversations.subscribe()
    }

    /// Counts a new live conversation if `may_start` allows it given how
    /// many run now. Checking and counting happen at once, so two
    /// connections racing (both phones dialling each other) cannot both
    /// see none running.
    pub(crate) fn start_conversation(
        &self,
        may_start: impl FnOnce(usize) -> bool,
    ) -> Option<Conversing<'_>> {
        let mut started = false;
        self.conversations.send_if_modified(|n| {
            started = may_start(*n);
            if started {
                *n += 1;
            }
            started
        });
        started.then(|| Conversing(&self.conversations))
    }

    pub(crate) fn conversations_running(&self) -> usize {
        *self.conversations.borrow()
    }

    pub(crate) fn local_changes(&self) -> watch::Receiver<u64> {
        self.local_change.subscribe()
    }

    /// Resolves on the next kick (or local change) after this call.
    pub(crate) async fn kicked(&self) {
        let mut local = self.local_changes();
        tokio::select! {
            _ = self.kick.notified() => {}
            _ = local.changed() => {}
        }
    }

    pub(crate) fn note_received(&self, changes: usize) {
        self.received.send_modify(|n| *n += changes as u64);
    }

    pub(crate) fn state(&self) -> SyncState {
        self.status.borrow().state
    }

    pub(crate) fn set_state(&self, state: SyncState) {
        // A pause holds until the user resumes.
        if self.paused.borrow().is_some() && !matches!(state, SyncState::Paused { .. }) {
            return;
        }
        // A spent quota shows until it has room again (a pause goes over it).
        if let SyncState::QuotaReached { until } = self.state()
            && kintsugi_core::now_millis() < until
            && !matches!(
                state,
                SyncState::Paused { .. } | SyncState::QuotaReached { .. }
            )
        {
            return;
        }
        self.status.send_if_modified(|s| {
            let changed = s.state != state;
            s.state = state;
            changed
        });
    }

    /// Pauses syncing if `error` is the door refusing what the partner's
    /// device sent: retrying would only meet the same refusal. Kept across
    /// restarts; the user resumes by syncing again.
    pub(crate) fn note_failure(&self, error: &SyncError) {
        if !error.is_refusal() || self.paused.borrow().is_some() {
            return;
        }
        // The refusal says where, never what (record ids and field names).
        tracing::warn!(error = %error.redacted(), "pausing sync");
        let since = kintsugi_core::now_millis();
        if let Err(e) = self
            .device()
            .store()
            .write(PAUSED_FILE, since.to_string().as_bytes())
        {
            tracing::warn!("could not note the pause: {e}");
        }
        self.paused.send_replace(Some(since));
        self.set_state(SyncState::Paused { since });
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused.borrow().is_some()
    }

    pub(crate) fn paused_watch(&self) -> watch::Receiver<Option<kintsugi_core::Millis>> {
        self.paused.subscribe()
    }

    /// The user asked to sync: try again.
    pub(crate) fn resume(&self) -> Result<()> {
        if self.paused.borrow().is_none() {
            return Ok(());
        }
        self.device().store().remove(PAUSED_FILE)?;
        self.paused.send_replace(None);
        self.set_state(SyncState::Idle);
        self.kick.notify_waiters();
        Ok(())
    }

    /// Unreachable, keeping the time it first became so.
    pub(crate) fn mark_unreachable(&self) {
        if !matches!(self.state(), SyncState::Unreachable { .. }) {
            self.set_state(SyncState::Unreachable {
                since: kintsugi_core::now_millis(),
            });
        }
    }

    /// Both devices hold the same changes now (or all the partner's
    /// device had to say was said, while its quota is spent).
    pub(crate) fn synced(&self) {
        if self.quota_spent() {
            return;
        }
        let now = kintsugi_core::now_millis();
        let previous = self.status.borrow().last_synced_at;
        self.status.send_replace(SyncStatus {
            state: SyncState::UpToDate,
            last_synced_at: Some(now),
        });
        // Kept across restarts ("last synced 2 days ago"), written at most
        // once a minute: a live conversation agrees after every change.
        if previous.is_none_or(|t| now - t > 60_000)
            && let Ok(mut partner) = self.partner()
        {
            partner.last_synced_at = Some(now);
            let mut device = self.device();
            if let Err(e) = partner.save(device.store()) {
                tracing::warn!(error = %e.redacted(), "could not note the sync time");
            }
            // What a lost device wrote after its backup has come back now.
            if let Err(e) = device.finish_recovery() {
                tracing::warn!("could not note the end of a restore: {e}");
            }
        }
    }

    /// Closes a connection from an endpoint that is not our partner, before
    /// any stream is accepted. The same for everyone (an ex-partner
    /// included), and it says nothing about whether this device is paired.
    pub(crate) fn refuse(&self, conn: &iroh::endpoint::Connection, what: &str) -> SyncError {
        tracing::debug!(
            remote = %conn.remote_id().fmt_short(),
            "refused {what} from an endpoint that is not our partner"
        );
        conn.close(VarInt::from_u32(protocol::NOT_PAIRED), b"not paired");
        SyncError::NotPaired
    }

    pub(crate) fn is_partner(&self, id: &EndpointId) -> bool {
        self.partner
            .borrow()
            .as_ref()
            .is_some_and(|p| p.endpoint_id == id.to_string())
    }

    pub(crate) fn with_doc<T>(&self, f: impl FnOnce(&mut CoupleDoc) -> Result<T>) -> Result<T> {
        let mut device = self.device();
        f(device.doc_mut()?)
    }

    /// Takes in one frame from the partner's device: within the message
    /// budget, within the partner's growth quota (unless this device is
    /// being restored, when years come back at once), then applied, made
    /// durable and counted in [`changes_received`](crate::Node::changes_received).
    /// Returns how many changes were new.
    pub(crate) fn receive_frame(&self, state: &mut State, frame: &[u8]) -> Result<usize> {
        let cost = match kintsugi_core::precheck_sync_message(frame) {
            Ok(cost) => cost,
            Err(e) => {
                let e = SyncError::from(e);
                self.note_failure(&e);
                return Err(e);
            }
        };
        let now = kintsugi_core::now_millis();
        let counted = cost.changes > 0 && !self.device().profile().recovering;
        let mut message = kintsugi_core::decode_sync_message(frame)?;
        if counted {
            let mut quota = self.quota();
            let checked = quota
                .as_mut()
                .map(|q| q.check(self.allowance, now, cost.ops, cost.changes));
            drop(quota);
            if let Some(Err(spent)) = checked {
                tracing::warn!(
                    ops = cost.ops,
                    changes = cost.changes,
                    "the partner's growth quota is spent; their changes wait"
                );
                self.set_state(SyncState::QuotaReached { until: spent.until });
                // Their changes are dropped unread; the rest of the message
                // (heads, needs, summary) still lets this device send its own.
                message.changes = automerge::sync::ChunkList::from(Vec::<Vec<u8>>::new());
                return self.apply_sync_message(state, message);
            }
        }
        let new = self.apply_sync_message(state, message)?;
        if new > 0 {
            // Told before the quota's note is written: that write is
            // bookkeeping, and the changes are already durable.
            self.note_received(new);
        }
        if counted && new > 0 {
            let mut quota = self.quota();
            if let Some(q) = quota.as_mut() {
                q.charge(now, cost.ops, cost.changes);
                let bytes = q.encode();
                drop(quota);
                if let Err(e) = self.device().store().write(QUOTA_FILE, &bytes) {
                    tracing::warn!("could not note the partner's quota: {e}");
                }
            }
        }
        Ok(new)
    }

    /// Whether the partner's growth quota is spent now.
    fn quota_spent(&self) -> bool {
        matches!(self.state(), SyncState::QuotaReached { until } if kintsugi_core::now_millis() < until)
    }

    /// The partner's growth quota, read from disk on first use.
    fn quota(&self) -> std::sync::MutexGuard<'_, Option<GrowthQuota>> {
        let mut quota = self.quota.lock().unwrap_or_else(|p| p.into_inner());
        if quota.is_none() {
            let saved = self.device().store().read(QUOTA_FILE).ok().flatten();
            *quota = Some(saved.map(|b| GrowthQuota::decode(&b)).unwrap_or_default());
        }
        quota
    }

    /// Applies a partner's sync message and makes any new changes durable
    /// before the caller answers. Returns how many changes were new.
    pub(crate) fn apply_sync_message(&self, state: &mut State, message: Message) -> Result<usize> {
        let mut device = self.device();
        let door = kintsugi_core::Door::partner(crate::roster::roster(
            &device,
            &self.identity,
            self.partner.borrow().as_ref(),
        ));
        let doc = device.doc_mut()?;
        // Containers both phones created while apart are folded together
        // so no record hides behind a concurrent one.
        let received = doc
            .receive_sync_message(state, message, kintsugi_core::now_millis(), &door)
            .map_err(|e| match e {
                CoreError::Automerge(e) => {
                    SyncError::Protocol(format!("sync message rejected: {e}"))
                }
                other => other.into(),
            });
        let new = match received {
            Ok(new) => new,
            Err(e) => {
                drop(device);
                self.note_failure(&e);
                return Err(e);
            }
        };
        if new > 0 {
            device.persist()?;
        }
        Ok(new)
    }

    pub(crate) fn tap(&self, direction: Direction, frame: &[u8]) {
        let tap = self
            .wire_tap
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(tap) = tap {
            tap(direction, frame);
        }
    }

    pub(crate) fn refresh_from_disk(&self) -> Result<()> {
        Ok(self.device().reload()?)
    }

    /// The saved sync state for `peer`, or a fresh one if it no longer
    /// matches the document: after a restore from a backup the state may
    /// claim changes this device does not hold, and the partner would then
    /// never send them. A fresh state costs one larger exchange.
    pub(crate) fn load_sync_state(&self, peer: &str) -> Result<State> {
        let mut device = self.device();
        let bytes = device.store().load_sync_state(peer)?;
        let state = protocol::decode_state(bytes);
        let doc = device.doc_mut()?;
        let stale = state
            .shared_heads
            .iter()
            .any(|h| doc.automerge_mut().get_change_by_hash(h).is_none());
        if stale {
            tracing::warn!("the saved sync state names changes this device lacks: starting afresh");
            return Ok(State::new());
        }
        Ok(state)
    }

    pub(crate) fn save_sync_state(&self, peer: &str, state: &State) -> Result<()> {
        Ok(self
            .device()
            .store()
            .save_sync_state(peer, &state.encode())?)
    }

    /// Checks a joiner's proof against the open invites and burns the secret
    /// it matches (and every other open one). A device with a partner
    /// answers as for a code it never showed: it never says it is paired.
    pub(crate) fn redeem_invite(
        &self,
        presented: blake3::Hash,
        expected: impl Fn(&[u8; SECRET_LEN]) -> blake3::Hash,
    ) -> Result<()> {
        let verdict = self.redeem(presented, expected);
        // Redeemed or expired codes may leave no invite open: unmount.
        self.invites_changed();
        verdict
    }

    fn redeem(
        &self,
        presented: blake3::Hash,
        expected: impl Fn(&[u8; SECRET_LEN]) -> blake3::Hash,
    ) -> Result<()> {
        let not_valid = || SyncError::PairingRefused("this pairing code is not valid".into());
        let mut open = self.open_invites.lock().unwrap_or_else(|p| p.into_inner());
        let mut used = self.used_invites.lock().unwrap_or_else(|p| p.into_inner());
        // blake3::Hash compares in constant time.
        if used.iter().any(|secret| expected(secret) == presented) {
            return Err(SyncError::PairingRefused(
                "this pairing code was already used".into(),
            ));
        }
        // Checked before the open invites: a device has one partner, and a
        // second code shown earlier must not let anyone else take that place.
        if self.partner.borrow().is_some() {
            return Err(not_valid());
        }
        let Some(i) = open
            .iter()
            .position(|(secret, _)| expected(secret) == presented)
        else {
            return Err(not_valid());
        };
        let (secret, expires_at) = open[i].clone();
        // Whatever the joiner's copy of the payload said.
        if unix_now() > expires_at {
            open.remove(i);
            used.push(secret);
            return Err(SyncError::PairingRefused(
                "this pairing code has expired".into(),
            ));
        }
        // Pairing succeeds once: every other open code is burnt with this one.
        used.extend(open.drain(..).map(|(s, _)| s));
        Ok(())
    }

    /// Mounts the pairing ALPN while an invite is open and unexpired and the
    /// device has no partner, and unmounts it otherwise, so that a device
    /// showing no code does not speak pairing at all. Returns how long until
    /// the next open invite expires, while one is open.
    pub(crate) fn remount_pairing(&self) -> Option<Duration> {
        let mut mounted = self
            .pairing_mounted
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        // An invite works while the clock reads no more than its expiry.
        let next_expiry = self
            .open_invites
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(_, expires_at)| *expires_at)
            .filter(|expires_at| *expires_at >= now.as_secs())
            .min();
        let open = next_expiry.is_some() && self.partner.borrow().is_none();
        if open != *mounted {
            let mut alpns = Vec::with_capacity(5);
            if open {
                alpns.push(PAIR_ALPN.to_vec());
            }
            alpns.extend(
                [SYNC_ALPN, LIVE_ALPN, UNPAIR_ALPN, crate::moved::MOVED_ALPN].map(<[u8]>::to_vec),
            );
            self.endpoint.set_alpns(alpns);
            *mounted = open;
            info!(
                "pairing protocol {}",
                if open { "mounted" } else { "unmounted" }
            );
        }
        let ends = next_expiry.filter(|_| open)?.saturating_add(1);
        Some(Duration::from_secs(ends).saturating_sub(now))
    }

    /// The open invites changed: mount or unmount pairing now, and let the
    /// expiry timer know.
    pub(crate) fn invites_changed(&self) {
        self.remount_pairing();
        self.invites_changed.notify_one();
    }

    /// Inviter side, once both confirmed: records the joiner as partner and
    /// returns the shared document for it.
    pub(crate) fn accept_partner(&self, partner: Partner) -> Result<Vec<u8>> {
        let mut device = self.device();
        device.start_couple()?;
        partner.save(device.store())?;
        let document = device.doc_mut()?.save();
        drop(device);
        self.partner.send_replace(Some(partner));
        Ok(document)
    }

    /// Joiner side: adopts the inviter's document and records the inviter as partner.
    pub(crate) fn adopt_partner(&self, partner: Partner, document: &[u8]) -> Result<()> {
        let mut device = self.device();
        let roster = crate::roster::roster(&device, &self.identity, Some(&partner));
        device.join_couple(document, &roster)?;
        partner.save(device.store())?;
        drop(device);
        self.partner.send_replace(Some(partner.clone()));
        self.paired.send_replace(Some(partner));
        Ok(())
    }

    /// Leaves the pairing ([`crate::unpair::leave`]): the partner is forgot
    /// durably, the shared space archived and the keys rotated on disk. This
    /// node keeps the old endpoint key until it is shut down.
    pub(crate) fn forget_partner(&self) -> Result<crate::unpair::Left> {
        let left = {
            let mut device = self.device();
            crate::unpair::leave(&mut device)?
        };
        self.partner.send_replace(None);
        self.paired.send_replace(None);
        self.paused.send_replace(None);
        self.status.send_replace(SyncStatus::idle(None));
        Ok(left)
    }

    /// The partner's device was restored and moved to a new endpoint id,
    /// which it proved with its signing key ([`crate::moved`]).
    pub(crate) fn partner_moved(&self, moved: Partner) -> Result<()> {
        {
            let device = self.device();
            moved.save(device.store())?;
            // Its copy of the space is older than our state says.
            device.store().reset_sync_states()?;
        }
        self.partner.send_replace(Some(moved.clone()));
        self.paired.send_replace(Some(moved));
        Ok(())
    }

    pub(crate) fn store_and_identity(&self) -> Result<(kintsugi_core::Store, Arc<Identity>)> {
        Ok((self.device().store().clone(), self.identity.clone()))
    }

    /// Inviter side, once the joiner has read our answer.
    pub(crate) fn pairing_completed(&self, partner: Partner) {
        self.paired.send_replace(Some(partner));
    }

    /// Joiner side, once paired: codes this device showed earlier can no
    /// longer be used, and one sync lets the inviter learn our member entry
    /// (so it can, say, send an appreciation) without waiting.
    pub(crate) async fn joined(&self, _partner: Partner) {
        self.open_invites
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.invites_changed();
        if let Err(e) = dial_and_sync(self).await {
            tracing::warn!(error = %e.redacted(), "first sync after pairing");
        }
    }
}

/// A running device: reachable by its partner until [`Node::shutdown`].
#[derive(Debug)]
pub struct Node {
    shared: Arc<Shared>,
    router: Router,
    /// Background tasks (live keeper, data-directory watch), aborted on shutdown.
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Unmounts the pairing ALPN as invites expire; aborted on shutdown.
    invite_timer: tokio::task::JoinHandle<()>,
    discovery: Option<LocalDiscovery>,
}

impl Node {
    /// Binds the endpoint (with the device's persistent key) and starts
    /// accepting the pairing and sync protocols.
    pub async fn spawn(device: Arc<Mutex<Device>>, config: &NetworkConfig) -> Result<Node> {
        let (secret_key, port, partner, identity, paused) = {
            let mut device = device.lock().unwrap_or_else(|p| p.into_inner());
            // A device restored by an earlier version writes under an actor
            // nothing binds yet: bind it before the partner hears from it.
            let identity = Identity::load_or_create(device.store())?;
            device.bind_actor(&identity.signing_public(), |m| identity.sign(m).to_bytes())?;
            let store = device.store();
            let key = crate::identity::endpoint_key_or_create(store)?;
            let port = store
                .read(PORT_FILE)?
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.trim().parse::<u16>().ok());
            (
                key,
                port,
                Partner::load(store)?,
                identity,
                store
                    .read(PAUSED_FILE)?
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|t| t.trim().parse::<kintsugi_core::Millis>().ok()),
            )
        };
        let stable_port = !config.public_address_lookup;
        let (endpoint, discovery) =
            match bind(config, secret_key.clone(), port.filter(|_| stable_port)).await {
                Ok(bound) => bound,
                // The remembered port may be taken now: any port will do.
                Err(_) if port.is_some() => bind(config, secret_key, None).await?,
                Err(e) => return Err(e),
            };
        if let Some(bound) = endpoint.bound_sockets().first()
            && stable_port
            && port != Some(bound.port())
        {
            let device = device.lock().unwrap_or_else(|p| p.into_inner());
            device
                .store()
                .write(PORT_FILE, bound.port().to_string().as_bytes())?;
        }
        info!(id = %endpoint.id().fmt_short(), "endpoint bound");
        let last_synced_at = partner.as_ref().and_then(|p| p.last_synced_at);
        let (requests_tx, requests_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            device,
            endpoint: endpoint.clone(),
            partner: watch::Sender::new(partner.clone()),
            paired: watch::Sender::new(partner),
            open_invites: Mutex::new(Vec::new()),
            used_invites: Mutex::new(Vec::new()),
            // The router mounts every protocol it has; unmounted at once below.
            pairing_mounted: Mutex::new(true),
            invites_changed: Arc::new(tokio::sync::Notify::new()),
            sync_lock: tokio::sync::Mutex::new(()),
            wire_tap: TapSlot::default(),
            identity: Arc::new(identity),
            requests_tx,
            requests_rx: tokio::sync::Mutex::new(requests_rx),
            status: watch::Sender::new(match paused {
                Some(since) => SyncStatus {
                    state: SyncState::Paused { since },
                    last_synced_at,
                },
                None => SyncStatus::idle(last_synced_at),
            }),
            local_change: watch::Sender::new(0),
            received: watch::Sender::new(0),
            conversations: watch::Sender::new(0),
            kick: tokio::sync::Notify::new(),
            paused: watch::Sender::new(paused),
            quota: Mutex::new(None),
            allowance: config.growth_quota,
        });
        {
            let signal = shared.local_change.clone();
            shared
                .device()
                .set_on_save(Some(Arc::new(move || signal.send_modify(|n| *n += 1))));
        }
        let router = Router::builder(endpoint)
            .accept(
                PAIR_ALPN,
                PairingHandler {
                    shared: shared.clone(),
                },
            )
            .accept(
                SYNC_ALPN,
                SyncHandler {
                    shared: shared.clone(),
                },
            )
            .accept(
                LIVE_ALPN,
                LiveHandler {
                    shared: shared.clone(),
                },
            )
            .accept(
                UNPAIR_ALPN,
                UnpairHandler {
                    shared: shared.clone(),
                },
            )
            .accept(
                crate::moved::MOVED_ALPN,
                crate::moved::MovedHandler {
                    shared: shared.clone(),
                },
            )
            .spawn();
        // No invite is open yet: pairing stays unmounted until one is.
        shared.remount_pairing();
        let invite_timer = tokio::spawn(unmount_expired_invites(
            Arc::downgrade(&shared),
            shared.invites_changed.clone(),
            shared.partner_watch(),
        ));
        Ok(Node {
            shared,
            router,
            tasks: Mutex::new(Vec::new()),
            invite_timer,
            discovery,
        })
    }

    pub fn endpoint_id(&self) -> EndpointId {
        self.shared.endpoint_id()
    }

    pub fn addr(&self) -> EndpointAddr {
        self.shared.endpoint_addr()
    }

    pub fn partner(&self) -> Option<Partner> {
        self.shared.partner.borrow().clone()
    }

    /// Opens a single-use invite and returns the payload to show as a QR code.
    /// Creates the shared space if this device has none yet.
    /// The code works for [`INVITE_LIFETIME`].
    pub fn create_invite(&self) -> Result<Invite> {
        self.create_invite_valid_for(INVITE_LIFETIME)
    }

    /// Like [`Node::create_invite`], with another lifetime.
    pub fn create_invite_valid_for(&self, lifetime: std::time::Duration) -> Result<Invite> {
        if let Some(partner) = self.partner() {
            return Err(SyncError::AlreadyPaired(partner.name));
        }
        self.shared.device().start_couple()?;
        let secret = Zeroizing::new(rand::random::<[u8; SECRET_LEN]>());
        let expires_at = unix_now() + lifetime.as_secs();
        {
            let mut open = self
                .shared
                .open_invites
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            // Expired codes are of no use to anyone; keep the list short.
            let now = unix_now();
            open.retain(|(_, exp)| *exp >= now);
            open.push((secret.clone(), expires_at));
        }
        // Pairing is spoken from now until the last open code expires.
        self.shared.invites_changed();
        Ok(Invite {
            ticket: EndpointTicket::new(self.addr()),
            secret,
            expires_at,
        })
    }

    /// Waits until a partner has joined (returns at once if already paired).
    pub async fn wait_for_partner(&self) -> Partner {
        let mut rx = self.shared.paired.subscribe();
        let partner = rx
            .wait_for(Option::is_some)
            .await
            .expect("sender lives in self");
        partner.clone().expect("checked by wait_for")
    }

    /// Inviter side: the next pairing whose proof held, for this user to
    /// compare codes and confirm or reject.
    pub async fn next_pairing_request(&self) -> PairingRequest {
        let mut rx = self.shared.requests_rx.lock().await;
        rx.recv().await.expect("sender lives in self")
    }

    /// This device's keys for sealed bundles, whose public halves the partner got at pairing.
    pub fn identity(&self) -> &Identity {
        &self.shared.identity
    }

    /// Joins the partner who shows `payload`. Returns once the inviter has
    /// verified the code: show [`PairingRequest::code`] and let the user
    /// confirm or reject.
    pub async fn join(&self, payload: &str) -> Result<PairingRequest> {
        let invite = Invite::parse(payload)?;
        invite.check_fresh(unix_now())?;
        if let Some(partner) = self.partner() {
            return Err(SyncError::AlreadyPaired(partner.name));
        }
        if invite.ticket.endpoint_addr().id == self.endpoint_id() {
            return Err(SyncError::OwnInvite);
        }
        // Checked before dialling: the inviter burns its code when it
        // verifies us, so a refusal afterwards would waste it.
        if !self.shared.device().can_join() {
            return Err(kintsugi_core::CoreError::AlreadyInCouple.into());
        }
        pairing::join(self.shared.clone(), &invite).await
    }

    /// Joins and confirms without asking: for scripts (`--yes`) and tests.
    /// The inviter's user still has to confirm on their side.
    pub async fn join_and_confirm(&self, payload: &str) -> Result<Partner> {
        self.join(payload).await?.confirm().await
    }

    /// Dials the partner and runs one sync session; returns once both devices
    /// hold each other's changes on disk.
    pub async fn sync_now(&self) -> Result<SyncReport> {
        // The user asked: a pause ends here, and a refusal pauses again.
        self.shared.resume()?;
        dial_and_sync(&self.shared).await
    }

    /// Resumes syncing after a pause (see [`SyncState::Paused`]); live sync
    /// tries the partner again at once.
    pub fn resume(&self) -> Result<()> {
        self.shared.resume()
    }

    /// Keeps in touch with the partner from now on: dials when paired,
    /// keeps the connection, sends each local change as it is saved, and
    /// re-dials with backoff when the connection drops. Idempotent.
    pub fn start_live(&self) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        if tasks.is_empty() {
            tasks.push(tokio::spawn(live::keep_in_touch(self.shared.clone())));
            if let Some(discovery) = self.discovery.clone() {
                tasks.push(tokio::spawn(kick_on_sighting(
                    self.shared.clone(),
                    discovery,
                )));
            }
        }
    }

    /// Ends the pairing from this side, alone ([`crate::unpair::leave`]):
    /// the partner is forgot durably first, the shared space archived and
    /// this device's keys rotated. Only with `tell` is the partner's device
    /// then told (from the old endpoint, the only one it admits), and it
    /// leaves too; otherwise nothing goes on the network. Returns whether
    /// it was told. The node shuts down: it still holds the old endpoint key,
    /// and the ex must meet only a phone that looks offline. Start a new
    /// node (it binds the new key) to pair again.
    pub async fn unpair(&self, tell: bool) -> Result<bool> {
        let partner = self.shared.partner()?;
        self.shared.forget_partner()?;
        let told = if tell {
            unpair::tell(&self.shared.endpoint, &partner)
                .await
                .unwrap_or(false)
        } else {
            false
        };
        self.shutdown().await;
        Ok(told)
    }

    /// Try to reach the partner now rather than at the next backoff step:
    /// call on app foreground, on discovery of the partner nearby.
    pub fn kick(&self) {
        self.shared.kick.notify_waiters();
    }

    /// The device's network changed (Wi-Fi to cellular, back online): let
    /// the endpoint re-probe its paths, then try the partner at once.
    pub async fn network_changed(&self) {
        self.shared.endpoint.network_change().await;
        self.kick();
    }

    /// Where sync stands; the receiver sees every change of status.
    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.shared.status.subscribe()
    }

    /// Counts changes received from the partner since the node started.
    pub fn changes_received(&self) -> watch::Receiver<u64> {
        self.shared.received.subscribe()
    }

    /// Also notices changes that other processes (other `kintsugi`
    /// commands) save in the data directory, checking every `interval`, so
    /// live sync sends them too. A phone app, the only writer, needs none.
    pub fn watch_data_dir(&self, interval: Duration) {
        let shared = self.shared.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let changed = {
                    let mut device = shared.device();
                    let before = device.doc_mut().map(|d| d.heads()).ok();
                    if let Err(e) = device.reload() {
                        tracing::warn!(error = %e.redacted(), "reading the data directory");
                        continue;
                    }
                    before != device.doc_mut().map(|d| d.heads()).ok()
                };
                if changed {
                    shared.local_change.send_modify(|n| *n += 1);
                }
            }
        });
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(task);
    }

    /// Installs (or removes) a tap that sees every sync frame of this node.
    pub fn set_wire_tap(&self, tap: Option<WireTap>) {
        *self
            .shared
            .wire_tap
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = tap;
    }

    /// Stops accepting connections and closes the endpoint.
    pub async fn shutdown(&self) {
        self.invite_timer.abort();
        for task in self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            task.abort();
        }
        self.shared.set_state(SyncState::Idle);
        if let Err(e) = self.router.shutdown().await {
            tracing::warn!("router shutdown: {e}");
        }
    }
}

async fn dial_and_sync(shared: &Shared) -> Result<SyncReport> {
    tell_new_endpoint(shared).await;
    let addr = shared.partner()?.addr()?;
    let conn = tokio::time::timeout(DIAL_TIMEOUT, shared.endpoint.connect(addr, SYNC_ALPN))
        .await
        .map_err(|_| SyncError::Timeout(DIAL_TIMEOUT, "reaching your partner's device"))?
        .map_err(|e| SyncError::Connect(e.to_string()))?;
    let report = protocol::sync_with(shared, &conn).await;
    if report.is_err() {
        conn.close(VarInt::from_u32(1), b"sync failed");
    }
    report
}

async fn bind(
    config: &NetworkConfig,
    key: SecretKey,
    port: Option<u16>,
) -> Result<(Endpoint, Option<LocalDiscovery>)> {
    let (builder, discovery) = config.builder_with_discovery(port)?;
    let endpoint = builder
        .secret_key(key)
        .bind()
        .await
        .map_err(|e| SyncError::Endpoint(e.to_string()))?;
    Ok((endpoint, discovery))
}

/// Keeps the pairing ALPN mounted exactly while an invite is open: wakes when
/// the open invites or the partner change, and when the next invite expires.
/// Holds the node's state weakly, so it ends with the node.
async fn unmount_expired_invites(
    shared: Weak<Shared>,
    changed: Arc<tokio::sync::Notify>,
    mut partner: watch::Receiver<Option<Partner>>,
) {
    loop {
        let Some(next_expiry) = shared.upgrade().map(|s| s.remount_pairing()) else {
            return;
        };
        let expired = async {
            match next_expiry {
                Some(wait) => tokio::time::sleep(wait).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = expired => {}
            _ = changed.notified() => {}
            gone = partner.changed() => if gone.is_err() { return },
        }
    }
}

/// Kicks the live keeper each time local discovery sees the partner arrive
/// on this network: the two phones just came home.
async fn kick_on_sighting(shared: Arc<Shared>, discovery: LocalDiscovery) {
    let mut partner = shared.partner_watch();
    loop {
        let id = {
            let Ok(current) = partner.wait_for(Option::is_some).await else {
                return;
            };
            current.as_ref().and_then(|p| p.id().ok())
        };
        let Some(mut sightings) = id.and_then(|id| discovery.watch_partner(id)) else {
            return; // discovery is not running on this network
        };
        loop {
            tokio::select! {
                sighting = sightings.recv() => match sighting {
                    Some(PartnerSighting::Nearby(_)) => shared.kick.notify_waiters(),
                    Some(_) => {}
                    None => return,
                },
                // A new partner (after unpairing and pairing again): watch for it.
                _ = partner.changed() => break,
            }
        }
    }
}

/// After a restore that kept the pairing: the partner learns this device's
/// new endpoint id before anything else (it admits no other).
pub(crate) async fn tell_new_endpoint(shared: &Shared) {
    let pending = crate::moved::pending(shared.device().store());
    if pending && let Err(e) = crate::moved::announce(shared).await {
        tracing::debug!(error = %e.redacted(), "the partner has not heard the new endpoint yet");
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
