//! Kintsugi for Kotlin and Swift: one `Companion` object per device, opened on
//! the app's data directory. Thin on purpose: every rule lives in
//! `kintsugi-core`, every network step in `kintsugi-sync`.
//!
//! Every file in the data directory is encrypted (age). The app owns the
//! storage key: on first launch it makes one with [`generate_storage_key`],
//! keeps it in the iOS Keychain or the Android Keystore (never on disk in the
//! clear, never in a log) and passes it in `CompanionConfig.storage_key` each
//! time it opens the companion. A key that does not open the directory is
//! `WrongKey`, and nothing is written. If the key is lost the data cannot be
//! read by anyone; [`wipe_data_dir`] removes it without a key so the app can
//! start again. `Companion::wipe` removes the data of an open companion.
//!
//! Async methods run on the companion's own tokio runtime, so they work the
//! same whichever executor the foreign side polls them from. Each is safe to
//! cancel midway (Kotlin and Python drop the future; the work in progress is
//! aborted and the companion stays usable). Errors are one enum,
//! [`KintsugiError`]; UniFFI turns any panic into an exception rather than
//! letting it cross the boundary.
//!
//! Live updates come through one observer, [`CompanionObserver`], started with
//! `Companion::subscribe`. Logging goes to the platform's log (logcat, os_log,
//! stderr) or to an app's [`LogSink`] after [`init_logging`].
//!
//! The methods other than networking, sealed bundles and backups are
//! synchronous: each reads or writes the data directory (a write is durable
//! on disk before it returns), so call them off the UI thread. Bundles and
//! backups are async (sealing years of data takes a moment), run on a
//! blocking thread of the companion's runtime, work with networking off,
//! and report progress to an optional [`ProgressListener`]. Before pairing, those about the shared space fail
//! with `NotPaired`; the private journal and notes work from the start. They
//! are grouped by family in `api/`; the records they take and return are in
//! `records/`.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use age::secrecy::zeroize::Zeroize;
use kintsugi_core::i18n::Messages;
use kintsugi_core::{CoupleDoc, Device, Millis, Snapshot, Unlock, notice_gate, notify};
use kintsugi_sync::progress::Progress;
use kintsugi_sync::{NetworkConfig, Node};
use tokio::sync::{RwLock, watch};
type NodeSlot = Arc<tokio::sync::Mutex<Option<Arc<Node>>>>;
/// What the partner did that this device found but has not reported yet.
#[derive(Default)]
pub(crate) struct NoticeBook {
    /// The changes to the shared space since the last look.
    changes: Option<kintsugi_core::ChangeInbox>,
    /// Found since the in-app list was last taken (`notices_since_last_call`,
    /// `sync_now`), merged by kind. The gate of the phone's notification
    /// counts them as they are found, whoever looked.
    inbox: Vec<notify::Notice>,
}
type NoticeSlot = Arc<Mutex<NoticeBook>>;
/// The catalogs the companion's texts come from (`set_catalog`).
type MessagesSlot = Arc<Mutex<Messages>>;
/// `true` once `wipe` has started: from then on every call fails instead of
/// touching the data directory, and network calls in flight are cancelled.
type WipedFlag = Arc<watch::Sender<bool>>;
type PendingSlot = Arc<Mutex<Option<kintsugi_sync::PairingRequest>>>;

mod api;
mod error;
mod records;

pub use api::{
    CompanionObserver, LogLevel, LogSink, PrivateSpaceLock, ProgressListener, ProgressStep,
    Subscription, android_context_installed, catalog_message_ids, generate_storage_key,
    init_logging, restore_from_backup, shipped_catalog, wipe_data_dir,
};
pub use error::{CallbackError, KintsugiError};
pub use records::*;

