//! Pairing protocol (ALPN `kintsugi/pair/3`).
//!
//! 1. The inviter shows a payload with its endpoint ticket, a random 32-byte
//!    secret and an expiry, and mounts the pairing ALPN on its endpoint for
//!    as long as an invite is open (see `node.rs`): a device showing no code
//!    does not speak this protocol at all.
//! 2. The joiner dials the ticket and sends `commit`: the proof of the
//!    secret, `BLAKE3-keyed(secret, binding)` where `binding` is keying
//!    material exported from this very QUIC connection with both endpoint
//!    ids as context, and a commitment to a fresh random nonce.
//! 3. The inviter checks the proof against its open invites in constant time
//!    and burns the secret (and every other open code), then sends its own
//!    fresh nonce. The joiner reveals its nonce; the inviter checks it
//!    against the commitment.
//! 4. Both derive the six-digit code from the connection's keying material,
//!    both endpoint ids and both nonces (see [`exchange`]): each side fixed
//!    its nonce before it saw the other's, so someone in the middle gets one
//!    guess in a million per attempt, never a choice. Each user compares the
//!    two screens and confirms or rejects; the joiner sends its decision, the
//!    inviter combines it with its own.
//! 5. Only if both confirmed do the two devices say who they are: the
//!    inviter sends its hello (name, member and actor ids, role, address,
//!    keys, signed by its signing key), the joiner checks it and sends its
//!    own, and the inviter checks that, stores the joiner as partner and
//!    sends `accepted` and the shared document, which the joiner adopts.
//!    Otherwise neither side keeps anything, and neither learnt the other's
//!    name.
//!
//! A used or expired secret is refused.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::{
    ConnectError, ConnectingError, Connection, ConnectionError, TransportErrorCode, VarInt,
};
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

use exchange::{
    Answer, Binding, DIGITS, Hello, Inviter, InviterEffect, Joiner, JoinerEffect, Side, Step,
    Unsigned,
};

pub const PAIR_ALPN: &[u8] = b"kintsugi/pair/3";
/// The largest frame the inviter reads from a joiner.
const MAX_REQUEST: usize = 64 * 1024;
/// Network steps of pairing (dial, proof, nonces, hellos).
const PAIR_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the two people have to compare codes and confirm.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(120);
/// TLS alert `no_application_protocol` (RFC 8446 §6.2), as QUIC carries it.
const NO_APPLICATION_PROTOCOL: u8 = 120;
/// What the joiner says when the other device does not speak pairing now.
pub const NOT_SHOWING_A_CODE: &str = "that phone is not showing a pairing code now (it expired, \
                                      was used, or the screen was closed): ask for a new one";

/// A pairing waiting for this device's user to compare codes and decide.
///
/// Both phones show the same [`code`](Self::code) only if they talk to each
/// other directly. Nothing about the other person is known yet: their name
/// and role come with the [`Partner`] once both confirmed. Dropping the
/// request without deciding rejects it.
#[derive(Debug)]
pub struct PairingRequest {
    code: String,
    decision: oneshot::Sender<bool>,
    outcome: oneshot::Receiver<Result<Partner>>,
}

