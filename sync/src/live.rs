//! Live sync (ALPN `kintsugi/live/1`): while both devices are reachable they
//! keep one connection with one stream open, and each side sends an
//! Automerge sync message as soon as it has something new, so a check-in
//! reaches the partner without anyone pressing "sync".
//!
//! Both sides run the same loop ([`converse`]): on a frame from the peer,
//! apply it (durably) and answer if there is anything to say; on a local
//! change, send at once (a burst right after a send travels together). The
//! Automerge sync state tracks what the peer has, so only missing changes
//! travel; it is saved per partner, as in the session protocol.
//!
//! The dialling side is a keeper task ([`keep_in_touch`]): it dials when
//! paired and not already conversing, and after a failure waits with
//! exponential backoff (1 s up to 60 s). A kick (app foreground, network
//! change, discovery, a local change while apart) dials at once. When both
//! sides dial each other at once, one conversation is kept (see
//! [`LiveHandler`]'s accept).

use std::sync::Arc;
use std::time::Duration;

use automerge::sync::State;
use iroh::endpoint::{Connection, VarInt};
use iroh::protocol::{AcceptError, ProtocolHandler};
use tracing::{debug, info, warn};

use crate::error::{Result, SyncError};
use crate::framing::{FrameReader, FrameWriter, MAX_FRAME};
use crate::node::Conversing;
use crate::node::{Direction, Shared};
use crate::protocol::ALREADY_IN_TOUCH;
use crate::quota::RateLimit;
use crate::status::SyncState;

pub const LIVE_ALPN: &[u8] = b"kintsugi/live/1";
/// A local change is sent at once; further changes within this window of
/// the last send wait for it to pass and travel together, so a burst of
/// writes costs one message, not one each, and a lone check-in no delay.
pub const BURST_WINDOW: Duration = Duration::from_millis(5);
const MIN_BACKOFF: Duration = Duration::from_secs(1);
/// A phone apart from its partner for days dials about once a minute.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
const DIAL_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub(crate) struct LiveHandler {
    pub(crate) shared: Arc<Shared>,
}

impl ProtocolHandler for LiveHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let (send, recv) = crate::protocol::admit(&self.shared, &conn, "live sync").await?;
        // Both phones may dial each other at once. One conversation is kept:
        // the one dialled by the lower endpoint id, so both sides agree
        // without a word. The higher side always accepts; the lower refuses
        // while its own dial is conversing (its keeper drops a dial that
        // finds one already running, which covers the other order).
        let mine_is_lower = self.shared.endpoint().id() < conn.remote_id();
        let Some(counted) = self
            .shared
            .start_conversation(|running| running == 0 || !mine_is_lower)
        else {
            debug!("live sync: already in touch, second connection closed");
            conn.close(VarInt::from_u32(ALREADY_IN_TOUCH), b"already in touch");
            return Ok(());
        };
        let outcome = converse(&self.shared, counted, send, recv).await;
        finish(&self.shared, &conn, outcome).map_err(AcceptError::from_err)
    }
}

/// Ends a conversation: logs why, closes the connection, updates the status.
fn finish(shared: &Shared, conn: &Connection, outcome: Result<()>) -> Result<()> {
    let duplicate = closed_with(conn, ALREADY_IN_TOUCH);
    let result = match outcome {
        Ok(()) => {
            debug!("live sync ended by the partner");
            conn.close(VarInt::from_u32(0), b"bye");
            Ok(())
        }
        // The partner kept the other of two simultaneous connections.
        Err(_) if duplicate => {
            debug!("live sync: the partner kept the other connection");
            Ok(())
        }
        Err(e) => {
            // A partner walking out of range is normal; anything else is worth a warning.
            match &e {
                SyncError::Connection(_) => info!(error = %e.redacted(), "live sync stopped"),
                _ => warn!(error = %e.redacted(), "live sync stopped"),
            }
            conn.close(VarInt::from_u32(1), b"live sync failed");
            Err(e)
        }
    };
    // Still in touch if another conversation runs.
    if shared.conversations_running() == 0 {
        shared.set_state(SyncState::Unreachable {
            since: kintsugi_core::now_millis(),
        });
    }
    result
}

