//! Pairing protocol (ALPN `kintsugi/pair/2`).
//!
//! 1. The inviter shows a payload with its endpoint ticket, a random 32-byte
//!    secret and an expiry.
//! 2. The joiner dials the ticket and sends a [`JoinRequest`]: its [`Hello`]
//!    (name, member id, role, address, age recipient, signing key) and
//!    `proof = BLAKE3-keyed(secret, binding)`, where `binding` is keying
//!    material exported from this very QUIC connection with both endpoint ids
//!    as context. The proof cannot be replayed on another connection, and the
//!    secret itself never travels.
//! 3. The inviter checks the proof against its open invites in constant time
//!    and burns the secret (and every other open code), then answers
//!    `Verified` with its own `Hello`.
//! 4. Both sides now derive the same six-digit confirmation code from the
//!    connection's keying material (another label) and show it. Each user
//!    checks that the two screens match and confirms or rejects; the joiner
//!    sends its decision, the inviter combines it with its own.
//! 5. Only if both confirmed does the inviter store the joiner as partner and
//!    send `Accepted` followed by the shared document, which the joiner adopts.
//!    Otherwise it sends `Refused`, and neither side keeps anything.
//!
//! A device that photographed the QR code and raced the partner either finds
//! the code burnt, or wins the race: then the inviter's screen shows a code
//! that the partner's phone does not (it was refused), so the users reject.
//!
//! A used or expired secret is refused; a device that already has a partner
//! refuses every pairing attempt.

use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::{Connection, VarInt};
use iroh::protocol::{AcceptError, ProtocolHandler};
use iroh::{EndpointAddr, EndpointId};
use iroh_tickets::endpoint::EndpointTicket;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tracing::{info, warn};

use crate::error::{Result, SyncError};
use crate::framing::{FrameReader, FrameWriter, MAX_FRAME};
use crate::invite::Invite;
use crate::node::Shared;
use crate::partner::Partner;

pub mod exchange;

pub const PAIR_ALPN: &[u8] = b"kintsugi/pair/2";
const BINDING_LABEL: &[u8] = b"kintsugi pairing v2";
const CONFIRM_LABEL: &[u8] = b"kintsugi confirmation code v2";
const MAX_REQUEST: usize = 64 * 1024;
/// Network steps of pairing (dial, proof, answer).
const PAIR_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the two people have to compare codes and confirm.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(120);