impl PairingRequest {
    /// Six digits, grouped "123 456" for reading aloud.
    pub fn code(&self) -> &str {
        &self.code
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

/// What a pairing on `conn` is bound to: both endpoint ids and two values
/// exported from the connection's TLS session.
pub fn connection_binding(
    conn: &Connection,
    inviter: EndpointId,
    joiner: EndpointId,
) -> Result<Binding> {
    let context = Binding::context(inviter.as_bytes(), joiner.as_bytes());
    let export = |label: &[u8]| {
        let mut out = [0u8; 32];
        conn.export_keying_material(&mut out, label, &context)
            .map_err(|e| {
                SyncError::Protocol(format!("cannot bind pairing to the connection: {e:?}"))
            })?;
        Ok::<_, SyncError>(out)
    };
    Ok(Binding {
        inviter: *inviter.as_bytes(),
        joiner: *joiner.as_bytes(),
        proof_material: export(exchange::PROOF_LABEL)?,
        code_material: export(exchange::CODE_LABEL)?,
    })
}

fn ticket(addr: EndpointAddr) -> String {
    EndpointTicket::new(addr).to_string()
}

/// This device's hello, signed for its side of this pairing. It stays in
/// memory until both people confirmed.
fn my_hello(shared: &Shared, binding: &Binding, side: Side) -> Result<Hello> {
    let me = shared.me()?;
    let identity = me.identity.clone();
    Ok(Unsigned {
        name: me.name,
        member_id: me.member_id,
        actor_id: me.actor_id,
        role: me.role,
        addr: ticket(shared.endpoint_addr()),
        age_recipient: identity.age_recipient(),
        signing_key: identity.signing_key(),
    }
    .sign(binding, side, |message| identity.sign(message)))
}

/// The other device, from its checked hello.
fn into_partner(hello: Hello, endpoint: EndpointId) -> Partner {
    Partner {
        endpoint_id: endpoint.to_string(),
        member_id: hello.member_id,
        name: hello.name,
        paired_at: kintsugi_core::now_millis(),
        last_addr: Some(hello.addr),
        role: hello.role,
        age_recipient: Some(hello.age_recipient),
        signing_key: Some(hello.signing_key),
        last_synced_at: None,
        actor_ids: vec![hello.actor_id],
    }
}

fn request_pair(
    code: String,
) -> (
    PairingRequest,
    oneshot::Receiver<bool>,
    oneshot::Sender<Result<Partner>>,
) {
    let (decision_tx, decision_rx) = oneshot::channel();
    let (outcome_tx, outcome_rx) = oneshot::channel();
    let request = PairingRequest {
        code,
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
                info!("paired");
                // The joiner closes once it has read our answer.
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
                self.shared.pairing_completed(partner);
                Ok(())
            }
            Err(e) => {
                warn!(remote = %remote.fmt_short(), error = %e.redacted(), "pairing did not complete");
                conn.close(VarInt::from_u32(1), b"pairing refused");
                Err(AcceptError::from_err(e))
            }
        }
    }
}

/// Where the inviter's exchange stands after carrying out some effects.
enum Progress {
    Continue,
    ShowCode(String),
    Accepted(Partner),
}

/// The inviter's side of one connection: the stream and what the effects need.
struct InviterIo<'a> {
    shared: &'a Shared,
    conn: &'a Connection,
    binding: Binding,
    joiner: EndpointId,
    reader: FrameReader,
    writer: FrameWriter,
}

impl InviterIo<'_> {
    async fn next_step(&mut self) -> Result<Step> {
        read_json(&mut self.reader, "pairing message").await
    }

    /// Carries out the machine's effects, feeding it what they give.
    async fn carry_out(
        &mut self,
        machine: &mut Inviter,
        effects: Vec<InviterEffect>,
    ) -> Result<Progress> {
        let mut queue = VecDeque::from(effects);
        let mut progress = Progress::Continue;
        let mut refused = false;
        while let Some(effect) = queue.pop_front() {
            match effect {
                InviterEffect::Redeem(presented) => {
                    let binding = self.binding;
                    let verdict = self
                        .shared
                        .redeem_invite(presented, |secret| exchange::proof(secret, &binding));
                    queue.extend(machine.redeemed(verdict));
                }
                InviterEffect::Send(answer @ Answer::Refused { .. }) => {
                    // Tell the joiner why, as far as it still listens.
                    refused = true;
                    let _ = send_json(&mut self.writer, &answer).await;
                    let _ = self.writer.finish().await;
                }
                InviterEffect::Send(answer) => send_json(&mut self.writer, &answer).await?,
                InviterEffect::ShowCode(code) => progress = Progress::ShowCode(code),
                InviterEffect::Accept(hello) => {
                    let partner = into_partner(hello, self.joiner);
                    let document = self.shared.accept_partner(partner.clone())?;
                    send_json(&mut self.writer, &Answer::Accepted).await?;
                    self.writer.send(document).await?;
                    self.writer.finish().await?;
                    progress = Progress::Accepted(partner);
                }
                InviterEffect::Fail(e) => {
                    if refused {
                        // Let the joiner read the refusal before the connection goes.
                        let _ =
                            tokio::time::timeout(Duration::from_secs(2), self.conn.closed()).await;
                    }
                    return Err(e);
                }
            }
        }
        Ok(progress)
    }
}

