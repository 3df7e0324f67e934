//! A device on the network: one iroh endpoint with the pairing and sync
//! protocols mounted on a `Router`, over the device's core state.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use automerge::sync::{Message, State};
use iroh::endpoint::VarInt;
use iroh::protocol::Router;
use iroh::{Endpoint, EndpointAddr, EndpointId, SecretKey};
use iroh_tickets::endpoint::EndpointTicket;
use kintsugi_core::{CoreError, CoupleDoc, Device};
use tokio::sync::watch;
use tracing::info;

use crate::config::NetworkConfig;
use crate::error::{Result, SyncError};
use crate::invite::{INVITE_LIFETIME, Invite, SECRET_LEN};
use crate::pairing::{self, PAIR_ALPN, PairingHandler};
use crate::partner::Partner;
use crate::protocol::{self, SYNC_ALPN, SyncHandler, SyncReport};

// Named in core, so that wiping a device knows them; encrypted like every file.
const SECRET_KEY_FILE: &str = kintsugi_core::storage::files::ENDPOINT_KEY;
const PORT_FILE: &str = kintsugi_core::storage::files::ENDPOINT_PORT;
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
    open_invites: Mutex<Vec<([u8; SECRET_LEN], u64)>>,
    /// Redeemed secrets, kept only to answer "already used" rather than "not valid".
    used_invites: Mutex<Vec<[u8; SECRET_LEN]>>,
    pub(crate) sync_lock: tokio::sync::Mutex<()>,
    wire_tap: TapSlot,
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

    fn device(&self) -> MutexGuard<'_, Device> {
        // A panic while holding the lock cannot leave the document half
        // written (Automerge commits atomically), so keep going.
        self.device.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn me(&self) -> Result<(String, String)> {
        let device = self.device();
        Ok((device.profile().name.clone(), device.member_id().to_owned()))
    }

    pub(crate) fn partner(&self) -> Result<Partner> {
        self.partner.borrow().clone().ok_or(SyncError::NotPaired)
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

    /// Applies a partner's sync message and makes any new changes durable
    /// before the caller answers. Returns how many changes were new.
    pub(crate) fn apply_sync_message(&self, state: &mut State, message: Message) -> Result<usize> {
        let mut device = self.device();
        let doc = device.doc_mut()?;
        // Containers both phones created while apart are folded together
        // so no record hides behind a concurrent one.
        let new = doc
            .receive_sync_message(state, message, kintsugi_core::now_millis())
            .map_err(|e| match e {
                CoreError::Automerge(e) => {
                    SyncError::Protocol(format!("sync message rejected: {e}"))
                }
                other => other.into(),
            })?;
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

    pub(crate) fn load_sync_state(&self, peer: &str) -> Result<State> {
        let bytes = self.device().store().load_sync_state(peer)?;
        Ok(protocol::decode_state(bytes))
    }

    pub(crate) fn save_sync_state(&self, peer: &str, state: &State) -> Result<()> {
        Ok(self
            .device()
            .store()
            .save_sync_state(peer, &state.encode())?)
    }

    /// Checks a joiner's proof against the open invites and burns the secret it matches.
    pub(crate) fn redeem_invite(
        &self,
        presented: &str,
        expected: impl Fn(&[u8; SECRET_LEN]) -> Result<blake3::Hash>,
    ) -> Result<()> {
        let presented = blake3::Hash::from_hex(presented)
            .map_err(|_| SyncError::Protocol("the pairing proof is malformed".into()))?;
        let mut open = self.open_invites.lock().unwrap_or_else(|p| p.into_inner());
        let mut used = self.used_invites.lock().unwrap_or_else(|p| p.into_inner());
        // blake3::Hash compares in constant time.
        for secret in used.iter() {
            if expected(secret)? == presented {
                return Err(SyncError::PairingRefused(
                    "this pairing code was already used".into(),
                ));
            }
        }
        // Checked before the open invites: a device has one partner, and a
        // second code shown earlier must not let anyone else take that place.
        if let Some(partner) = self.partner.borrow().as_ref() {
            return Err(SyncError::AlreadyPaired(partner.name.clone()));
        }
        for i in 0..open.len() {
            let (secret, expires_at) = open[i];
            if expected(&secret)? == presented {
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
                return Ok(());
            }
        }
        Err(SyncError::PairingRefused(
            "this pairing code is not valid".into(),
        ))
    }

    /// Inviter side: records the joiner as partner and returns what the joiner
    /// needs: our name, our member id and the shared document.
    pub(crate) fn accept_partner(&self, partner: Partner) -> Result<(String, String, Vec<u8>)> {
        let mut device = self.device();
        device.start_couple()?;
        partner.save(device.store())?;
        let document = device.doc_mut()?.save();
        let me = (device.profile().name.clone(), device.member_id().to_owned());
        drop(device);
        self.partner.send_replace(Some(partner));
        Ok((me.0, me.1, document))
    }

    /// Joiner side: adopts the inviter's document and records the inviter as partner.
    pub(crate) fn adopt_partner(&self, partner: Partner, document: &[u8]) -> Result<()> {
        let mut device = self.device();
        device.join_couple(document)?;
        partner.save(device.store())?;
        drop(device);
        self.partner.send_replace(Some(partner.clone()));
        self.paired.send_replace(Some(partner));
        Ok(())
    }

    /// Inviter side, once the joiner has read our answer.
    pub(crate) fn pairing_completed(&self, partner: Partner) {
        self.paired.send_replace(Some(partner));
    }
}

/// A running device: reachable by its partner until [`Node::shutdown`].
#[derive(Debug)]
pub struct Node {
    shared: Arc<Shared>,
    router: Router,
}

impl Node {
    /// Binds the endpoint (with the device's persistent key) and starts
    /// accepting the pairing and sync protocols.
    pub async fn spawn(device: Arc<Mutex<Device>>, config: &NetworkConfig) -> Result<Node> {
        let (secret_key, port, partner) = {
            let device = device.lock().unwrap_or_else(|p| p.into_inner());
            let store = device.store();
            let key = match store.read(SECRET_KEY_FILE)? {
                Some(bytes) => {
                    let bytes: [u8; 32] =
                        bytes
                            .as_slice()
                            .try_into()
                            .map_err(|_| CoreError::Corrupt {
                                path: store.path(SECRET_KEY_FILE),
                                reason: "not a 32-byte key".into(),
                            })?;
                    SecretKey::from_bytes(&bytes)
                }
                None => {
                    let key = SecretKey::generate();
                    store.write(SECRET_KEY_FILE, &key.to_bytes())?;
                    key
                }
            };
            let port = store
                .read(PORT_FILE)?
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.trim().parse::<u16>().ok());
            (key, port, Partner::load(store)?)
        };
        let stable_port = !config.public_address_lookup;
        let endpoint = match bind(config, secret_key.clone(), port.filter(|_| stable_port)).await {
            Ok(ep) => ep,
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
        info!(id = %endpoint.id(), "endpoint bound");
        let shared = Arc::new(Shared {
            device,
            endpoint: endpoint.clone(),
            partner: watch::Sender::new(partner.clone()),
            paired: watch::Sender::new(partner),
            open_invites: Mutex::new(Vec::new()),
            used_invites: Mutex::new(Vec::new()),
            sync_lock: tokio::sync::Mutex::new(()),
            wire_tap: TapSlot::default(),
        });
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
            .spawn();
        Ok(Node { shared, router })
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
        let secret: [u8; SECRET_LEN] = rand::random();
        let expires_at = unix_now() + lifetime.as_secs();
        let mut open = self
            .shared
            .open_invites
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Expired codes are of no use to anyone; keep the list short.
        let now = unix_now();
        open.retain(|(_, exp)| *exp >= now);
        open.push((secret, expires_at));
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

    /// Joins the partner who shows `payload`.
    pub async fn join(&self, payload: &str) -> Result<Partner> {
        let invite = Invite::parse(payload)?;
        invite.check_fresh(unix_now())?;
        if let Some(partner) = self.partner() {
            return Err(SyncError::AlreadyPaired(partner.name));
        }
        if invite.ticket.endpoint_addr().id == self.endpoint_id() {
            return Err(SyncError::OwnInvite);
        }
        // Checked before dialling: the inviter burns its code and records us
        // as partner when it answers, so a refusal afterwards would leave it
        // paired alone.
        if !self.shared.device().can_join() {
            return Err(kintsugi_core::CoreError::AlreadyInCouple.into());
        }
        let partner = pairing::join(&self.shared, &invite).await?;
        // Codes this device showed earlier can no longer be used.
        self.shared
            .open_invites
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        // One sync at once, so the inviter learns our member entry (and can,
        // say, send an appreciation) without waiting for a later sync.
        if let Err(e) = self.sync_now().await {
            tracing::warn!("first sync after pairing: {e}");
        }
        Ok(partner)
    }

    /// Dials the partner and runs one sync session; returns once both devices
    /// hold each other's changes on disk.
    pub async fn sync_now(&self) -> Result<SyncReport> {
        let partner = self.shared.partner()?;
        let addr = partner.addr()?;
        let conn = tokio::time::timeout(
            DIAL_TIMEOUT,
            self.shared.endpoint.connect(addr.clone(), SYNC_ALPN),
        )
        .await
        .map_err(|_| SyncError::Timeout(DIAL_TIMEOUT, "reaching your partner's device"))?
        .map_err(|e| SyncError::Connect(e.to_string()))?;
        let report = protocol::sync_with(&self.shared, &conn).await;
        if report.is_err() {
            conn.close(VarInt::from_u32(1), b"sync failed");
        }
        report
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
        if let Err(e) = self.router.shutdown().await {
            tracing::warn!("router shutdown: {e}");
        }
    }
}

async fn bind(config: &NetworkConfig, key: SecretKey, port: Option<u16>) -> Result<Endpoint> {
    config
        .builder(port)?
        .secret_key(key)
        .bind()
        .await
        .map_err(|e| SyncError::Endpoint(e.to_string()))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