/// Dials the partner whenever paired and not already in a conversation.
pub(crate) async fn keep_in_touch(shared: Arc<Shared>) {
    let mut backoff = MIN_BACKOFF;
    let mut partner = shared.partner_watch();
    let mut conversing = shared.conversations();
    let mut paused = shared.paused_watch();
    loop {
        // Nothing to do until there is a partner…
        if partner.wait_for(Option::is_some).await.is_err() {
            return;
        }
        // …and no conversation is running (the partner may have dialled us)…
        if conversing.wait_for(|n| *n == 0).await.is_err() {
            return;
        }
        // …and syncing is not paused after a refusal (the user resumes it).
        if paused.wait_for(Option::is_none).await.is_err() {
            return;
        }
        crate::node::tell_new_endpoint(&shared).await;
        let Ok(addr) = shared.partner().and_then(|p| p.addr()) else {
            continue;
        };
        shared.set_state(SyncState::Connecting);
        let dialled =
            tokio::time::timeout(DIAL_TIMEOUT, shared.endpoint().connect(addr, LIVE_ALPN))
                .await
                .map_err(|_| SyncError::Timeout(DIAL_TIMEOUT, "reaching your partner's device"))
                .and_then(|r| r.map_err(|e| SyncError::Connect(e.to_string())));
        match dialled {
            Ok(conn) => {
                backoff = MIN_BACKOFF;
                info!("live sync connected");
                // The partner may have dialled us meanwhile: keep that one.
                let Some(counted) = shared.start_conversation(|running| running == 0) else {
                    debug!("live sync: already in touch, own dial dropped");
                    conn.close(VarInt::from_u32(ALREADY_IN_TOUCH), b"already in touch");
                    continue;
                };
                let outcome = match conn.open_bi().await {
                    Ok((send, recv)) => converse(&shared, counted, send, recv).await,
                    Err(e) => {
                        drop(counted);
                        Err(SyncError::Connection(e.to_string()))
                    }
                };
                let _ = finish(&shared, &conn, outcome);
            }
            Err(e) => {
                debug!(error = %e.redacted(), "partner not reachable");
                shared.mark_unreachable();
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shared.kicked() => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Resolves once there is no partner any more.
async fn unpaired(partner: &mut tokio::sync::watch::Receiver<Option<crate::Partner>>) {
    // The guard `wait_for` returns is dropped here, before any other await.
    let _ = partner.wait_for(Option::is_none).await.map(|_| ());
}

/// Whether the partner closed the connection with this code.
fn closed_with(conn: &Connection, code: u32) -> bool {
    matches!(
        conn.close_reason(),
        Some(iroh::endpoint::ConnectionError::ApplicationClosed(close))
            if close.error_code == VarInt::from_u32(code)
    )
}

/// One live conversation, until the peer ends it or the connection breaks.
async fn converse(
    shared: &Arc<Shared>,
    _counted: Conversing<'_>,
    send: iroh::endpoint::SendStream,
    recv: iroh::endpoint::RecvStream,
) -> Result<()> {
    let peer = shared.partner()?.endpoint_id;
    let mut writer = FrameWriter::new(send, MAX_FRAME);
    let mut reader = FrameReader::new(recv, MAX_FRAME);
    let mut local = shared.local_changes();
    let mut partner = shared.partner_watch();
    shared.refresh_from_disk()?;
    let mut state = shared.load_sync_state(&peer)?;
    shared.set_state(SyncState::Syncing);
    let mut last_local_push: Option<tokio::time::Instant> = None;
    let mut limit = RateLimit::default();
    let result = async {
        push(shared, &mut writer, &mut state, &peer).await?;
        loop {
            tokio::select! {
                frame = reader.next() => {
                    let Some(frame) = frame? else { return Ok(()) };
                    shared.tap(Direction::Received, &frame);
                    if !limit.take(std::time::Instant::now(), frame.len()) {
                        return Err(SyncError::RateLimited);
                    }
                    if frame.is_empty() {
                        continue;
                    }
                    shared.receive_frame(&mut state, &frame)?;
                    push(shared, &mut writer, &mut state, &peer).await?;
                }
                // Unpaired (here or by the partner): stop at once.
                () = unpaired(&mut partner) => return Ok(()),
                changed = local.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    if let Some(last) = last_local_push {
                        // Part of a burst: let it end, then send it whole.
                        tokio::time::sleep_until(last + BURST_WINDOW).await;
                    }
                    local.borrow_and_update();
                    push(shared, &mut writer, &mut state, &peer).await?;
                    last_local_push = Some(tokio::time::Instant::now());
                }
            }
        }
    }
    .await;
    let _ = shared.save_sync_state(&peer, &state);
    result
}

/// Sends what the peer is missing, if anything; notes when both agree.
async fn push(
    shared: &Shared,
    writer: &mut FrameWriter,
    state: &mut State,
    peer: &str,
) -> Result<()> {
    let (message, in_sync) = shared.with_doc(|doc| {
        let message = doc.generate_sync_message(state);
        let mut mine = doc.heads();
        mine.sort();
        let mut theirs = state.their_heads.clone().unwrap_or_default();
        theirs.sort();
        Ok((message, theirs == mine))
    })?;
    match message {
        Some(message) => {
            let bytes = message.encode();
            shared.tap(Direction::Sent, &bytes);
            writer.send(bytes).await?;
            if !matches!(shared.state(), SyncState::UpToDate) || !in_sync {
                shared.set_state(SyncState::Syncing);
            }
        }
        None if in_sync => {
            // Saved now, so a restart resumes from here rather than from
            // the start of the conversation.
            shared.save_sync_state(peer, state)?;
            shared.synced();
        }
        None => {}
    }
    Ok(())
}
