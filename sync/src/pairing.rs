//! Pairing protocol (ALPN `kintsugi/pair/1`).
//!
//! 1. The inviter shows a payload with its endpoint ticket and a random
//!    32-byte secret.
//! 2. The joiner dials the ticket and sends its name, member id, address and
//!    `proof = BLAKE3-keyed(secret, binding)`, where `binding` is keying
//!    material exported from this very QUIC connection with both endpoint ids
//!    as context. The proof cannot be replayed on another connection, and the
//!    secret itself never travels.
//! 3. The inviter checks the proof against its open invites in constant time,
//!    burns the secret, stores the joiner as partner and answers with its own
//!    name, member id, address and the shared document, which the joiner adopts.
//!
//! A used secret is refused; a device that already has a partner refuses every
//! pairing attempt.

use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::{Connection, VarInt};
use iroh::protocol::{AcceptError, ProtocolHandler};
use iroh::{EndpointAddr, EndpointId};
use iroh_tickets::endpoint::EndpointTicket;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::error::{Result, SyncError};
use crate::framing::{FrameReader, FrameWriter, MAX_FRAME};
use crate::invite::Invite;
use crate::node::Shared;
use crate::partner::Partner;

pub const PAIR_ALPN: &[u8] = b"kintsugi/pair/1";
const BINDING_LABEL: &[u8] = b"kintsugi pairing v1";
const MAX_REQUEST: usize = 64 * 1024;
const PAIR_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Serialize, Deserialize)]
struct JoinRequest {
    name: String,
    member_id: String,
    addr: String,
    proof: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
enum JoinResponse {
    /// Followed by one frame holding the shared document.
    Accepted {
        name: String,
        member_id: String,
        addr: String,
    },
    Refused {
        reason: String,
    },
}

/// Binds the secret to this connection: both sides compute the same value
/// only if they share the TLS session and agree on who dialled whom.
fn proof(
    conn: &Connection,
    secret: &[u8; 32],
    inviter: EndpointId,
    joiner: EndpointId,
) -> Result<blake3::Hash> {
    let mut context = Vec::with_capacity(64);
    context.extend_from_slice(inviter.as_bytes());
    context.extend_from_slice(joiner.as_bytes());
    let mut binding = [0u8; 32];
    conn.export_keying_material(&mut binding, BINDING_LABEL, &context)
        .map_err(|e| {
            SyncError::Protocol(format!("cannot bind pairing to the connection: {e:?}"))
        })?;
    Ok(blake3::keyed_hash(secret, &binding))
}

fn ticket(addr: EndpointAddr) -> String {
    EndpointTicket::new(addr).to_string()
}

#[derive(Debug, Clone)]
pub(crate) struct PairingHandler {
    pub(crate) shared: Arc<Shared>,
}

impl ProtocolHandler for PairingHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let remote = conn.remote_id();
        match tokio::time::timeout(PAIR_TIMEOUT, self.answer(&conn)).await {
            Ok(Ok(partner)) => {
                info!(partner = %partner.name, "paired");
                // The joiner closes once it has read our answer.
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
                self.shared.pairing_completed(partner);
                Ok(())
            }
            Ok(Err(e)) => {
                warn!(%remote, "pairing refused: {e}");
                conn.close(VarInt::from_u32(1), b"pairing refused");
                Err(AcceptError::from_err(e))
            }
            Err(_) => {
                conn.close(VarInt::from_u32(2), b"timeout");
                Err(AcceptError::from_err(SyncError::Timeout(
                    PAIR_TIMEOUT,
                    "pairing",
                )))
            }
        }
    }
}

