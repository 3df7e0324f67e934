//! Kintsugi for Kotlin and Swift: one `Companion` object per device, opened on
//! the app's data directory. Thin on purpose: every rule lives in
//! `kintsugi-core`, every network step in `kintsugi-sync`.
//!
//! Async methods run on the companion's own tokio runtime, so they work the
//! same whichever executor the foreign side polls them from. Errors are one
//! enum, [`KintsugiError`]; UniFFI turns any panic into an exception rather
//! than letting it cross the boundary.
//!
//! The methods other than networking are synchronous: each reads or writes
//! the data directory (a write is durable on disk before it returns), so call
//! them off the UI thread. Before pairing, those about the shared space fail
//! with `NotPaired`; the private journal and notes work from the start. They
//! are grouped by family in `api/`; the records they take and return are in
//! `records/`.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use kintsugi_core::{CoreError, CoupleDoc, Device, Millis, Snapshot, notify};
use kintsugi_sync::{NetworkConfig, Node};
type NodeSlot = Arc<tokio::sync::Mutex<Option<Arc<Node>>>>;
/// What `notices_since_last_call` compares against: the shared space as it
/// stood when notices were last reported (`None`: empty).
type SeenSlot = Arc<Mutex<Option<Snapshot>>>;

mod api;
mod error;
mod records;

pub use error::KintsugiError;
pub use records::*;

uniffi::setup_scaffolding!();

type Result<T, E = KintsugiError> = std::result::Result<T, E>;

/// One partner's device: their copy of the shared space and their link to the partner.
#[derive(uniffi::Object)]
pub struct Companion {
    device: Arc<Mutex<Device>>,
    network: NetworkConfig,
    node: NodeSlot,
    seen: SeenSlot,
    /// Taken only in `Drop`.
    runtime: Option<tokio::runtime::Runtime>,
}

#[uniffi::export]
impl Companion {
    /// Opens (or sets up) this device in `config.data_dir`. Networking starts
    /// on the first call that needs it.
    #[uniffi::constructor]
    pub fn new(config: CompanionConfig) -> Result<Arc<Self>> {
        let device = Device::init(&config.data_dir, &config.display_name)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kintsugi")
            .enable_all()
            .build()
            .map_err(|e| KintsugiError::Internal {
                message: format!("cannot start the async runtime: {e}"),
            })?;
        // Notices report what arrives from now on, not what was already here.
        let seen = Arc::new(Mutex::new(device.snapshot().ok()));
        Ok(Arc::new(Companion {
            device: Arc::new(Mutex::new(device)),
            network: config.network.into(),
            node: NodeSlot::default(),
            seen,
            runtime: Some(runtime),
        }))
    }

    /// This partner's member id in the shared space.
    pub fn member_id(&self) -> String {
        self.device().member_id().to_owned()
    }

    /// The paired partner, if any.
    pub fn partner(&self) -> Result<Option<PartnerInfo>> {
        let device = self.device();
        Ok(kintsugi_sync::Partner::load(device.store())?.map(Into::into))
    }

    /// Starts a shared space if needed and returns a single-use invitation to
    /// show as a QR code. Await `wait_for_partner` for the partner to join.
    pub async fn create_invite(&self) -> Result<Invite> {
        self.with_node(|node| async move {
            let invite = node.create_invite()?;
            Ok(Invite {
                payload: invite.payload(),
                qr_svg: invite.qr_svg()?,
            })
        })
        .await
    }

    /// Resolves once a partner has joined through an invitation.
    pub async fn wait_for_partner(&self) -> Result<PartnerInfo> {
        self.with_node(|node| async move { Ok(node.wait_for_partner().await.into()) })
            .await
    }

    /// Joins the partner whose invitation `payload` was scanned.
    pub async fn join(&self, payload: String) -> Result<PartnerInfo> {
        self.with_node(|node| async move { Ok(node.join(&payload).await?.into()) })
            .await
    }

    /// Syncs with the partner now; returns once both devices hold each
    /// other's changes. The summary carries the content-free notices of what
    /// the partner did that this device had not reported yet (see
    /// `notices_since_last_call`).
    pub async fn sync_now(&self) -> Result<SyncSummary> {
        let (device, seen) = (self.device.clone(), self.seen.clone());
        self.with_node(|node| async move {
            let report = node.sync_now().await?;
            let notices = take_notices(&device, &seen)?;
            Ok(SyncSummary::new(report, notices))
        })
        .await
    }

    /// Content-free notices of what the partner did since the last call of
    /// this method or of `sync_now` (or since the companion was opened): the
    /// partner's device may push changes at any time while both are online.
    /// Each thing is reported once. Kept in memory only: a new companion
    /// starts from what is on disk when it opens. Empty before pairing.
    pub fn notices_since_last_call(&self) -> Result<Vec<Notice>> {
        take_notices(&self.device, &self.seen)
    }

    /// Stops networking. The companion stays usable offline; a later network
    /// call starts it again.
    pub async fn shutdown(&self) -> Result<()> {
        let slot = self.node.clone();
        self.on_runtime(async move {
            let node = slot.lock().await.take();
            if let Some(node) = node {
                node.shutdown().await;
            }
            Ok(())
        })
        .await
    }
}

impl Companion {
    fn device(&self) -> MutexGuard<'_, Device> {
        lock(&self.device)
    }

    /// Runs one operation on the shared document, durably.
    fn update<T>(
        &self,
        f: impl FnOnce(&mut CoupleDoc, Millis) -> kintsugi_core::Result<T>,
    ) -> Result<T> {
        Ok(self.device().update(f)?)
    }

    /// Reads the shared document; `f` also gets this device's member id.
    fn read<T>(&self, f: impl FnOnce(&CoupleDoc, &str) -> T) -> Result<T> {
        let device = self.device();
        Ok(f(device.doc()?, device.member_id()))
    }

    /// Computes a derived view from a snapshot taken under the lock and
    /// released before the view runs.
    fn view<T>(&self, f: impl FnOnce(&Snapshot, &str) -> T) -> Result<T> {
        let (snapshot, me) = {
            let device = self.device();
            (device.snapshot()?, device.member_id().to_owned())
        };
        Ok(f(&snapshot, &me))
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
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

    /// Runs `f` with the network node, starting it on first use.
    async fn with_node<T, F, Fut>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Node>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T>> + Send,
    {
        let (slot, device, network) =
            (self.node.clone(), self.device.clone(), self.network.clone());
        self.on_runtime(async move {
            let node = {
                let mut slot = slot.lock().await;
                match slot.as_ref() {
                    Some(node) => node.clone(),
                    None => slot
                        .insert(Arc::new(Node::spawn(device, &network).await?))
                        .clone(),
                }
            };
            f(node).await
        })
        .await
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The notices of what the partner did between the snapshot in `seen` and
/// now; `seen` moves to now, so each thing is reported once.
fn take_notices(device: &Mutex<Device>, seen: &Mutex<Option<Snapshot>>) -> Result<Vec<Notice>> {
    let mut seen = lock(seen);
    let (now, me) = {
        let device = lock(device);
        match device.snapshot() {
            Ok(snapshot) => (snapshot, device.member_id().to_owned()),
            Err(CoreError::NoCouple) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        }
    };
    let before = seen.take().unwrap_or_default();
    let notices = notify::notices(&before, &now, &me);
    *seen = Some(now);
    Ok(notices.into_iter().map(Into::into).collect())
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

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
