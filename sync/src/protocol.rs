//! Sync protocol (ALPN `kintsugi/sync/1`): Automerge's sync messages over one
//! bidirectional stream of length-delimited frames.
//!
//! The two sides take turns, the dialler first. Each turn a side applies what
//! it received, then sends its next Automerge sync message, or an empty frame
//! when it has nothing to say. A side that has nothing to say, and either
//! received an empty frame or sees the peer's heads equal its own, knows the
//! two documents agree: it finishes its stream, the other side sees the end
//! and finishes too. Every received change
//! is written to disk before the reply goes out, so when the dialler returns,
//! both devices hold both sides' changes durably.
//!
//! The Automerge sync state is kept per partner on disk, so a later session
//! only sends what the partner is missing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::sync::{Message, State};
use iroh::endpoint::{Connection, VarInt};
use iroh::protocol::{AcceptError, ProtocolHandler};
use serde::Serialize;
use tracing::debug;

use crate::error::{Result, SyncError};
use crate::framing::{FrameReader, FrameWriter, MAX_FRAME};
use crate::node::{Direction, Shared};
use crate::quota::RateLimit;

pub const SYNC_ALPN: &[u8] = b"kintsugi/sync/1";
pub(crate) const SYNC_TIMEOUT: Duration = Duration::from_secs(60);
/// A converging session needs a handful of turns; this bounds a peer that never stops.
const MAX_TURNS: usize = 1_000;
/// Connection close code sent to an endpoint that is not our partner.
pub const NOT_PAIRED: u32 = 403;
/// Connection close code for a second live connection between the same two
/// devices (both dialled at once): one conversation is enough.
pub const ALREADY_IN_TOUCH: u32 = 409;
/// How long one side waits for the other's next frame inside a session. A
/// peer that stalls longer is cut off, so it cannot hold the session (and the
/// document lock's turn) forever.
pub const TURN_TIMEOUT: Duration = Duration::from_secs(10);

/// What one sync session did, for status displays and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub messages_sent: u32,
    pub messages_received: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Changes from the partner that were new here.
    pub changes_received: u64,
    /// Frames this side sent, empty ones included. For the dialler, each is
    /// answered before the next: its count is the session's round trips.
    pub frames_sent: u32,
    pub duration_ms: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct SyncHandler {
    pub(crate) shared: Arc<Shared>,
}

impl ProtocolHandler for SyncHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let (send, recv) = admit(&self.shared, &conn, "sync").await?;
        let outcome =
            tokio::time::timeout(SYNC_TIMEOUT, session(&self.shared, send, recv, false)).await;
        match outcome {
            Ok(Ok(report)) => {
                debug!(?report, "partner synced with us");
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
                Ok(())
            }
            Ok(Err(e)) => {
                conn.close(VarInt::from_u32(1), b"sync failed");
                Err(AcceptError::from_err(e))
            }
            Err(_) => {
                conn.close(VarInt::from_u32(2), b"timeout");
                Err(AcceptError::from_err(SyncError::Timeout(
                    SYNC_TIMEOUT,
                    "syncing",
                )))
            }
        }
    }
}

/// The acceptor's first step on the sync and live protocols. Admission
/// happens on the authenticated endpoint id, before any stream is accepted:
/// a stranger never reads or writes a document byte. A partner that
/// connects and never opens its stream is cut off after [`TURN_TIMEOUT`].
pub(crate) async fn admit(
    shared: &Shared,
    conn: &Connection,
    what: &str,
) -> Result<(iroh::endpoint::SendStream, iroh::endpoint::RecvStream), AcceptError> {
    if !shared.is_partner(&conn.remote_id()) {
        return Err(AcceptError::from_err(shared.refuse(conn, what)));
    }
    if shared.is_paused() {
        // Its last changes were refused: nothing more is read until the
        // user asks to sync again.
        conn.close(VarInt::from_u32(1), b"sync failed");
        return Err(AcceptError::from_err(SyncError::SyncPaused));
    }
    let Ok(stream) = tokio::time::timeout(TURN_TIMEOUT, conn.accept_bi()).await else {
        conn.close(VarInt::from_u32(2), b"timeout");
        return Err(AcceptError::from_err(SyncError::Timeout(
            TURN_TIMEOUT,
            "waiting for the partner's stream",
        )));
    };
    Ok(stream?)
}

