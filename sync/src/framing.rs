//! Length-delimited frames on a QUIC stream, with a hard size limit so a
//! hostile or broken peer cannot make us buffer without bound.

use bytes::Bytes;
use iroh::endpoint::{RecvStream, SendStream};
use n0_future::{SinkExt, StreamExt};
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

use crate::error::{Result, SyncError};

/// The largest frame either protocol accepts: comfortably above a first sync
/// of ten years of records, far below what would hurt a phone.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

pub struct FrameReader(FramedRead<RecvStream, LengthDelimitedCodec>);
pub struct FrameWriter(FramedWrite<SendStream, LengthDelimitedCodec>);

fn codec(max: usize) -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .max_frame_length(max)
        .new_codec()
}

impl FrameReader {
    pub fn new(recv: RecvStream, max: usize) -> Self {
        FrameReader(FramedRead::new(recv, codec(max)))
    }

    /// The next frame, or `None` once the peer finished its side of the stream.
    pub async fn next(&mut self) -> Result<Option<Bytes>> {
        match self.0.next().await {
            None => Ok(None),
            Some(Ok(frame)) => Ok(Some(frame.freeze())),
            Some(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                Err(SyncError::Protocol(format!("frame refused: {e}")))
            }
            Some(Err(e)) => Err(SyncError::Connection(e.to_string())),
        }
    }
}

impl FrameWriter {
    pub fn new(send: SendStream, max: usize) -> Self {
        FrameWriter(FramedWrite::new(send, codec(max)))
    }

    pub async fn send(&mut self, frame: Vec<u8>) -> Result<()> {
        self.0
            .send(Bytes::from(frame))
            .await
            .map_err(|e| SyncError::Connection(e.to_string()))
    }

    /// Flushes and ends our side of the stream.
    pub async fn finish(&mut self) -> Result<()> {
        SinkExt::<Bytes>::flush(&mut self.0)
            .await
            .map_err(|e| SyncError::Connection(e.to_string()))?;
        self.0
            .get_mut()
            .finish()
            .map_err(|e| SyncError::Connection(e.to_string()))
    }
}