/// What the subscriptions of one companion wait on (see `api/live.rs`).
#[derive(Default)]
pub(crate) struct Hub {
    /// The running network node, if any: set when networking starts,
    /// cleared when it stops.
    node: watch::Sender<Option<Arc<Node>>>,
    /// Bumped after each change this device makes to the shared space
    /// through the facade, and after each `sync_now`.
    touched: watch::Sender<u64>,
    /// The pairing waiting for the user's decision, as the screen shows it.
    pending: watch::Sender<Option<PairingCode>>,
    /// Takes the inviter's pairing requests from the node as they come
    /// (started by `create_invite`), so that an observer hears them even if
    /// nobody awaits `next_pairing_request`.
    pump: Mutex<Option<AbortOnDrop<()>>>,
}

impl Hub {
    pub(crate) fn touch(&self) {
        self.touched.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Networking stopped: subscribers report `Idle`, and the pump stops.
    pub(crate) fn node_stopped(&self) {
        self.node.send_replace(None);
        lock(&self.pump).take();
    }
}

uniffi::setup_scaffolding!();

type Result<T, E = KintsugiError> = std::result::Result<T, E>;

/// One partner's device: their copy of the shared space and their link to the partner.
#[derive(uniffi::Object)]
pub struct Companion {
    device: Arc<Mutex<Device>>,
    network: NetworkConfig,
    node: NodeSlot,
    notices: NoticeSlot,
    messages: MessagesSlot,
    wiped: WipedFlag,
    /// Held shared by every network call while it runs; `wipe` takes it
    /// exclusively to know that each one has stopped.
    in_flight: Arc<RwLock<()>>,
    /// The pairing shown to the user, until they confirm or reject it.
    pending: PendingSlot,
    hub: Arc<Hub>,
    /// Where sealed files wait for the share sheet (`api/cache.rs`).
    cache_dir: Option<std::path::PathBuf>,
    /// Taken only in `Drop`.
    runtime: Option<tokio::runtime::Runtime>,
    /// Asked before the private space is shown (`api/private.rs`).
    private_lock: Mutex<Option<Arc<dyn PrivateSpaceLock>>>,
}

#[uniffi::export]
impl Companion {
    /// Opens (or sets up) this device in `config.data_dir`, unlocking it with
    /// `config.storage_key`. A directory set up with another key is
    /// `WrongKey` (nothing is written); a key that is not an age identity is
    /// `InvalidInput`. Networking starts on the first call that needs it.
    #[uniffi::constructor]
    pub fn new(mut config: CompanionConfig) -> Result<Arc<Self>> {
        let network = config.network_config();
        let messages = config.messages();
        let unlock = Unlock::host_key(&config.storage_key);
        // Our copy of the key text goes now; `Unlock` keeps its own, zeroed on drop.
        config.storage_key.zeroize();
        let (network, messages) = (network?, messages?);
        let device = Device::init(&config.data_dir, &config.display_name, &unlock?)?;
        let cache_dir = config.cache_dir.take().map(Into::into);
        Ok(Companion::assemble(
            device,
            network,
            cache_dir,
            messages,
            new_runtime()?,
        ))
    }

    /// This partner's member id in the shared space.
    pub fn member_id(&self) -> Result<String> {
        Ok(self.device()?.member_id().to_owned())
    }

    /// The paired partner, if any.
    pub fn partner(&self) -> Result<Option<PartnerInfo>> {
        let device = self.device()?;
        Ok(kintsugi_sync::Partner::load(device.store())?.map(Into::into))
    }

    /// Starts a shared space if needed and returns a single-use invitation to
    /// show as a QR code. Await `wait_for_partner` for the partner to join.
    pub async fn create_invite(&self) -> Result<Invite> {
        let (hub, pending) = (self.hub.clone(), self.pending.clone());
        self.with_node(|node| async move {
            let invite = node.create_invite()?;
            // The shared space may have just been created.
            hub.touch();
            start_pump(&hub, &node, &pending);
            Ok(Invite {
                payload: invite.payload(),
                qr_svg: invite.qr_svg()?,
                expires_at: invite.expires_at,
            })
        })
        .await
    }