/// The dialler's side of a session.
pub(crate) async fn sync_with(shared: &Shared, conn: &Connection) -> Result<SyncReport> {
    let (send, recv) = conn
        .open_bi()
        .await
        .map_err(|e| SyncError::Connection(e.to_string()))?;
    let report = tokio::time::timeout(SYNC_TIMEOUT, session(shared, send, recv, true))
        .await
        .unwrap_or(Err(SyncError::Timeout(SYNC_TIMEOUT, "syncing")))?;
    conn.close(VarInt::from_u32(0), b"done");
    Ok(report)
}

async fn session(
    shared: &Shared,
    send: iroh::endpoint::SendStream,
    recv: iroh::endpoint::RecvStream,
    dialler: bool,
) -> Result<SyncReport> {
    let started = Instant::now();
    let peer = shared.partner()?.endpoint_id;
    let _one_session_at_a_time = shared.sync_lock.lock().await;
    // Another process on this data directory may have written since we loaded.
    shared.refresh_from_disk()?;
    let mut writer = FrameWriter::new(send, MAX_FRAME);
    let mut reader = FrameReader::new(recv, MAX_FRAME);
    let mut state = shared.load_sync_state(&peer)?;
    let mut report = SyncReport::default();
    let mut limit = RateLimit::default();

    if dialler {
        let first = shared.with_doc(|doc| Ok(doc.generate_sync_message(&mut state)))?;
        send_message(shared, &mut writer, first, &mut report).await?;
    }
    for _ in 0..MAX_TURNS {
        let Some(frame) = next_frame(&mut reader).await? else {
            break;
        };
        shared.tap(Direction::Received, &frame);
        report.bytes_received += frame.len() as u64;
        let peer_had_nothing = frame.is_empty();
        if !limit.take(Instant::now(), frame.len()) {
            return Err(SyncError::RateLimited);
        }
        if !peer_had_nothing {
            report.messages_received += 1;
            report.changes_received += shared.receive_frame(&mut state, &frame)? as u64;
        }
        let (next, same_heads) = shared.with_doc(|doc| {
            let next = doc.generate_sync_message(&mut state);
            let mut mine = doc.heads();
            mine.sort();
            let mut theirs = state.their_heads.clone().unwrap_or_default();
            theirs.sort();
            Ok((next, theirs == mine))
        })?;
        // Done when we have nothing to say and either the peer had nothing
        // either, or the peer's heads are ours (the documents are identical):
        // the latter saves a round trip of empty frames.
        if next.is_none() && (peer_had_nothing || same_heads) {
            break;
        }
        send_message(shared, &mut writer, next, &mut report).await?;
    }
    writer.finish().await?;
    // Wait for the peer to finish too, so nothing we sent is cut off; what
    // it still sends counts against the same rate limit.
    while let Some(frame) = next_frame(&mut reader).await? {
        if !limit.take(Instant::now(), frame.len()) {
            return Err(SyncError::RateLimited);
        }
    }
    shared.save_sync_state(&peer, &state)?;
    shared.synced();
    report.duration_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// The peer's next frame, or an error once it stalls past [`TURN_TIMEOUT`].
async fn next_frame(reader: &mut FrameReader) -> Result<Option<bytes::Bytes>> {
    tokio::time::timeout(TURN_TIMEOUT, reader.next())
        .await
        .unwrap_or(Err(SyncError::Timeout(
            TURN_TIMEOUT,
            "waiting for the partner's next message",
        )))
}

async fn send_message(
    shared: &Shared,
    writer: &mut FrameWriter,
    message: Option<Message>,
    report: &mut SyncReport,
) -> Result<()> {
    let bytes = message.map(Message::encode).unwrap_or_default();
    shared.tap(Direction::Sent, &bytes);
    report.frames_sent += 1;
    if !bytes.is_empty() {
        report.messages_sent += 1;
    }
    report.bytes_sent += bytes.len() as u64;
    writer.send(bytes).await
}

pub(crate) fn decode_state(bytes: Option<Vec<u8>>) -> State {
    // A state that no longer decodes is dropped: a fresh state costs one
    // larger exchange, never a wedged sync.
    bytes
        .and_then(|b| State::decode(&b).ok())
        .unwrap_or_default()
}
