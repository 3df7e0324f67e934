//! Ending a pairing (ALPN `kintsugi/unpair/1`).
//!
//! Either partner can end it alone, at any time. Their device forgets the
//! partner (endpoint id, keys, sync state) and from then on refuses that
//! endpoint. If the partner's device is reachable it is told, in one frame
//! that carries nothing but the fact, and forgets too: no alarm, no
//! content, no reason. If it is not reachable, this device keeps only the
//! old partner's endpoint id (`ended-partner.age`) to refuse its next dial
//! with close code 410 ("pairing ended") instead of 403, from which that
//! device learns the same.
//!
//! The shared history stays on both devices (each partner's own copy);
//! `--wipe` (or `wipe` in the apps) removes this device's copy as well.

use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::{Connection, VarInt};
use iroh::protocol::{AcceptError, ProtocolHandler};
use tracing::info;

use crate::error::{Result, SyncError};
use crate::framing::{FrameReader, FrameWriter};
use crate::node::Shared;

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
                    .forget_partner(false)
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

/// Tells the partner the pairing ended. `Ok(false)` if it could not be
/// reached within [`TELL_TIMEOUT`].
pub(crate) async fn tell_partner(shared: &Shared) -> Result<bool> {
    let addr = shared.partner()?.addr()?;
    let told = tokio::time::timeout(TELL_TIMEOUT, async {
        let conn = shared
            .endpoint()
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