    /// Inviter side: resolves when a phone has scanned the invitation and
    /// proved it (at once if such a pairing already waits for a decision).
    /// Show the code and ask the user to compare it with the partner's
    /// screen, then `confirm_pairing` or `reject_pairing`. Observers hear
    /// the same as `PairingRequested`.
    pub async fn next_pairing_request(&self) -> Result<PairingCode> {
        let (hub, pending) = (self.hub.clone(), self.pending.clone());
        self.with_node(|node| async move {
            start_pump(&hub, &node, &pending);
            let mut waiting = hub.pending.subscribe();
            let code = waiting
                .wait_for(Option::is_some)
                .await
                .map_err(|_| KintsugiError::Internal {
                    message: "the pairing slot is gone".into(),
                })?
                .clone();
            Ok(code.expect("checked by wait_for"))
        })
        .await
    }

    /// Joins the partner whose invitation `payload` was scanned. Resolves
    /// once the partner's phone has checked the code: show the code, then
    /// `confirm_pairing` or `reject_pairing`.
    pub async fn join(&self, payload: String) -> Result<PairingCode> {
        let (hub, pending) = (self.hub.clone(), self.pending.clone());
        self.with_node(|node| async move {
            let request = node.join(&payload).await?;
            Ok(set_pending(&hub, &pending, request))
        })
        .await
    }

    /// The user saw the same code on both phones. Resolves once the partner
    /// confirmed too (then both share one space), or fails with
    /// `PairingRefused` if they did not. `NotAllowed` if no pairing waits.
    pub async fn confirm_pairing(&self) -> Result<PartnerInfo> {
        let request = self.take_pending()?;
        self.with_node(|_| async move { Ok(request.confirm().await?.into()) })
            .await
    }

    /// The codes differ, or the user changed their mind: nothing is shared,
    /// and the partner's phone is told the pairing was cancelled.
    pub async fn reject_pairing(&self) -> Result<()> {
        let request = self.take_pending()?;
        self.with_node(|_| async move {
            request.reject().await;
            Ok(())
        })
        .await
    }

    /// Resolves once a pairing has completed on both sides (at once if
    /// already paired).
    pub async fn wait_for_partner(&self) -> Result<PartnerInfo> {
        self.with_node(|node| async move { Ok(node.wait_for_partner().await.into()) })
            .await
    }

    /// Syncs with the partner now; returns once both devices hold each
    /// other's changes. The summary carries the in-app notices of what the
    /// partner did that this device had not reported yet (see
    /// `notices_since_last_call`).
    pub async fn sync_now(&self) -> Result<SyncSummary> {
        let (device, notices, wiped) = (
            self.device.clone(),
            self.notices.clone(),
            self.wiped.clone(),
        );
        let messages = lock(&self.messages).clone();
        let hub = self.hub.clone();
        self.with_node(|node| async move {
            let report = node.sync_now().await?;
            hub.touch();
            let notices = take_notices(&device, &wiped, &notices, &messages)?;
            Ok(SyncSummary::new(report, notices))
        })
        .await
    }

    /// The in-app list: what the partner did since the last call of this
    /// method or of `sync_now` (or since the companion was opened), by kind,
    /// with a sentence saying what it was. The partner's device may push
    /// changes at any time while both are online. Each thing is reported
    /// once. Kept in memory only: a new companion starts from what is on
    /// disk when it opens. Empty before pairing.
    ///
    /// Show it only inside the unlocked app: the kind says what the partner
    /// did. What goes to the lock screen is `take_os_notification`.
    pub fn notices_since_last_call(&self) -> Result<Vec<Notice>> {
        let messages = lock(&self.messages).clone();
        take_notices(&self.device, &self.wiped, &self.notices, &messages)
    }