impl PairingHandler {
    async fn answer(&self, conn: &Connection) -> Result<Partner> {
        let shared = &*self.shared;
        let joiner = conn.remote_id();
        let binding = connection_binding(conn, shared.endpoint_id(), joiner)?;
        let mut machine = Inviter::new(
            binding,
            rand::random(),
            my_hello(shared, &binding, Side::Inviter)?,
            DIGITS,
        );
        let (send, recv) = tokio::time::timeout(PAIR_TIMEOUT, conn.accept_bi())
            .await
            .map_err(|_| SyncError::Timeout(PAIR_TIMEOUT, "waiting for a pairing request"))?
            .map_err(|e| SyncError::Connection(e.to_string()))?;
        let mut io = InviterIo {
            shared,
            conn,
            binding,
            joiner,
            reader: FrameReader::new(recv, MAX_REQUEST),
            writer: FrameWriter::new(send, MAX_FRAME),
        };

        // Commit, nonce, reveal: up to the code, within the network timeout.
        let code = tokio::time::timeout(PAIR_TIMEOUT, async {
            loop {
                let step = io.next_step().await?;
                let effects = machine.receive(step);
                match io.carry_out(&mut machine, effects).await? {
                    Progress::ShowCode(code) => return Ok(code),
                    Progress::Continue => {}
                    Progress::Accepted(_) => {
                        return Err(SyncError::Protocol("accepted before confirming".into()));
                    }
                }
            }
        })
        .await
        .map_err(|_| SyncError::Timeout(PAIR_TIMEOUT, "waiting for a pairing request"))??;

        let (request, mine, outcome) = request_pair(code);
        shared.offer_pairing_request(request);
        let result = tokio::time::timeout(CONFIRM_TIMEOUT, decide(&mut io, &mut machine, mine))
            .await
            .unwrap_or(Err(SyncError::Timeout(
                CONFIRM_TIMEOUT,
                "waiting for both to confirm",
            )));
        let _ = outcome.send(match &result {
            Ok(partner) => Ok(partner.clone()),
            Err(e) => Err(e.same_kind()),
        });
        result
    }
}

/// Waits for both people's decisions (a "no" on either side ends it at
/// once), then for the joiner's hello once ours is sent.
async fn decide(
    io: &mut InviterIo<'_>,
    machine: &mut Inviter,
    mine: oneshot::Receiver<bool>,
) -> Result<Partner> {
    let mut mine = Some(mine);
    loop {
        let effects = tokio::select! {
            step = io.next_step() => machine.receive(step?),
            confirmed = async { mine.as_mut().expect("only while undecided").await },
                if mine.is_some() =>
            {
                mine = None;
                // A request dropped without a decision is a "no".
                machine.decided(confirmed.unwrap_or(false))
            }
        };
        if let Progress::Accepted(partner) = io.carry_out(machine, effects).await? {
            return Ok(partner);
        }
    }
}

/// Whether dialling failed because the other device does not accept the
/// pairing ALPN now (it shows no code): its TLS refused the protocol.
fn pairing_not_offered(e: &ConnectError) -> bool {
    let closed = match e {
        ConnectError::Connecting {
            source: ConnectingError::ConnectionError { source, .. },
            ..
        }
        | ConnectError::Connection { source, .. } => source,
        _ => return false,
    };
    matches!(
        closed,
        ConnectionError::ConnectionClosed(close)
            if close.error_code == TransportErrorCode::crypto(NO_APPLICATION_PROTOCOL)
    )
}

/// Where the joiner's exchange stands after carrying out some effects.
enum Joined {
    Continue,
    ShowCode(String),
    Adopt(Box<Hello>),
}