impl PairingHandler {
    async fn answer(&self, conn: &Connection) -> Result<Partner> {
        let shared = &self.shared;
        let joiner = conn.remote_id();
        let (send, recv) = conn
            .accept_bi()
            .await
            .map_err(|e| SyncError::Connection(e.to_string()))?;
        let mut reader = FrameReader::new(recv, MAX_REQUEST);
        let mut writer = FrameWriter::new(send, MAX_FRAME);
        let request = reader
            .next()
            .await?
            .ok_or_else(|| SyncError::Protocol("no pairing request".into()))?;
        let request: JoinRequest = serde_json::from_slice(&request)
            .map_err(|e| SyncError::Protocol(format!("pairing request: {e}")))?;

        let refuse = |reason: String| JoinResponse::Refused { reason };
        let verdict = shared.redeem_invite(&request.proof, |secret| {
            proof(conn, secret, shared.endpoint_id(), joiner)
        });
        let response = match verdict {
            // The joiner adds its own "refused" wording: send the bare reason.
            Err(SyncError::PairingRefused(reason)) => refuse(reason),
            Err(SyncError::AlreadyPaired(_)) => {
                refuse("that device is already paired with someone".into())
            }
            Err(e) => refuse(e.to_string()),
            Ok(()) => {
                let partner = Partner {
                    endpoint_id: joiner.to_string(),
                    member_id: request.member_id.clone(),
                    name: request.name.clone(),
                    paired_at: kintsugi_core::now_millis(),
                    last_addr: Some(request.addr.clone()),
                };
                let (name, member_id, document) = shared.accept_partner(partner.clone())?;
                let header = JoinResponse::Accepted {
                    name,
                    member_id,
                    addr: ticket(shared.endpoint_addr()),
                };
                writer
                    .send(serde_json::to_vec(&header).expect("serialises"))
                    .await?;
                writer.send(document).await?;
                writer.finish().await?;
                return Ok(partner);
            }
        };
        let reason = match &response {
            JoinResponse::Refused { reason } => reason.clone(),
            JoinResponse::Accepted { .. } => unreachable!(),
        };
        writer
            .send(serde_json::to_vec(&response).expect("serialises"))
            .await?;
        writer.finish().await?;
        let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
        Err(SyncError::PairingRefused(reason))
    }
}

/// The joiner's side: dial the inviter, prove the secret, adopt the document.
pub(crate) async fn join(shared: &Shared, invite: &Invite) -> Result<Partner> {
    let inviter_addr: EndpointAddr = invite.ticket.endpoint_addr().clone();
    let inviter = inviter_addr.id;
    let conn = shared
        .endpoint()
        .connect(inviter_addr, PAIR_ALPN)
        .await
        .map_err(|e| SyncError::Connect(e.to_string()))?;
    let result =
        tokio::time::timeout(PAIR_TIMEOUT, async {
            let (send, recv) = conn
                .open_bi()
                .await
                .map_err(|e| SyncError::Connection(e.to_string()))?;
            let mut writer = FrameWriter::new(send, MAX_REQUEST);
            let mut reader = FrameReader::new(recv, MAX_FRAME);
            let (name, member_id) = shared.me()?;
            let request = JoinRequest {
                name,
                member_id,
                addr: ticket(shared.endpoint_addr()),
                proof: proof(&conn, &invite.secret, inviter, shared.endpoint_id())?
                    .to_hex()
                    .to_string(),
            };
            writer
                .send(serde_json::to_vec(&request).expect("serialises"))
                .await?;
            writer.finish().await?;
            let header = reader.next().await?.ok_or_else(|| {
                SyncError::Protocol("the inviter closed without answering".into())
            })?;
            let header: JoinResponse = serde_json::from_slice(&header)
                .map_err(|e| SyncError::Protocol(format!("pairing answer: {e}")))?;
            match header {
                JoinResponse::Refused { reason } => Err(SyncError::PairingRefused(reason)),
                JoinResponse::Accepted {
                    name,
                    member_id,
                    addr,
                } => {
                    let document = reader.next().await?.ok_or_else(|| {
                        SyncError::Protocol("the inviter sent no document".into())
                    })?;
                    let partner = Partner {
                        endpoint_id: inviter.to_string(),
                        member_id,
                        name,
                        paired_at: kintsugi_core::now_millis(),
                        last_addr: Some(addr),
                    };
                    shared.adopt_partner(partner.clone(), &document)?;
                    Ok(partner)
                }
            }
        })
        .await
        .unwrap_or(Err(SyncError::Timeout(PAIR_TIMEOUT, "pairing")));
    conn.close(VarInt::from_u32(0), b"done");
    result
}