    /// Stops networking, and saves the read model beside the document so
    /// the next open shows the first screen without reading the whole
    /// history (call it when the app goes to the background). The companion
    /// stays usable offline; a later network call starts it again. After
    /// `wipe` it does nothing.
    pub async fn shutdown(&self) -> Result<()> {
        let (slot, hub) = (self.node.clone(), self.hub.clone());
        let stopped = self
            .on_runtime(async move {
                let node = slot.lock().await.take();
                hub.node_stopped();
                if let Some(node) = node {
                    node.shutdown().await;
                }
                Ok(())
            })
            .await;
        // Only a copy for speed: failing to save it loses nothing.
        if let Ok(mut device) = self.device()
            && let Err(e) = device.save_read_cache()
        {
            tracing::debug!("read-model cache not saved: {e}");
        }
        stopped
    }
}

impl Companion {
    /// A companion on an open device.
    pub(crate) fn assemble(
        device: Device,
        network: NetworkConfig,
        cache_dir: Option<std::path::PathBuf>,
        messages: Messages,
        runtime: tokio::runtime::Runtime,
    ) -> Arc<Self> {
        // Notices report what arrives from now on, not what was already here.
        let mut device = device;
        let notices = Arc::new(Mutex::new(NoticeBook {
            changes: Some(kintsugi_core::ChangeInbox::subscribe(&mut device, || {})),
            inbox: Vec::new(),
        }));
        Arc::new(Companion {
            device: Arc::new(Mutex::new(device)),
            network,
            node: NodeSlot::default(),
            notices,
            messages: Arc::new(Mutex::new(messages)),
            wiped: Arc::new(watch::Sender::new(false)),
            in_flight: Arc::default(),
            pending: Arc::default(),
            hub: Arc::default(),
            cache_dir,
            runtime: Some(runtime),
            private_lock: Mutex::new(None),
        })
    }

    fn take_pending(&self) -> Result<kintsugi_sync::PairingRequest> {
        let request = lock(&self.pending).take();
        self.hub.pending.send_replace(None);
        request.ok_or_else(|| KintsugiError::NotAllowed {
            message: "no pairing is waiting for a decision".into(),
        })
    }

    /// The device, locked; an error once `wipe` has started.
    fn device(&self) -> Result<MutexGuard<'_, Device>> {
        open_device(&self.device, &self.wiped)
    }

    /// Runs one operation on the shared document, durably.
    fn update<T>(
        &self,
        f: impl FnOnce(&mut CoupleDoc, Millis) -> kintsugi_core::Result<T>,
    ) -> Result<T> {
        let out = self.device()?.update(f)?;
        self.hub.touch();
        Ok(out)
    }

    /// Reads the shared document; `f` also gets this device's member id.
    fn read<T>(&self, f: impl FnOnce(&CoupleDoc, &str) -> T) -> Result<T> {
        let device = self.device()?;
        Ok(f(device.doc()?, device.member_id()))
    }

    /// Computes a derived view from a snapshot taken under the lock and
    /// released before the view runs.
    fn view<T>(&self, f: impl FnOnce(&Snapshot, &str) -> T) -> Result<T> {
        let (snapshot, me) = {
            let device = self.device()?;
            (device.snapshot()?, device.member_id().to_owned())
        };
        Ok(f(&snapshot, &me))
    }

