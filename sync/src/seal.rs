//! Sealing with age, shared by bundles and backups: encrypt to one or more
//! recipients in pieces (so progress can be shown), decrypt with this
//! device's identity, and pad plaintexts so that a sealed file's size tells
//! little about how much was written.

use std::io::{Read, Write};

use crate::error::{Result, SyncError};
use crate::progress::{Progress, Step};

/// Encrypted and decrypted in pieces of this size, one progress report each.
const PIECE: usize = 256 * 1024;
/// Nothing sealed is smaller than this: a day of check-ins and a week of
/// them look the same.
pub const MIN_PADDED: usize = 4 * 1024;

/// The padded size for a plaintext of `len` bytes: the Padmé scheme (Nikitin
/// et al., "Reducing Metadata Leakage from Encrypted Files and
/// Communication with PURBs", 2019), at least [`MIN_PADDED`]. It keeps only
/// the top bits of the length, so at most about 12% is added and a size
/// reveals O(log log n) bits.
pub fn padded_len(len: usize) -> usize {
    let len = len.max(MIN_PADDED);
    let e = usize::BITS - 1 - len.leading_zeros(); // floor(log2 len)
    let s = u32::BITS - e.leading_zeros(); // floor(log2 e) + 1
    let mask = (1usize << (e - s)) - 1;
    (len + mask) & !mask
}

/// Encrypts `plaintext` to every recipient.
pub fn seal(
    plaintext: &[u8],
    recipients: &[&dyn age::Recipient],
    progress: &dyn Progress,
) -> Result<Vec<u8>> {
    let encryptor = age::Encryptor::with_recipients(recipients.iter().copied())
        .map_err(|e| SyncError::Seal(e.to_string()))?;
    let mut sealed = Vec::with_capacity(plaintext.len() + 512);
    let mut writer = encryptor
        .wrap_output(&mut sealed)
        .map_err(|e| SyncError::Seal(e.to_string()))?;
    let total = plaintext.len() as u64;
    let mut done = 0u64;
    for piece in plaintext.chunks(PIECE) {
        writer
            .write_all(piece)
            .map_err(|e| SyncError::Seal(e.to_string()))?;
        done += piece.len() as u64;
        progress.report(Step::Sealing, done, total);
    }
    // Without finish() the last piece and the tag are never written.
    writer
        .finish()
        .map_err(|e| SyncError::Seal(e.to_string()))?;
    Ok(sealed)
}

/// Decrypts a file sealed to `identity`. `what` names it in errors
/// ("bundle", "backup").
pub fn open(
    sealed: &[u8],
    identity: &dyn age::Identity,
    what: &'static str,
    progress: &dyn Progress,
) -> Result<Vec<u8>> {
    let damaged = |reason: String| SyncError::SealedDamaged { what, reason };
    let decryptor = age::Decryptor::new(sealed).map_err(|e| damaged(e.to_string()))?;
    let mut reader = match decryptor.decrypt(std::iter::once(identity)) {
        Ok(reader) => reader,
        Err(age::DecryptError::NoMatchingKeys) => {
            return Err(SyncError::SealedNotForUs { what });
        }
        Err(e) => return Err(damaged(e.to_string())),
    };
    let total = sealed.len() as u64;
    let mut plaintext = Vec::with_capacity(sealed.len());
    let mut piece = vec![0u8; PIECE];
    loop {
        // age checks each 64 KiB chunk's tag as it reads: a changed or cut
        // file fails here, before anything is used.
        let n = reader
            .read(&mut piece)
            .map_err(|e| damaged(e.to_string()))?;
        if n == 0 {
            break;
        }
        plaintext.extend_from_slice(&piece[..n]);
        progress.report(Step::Opening, plaintext.len() as u64, total);
    }
    Ok(plaintext)
}

/// Reads the fields of a sealed file's plaintext (big-endian integers,
/// length-prefixed parts), refusing anything that runs past the end as a
/// damaged `what`.
pub(crate) struct Fields<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Fields { bytes, what }
    }

    /// What is left unread.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let Some((head, rest)) = self.bytes.split_at_checked(n) else {
            return Err(SyncError::SealedDamaged {
                what: self.what,
                reason: "cut short".into(),
            });
        };
        self.bytes = rest;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A part: its 4-byte length, then its bytes.
    pub(crate) fn part(&mut self) -> Result<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    #[test]
    fn padding_hides_small_differences_and_adds_little_to_large_sizes() {
        assert_eq!(padded_len(0), MIN_PADDED);
        assert_eq!(padded_len(1_300), MIN_PADDED);
        assert_eq!(padded_len(MIN_PADDED), MIN_PADDED);
        for len in [4_097usize, 10_000, 123_456, 3_000_000, 50_000_001] {
            let padded = padded_len(len);
            assert!(padded >= len);
            assert!(
                (padded - len) as f64 <= 0.12 * len as f64,
                "{len} -> {padded}"
            );
        }
        // Between 100 kB and 200 kB there are some 14,000 sizes below and
        // only a few dozen sealed sizes.
        let buckets: std::collections::BTreeSet<usize> =
            (100_000..200_000).step_by(7).map(padded_len).collect();
        assert!(buckets.len() <= 40, "{} buckets", buckets.len());
    }

    #[test]
    fn sealed_bytes_open_only_with_the_right_identity_and_only_whole() {
        let ours = age::x25519::Identity::generate();
        let theirs = age::x25519::Identity::generate();
        let plaintext: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        let sealed = seal(&plaintext, &[&ours.to_public()], &Silent).unwrap();
        assert_eq!(open(&sealed, &ours, "bundle", &Silent).unwrap(), plaintext);
        assert!(matches!(
            open(&sealed, &theirs, "bundle", &Silent),
            Err(SyncError::SealedNotForUs { .. })
        ));
        let cut = &sealed[..sealed.len() - 100];
        assert!(matches!(
            open(cut, &ours, "bundle", &Silent),
            Err(SyncError::SealedDamaged { .. })
        ));
        let mut flipped = sealed.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 1;
        assert!(matches!(
            open(&flipped, &ours, "bundle", &Silent),
            Err(SyncError::SealedDamaged { .. })
        ));
    }
}
