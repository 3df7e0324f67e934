//! Kintsugi for Kotlin and Swift: one `Companion` object per device, opened on
//! the app's data directory. Thin on purpose: every rule lives in
//! `kintsugi-core`, every network step in `kintsugi-sync`.
//!
//! Async methods run on the companion's own tokio runtime, so they work the
//! same whichever executor the foreign side polls them from. Errors are one
//! enum, [`KintsugiError`]; UniFFI turns any panic into an exception rather
//! than letting it cross the boundary.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use kintsugi_core::Device;
use kintsugi_sync::{NetworkConfig, Node};
type NodeSlot = Arc<tokio::sync::Mutex<Option<Arc<Node>>>>;

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
        Ok(Arc::new(Companion {
            device: Arc::new(Mutex::new(device)),
            network: config.network.into(),
            node: NodeSlot::default(),
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

    /// Syncs with the partner now; returns once both devices hold each other's changes.
    pub async fn sync_now(&self) -> Result<SyncSummary> {
        self.with_node(|node| async move { Ok(node.sync_now().await?.into()) })
            .await
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

    /// Proposes an agreement; it is in force once the partner accepts it. Returns its id.
    pub fn propose_agreement(&self, text: String) -> Result<String> {
        Ok(self.device().propose_agreement(&text)?)
    }

    /// Accepts the partner's proposal.
    pub fn accept_agreement(&self, id: String) -> Result<Agreement> {
        let mut device = self.device();
        let agreement = device.accept_agreement(&id)?;
        Ok(records::agreement(agreement, device.member_id()))
    }

    /// Records today's check-in. Returns its id.
    pub fn record_checkin(&self, input: CheckInInput) -> Result<String> {
        Ok(self.device().record_checkin(&input.into())?)
    }

    /// Every agreement, oldest first.
    pub fn agreements(&self) -> Result<Vec<Agreement>> {
        let device = self.device();
        let me = device.member_id().to_owned();
        Ok(device
            .agreements()?
            .into_iter()
            .map(|a| records::agreement(a, &me))
            .collect())
    }

    /// Every check-in of both partners, oldest first.
    pub fn checkins(&self) -> Result<Vec<CheckIn>> {
        let device = self.device();
        let me = device.member_id().to_owned();
        Ok(device
            .checkins()?
            .into_iter()
            .map(|c| records::checkin(c, &me))
            .collect())
    }
}

impl Companion {
    fn device(&self) -> MutexGuard<'_, Device> {
        self.device.lock().unwrap_or_else(|p| p.into_inner())
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