/// Sends what the joiner's machine says; the stream's end follows its last
/// message (its hello, or a "no").
async fn carry_out_joiner(writer: &mut FrameWriter, effects: Vec<JoinerEffect>) -> Result<Joined> {
    let mut progress = Joined::Continue;
    for effect in effects {
        match effect {
            JoinerEffect::Send(step) => {
                let last = matches!(
                    step,
                    Step::Hello { .. } | Step::Decision { confirmed: false }
                );
                send_json(writer, &step).await?;
                if last {
                    writer.finish().await?;
                }
            }
            JoinerEffect::ShowCode(code) => progress = Joined::ShowCode(code),
            JoinerEffect::Adopt(hello) => progress = Joined::Adopt(Box::new(hello)),
            JoinerEffect::Fail(e) => return Err(e),
        }
    }
    Ok(progress)
}

/// The joiner's side up to the codes: dial the inviter, prove the secret,
/// exchange the nonces. Returns the request for this user to decide on; the
/// rest runs in a task.
pub(crate) async fn join(shared: Arc<Shared>, invite: &Invite) -> Result<PairingRequest> {
    let inviter_addr: EndpointAddr = invite.ticket.endpoint_addr().clone();
    let inviter = inviter_addr.id;
    let conn = tokio::time::timeout(
        PAIR_TIMEOUT,
        shared.endpoint().connect(inviter_addr, PAIR_ALPN),
    )
    .await
    .map_err(|_| SyncError::Timeout(PAIR_TIMEOUT, "reaching your partner's device"))?
    .map_err(|e| {
        if pairing_not_offered(&e) {
            SyncError::PairingRefused(NOT_SHOWING_A_CODE.into())
        } else {
            SyncError::Connect(e.to_string())
        }
    })?;
    let start = || -> Result<_> {
        let binding = connection_binding(&conn, inviter, shared.endpoint_id())?;
        let hello = my_hello(&shared, &binding, Side::Joiner)?;
        Ok(Joiner::start(
            binding,
            &invite.secret,
            rand::random(),
            hello,
            DIGITS,
        ))
    };
    let first = async {
        let (mut machine, mut effects) = start()?;
        let (send, recv) = conn
            .open_bi()
            .await
            .map_err(|e| SyncError::Connection(e.to_string()))?;
        let mut writer = FrameWriter::new(send, MAX_REQUEST);
        let mut reader = FrameReader::new(recv, MAX_FRAME);
        loop {
            match carry_out_joiner(&mut writer, effects).await? {
                Joined::ShowCode(code) => return Ok((machine, writer, reader, code)),
                Joined::Continue => {}
                Joined::Adopt(_) => {
                    return Err(SyncError::Protocol("accepted before confirming".into()));
                }
            }
            let answer = read_json::<Answer>(&mut reader, "pairing answer").await?;
            effects = machine.receive(answer);
        }
    };
    let first = tokio::time::timeout(PAIR_TIMEOUT, first)
        .await
        .unwrap_or(Err(SyncError::Timeout(PAIR_TIMEOUT, "pairing")));
    let (mut machine, mut writer, mut reader, code) = match first {
        Ok(parts) => parts,
        Err(e) => {
            conn.close(VarInt::from_u32(1), b"pairing failed");
            return Err(e);
        }
    };
    let (request, mine, outcome) = request_pair(code);
    tokio::spawn(async move {
        let result = tokio::time::timeout(CONFIRM_TIMEOUT, async {
            let confirmed = mine.await.unwrap_or(false);
            let mut effects = machine.decided(confirmed);
            loop {
                match carry_out_joiner(&mut writer, effects).await {
                    Ok(Joined::Adopt(hello)) => {
                        let document = reader.next().await?.ok_or_else(|| {
                            SyncError::Protocol("the inviter sent no document".into())
                        })?;
                        let partner = into_partner(*hello, inviter);
                        shared.adopt_partner(partner.clone(), &document)?;
                        return Ok(partner);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if !confirmed {
                            // Let the inviter read our "no" before the connection goes.
                            let _ =
                                tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
                        }
                        return Err(e);
                    }
                }
                let answer = read_json::<Answer>(&mut reader, "pairing answer").await?;
                effects = machine.receive(answer);
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
