//! Live updates and the app's life: `subscribe` (one observer of the shared
//! space, sync and pairing), what the app tells the core (foreground,
//! network changes), and unpairing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use kintsugi_core::{Device, Millis};
use kintsugi_sync::{Node, Partner};
use tokio::sync::watch;

use crate::records::{CompanionEvent, CompanionState};
use crate::{
    AbortOnDrop, CallbackError, Companion, Hub, MessagesSlot, NoticeSlot, PartnerInfo, Result,
    SyncStatusInfo, WipedFlag, lock, open_device,
};

/// Hears what happens to a companion (see `Companion.subscribe`).
///
/// Called from a background thread, one event at a time and in order: hand
/// the event to the UI thread (or a `Flow` / `AsyncStream`) and return
/// quickly. Whatever it throws is logged and the subscription goes on.
#[uniffi::export(foreign)]
pub trait CompanionObserver: Send + Sync {
    /// One event; the first is always `CompanionEvent.Current`.
    fn on_event(&self, event: CompanionEvent) -> Result<(), CallbackError>;
}

/// A live observation from `Companion.subscribe`. `cancel()` (or dropping
/// it: `close()` in Kotlin, releasing it in Swift) stops the calls; keep it
/// while the observer should hear events.
#[derive(uniffi::Object)]
pub struct Subscription {
    cancelled: Arc<AtomicBool>,
    task: Mutex<Option<AbortOnDrop<()>>>,
}

#[uniffi::export]
impl Subscription {
    /// Stops the observation now rather than when the handle is collected.
    /// No call starts after this returns (one already running finishes).
    /// Calling it again does nothing.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        lock(&self.task).take();
    }
}

#[uniffi::export]
impl Companion {
    /// Starts observing this companion: `observer.on_event` receives
    /// `Current` (where things stand) at once, then each change as it
    /// happens: `DocumentChanged` (here or from the partner, with the record
    /// families that changed), `SyncStatusChanged`, `PairingRequested`,
    /// `Paired`, `Unpaired`, and `PostNotification` when the gate of the
    /// phone's notification lets one out (at once, or once the interval
    /// has passed: the subscription keeps the time). Does not start
    /// networking; sync and pairing events flow while it runs (it starts
    /// with the first call that needs it, e.g. `app_foregrounded`), and a
    /// `shutdown` reports `Idle`.
    /// Several subscriptions may run at once; each reads the change events
    /// the core computes from Automerge's patches (no comparison of the
    /// shared space).
    pub fn subscribe(&self, observer: Arc<dyn CompanionObserver>) -> Result<Arc<Subscription>> {
        // Fails at once on a wiped companion.
        drop(self.device()?);
        let cancelled = Arc::new(AtomicBool::new(false));
        let watcher = Watcher {
            device: self.device.clone(),
            notices: self.notices.clone(),
            messages: self.messages.clone(),
            wiped: self.wiped.clone(),
            hub: self.hub.clone(),
            observer,
            cancelled: cancelled.clone(),
            changes: Changes::default(),
        };
        let task = self.runtime().spawn(watcher.run());
        Ok(Arc::new(Subscription {
            cancelled,
            task: Mutex::new(Some(AbortOnDrop(task))),
        }))
    }

    /// The app came to the foreground: starts networking if it was off and
    /// tries the partner now rather than at the next retry.
    pub async fn app_foregrounded(&self) -> Result<()> {
        self.with_node(|node| async move {
            node.kick();
            Ok(())
        })
        .await
    }

    /// Ends the pairing from this side, alone, at any time. This device
    /// forgets the partner first, archives the shared space (read-only here;
    /// see `archives`) and rotates its keys, so the partner's device meets
    /// only a phone that looks offline. Nothing goes on the network unless
    /// `tell`: then the partner's device is told, if it is reachable within
    /// a few seconds (it leaves too; no alarm and no content is sent).
    /// Returns whether it was told. With `wipe`, this device's data is then
    /// erased as by `wipe()`, even if unpairing failed. `NotPaired` if there
    /// is no partner.
    pub async fn unpair(&self, tell: bool, wipe: bool) -> Result<bool> {
        let outcome = self.leave(tell).await;
        if wipe {
            self.wipe_now().await?;
            return Ok(outcome.unwrap_or(false));
        }
        outcome
    }

    /// The phone's network changed (Wi-Fi joined or left, cellular back):
    /// call from the platform's network callback (`ConnectivityManager`
    /// on Android, `NWPathMonitor` on iOS). Forwarded to iroh's
    /// `Endpoint::network_change`, which re-probes its paths, then the
    /// partner is tried at once. Does nothing while networking is off (it
    /// starts on the current network).
    pub async fn network_changed(&self) -> Result<()> {
        let (slot, wiped) = (self.node.clone(), self.wiped.clone());
        self.on_runtime(async move {
            if *wiped.borrow() {
                return Err(crate::KintsugiError::wiped());
            }
            let node = slot.lock().await.clone();
            if let Some(node) = node {
                node.network_changed().await;
            }
            Ok(())
        })
        .await
    }
}

