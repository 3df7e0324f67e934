//! The read model saved beside the document, so that an open does not read
//! every record out of the document again. It is only ever a copy: it
//! names the exact document files and heads it was built from, and it is
//! used only when both match what was just loaded. A cache that does not
//! match, does not decrypt, does not parse, or was written by another
//! version is ignored, and the model is read from the document as before.
//!
//! It lives in the data directory beside the device's other files,
//! encrypted with the device key like them; sync, bundles, exports and
//! backups work on the document and never see it, and wipe removes it.

use std::io::{Read, Write};

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::model::Snapshot;

/// Raised whenever what is cached changes shape, so an older cache is
/// ignored rather than misread.
const FORMAT: u32 = 1;

/// Larger than any model this format holds (the 10-year couple's is under
/// 4 MiB): a bound on what an inflated cache may take.
const MAX_INFLATED: u64 = 256 << 20;

/// What the cache holds.
#[derive(Serialize, Deserialize)]
struct CacheFile<S> {
    format: u32,
    /// The library version that wrote it: the model's reading of the
    /// document may change between versions.
    version: String,
    /// The document files the model was built from, by name.
    files: Vec<String>,
    /// The document heads the model stands at.
    heads: Vec<[u8; 32]>,
    snapshot: S,
}

/// A cache read back and checked against what it claims to be.
pub(crate) struct Cached {
    pub(crate) files: Vec<String>,
    pub(crate) heads: Vec<ChangeHash>,
    pub(crate) snapshot: Snapshot,
}

/// The plaintext of a cache of `snapshot`, built from `files` at `heads`.
pub(crate) fn encode(
    snapshot: &Snapshot,
    files: &[String],
    heads: &[ChangeHash],
) -> Result<Vec<u8>> {
    let file = CacheFile {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        files: files.to_vec(),
        heads: heads.iter().map(|h| h.0).collect(),
        snapshot,
    };
    let plain = postcard::to_stdvec(&file).map_err(|e| bad(e.to_string()))?;
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    deflate
        .write_all(&plain)
        .and_then(|()| deflate.finish())
        .map_err(|e| bad(e.to_string()))
}

/// Reads a cache's plaintext back; an error when it is not one this
/// version wrote.
pub(crate) fn decode(bytes: &[u8]) -> Result<Cached> {
    let mut plain = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .take(MAX_INFLATED)
        .read_to_end(&mut plain)
        .map_err(|e| bad(format!("cannot inflate: {e}")))?;
    let file: CacheFile<Snapshot> =
        postcard::from_bytes(&plain).map_err(|e| bad(format!("cannot parse: {e}")))?;
    if file.format != FORMAT || file.version != env!("CARGO_PKG_VERSION") {
        return Err(bad(format!(
            "written by version {} (format {})",
            file.version, file.format
        )));
    }
    Ok(Cached {
        files: file.files,
        heads: file.heads.into_iter().map(ChangeHash).collect(),
        snapshot: file.snapshot,
    })
}

fn bad(reason: String) -> CoreError {
    CoreError::Malformed(format!("read-model cache: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::fixtures::*;

    #[test]
    fn a_model_comes_back_whole_and_a_damaged_one_does_not() {
        let mut s = couple();
        s.checkins
            .push(heard(checkin("c1", ANA, "2026-11-02", 4, 3, 5), 6));
        s.requests.push(request(
            "r1",
            BEN,
            "Tell me when you are late",
            "2026-11-01",
        ));
        let heads = [ChangeHash([7; 32])];
        let files = vec!["snapshot-1.age".to_owned()];
        let bytes = encode(&s, &files, &heads).unwrap();
        let back = decode(&bytes).unwrap();
        assert_eq!(back.snapshot, s);
        assert_eq!((back.files, back.heads), (files, heads.to_vec()));

        assert!(decode(&bytes[..bytes.len() / 2]).is_err());
        assert!(decode(b"not a cache").is_err());
        assert!(decode(&[]).is_err());
    }
}
