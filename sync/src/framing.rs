//! Length-delimited frames on a QUIC stream, with a hard size limit so a
//! hostile or broken peer cannot make us buffer without bound.

use bytes::{Bytes, BytesMut};
use iroh::endpoint::{RecvStream, SendStream};
use n0_future::{SinkExt, StreamExt};
use tokio_util::codec::{Decoder, FramedRead, FramedWrite, LengthDelimitedCodec};

use crate::error::{Result, SyncError};

/// The largest frame either protocol accepts: a sync message's bytes count
/// four times in its memory estimate (`kintsugi_core::sync_budget`), so a
/// frame this size is a quarter of the message budget. Messages this app
/// sends stay under half of it; a ten-year first sync goes as several.
pub const MAX_FRAME: usize = 4 * 1024 * 1024;

pub struct FrameReader(FramedRead<RecvStream, ReadCodec>);
pub struct FrameWriter(FramedWrite<SendStream, LengthDelimitedCodec>);

fn codec(max: usize) -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .max_frame_length(max)
        .new_codec()
}

/// tokio's length-delimited codec, strict about where a stream may end. It
/// takes a frame's 4-byte header out of the buffer before the body arrives,
/// so a stream ending right after a header would look like a clean end (a
/// truncated frame read as "the peer is done"). This one remembers that it
/// is inside a frame and refuses that end.
struct ReadCodec {
    inner: LengthDelimitedCodec,
    in_frame: bool,
}

impl ReadCodec {
    fn new(max: usize) -> Self {
        ReadCodec {
            inner: codec(max),
            in_frame: false,
        }
    }
}

impl Decoder for ReadCodec {
    type Item = BytesMut;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> std::io::Result<Option<BytesMut>> {
        let before = src.len();
        let frame = self.inner.decode(src)?;
        // Inside a frame once its header was taken, until the frame is out.
        self.in_frame = frame.is_none() && (self.in_frame || src.len() < before);
        Ok(frame)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> std::io::Result<Option<BytesMut>> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() && !self.in_frame => Ok(None),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the stream ended inside a frame",
            )),
        }
    }
}

/// Splits a whole received stream into frames exactly as [`FrameReader`]
/// does, limit `max` included: the pure half of the reader, so tests and
/// fuzzing exercise what a peer's bytes meet. A length over `max` is refused
/// as soon as its 4-byte header is read, before any room is made for it; a
/// stream that ends inside a frame is refused too.
pub fn decode_frames(bytes: &[u8], max: usize) -> Result<Vec<Bytes>> {
    let mut codec = ReadCodec::new(max);
    let mut buf = BytesMut::from(bytes);
    let mut frames = Vec::new();
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(frame)) => frames.push(frame.freeze()),
            Ok(None) => return Ok(frames),
            Err(e) => return Err(SyncError::Protocol(format!("frame refused: {e}"))),
        }
    }
}

impl FrameReader {
    pub fn new(recv: RecvStream, max: usize) -> Self {
        FrameReader(FramedRead::new(recv, ReadCodec::new(max)))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut out = (payload.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn whole_frames_decode_and_a_stream_may_end_between_them() {
        let mut bytes = frame(b"one");
        bytes.extend(frame(b""));
        bytes.extend(frame(b"three"));
        let frames = decode_frames(&bytes, 16).unwrap();
        assert_eq!(frames, [&b"one"[..], b"", b"three"]);
        assert!(decode_frames(&[], 16).unwrap().is_empty());
    }

    #[test]
    fn a_stream_ending_inside_a_frame_is_refused() {
        let whole = frame(b"twelve bytes");
        // Cut inside the header, right after it, and inside the body: tokio's
        // codec alone would take the cut right after the header for a clean end.
        for cut in [2, 4, 9] {
            let refused = decode_frames(&whole[..cut], 64);
            assert!(
                matches!(refused, Err(SyncError::Protocol(_))),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_length_over_the_limit_is_refused_from_the_header_alone() {
        assert!(decode_frames(&frame(&[0; 17]), 16).is_err());
        assert!(decode_frames(&u32::MAX.to_be_bytes(), MAX_FRAME).is_err());
        assert_eq!(decode_frames(&frame(&[0; 16]), 16).unwrap().len(), 1);
    }
}