impl Companion {
    async fn leave(&self, tell: bool) -> Result<bool> {
        // Everything async runs on the companion's runtime: the caller's
        // (Kotlin's, Swift's, Python's) has no Tokio reactor.
        let slot = self.node.clone();
        let running = self
            .on_runtime(async move { Ok(slot.lock().await.take()) })
            .await?;
        if let Some(node) = running {
            // It holds the old endpoint key: it goes, and the next network
            // call starts one with the new key. Subscribers look again once
            // the partner is forgotten, not before.
            let told = self
                .on_runtime(async move { Ok(node.unpair(tell).await?) })
                .await;
            self.hub.node_stopped();
            self.hub.touch();
            return told;
        }
        if tell {
            let told = self
                .with_node(move |node| async move { Ok(node.unpair(true).await?) })
                .await;
            let slot = self.node.clone();
            self.on_runtime(async move {
                slot.lock().await.take();
                Ok(())
            })
            .await?;
            self.hub.node_stopped();
            self.hub.touch();
            return told;
        }
        let device = self.device.clone();
        let hub = self.hub.clone();
        self.on_runtime(crate::blocking(move || {
            let mut device = crate::lock(&device);
            if kintsugi_sync::Partner::load(device.store())?.is_none() {
                return Err(kintsugi_sync::SyncError::NotPaired.into());
            }
            kintsugi_sync::unpair::leave(&mut device)?;
            drop(device);
            hub.touch();
            Ok(false)
        }))
        .await
    }
}

/// What a look at the device found.
struct Look {
    partner: Option<Partner>,
    /// The `DocumentChanged` event, if the shared space changed.
    changed: Option<CompanionEvent>,
}

/// The device's change events since the subscription's last look
/// (subscribed at its first look).
type Changes = Arc<Mutex<Option<kintsugi_core::ChangeInbox>>>;

/// One subscription's task: waits for anything that may have changed,
/// looks, and reports what did.
struct Watcher {
    device: Arc<Mutex<Device>>,
    notices: NoticeSlot,
    messages: MessagesSlot,
    wiped: WipedFlag,
    hub: Arc<Hub>,
    observer: Arc<dyn CompanionObserver>,
    cancelled: Arc<AtomicBool>,
    changes: Changes,
}

impl Watcher {
    async fn run(self) {
        let mut node_rx = self.hub.node.subscribe();
        let mut touched = self.hub.touched.subscribe();
        let mut pending = self.hub.pending.subscribe();
        let mut node = node_rx.borrow_and_update().clone();
        let pending_now = pending.borrow_and_update().clone();

        let Some(first) = self.look(node.clone(), false).await else {
            return;
        };
        let mut partner = first.partner;
        let mut status = status_of(node.as_deref());
        self.deliver(CompanionEvent::Current {
            state: CompanionState {
                sync_status: status,
                partner: partner.clone().map(PartnerInfo::from),
                pending_pairing: pending_now,
            },
        })
        .await;

        // Notices may wait from before (the gate's state outlives the app).
        let mut gate_at = self.gate().await;
        let (mut status_rx, mut received_rx) = receivers(node.as_deref());
        loop {
            let unpaired_node = node.clone().filter(|_| partner.is_none());
            let paired = async move {
                match unpaired_node {
                    Some(node) => {
                        node.wait_for_partner().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = node_rx.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    node = node_rx.borrow_and_update().clone();
                    (status_rx, received_rx) = receivers(node.as_deref());
                }
                changed = touched.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                changed = pending.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let code = pending.borrow_and_update().clone();
                    if let Some(code) = code {
                        self.deliver(CompanionEvent::PairingRequested { code }).await;
                    }
                    continue;
                }
                _ = next_change(&mut status_rx) => {}
                _ = next_change(&mut received_rx) => {}
                _ = paired => {}
                _ = sleep_until(gate_at) => {
                    gate_at = self.gate().await;
                    continue;
                }
            }

            let Some(look) = self.look(node.clone(), true).await else {
                return;
            };
            let was_paired = partner.as_ref().map(|p| p.endpoint_id.clone());
            partner = look.partner;
            match (&was_paired, &partner) {
                (None, Some(p)) => {
                    let partner = PartnerInfo::from(p.clone());
                    self.deliver(CompanionEvent::Paired { partner }).await;
                }
                (Some(_), None) => self.deliver(CompanionEvent::Unpaired).await,
                (Some(old), Some(p)) if *old != p.endpoint_id => {
                    self.deliver(CompanionEvent::Unpaired).await;
                    let partner = PartnerInfo::from(p.clone());
                    self.deliver(CompanionEvent::Paired { partner }).await;
                }
                _ => {}
            }
            if let Some(event) = look.changed {
                let from_partner = matches!(
                    event,
                    CompanionEvent::DocumentChanged {
                        from_partner: true,
                        ..
                    }
                );
                self.deliver(event).await;
                if from_partner {
                    gate_at = self.gate().await;
                }
            }
            let now = status_of(node.as_deref());
            if now != status {
                status = now;
                self.deliver(CompanionEvent::SyncStatusChanged { status })
                    .await;
            }
        }
    }

