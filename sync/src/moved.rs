//! Telling the partner this device's new endpoint id (ALPN `kintsugi/moved/1`).
//!
//! A device restored from a backup with its pairing kept gets a new
//! endpoint key: a copy of the backup must never answer as this phone. The
//! partner's device admits only the endpoint id it paired with, so the
//! restored device tells it, once, in a statement signed by the device
//! signing key the partner learnt at pairing:
//!
//! ```text
//! frame: JSON { "old": <old endpoint id>, "addr": <endpoint ticket>, "sig": <hex> }
//! sig = ed25519(device key, "kintsugi moved v1\0" ‖ old id ‖ new id ‖ partner's id ‖ addr)
//! ```
//!
//! The new id is the connection's own (TLS-authenticated) remote id, and
//! the partner's id is the acceptor's, so a statement works on one
//! connection between these two devices only. The partner checks that
//! `old` is the endpoint it knows and that its partner's key signed, then
//! admits the new id instead and answers `ok`. Anything else is closed
//! like any stranger (403), after reading at most one small frame.

use std::str::FromStr;
use std::sync::Arc;

use iroh::endpoint::{Connection, VarInt};
use iroh::protocol::{AcceptError, ProtocolHandler};
use iroh::{EndpointId, PublicKey, Signature};
use iroh_tickets::endpoint::EndpointTicket;
use kintsugi_core::Store;
use kintsugi_core::storage::files;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SyncError};
use crate::framing::{FrameReader, FrameWriter};
use crate::identity::Identity;
use crate::node::Shared;
use crate::partner::Partner;
use crate::protocol::{NOT_PAIRED, TURN_TIMEOUT};

pub const MOVED_ALPN: &[u8] = b"kintsugi/moved/1";
const CONTEXT: &[u8] = b"kintsugi moved v1\0";
const MAX_STATEMENT: usize = 2048;
const OK: &[u8] = b"ok";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Statement {
    old: String,
    addr: String,
    sig: String,
}

fn message(old: &PublicKey, new: &PublicKey, partner: &PublicKey, addr: &str) -> Vec<u8> {
    [
        CONTEXT,
        old.as_bytes(),
        new.as_bytes(),
        partner.as_bytes(),
        addr.as_bytes(),
    ]
    .concat()
}

/// Keeps the statement to send once the node runs (see [`announce`]).
pub(crate) fn record(
    store: &Store,
    identity: &Identity,
    old: &PublicKey,
    new: &iroh::SecretKey,
    partner: &Partner,
) -> Result<()> {
    let partner_id = partner.id()?;
    // Only the id: the node learns its addresses when it binds.
    let addr = EndpointTicket::new(iroh::EndpointAddr::new(new.public())).to_string();
    let sig = identity.sign(&message(old, &new.public(), &partner_id, &addr));
    let statement = Statement {
        old: old.to_string(),
        addr,
        sig: hex::encode(sig.to_bytes()),
    };
    store.write(
        files::MOVED,
        &serde_json::to_vec(&statement).expect("serialises"),
    )?;
    Ok(())
}

/// Whether a statement waits to be heard by the partner.
pub(crate) fn pending(store: &Store) -> bool {
    store.path(files::MOVED).exists()
}

