//! The read model saved beside the document, so that an open does not read
//! every record out of the document again. It is only ever a copy: it
//! names the exact document files and heads it was built from, and it is
//! used only when both match what was just loaded. A cache that does not
//! match, does not decrypt, does not parse, or was written by another
//! version is ignored, and the model is read from the document as before.
//!
//! Two files are kept. `read-cache.age` holds the whole model, so that views
//! after an open are at once as fast as they stay; `first-screen.age` holds
//! only the records of the newest entries of the timeline (a small part of
//! the whole), so that the first screen can be shown before the document
//! is even loaded ([`crate::Device::first_screen`]). That one is checked
//! against the names of the document files alone: they are named by the
//! hash of what they hold, so the same names are the same document.
//!
//! It lives in the data directory beside the device's other files,
//! encrypted with the device key like them; sync, bundles, exports and
//! backups work on the document and never see it, and wipe removes it.

use std::io::{Read, Write};

use automerge::ChangeHash;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// Raised whenever what is cached changes shape, so an older cache is
/// ignored rather than misread.
const FORMAT: u32 = 2;

/// Larger than any model this format holds (the 10-year couple's is under
/// 4 MiB): a bound on what an inflated cache may take.
const MAX_INFLATED: u64 = 256 << 20;

/// What a cache file holds: the whole model, or the first screen's part.
#[derive(Serialize, Deserialize)]
struct CacheFile<S> {
    format: u32,
    /// Which of the two caches this is, so that one is never read as the
    /// other.
    what: String,
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
pub(crate) struct Cached<S> {
    pub(crate) files: Vec<String>,
    pub(crate) heads: Vec<ChangeHash>,
    pub(crate) snapshot: S,
}

/// What one cache file holds.
pub(crate) trait Cacheable: Serialize + DeserializeOwned {
    /// Its name inside the file.
    const WHAT: &'static str;
}

impl Cacheable for crate::model::Snapshot {
    const WHAT: &'static str = "read model";
}

/// The plaintext of a cache of `snapshot`, built from `files` at `heads`.
pub(crate) fn encode<S: Cacheable>(
    snapshot: &S,
    files: &[String],
    heads: &[ChangeHash],
) -> Result<Vec<u8>> {
    let file = CacheFile {
        format: FORMAT,
        what: S::WHAT.to_owned(),
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
pub(crate) fn decode<S: Cacheable>(bytes: &[u8]) -> Result<Cached<S>> {
    let mut plain = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .take(MAX_INFLATED)
        .read_to_end(&mut plain)
        .map_err(|e| bad(format!("cannot inflate: {e}")))?;
    let (file, rest): (CacheFile<S>, _) =
        postcard::take_from_bytes(&plain).map_err(|e| bad(format!("cannot parse: {e}")))?;
    if !rest.is_empty() {
        return Err(bad(format!("{} bytes past its end", rest.len())));
    }
    if file.what != S::WHAT {
        return Err(bad(format!("holds the {}, not the {}", file.what, S::WHAT)));
    }
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
    use crate::first_screen::Saved;
    use crate::model::Snapshot;
    use crate::views::fixtures::*;
    use crate::views::timeline::Front;

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
        let back = decode::<Snapshot>(&bytes).unwrap();
        assert_eq!(back.snapshot, s);
        assert_eq!((back.files, back.heads), (files.clone(), heads.to_vec()));

        assert!(decode::<Snapshot>(&bytes[..bytes.len() / 2]).is_err());
        assert!(decode::<Snapshot>(b"not a cache").is_err());
        assert!(decode::<Snapshot>(&[]).is_err());
        // One cache is never taken for the other.
        assert!(decode::<Saved>(&bytes).is_err());
        let front = Saved {
            bands: crate::views::weekly_bands(&s),
            front: Front {
                snapshot: s,
                boundary: None,
            },
        };
        let bytes = encode(&front, &files, &heads).unwrap();
        assert_eq!(decode::<Saved>(&bytes).unwrap().snapshot, front);
        assert!(decode::<Snapshot>(&bytes).is_err());
    }
}