    pub(crate) fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("the runtime lives until drop")
    }

    /// Runs `fut` on the companion's runtime; a panic inside becomes an error.
    /// When the caller drops the call (Kotlin or Python cancelling), the task
    /// is aborted rather than left running.
    async fn on_runtime<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        let mut task = AbortOnDrop(self.runtime().spawn(fut));
        (&mut task.0).await.map_err(|e| KintsugiError::Internal {
            message: format!("background task failed: {e}"),
        })?
    }

    /// Runs long work `f` with the device on a blocking thread of the
    /// companion's runtime (see [`blocking`]), its progress going to
    /// `listener`; an error once `wipe` has started. Every report reaches
    /// the listener before this returns.
    async fn with_device_blocking<T: Send + 'static>(
        &self,
        listener: Option<Arc<dyn ProgressListener>>,
        f: impl FnOnce(&mut Device, &dyn Progress) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (device, wiped) = (self.device.clone(), self.wiped.clone());
        self.on_runtime(async move {
            let (progress, delivery) =
                api::deliver_progress(listener, &tokio::runtime::Handle::current());
            // The reporter goes with the work, so the delivery ends with it.
            let out = blocking(move || f(&mut *open_device(&device, &wiped)?, &progress)).await;
            delivery.finish().await;
            out
        })
        .await
    }

    /// The notices of what a bundle or backup just merged brought (none
    /// when nothing was merged). A call cancelled before this leaves them
    /// for `notices_since_last_call`.
    async fn notices_after_merge(&self, merged: bool) -> Result<Vec<Notice>> {
        if !merged {
            return Ok(Vec::new());
        }
        let (device, wiped, notices) = (
            self.device.clone(),
            self.wiped.clone(),
            self.notices.clone(),
        );
        let messages = lock(&self.messages).clone();
        self.on_runtime(blocking(move || {
            take_notices(&device, &wiped, &notices, &messages)
        }))
        .await
    }

    /// Runs `f` with the network node, starting it on first use. Once `wipe`
    /// starts, the call is cancelled (and a new one refused).
    async fn with_node<T, F, Fut>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Node>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send,
    {
        let (slot, device, network) =
            (self.node.clone(), self.device.clone(), self.network.clone());
        let (wiped, in_flight, hub) =
            (self.wiped.clone(), self.in_flight.clone(), self.hub.clone());
        self.on_runtime(async move {
            // Dropped last, after `work`: `wipe` waits for it.
            let _running = in_flight.read_owned().await;
            let mut wiped = wiped.subscribe();
            if *wiped.borrow_and_update() {
                return Err(KintsugiError::wiped());
            }
            let work = async move {
                let node = {
                    let mut slot = slot.lock().await;
                    match slot.as_ref() {
                        Some(node) => node.clone(),
                        None => {
                            let node = Node::spawn(device, &network).await?;
                            // A phone keeps in touch with its partner
                            // whenever it is networking.
                            node.start_live();
                            let node = slot.insert(Arc::new(node)).clone();
                            hub.node.send_replace(Some(node.clone()));
                            node
                        }
                    }
                };
                f(node).await
            };
            tokio::select! {
                out = work => out,
                Ok(_) = wiped.wait_for(|w| *w) => Err(KintsugiError::wiped()),
            }
        })
        .await
    }

    /// Stops networking for good and removes every file of the device. See
    /// `wipe` (in `api/storage.rs`). Runs to the end even if the caller
    /// stops waiting: a wipe left half-way would help nobody.
    async fn wipe_now(&self) -> Result<kintsugi_core::WipeReport> {
        let (slot, device, hub) = (self.node.clone(), self.device.clone(), self.hub.clone());
        let (wiped, in_flight) = (self.wiped.clone(), self.in_flight.clone());
        let cache_dir = self.cache_dir.clone();
        let task = self.runtime().spawn(async move {
            // From here every call fails and every network call is cancelled.
            wiped.send_replace(true);
            // Every network call has stopped and none can start.
            let _alone = in_flight.write().await;
            let node = slot.lock().await.take();
            hub.node_stopped();
            if let Some(node) = node {
                // Also waits for the partner's connections to end.
                node.shutdown().await;
            }
            tokio::task::spawn_blocking(move || {
                // Waits for any call that got the device before the flag was set.
                let device = lock(&device);
                let report = Device::wipe(device.store().dir())?;
                if let Some(cache) = &cache_dir {
                    api::clear_staged(cache)?;
                }
                Ok(report)
            })
            .await
            .map_err(|e| KintsugiError::Internal {
                message: format!("wiping failed: {e}"),
            })?
        });
        task.await.map_err(|e| KintsugiError::Internal {
            message: format!("wiping failed: {e}"),
        })?
    }
}

/// A companion's own runtime: two workers, so the app's threads are never
/// borrowed for the core's work.
pub(crate) fn new_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("kintsugi")
        .enable_all()
        .build()
        .map_err(|e| KintsugiError::Internal {
            message: format!("cannot start the async runtime: {e}"),
        })
}