/// Tells the partner this device's new endpoint id, if a restore left a
/// statement to send. Signed again with the node's current address, so the
/// partner can dial back.
pub(crate) async fn announce(shared: &Shared) -> Result<()> {
    let (store, identity) = shared.store_and_identity()?;
    let Some(bytes) = store.read(files::MOVED)? else {
        return Ok(());
    };
    let recorded: Statement = serde_json::from_slice(&bytes).map_err(|e| {
        SyncError::Core(kintsugi_core::CoreError::Corrupt {
            path: store.path(files::MOVED),
            reason: e.to_string(),
        })
    })?;
    let partner = shared.partner()?;
    let old = PublicKey::from_str(&recorded.old)
        .map_err(|e| SyncError::Protocol(format!("the old endpoint id: {e}")))?;
    let addr = EndpointTicket::new(shared.endpoint_addr()).to_string();
    let sig = identity.sign(&message(&old, &shared.endpoint_id(), &partner.id()?, &addr));
    let statement = Statement {
        old: recorded.old,
        addr,
        sig: hex::encode(sig.to_bytes()),
    };
    let heard = tokio::time::timeout(TURN_TIMEOUT, async {
        let conn = shared
            .endpoint()
            .connect(partner.addr()?, MOVED_ALPN)
            .await
            .map_err(|e| SyncError::Connect(e.to_string()))?;
        let (send, recv) = conn
            .open_bi()
            .await
            .map_err(|e| SyncError::Connection(e.to_string()))?;
        let mut writer = FrameWriter::new(send, MAX_STATEMENT);
        let mut reader = FrameReader::new(recv, OK.len());
        writer
            .send(serde_json::to_vec(&statement).expect("serialises"))
            .await?;
        writer.finish().await?;
        let answer = reader.next().await?;
        conn.close(VarInt::from_u32(0), b"done");
        match answer {
            Some(frame) if frame.as_ref() == OK => Ok(()),
            _ => Err(SyncError::Protocol(
                "the partner did not take the new endpoint".into(),
            )),
        }
    })
    .await
    .unwrap_or(Err(SyncError::Timeout(
        TURN_TIMEOUT,
        "telling the partner the new endpoint",
    )));
    heard?;
    store.remove(files::MOVED)?;
    tracing::info!("the partner knows this device's new endpoint");
    Ok(())
}

#[derive(Debug, Clone)]
pub(crate) struct MovedHandler {
    pub(crate) shared: Arc<Shared>,
}

impl ProtocolHandler for MovedHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let remote = conn.remote_id();
        let outcome = tokio::time::timeout(TURN_TIMEOUT, self.hear(&conn, remote))
            .await
            .unwrap_or(Err(SyncError::Timeout(TURN_TIMEOUT, "reading a statement")));
        match outcome {
            Ok(()) => {
                let _ = tokio::time::timeout(TURN_TIMEOUT, conn.closed()).await;
                Ok(())
            }
            Err(e) => {
                // The same answer as any stranger gets.
                conn.close(VarInt::from_u32(NOT_PAIRED), b"not paired");
                Err(AcceptError::from_err(e))
            }
        }
    }
}

impl MovedHandler {
    async fn hear(&self, conn: &Connection, new: EndpointId) -> Result<()> {
        let partner = self.shared.partner()?;
        let (send, recv) = conn
            .accept_bi()
            .await
            .map_err(|e| SyncError::Connection(e.to_string()))?;
        let mut reader = FrameReader::new(recv, MAX_STATEMENT);
        let mut writer = FrameWriter::new(send, OK.len());
        let frame = reader
            .next()
            .await?
            .ok_or_else(|| SyncError::Protocol("no statement".into()))?;
        let statement: Statement = serde_json::from_slice(&frame)
            .map_err(|e| SyncError::Protocol(format!("a statement: {e}")))?;
        let old = PublicKey::from_str(&statement.old)
            .map_err(|e| SyncError::Protocol(format!("the old endpoint id: {e}")))?;
        let sig: [u8; 64] = hex::decode(&statement.sig)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| SyncError::Protocol("a malformed signature".into()))?;
        let signed = partner.signing_key.as_deref().is_some_and(|key| {
            crate::identity::verify(
                key,
                &message(&old, &new, &self.shared.endpoint_id(), &statement.addr),
                &Signature::from_bytes(&sig),
            )
        });
        if old != partner.id()? || !signed {
            return Err(SyncError::NotPaired);
        }
        let mut moved = partner;
        moved.endpoint_id = new.to_string();
        moved.last_addr = EndpointTicket::from_str(&statement.addr)
            .ok()
            .filter(|t| t.endpoint_addr().id == new)
            .map(|t| t.to_string());
        self.shared.partner_moved(moved)?;
        writer.send(OK.to_vec()).await?;
        writer.finish().await?;
        Ok(())
    }
}