/// What each device tells the other about itself, inside the channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Hello {
    name: String,
    member_id: String,
    role: Option<String>,
    /// An endpoint ticket: where to reach this device later.
    addr: String,
    age_recipient: String,
    signing_key: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct JoinRequest {
    hello: Hello,
    proof: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
enum Answer {
    /// The proof holds: compare codes now.
    Verified {
        hello: Hello,
    },
    /// Both confirmed; followed by one frame holding the shared document.
    Accepted,
    Refused {
        reason: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Decision {
    confirmed: bool,
}

/// A pairing waiting for this device's user to compare codes and decide.
///
/// Both phones show the same [`code`](Self::code) only if they share this
/// very connection. Dropping the request without deciding rejects it.
#[derive(Debug)]
pub struct PairingRequest {
    code: String,
    partner_name: String,
    partner_role: Option<String>,
    decision: oneshot::Sender<bool>,
    outcome: oneshot::Receiver<Result<Partner>>,
}

impl PairingRequest {
    /// Six digits, grouped "123 456" for reading aloud.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The name the other device gave.
    pub fn partner_name(&self) -> &str {
        &self.partner_name
    }

    /// The role the other partner had chosen, if they had.
    pub fn partner_role(&self) -> Option<&str> {
        self.partner_role.as_deref()
    }

    /// This user confirms the codes match. Resolves once the other side has
    /// decided too: the partner, or `PairingRejected` if they did not confirm.
    pub async fn confirm(self) -> Result<Partner> {
        let _ = self.decision.send(true);
        self.outcome.await.unwrap_or(Err(SyncError::Connection(
            "the pairing stopped before it completed".into(),
        )))
    }

    /// This user says the codes differ (or cancels). Nothing is kept.
    pub async fn reject(self) {
        let _ = self.decision.send(false);
        let _ = self.outcome.await;
    }
}

/// Binds the secret to this connection: both sides compute the same value
/// only if they share the TLS session and agree on who dialled whom.
fn proof(
    conn: &Connection,
    secret: &[u8; 32],
    inviter: EndpointId,
    joiner: EndpointId,
) -> Result<blake3::Hash> {
    Ok(blake3::keyed_hash(
        secret,
        &keying_material(conn, BINDING_LABEL, inviter, joiner)?,
    ))
}

/// The code both screens show: derived from the connection, so a device on
/// another connection (a second scanner, someone in the middle) gets another.
fn confirmation_code(conn: &Connection, inviter: EndpointId, joiner: EndpointId) -> Result<String> {
    let material = keying_material(conn, CONFIRM_LABEL, inviter, joiner)?;
    let n = u64::from_le_bytes(material[..8].try_into().expect("8 bytes")) % 1_000_000;
    Ok(format!("{:03} {:03}", n / 1000, n % 1000))
}

fn keying_material(
    conn: &Connection,
    label: &[u8],
    inviter: EndpointId,
    joiner: EndpointId,
) -> Result<[u8; 32]> {
    let mut context = Vec::with_capacity(64);
    context.extend_from_slice(inviter.as_bytes());
    context.extend_from_slice(joiner.as_bytes());
    let mut out = [0u8; 32];
    conn.export_keying_material(&mut out, label, &context)
        .map_err(|e| {
            SyncError::Protocol(format!("cannot bind pairing to the connection: {e:?}"))
        })?;
    Ok(out)
}

fn ticket(addr: EndpointAddr) -> String {
    EndpointTicket::new(addr).to_string()
}

fn hello(shared: &Shared) -> Result<Hello> {
    let me = shared.me()?;
    Ok(Hello {
        name: me.name,
        member_id: me.member_id,
        role: me.role,
        addr: ticket(shared.endpoint_addr()),
        age_recipient: me.identity.age_recipient(),
        signing_key: me.identity.signing_key(),
    })
}

impl Hello {
    /// Refuses a hello whose keys are not keys: bundles would fail later.
    fn check(&self) -> Result<()> {
        if crate::identity::parse_recipient(&self.age_recipient).is_none() {
            return Err(SyncError::Protocol("the age recipient is not valid".into()));
        }
        if self.signing_key.parse::<iroh::PublicKey>().is_err() {
            return Err(SyncError::Protocol("the signing key is not valid".into()));
        }
        kintsugi_core::validate::text("name", &self.name, kintsugi_core::validate::MAX_NAME_CHARS)
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        Ok(())
    }

    fn into_partner(self, endpoint: EndpointId) -> Partner {
        Partner {
            endpoint_id: endpoint.to_string(),
            member_id: self.member_id,
            name: self.name,
            paired_at: kintsugi_core::now_millis(),
            last_addr: Some(self.addr),
            role: self.role,
            age_recipient: Some(self.age_recipient),
            signing_key: Some(self.signing_key),
            last_synced_at: None,
        }
    }
}

fn request_pair(
    code: String,
    hello: &Hello,
) -> (
    PairingRequest,
    oneshot::Receiver<bool>,
    oneshot::Sender<Result<Partner>>,
) {
    let (decision_tx, decision_rx) = oneshot::channel();
    let (outcome_tx, outcome_rx) = oneshot::channel();
    let request = PairingRequest {
        code,
        partner_name: hello.name.clone(),
        partner_role: hello.role.clone(),
        decision: decision_tx,
        outcome: outcome_rx,
    };
    (request, decision_rx, outcome_tx)
}

async fn send_json(writer: &mut FrameWriter, value: &impl Serialize) -> Result<()> {
    writer
        .send(serde_json::to_vec(value).expect("serialises"))
        .await
}

async fn read_json<T: for<'de> Deserialize<'de>>(
    reader: &mut FrameReader,
    what: &str,
) -> Result<T> {
    let frame = reader
        .next()
        .await?
        .ok_or_else(|| SyncError::Protocol(format!("the other device closed before its {what}")))?;
    serde_json::from_slice(&frame).map_err(|e| SyncError::Protocol(format!("{what}: {e}")))
}

#[derive(Debug, Clone)]
pub(crate) struct PairingHandler {
    pub(crate) shared: Arc<Shared>,
}

impl ProtocolHandler for PairingHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let remote = conn.remote_id();
        match self.answer(&conn).await {
            Ok(partner) => {
                info!(partner = %partner.name, "paired");
                // The joiner closes once it has read our answer.
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
                self.shared.pairing_completed(partner);
                Ok(())
            }
            Err(e) => {
                warn!(%remote, "pairing did not complete: {e}");
                conn.close(VarInt::from_u32(1), b"pairing refused");
                Err(AcceptError::from_err(e))
            }
        }
    }
}

impl PairingHandler {
    async fn answer(&self, conn: &Connection) -> Result<Partner> {
        let shared = &self.shared;
        let joiner = conn.remote_id();
        let (send, recv) = tokio::time::timeout(PAIR_TIMEOUT, conn.accept_bi())
            .await
            .map_err(|_| SyncError::Timeout(PAIR_TIMEOUT, "waiting for a pairing request"))?
            .map_err(|e| SyncError::Connection(e.to_string()))?;
        let mut reader = FrameReader::new(recv, MAX_REQUEST);
        let mut writer = FrameWriter::new(send, MAX_FRAME);
        let request: JoinRequest =
            tokio::time::timeout(PAIR_TIMEOUT, read_json(&mut reader, "pairing request"))
                .await
                .map_err(|_| SyncError::Timeout(PAIR_TIMEOUT, "waiting for a pairing request"))??;

        let verdict = shared
            .redeem_invite(&request.proof, |secret| {
                proof(conn, secret, shared.endpoint_id(), joiner)
            })
            .and_then(|()| request.hello.check());
        if let Err(e) = verdict {
            let reason = match e {
                // The joiner adds its own "refused" wording: send the bare reason.
                SyncError::PairingRefused(reason) => reason,
                SyncError::AlreadyPaired(_) => "that device is already paired with someone".into(),
                other => other.to_string(),
            };
            return Err(refuse(conn, &mut writer, reason).await);
        }
        send_json(
            &mut writer,
            &Answer::Verified {
                hello: hello(shared)?,
            },
        )
        .await?;

        let code = confirmation_code(conn, shared.endpoint_id(), joiner)?;
        let (request_out, mine, outcome) = request_pair(code, &request.hello);
        shared.offer_pairing_request(request_out);
        let result = self
            .decide(conn, &mut reader, &mut writer, mine, request.hello, joiner)
            .await;
        let _ = outcome.send(match &result {
            Ok(partner) => Ok(partner.clone()),
            Err(e) => Err(e.same_kind()),
        });
        result
    }

    /// Waits for both people's decisions, then accepts or refuses.
    async fn decide(
        &self,
        conn: &Connection,
        reader: &mut FrameReader,
        writer: &mut FrameWriter,
        mine: oneshot::Receiver<bool>,
        hello: Hello,
        joiner: EndpointId,
    ) -> Result<Partner> {
        let both = async {
            let theirs = async {
                read_json::<Decision>(reader, "decision")
                    .await
                    .map(|d| d.confirmed)
            };
            let mine = async { mine.await.unwrap_or(false) };
            tokio::pin!(theirs, mine);
            // A "no" on either side ends it at once, without waiting for the other.
            tokio::select! {
                theirs_first = &mut theirs => match theirs_first? {
                    false => Ok((false, true)),
                    true => Ok((true, mine.await)),
                },
                mine_first = &mut mine => match mine_first {
                    false => Ok((true, false)),
                    true => Ok::<_, SyncError>((theirs.await?, true)),
                },
            }
        };
        let (theirs, mine) = tokio::time::timeout(CONFIRM_TIMEOUT, both)
            .await
            .map_err(|_| SyncError::Timeout(CONFIRM_TIMEOUT, "waiting for both to confirm"))??;
        if !mine {
            return Err(refuse(
                conn,
                writer,
                "the pairing was cancelled on the other phone".into(),
            )
            .await);
        }
        if !theirs {
            return Err(SyncError::PairingRejected(
                "your partner did not confirm the code".into(),
            ));
        }
        let partner = hello.into_partner(joiner);
        let document = self.shared.accept_partner(partner.clone())?;
        send_json(writer, &Answer::Accepted).await?;
        writer.send(document).await?;
        writer.finish().await?;
        Ok(partner)
    }
}

/// Tells the joiner why, waits briefly for it to read that, and returns the error.
async fn refuse(conn: &Connection, writer: &mut FrameWriter, reason: String) -> SyncError {
    let _ = send_json(
        writer,
        &Answer::Refused {
            reason: reason.clone(),
        },
    )
    .await;
    let _ = writer.finish().await;
    let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
    SyncError::PairingRefused(reason)
}

/// The joiner's side up to the codes: dial the inviter and prove the secret.
/// Returns the request for this user to decide on; the rest runs in a task.
pub(crate) async fn join(shared: Arc<Shared>, invite: &Invite) -> Result<PairingRequest> {
    let inviter_addr: EndpointAddr = invite.ticket.endpoint_addr().clone();
    let inviter = inviter_addr.id;
    let conn = tokio::time::timeout(
        PAIR_TIMEOUT,
        shared.endpoint().connect(inviter_addr, PAIR_ALPN),
    )
    .await
    .map_err(|_| SyncError::Timeout(PAIR_TIMEOUT, "reaching your partner's device"))?
    .map_err(|e| SyncError::Connect(e.to_string()))?;
    let first = tokio::time::timeout(PAIR_TIMEOUT, async {
        let (send, recv) = conn
            .open_bi()
            .await
            .map_err(|e| SyncError::Connection(e.to_string()))?;
        let mut writer = FrameWriter::new(send, MAX_REQUEST);
        let mut reader = FrameReader::new(recv, MAX_FRAME);
        let request = JoinRequest {
            hello: hello(&shared)?,
            proof: proof(&conn, &invite.secret, inviter, shared.endpoint_id())?
                .to_hex()
                .to_string(),
        };
        send_json(&mut writer, &request).await?;
        match read_json::<Answer>(&mut reader, "pairing answer").await? {
            Answer::Verified { hello } => {
                hello.check()?;
                Ok((writer, reader, hello))
            }
            Answer::Refused { reason } => Err(SyncError::PairingRefused(reason)),
            Answer::Accepted => Err(SyncError::Protocol("accepted before confirming".into())),
        }
    })
    .await
    .unwrap_or(Err(SyncError::Timeout(PAIR_TIMEOUT, "pairing")));
    let (mut writer, mut reader, hello) = match first {
        Ok(parts) => parts,
        Err(e) => {
            conn.close(VarInt::from_u32(1), b"pairing failed");
            return Err(e);
        }
    };
    let code = confirmation_code(&conn, inviter, shared.endpoint_id())?;
    let (request, mine, outcome) = request_pair(code, &hello);
    tokio::spawn(async move {
        let result = tokio::time::timeout(CONFIRM_TIMEOUT, async {
            let confirmed = mine.await.unwrap_or(false);
            send_json(&mut writer, &Decision { confirmed }).await?;
            writer.finish().await?;
            if !confirmed {
                // Let the inviter read our "no" before the connection goes.
                let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
                return Err(SyncError::PairingRejected(
                    "you did not confirm the code".into(),
                ));
            }
            match read_json::<Answer>(&mut reader, "final answer").await? {
                Answer::Accepted => {
                    let document = reader.next().await?.ok_or_else(|| {
                        SyncError::Protocol("the inviter sent no document".into())
                    })?;
                    let partner = hello.into_partner(inviter);
                    shared.adopt_partner(partner.clone(), &document)?;
                    Ok(partner)
                }
                Answer::Refused { reason } => Err(SyncError::PairingRejected(reason)),
                Answer::Verified { .. } => Err(SyncError::Protocol("verified twice".into())),
            }
        })
        .await
        .unwrap_or(Err(SyncError::Timeout(
            CONFIRM_TIMEOUT,
            "waiting for both to confirm",
        )));
        conn.close(VarInt::from_u32(0), b"done");
        if let Ok(partner) = &result {
            shared.joined(partner.clone()).await;
        }
        let _ = outcome.send(result);
    });
    Ok(request)
}