/// Keeps `request` as the pairing waiting for the user, and tells the
/// observers. A newer request replaces an undecided one, which is rejected.
fn set_pending(
    hub: &Hub,
    pending: &PendingSlot,
    request: kintsugi_sync::PairingRequest,
) -> PairingCode {
    let code = PairingCode::from(&request);
    *lock(pending) = Some(request);
    hub.pending.send_replace(Some(code.clone()));
    code
}

/// Starts taking the node's pairing requests into the pending slot, unless
/// that already runs. Call on the companion's runtime.
fn start_pump(hub: &Arc<Hub>, node: &Arc<Node>, pending: &PendingSlot) {
    let mut pump = lock(&hub.pump);
    if pump.as_ref().is_some_and(|task| !task.0.is_finished()) {
        return;
    }
    let (hub, node, pending) = (hub.clone(), node.clone(), pending.clone());
    *pump = Some(AbortOnDrop(tokio::spawn(async move {
        loop {
            let request = node.next_pairing_request().await;
            set_pending(&hub, &pending, request);
        }
    })));
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Locks the device, unless it was wiped. The flag is read under the lock,
/// which `wipe` takes to remove the files: a call that got in before the
/// flag was set finishes before the files go, and none gets in after.
fn open_device<'a>(device: &'a Mutex<Device>, wiped: &WipedFlag) -> Result<MutexGuard<'a, Device>> {
    let device = lock(device);
    if *wiped.borrow() {
        return Err(KintsugiError::wiped());
    }
    Ok(device)
}

/// Looks for what the partner did since the book's last look: it goes into
/// the in-app inbox, and its count to the gate of the phone's notification
/// (first, so that a failed write leaves it to be found again).
fn collect(device: &mut Device, book: &mut NoticeBook) -> Result<()> {
    // What other processes saved, and what was received but not yet
    // written, are told now.
    device.announce_changes();
    let Some(event) = book.changes.as_ref().and_then(|c| c.take()) else {
        return Ok(());
    };
    let found = notify::notices(&event.delta.before, &event.delta.after, device.member_id());
    let count = found.iter().fold(0u32, |n, f| n.saturating_add(f.count));
    notice_gate::arrived(device, count, kintsugi_core::now_millis())?;
    for notice in found {
        match book.inbox.iter_mut().find(|n| n.kind == notice.kind) {
            Some(n) => n.count = n.count.saturating_add(notice.count),
            None => book.inbox.push(notice),
        }
    }
    Ok(())
}

/// The in-app notices found and not reported yet, in the language of
/// `messages`; each thing is reported once.
fn take_notices(
    device: &Mutex<Device>,
    wiped: &WipedFlag,
    notices: &Mutex<NoticeBook>,
    messages: &Messages,
) -> Result<Vec<Notice>> {
    let mut book = lock(notices);
    collect(&mut *open_device(device, wiped)?, &mut book)?;
    Ok(book
        .inbox
        .drain(..)
        .map(|n| Notice::of(n, messages))
        .collect())
}

/// What to post to the OS now (after looking for anything new), and when
/// to ask again: the gate of `kintsugi_core::notice_gate`.
pub(crate) fn take_os_notification(
    device: &Mutex<Device>,
    wiped: &WipedFlag,
    notices: &Mutex<NoticeBook>,
    messages: &Messages,
) -> Result<(Option<notice_gate::OsNotification>, Option<Millis>)> {
    let mut book = lock(notices);
    let mut device = open_device(device, wiped)?;
    collect(&mut device, &mut book)?;
    Ok(notice_gate::poll(
        &device,
        kintsugi_core::now_millis(),
        messages,
    )?)
}

/// Runs `f` on a blocking thread: file and crypto work that takes a while
/// must not hold up the async workers. Once started, `f` runs to its end
/// even if the caller stops waiting, so nothing is left half-done; a panic
/// inside becomes an error.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| KintsugiError::Internal {
            message: format!("background work failed: {e}"),
        })?
}

pub(crate) struct AbortOnDrop<T>(pub(crate) tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Drop for Companion {
    fn drop(&mut self) {
        // The last reference may be dropped from inside an async context;
        // a blocking shutdown would panic there.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