    /// Reads the partner and compares the shared space with `before`, off
    /// the async workers (it waits for the device lock). `None` once the
    /// companion was wiped: the subscription ends.
    async fn look(&self, node: Option<Arc<Node>>, report: bool) -> Option<Look> {
        let (device, wiped, changes) = (
            self.device.clone(),
            self.wiped.clone(),
            self.changes.clone(),
        );
        let look = tokio::task::spawn_blocking(move || {
            let mut device = open_device(&device, &wiped).ok()?;
            let partner = match &node {
                Some(node) => node.partner(),
                None => Partner::load(device.store()).ok().flatten(),
            };
            Some(compare(&mut device, partner, &changes, report))
        });
        look.await.ok().flatten()
    }

    /// Asks the gate of the phone's notification what to post now (after
    /// looking for the partner's changes), delivers it, and returns when to
    /// ask again. An error (a wiped companion, a full disk) is logged: the
    /// next change asks again.
    async fn gate(&self) -> Option<Millis> {
        let (device, wiped, notices) = (
            self.device.clone(),
            self.wiped.clone(),
            self.notices.clone(),
        );
        let messages = lock(&self.messages).clone();
        let asked = tokio::task::spawn_blocking(move || {
            crate::take_os_notification(&device, &wiped, &notices, &messages)
        })
        .await;
        match asked {
            Ok(Ok((post, next))) => {
                if let Some(n) = post {
                    self.deliver(CompanionEvent::PostNotification {
                        notification: n.into(),
                    })
                    .await;
                }
                next
            }
            // The error's text may name the data directory: not logged.
            Ok(Err(_)) | Err(_) => {
                tracing::warn!("the notification gate could not be asked");
                None
            }
        }
    }

    /// Hands one event to the observer on a blocking thread, so that a slow
    /// observer does not hold up the async workers; waits for it, so the
    /// events arrive in order.
    async fn deliver(&self, event: CompanionEvent) {
        let (observer, cancelled) = (self.observer.clone(), self.cancelled.clone());
        let call = tokio::task::spawn_blocking(move || {
            if cancelled.load(Ordering::Acquire) {
                return;
            }
            // What the app's observer threw is its own text: not logged.
            if observer.on_event(event).is_err() {
                tracing::warn!("a companion observer failed");
            }
        });
        if let Err(e) = call.await {
            // A panic's message may hold anything: say only how it ended.
            tracing::warn!(
                panicked = e.is_panic(),
                "a companion observer could not be called"
            );
        }
    }
}

/// What changed in the shared space since the last look, from the device's
/// change events. Without `report` (the subscription starts), subscribes
/// to them.
fn compare(device: &mut Device, partner: Option<Partner>, changes: &Changes, report: bool) -> Look {
    let mut changes = lock(changes);
    if changes.is_none() {
        *changes = Some(kintsugi_core::ChangeInbox::subscribe(device, || {}));
    }
    // What other processes saved, or was received and not yet written.
    device.announce_changes();
    let event = changes.as_ref().and_then(|c| c.take());
    let changed = event.filter(|_| report).map(|event| {
        let kinds: Vec<crate::RecordKind> = event
            .kinds()
            .into_iter()
            .filter(|k| *k != kintsugi_core::views::RecordKind::Member)
            .map(crate::RecordKind::from)
            .collect();
        CompanionEvent::DocumentChanged {
            kinds,
            members_changed: event.members_changed(),
            from_partner: event.from_partner,
        }
    });
    Look { partner, changed }
}

/// The status while `node` runs; `Idle` while networking is off.
fn status_of(node: Option<&Node>) -> SyncStatusInfo {
    match node {
        Some(node) => (*node.status().borrow()).into(),
        None => SyncStatusInfo {
            state: crate::SyncStateKind::Idle,
            paused_since_ms: None,
            quota_until_ms: None,
        },
    }
}

type Receivers = (
    Option<watch::Receiver<kintsugi_sync::SyncStatus>>,
    Option<watch::Receiver<u64>>,
);

/// What to wait on while `node` runs: its status, and the changes it
/// receives from the partner.
fn receivers(node: Option<&Node>) -> Receivers {
    match node {
        Some(node) => (Some(node.status()), Some(node.changes_received())),
        None => (None, None),
    }
}

/// Resolves at `at` (ms since the Unix epoch; at once if past); never
/// without one.
async fn sleep_until(at: Option<Millis>) {
    match at {
        Some(at) => {
            let wait = at.saturating_sub(kintsugi_core::now_millis()).max(0);
            tokio::time::sleep(std::time::Duration::from_millis(wait.unsigned_abs())).await;
        }
        None => std::future::pending().await,
    }
}

/// Resolves on the next change seen by `rx`; never while there is none.
async fn next_change<T>(rx: &mut Option<watch::Receiver<T>>) {
    match rx {
        Some(r) => {
            if r.changed().await.is_err() {
                *rx = None;
            }
        }
        None => std::future::pending().await,
    }
}
