//! Ending a pairing, quietly (ALPN `kintsugi/unpair/1` only if asked).
//!
//! Either partner can end it alone, at any time, with no network at all
//! ([`leave`]): the device forgets the partner first (its record, keys,
//! sync states, bundle book), durably; then it archives the shared space
//! (read-only on this device, never synced again, deleted by the user
//! alone) and rotates its own keys: a new endpoint key, so the ex's dials
//! reach nothing (exactly like a phone that is offline: no refusal, no
//! "ended"), and new signing and sealing keys, so nothing sealed or signed
//! from now on relates to the old ones. The private space is untouched.
//!
//! Only if the user asks (`kintsugi unpair --tell`, `tell` in the apps)
//! does the device then tell the partner, in one frame that carries
//! nothing but the fact, from its old endpoint (the only one the partner
//! admits). The partner's device then leaves too, the same way.

use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::{Connection, VarInt};
use iroh::protocol::{AcceptError, ProtocolHandler};
use tracing::info;

use kintsugi_core::Device;
use kintsugi_core::storage::files;

use crate::error::{Result, SyncError};
use crate::framing::{FrameReader, FrameWriter};
use crate::node::Shared;
use crate::partner::Partner;

pub const UNPAIR_ALPN: &[u8] = b"kintsugi/unpair/1";
/// The whole message: the pairing has ended.
const ENDED: &[u8] = b"ended";
/// Telling the partner is a courtesy: it must never hold up the person
/// who is leaving.
pub const TELL_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub(crate) struct UnpairHandler {
    pub(crate) shared: Arc<Shared>,
}

impl ProtocolHandler for UnpairHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let remote = conn.remote_id();
        // Only the partner can end the pairing; anyone else is a stranger.
        if !self.shared.is_partner(&remote) {
            return Err(AcceptError::from_err(self.shared.refuse(&conn, "unpair")));
        }
        let heard = tokio::time::timeout(TELL_TIMEOUT, async {
            let (_send, recv) = conn
                .accept_bi()
                .await
                .map_err(|e| SyncError::Connection(e.to_string()))?;
            let mut reader = FrameReader::new(recv, ENDED.len());
            match reader.next().await? {
                Some(frame) if frame.as_ref() == ENDED => Ok(()),
                _ => Err(SyncError::Protocol("not an unpair message".into())),
            }
        })
        .await
        .unwrap_or(Err(SyncError::Timeout(
            TELL_TIMEOUT,
            "reading the unpair message",
        )));
        match heard {
            Ok(()) => {
                info!("the partner ended the pairing");
                self.shared
                    .forget_partner()
                    .map_err(AcceptError::from_err)?;
                conn.close(VarInt::from_u32(0), b"done");
                Ok(())
            }
            Err(e) => {
                conn.close(VarInt::from_u32(1), b"unpair failed");
                Err(AcceptError::from_err(e))
            }
        }
    }
}

/// What [`leave`] did.
#[derive(Debug)]
pub struct Left {
    /// The partner this device was paired with, if it was.
    pub partner: Option<Partner>,
    /// The archived shared space's id, if there was one.
    pub archive: Option<String>,
}

/// Leaves the pairing on this device alone, with no network: forgets the
/// partner durably first, then archives the shared space and rotates this
/// device's endpoint, signing and sealing keys. A running [`crate::Node`]
/// still holds the old endpoint key: use [`crate::Node::unpair`] instead, or
/// shut it down first.
pub fn leave(device: &mut Device) -> Result<Left> {
    let store = device.store().clone();
    let partner = Partner::load(&store)?;
    // Forget first: whatever happens next, the partner is never admitted again.
    store.remove(crate::partner::PARTNER_FILE)?;
    store.remove(files::BUNDLES)?;
    store.remove(files::ENDED_PARTNER)?;
    store.remove(files::SYNC_PAUSED)?;
    store.remove(files::SYNC_QUOTA)?;
    // Notices of the ex-partner waiting for the next notification: none
    // buzzes the phone after leaving.
    store.remove(files::NOTICE_GATE)?;
    store.reset_sync_states()?;
    let archive = device.archive_couple()?;
    crate::identity::rotate(&store)?;
    // A new port too: nothing at the old address answers for this device.
    store.remove(files::ENDPOINT_PORT)?;
    Ok(Left { partner, archive })
}

/// Tells `partner` the pairing ended, from `endpoint` (the old one, which
/// the partner admits). `false` if it could not be reached within
/// [`TELL_TIMEOUT`].
pub(crate) async fn tell(endpoint: &iroh::Endpoint, partner: &Partner) -> Result<bool> {
    let addr = partner.addr()?;
    let told = tokio::time::timeout(TELL_TIMEOUT, async {
        let conn = endpoint
            .connect(addr, UNPAIR_ALPN)
            .await
            .map_err(|e| SyncError::Connect(e.to_string()))?;
        let (send, _recv) = conn
            .open_bi()
            .await
            .map_err(|e| SyncError::Connection(e.to_string()))?;
        let mut writer = FrameWriter::new(send, ENDED.len());
        writer.send(ENDED.to_vec()).await?;
        writer.finish().await?;
        // The partner closes once it has forgotten us.
        conn.closed().await;
        Ok::<_, SyncError>(())
    })
    .await;
    Ok(matches!(told, Ok(Ok(()))))
}
