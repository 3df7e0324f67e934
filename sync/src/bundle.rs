//! Sealed bundles: sync for two phones that are never online together.
//!
//! A bundle holds the changes the partner is not known to have, signed with
//! this device's ed25519 key and sealed with age to the partner's recipient
//! (both exchanged inside the pairing channel). Any channel can carry it: a
//! file, the share sheet, a folder both phones reach ([`sync_dir`]).
//!
//! Each bundle also says what its sender holds (its heads) and the newest of
//! the receiver's bundles it has opened, so the next bundle back starts from
//! there and a folder exchange knows when a file has been absorbed.
//! Bundles are numbered per sender; opening one older than a bundle already
//! opened is refused, opening the same one again changes nothing.
//! The byte layout is in `docs/bundles.md`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use automerge::sync::State;
use automerge::{Change, ChangeHash};
use iroh::{PublicKey, SecretKey, Signature};
use kintsugi_core::storage::files;
use kintsugi_core::{CoreError, Device, Millis, Store, now_millis};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SyncError};
use crate::identity::{self, Identity};
use crate::partner::Partner;
use crate::progress::{Progress, Step};
use crate::seal::{self, Fields};

/// The first bytes of a bundle's plaintext.
pub const MAGIC: &[u8; 4] = b"KSB1";
/// Signed before the body, so a bundle signature can never be mistaken for
/// a signature over anything else.
const SIGNING_CONTEXT: &[u8] = b"kintsugi bundle v1\0";
/// Larger files are refused unread: ten years of a couple is about 4 MB,
/// and the whole file is held while it is opened.
pub const MAX_BUNDLE_BYTES: u64 = 32 * 1024 * 1024;
/// More heads than two phones can ever have is a malformed bundle.
const MAX_HEADS: usize = 1024;
const SIGNATURE_LEN: usize = 64;

/// A bundle made for the partner.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The sealed bytes: write them anywhere.
    pub bytes: Vec<u8>,
    /// This bundle's number, counted per device.
    pub seq: u64,
    /// Changes inside (0: it only tells the partner what this device holds).
    pub changes: usize,
    /// The plaintext's padded size: all a carrier learns besides the
    /// header bytes age adds.
    pub padded: usize,
}

/// What opening a bundle did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub seq: u64,
    /// Changes this device did not have before.
    pub new_changes: usize,
    /// Changes the bundle carried.
    pub changes: usize,
    /// This very bundle had been opened before.
    pub already_opened: bool,
    /// When the partner made it.
    pub created_at: Millis,
    pub partner_name: String,
}

/// What [`sync_dir`] did in the shared folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirReport {
    /// The partner's bundle, if one was there.
    pub opened: Option<Opened>,
    /// A bundle left for the partner (its number and its changes).
    pub written: Option<(u64, usize)>,
    /// This device's earlier bundle was removed: the partner absorbed it.
    pub removed: bool,
}

/// What went each way, kept in `bundles.age`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Book {
    /// The partner endpoint this book is about; a new pairing starts afresh.
    partner: String,
    /// Our newest bundle's number, its heads and whether it carried changes.
    sent_seq: u64,
    sent_heads: Vec<String>,
    sent_changes: bool,
    /// The partner's newest bundle opened here, and whether it carried changes.
    opened_seq: u64,
    opened_changes: bool,
    /// The partner's bundle number our newest bundle acknowledged.
    told_opened_seq: u64,
    /// What the partner said it holds, in its newest bundle.
    partner_heads: Vec<String>,
    /// Our newest bundle the partner said it opened.
    partner_opened_seq: u64,
}

impl Book {
    fn load(store: &Store, partner: &Partner) -> Result<Book> {
        let book = match store.read(files::BUNDLES)? {
            Some(bytes) => serde_json::from_slice::<Book>(&bytes).map_err(|e| {
                SyncError::Core(CoreError::Corrupt {
                    path: store.path(files::BUNDLES),
                    reason: e.to_string(),
                })
            })?,
            None => Book::default(),
        };
        Ok(if book.partner == partner.endpoint_id {
            book
        } else {
            Book {
                partner: partner.endpoint_id.clone(),
                ..Book::default()
            }
        })
    }

    fn save(&self, store: &Store) -> Result<()> {
        let bytes = serde_json::to_vec(self).expect("the book serialises");
        Ok(store.write(files::BUNDLES, &bytes)?)
    }
}

/// A bundle's signed body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Body {
    sender: [u8; 32],
    receiver: [u8; 32],
    seq: u64,
    created_at: u64,
    /// The receiver's newest bundle the sender has opened.
    opened_seq: u64,
    /// What the sender holds once this bundle is made.
    heads: Vec<ChangeHash>,
    /// What the sender took the receiver to hold: the changes start there.
    base: Vec<ChangeHash>,
    /// One Automerge change per entry.
    changes: Vec<Vec<u8>>,
}

impl Body {
    fn encode(&self) -> Vec<u8> {
        let size = 32 * 2 + 8 * 3 + 4 + self.changes.iter().map(|c| 4 + c.len()).sum::<usize>();
        let mut out = Vec::with_capacity(size + 4 + 32 * (self.heads.len() + self.base.len()));
        out.extend_from_slice(&self.sender);
        out.extend_from_slice(&self.receiver);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.created_at.to_be_bytes());
        out.extend_from_slice(&self.opened_seq.to_be_bytes());
        for hashes in [&self.heads, &self.base] {
            out.extend_from_slice(&(hashes.len() as u16).to_be_bytes());
            for hash in hashes {
                out.extend_from_slice(&hash.0);
            }
        }
        out.extend_from_slice(&(self.changes.len() as u32).to_be_bytes());
        for change in &self.changes {
            out.extend_from_slice(&(change.len() as u32).to_be_bytes());
            out.extend_from_slice(change);
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Body> {
        let mut input = Fields::new(bytes, "bundle");
        let sender = input.array::<32>()?;
        let receiver = input.array::<32>()?;
        let seq = input.u64()?;
        let created_at = input.u64()?;
        let opened_seq = input.u64()?;
        let heads = hashes(&mut input)?;
        let base = hashes(&mut input)?;
        let count = input.u32()? as usize;
        // Each change takes at least its 4-byte length: a count the rest of
        // the body cannot hold is refused before anything is allocated.
        if count > input.rest().len() / 4 {
            return Err(malformed("more changes than bytes"));
        }
        let mut changes = Vec::with_capacity(count);
        for _ in 0..count {
            let len = input.u32()? as usize;
            changes.push(input.take(len)?.to_vec());
        }
        if !input.rest().is_empty() {
            return Err(malformed("bytes after the last change"));
        }
        Ok(Body {
            sender,
            receiver,
            seq,
            created_at,
            opened_seq,
            heads,
            base,
            changes,
        })
    }
}

fn malformed(why: &str) -> SyncError {
    SyncError::SealedDamaged {
        what: "bundle",
        reason: why.to_owned(),
    }
}

fn hashes(input: &mut Fields<'_>) -> Result<Vec<ChangeHash>> {
    let count = input.u16()? as usize;
    if count > MAX_HEADS {
        return Err(malformed("too many heads"));
    }
    (0..count)
        .map(|_| Ok(ChangeHash(input.array::<32>()?)))
        .collect()
}

/// The plaintext: magic, body length, body, signature, zero padding.
fn frame_plaintext(body: &[u8], signature: &Signature) -> Vec<u8> {
    let len = MAGIC.len() + 4 + body.len() + SIGNATURE_LEN;
    let mut out = Vec::with_capacity(seal::padded_len(len));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&signature.to_bytes());
    out.resize(seal::padded_len(len), 0);
    out
}

/// Splits a plaintext into body and signature; the padding is ignored.
fn unframe_plaintext(plaintext: &[u8]) -> Result<(&[u8], Signature)> {
    let mut input = Fields::new(plaintext, "bundle");
    if input.take(MAGIC.len())? != MAGIC {
        return Err(malformed("not a Kintsugi bundle"));
    }
    let len = input.u32()? as usize;
    let body = input.take(len)?;
    let signature = Signature::from_bytes(&input.array::<SIGNATURE_LEN>()?);
    Ok((body, signature))
}

fn signed_message(body: &[u8]) -> Vec<u8> {
    [SIGNING_CONTEXT, body].concat()
}

/// The keys and the partner a bundle needs on either side.
struct Parties {
    partner: Partner,
    identity: Identity,
    me: SecretKey,
}

impl Parties {
    fn load(store: &Store) -> Result<Parties> {
        let partner = Partner::load(store)?.ok_or(SyncError::NotPaired)?;
        // A device that never started networking has never paired either.
        let me = identity::endpoint_key(store)?.ok_or(SyncError::NotPaired)?;
        Ok(Parties {
            partner,
            identity: Identity::load_or_create(store)?,
            me,
        })
    }

    fn partner_id(&self) -> Result<[u8; 32]> {
        Ok(*self.partner.id()?.as_bytes())
    }
}

/// Heads from text, keeping only those this document holds.
fn known(
    doc: &mut automerge::AutoCommit,
    heads: impl IntoIterator<Item = ChangeHash>,
) -> Vec<ChangeHash> {
    let mut known: Vec<ChangeHash> = heads
        .into_iter()
        .filter(|h| doc.get_change_meta_by_hash(h).is_some())
        .collect();
    known.sort();
    known.dedup();
    known
}

fn parse_heads(text: &[String]) -> Vec<ChangeHash> {
    text.iter().filter_map(|h| h.parse().ok()).collect()
}

fn heads_text(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(|h| h.to_string()).collect()
}

/// Makes a bundle of what the partner is not known to have (everything
/// with `full`), sealed to the partner.
pub fn create(device: &mut Device, full: bool, progress: &dyn Progress) -> Result<Sealed> {
    let parties = Parties::load(device.store())?;
    let _lock = device.store().lock(files::BUNDLES_LOCK)?;
    let book = Book::load(device.store(), &parties.partner)?;
    // Another process (a running `serve`) may have written since we loaded.
    device.reload()?;
    let plan = plan(device, &parties, &book, full, progress)?;
    let sealed = seal_plan(device, &parties, book, plan, progress)?;
    Ok(sealed)
}

/// What the next bundle would carry.
struct Plan {
    base: Vec<ChangeHash>,
    heads: Vec<ChangeHash>,
    changes: Vec<Vec<u8>>,
}

fn plan(
    device: &mut Device,
    parties: &Parties,
    book: &Book,
    full: bool,
    progress: &dyn Progress,
) -> Result<Plan> {
    // What the partner is known to hold: its newest bundle's word, and what
    // live sync agreed on last.
    let mut claimed = parse_heads(&book.partner_heads);
    let synced = device
        .store()
        .load_sync_state(&parties.partner.endpoint_id)?
        .and_then(|b| State::decode(&b).ok())
        .map(|s| s.shared_heads)
        .unwrap_or_default();
    claimed.extend(synced);
    let doc = device.doc_mut()?.automerge_mut();
    let base = if full {
        Vec::new()
    } else {
        known(doc, claimed)
    };
    progress.report(Step::Collecting, 0, 1);
    let changes: Vec<Vec<u8>> = doc
        .get_changes(&base)
        .into_iter()
        .map(|mut c| c.bytes().into_owned())
        .collect();
    progress.report(Step::Collecting, 1, 1);
    let mut heads = doc.get_heads();
    heads.sort();
    Ok(Plan {
        base,
        heads,
        changes,
    })
}

fn seal_plan(
    device: &mut Device,
    parties: &Parties,
    mut book: Book,
    plan: Plan,
    progress: &dyn Progress,
) -> Result<Sealed> {
    let recipient = parties
        .partner
        .age_recipient
        .as_deref()
        .and_then(identity::parse_recipient)
        .ok_or_else(|| {
            SyncError::Seal(
                "your partner's device has not shared a key for bundles: pair again".into(),
            )
        })?;
    let seq = book.sent_seq + 1;
    let body = Body {
        sender: *parties.me.public().as_bytes(),
        receiver: parties.partner_id()?,
        seq,
        created_at: u64::try_from(now_millis()).unwrap_or(0),
        opened_seq: book.opened_seq,
        heads: plan.heads.clone(),
        base: plan.base,
        changes: plan.changes,
    }
    .encode();
    let signature = parties.identity.sign(&signed_message(&body));
    let plaintext = frame_plaintext(&body, &signature);
    let bytes = seal::seal(&plaintext, &[&recipient], progress)?;
    let changes = Body::decode(&body)?.changes.len();
    book.sent_seq = seq;
    book.sent_heads = heads_text(&plan.heads);
    book.sent_changes = changes > 0;
    book.told_opened_seq = book.opened_seq;
    book.save(device.store())?;
    Ok(Sealed {
        bytes,
        seq,
        changes,
        padded: plaintext.len(),
    })
}

/// Verifies a bundle from the partner, decrypts it and merges its changes.
pub fn open(device: &mut Device, sealed: &[u8], progress: &dyn Progress) -> Result<Opened> {
    if sealed.len() as u64 > MAX_BUNDLE_BYTES {
        return Err(SyncError::SealedTooLarge {
            what: "bundle",
            size: sealed.len() as u64,
            limit: MAX_BUNDLE_BYTES,
        });
    }
    let parties = Parties::load(device.store())?;
    let plaintext = seal::open(sealed, parties.identity.age_identity(), "bundle", progress)?;
    let (body_bytes, signature) = unframe_plaintext(&plaintext)?;
    // The signature first: nothing a stranger wrote is even parsed further.
    let signing_key = parties
        .partner
        .signing_key
        .as_deref()
        .ok_or(SyncError::BundleNotFromPartner)?;
    if !identity::verify(signing_key, &signed_message(body_bytes), &signature) {
        return Err(SyncError::BundleNotFromPartner);
    }
    let body = Body::decode(body_bytes)?;
    if body.sender != parties.partner_id()? {
        return Err(SyncError::BundleNotFromPartner);
    }
    if PublicKey::from_bytes(&body.receiver).ok() != Some(parties.me.public()) {
        return Err(SyncError::SealedNotForUs { what: "bundle" });
    }

    let _lock = device.store().lock(files::BUNDLES_LOCK)?;
    let mut book = Book::load(device.store(), &parties.partner)?;
    if body.seq < book.opened_seq {
        return Err(SyncError::BundleOutOfOrder {
            seq: body.seq,
            newest: book.opened_seq,
        });
    }
    let changes = body.changes.len();
    let created_at = Millis::try_from(body.created_at).unwrap_or(Millis::MAX);
    if body.seq == book.opened_seq {
        // Opened before: its changes are here, and nothing is written.
        return Ok(Opened {
            seq: body.seq,
            new_changes: 0,
            changes,
            already_opened: true,
            created_at,
            partner_name: parties.partner.name.clone(),
        });
    }
    let new_changes = merge(device, &parties, body.changes, progress)?;
    // After a restore, the partner's first bundle brought back what it held.
    device.finish_recovery()?;
    book.opened_seq = body.seq;
    book.opened_changes = changes > 0;
    book.partner_heads = heads_text(&body.heads);
    book.partner_opened_seq = book.partner_opened_seq.max(body.opened_seq);
    book.save(device.store())?;
    Ok(Opened {
        seq: body.seq,
        new_changes,
        changes,
        already_opened: false,
        created_at,
        partner_name: parties.partner.name.clone(),
    })
}

/// Checks a bundle's changes, then takes them in through the same door as a
/// sync message (every change before any is applied), durably.
fn merge(
    device: &mut Device,
    parties: &Parties,
    changes: Vec<Vec<u8>>,
    progress: &dyn Progress,
) -> Result<usize> {
    let total = changes.len() as u64;
    let parsed = checked_changes(device.doc_mut()?.automerge_mut(), changes)?;
    if parsed.is_empty() {
        return Ok(0);
    }
    progress.report(Step::Applying, 0, total);
    let door = kintsugi_core::Door::partner(crate::roster::roster(
        device,
        &parties.identity,
        Some(&parties.partner),
    ));
    // Every change through the door first, then applied in parts.
    let new = device.update(|doc, now| doc.receive_changes(parsed, now, &door))?;
    progress.report(Step::Applying, total, total);
    Ok(new)
}

/// A bundle's changes, parsed, once they are within the file limits (each
/// change within a sync message's) and each dependency is in the bundle or
/// in `am`.
fn checked_changes(am: &mut automerge::AutoCommit, changes: Vec<Vec<u8>>) -> Result<Vec<Change>> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    // Bounded before Automerge parses a byte of it: a file's limits (a
    // bundle can carry years), each change within a message's.
    kintsugi_core::precheck_changes(&changes, kintsugi_core::sync_budget::DOCUMENT)?;
    // Automerge has panicked on hostile changes (found by fuzzing): such a
    // bundle is refused like any malformed one.
    let parsed: Vec<Change> = changes
        .into_iter()
        .map(|bytes| {
            std::panic::catch_unwind(|| Change::from_bytes(bytes))
                .map_err(|_| malformed("a change Automerge cannot read"))?
                .map_err(|e| malformed(&format!("a change: {e}")))
        })
        .collect::<Result<_>>()?;
    // Every dependency must be in the bundle or here already; otherwise
    // Automerge would hold the changes back, unapplied and unsaid. (Another
    // process can only add changes meanwhile, never take one away.)
    let inside: HashSet<ChangeHash> = parsed.iter().map(|c| c.hash()).collect();
    let deps: HashSet<ChangeHash> = parsed
        .iter()
        .flat_map(|c| c.deps().iter().copied())
        .filter(|d| !inside.contains(d))
        .collect();
    let missing = deps
        .iter()
        .filter(|d| am.get_change_meta_by_hash(d).is_none())
        .count();
    if missing > 0 {
        return Err(SyncError::BundleGap { missing });
    }
    Ok(parsed)
}

/// Entry points for the fuzz targets (`fuzz/`): the reader of a bundle's
/// plaintext as [`open`] runs it once age has decrypted it, on a bare
/// document instead of a device's data directory. Not an API.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;
    use kintsugi_core::{CoupleDoc, Door};

    /// What [`open`] does with a decrypted plaintext from the partner, past
    /// the signature (a fuzzer cannot forge one; the partner can sign
    /// anything): the frame, the body, the changes' checks, the door.
    /// Returns the body's sequence number and the changes applied.
    pub fn open_plaintext(
        doc: &mut CoupleDoc,
        door: &Door,
        plaintext: &[u8],
        now: Millis,
    ) -> Result<(u64, usize)> {
        let (body, _signature) = unframe_plaintext(plaintext)?;
        let body = Body::decode(body)?;
        let parsed = checked_changes(doc.automerge_mut(), body.changes)?;
        let new = doc.receive_changes(parsed, now, door)?;
        Ok((body.seq, new))
    }

    /// A plaintext as [`create`] frames one, for seed inputs: `changes` from
    /// `base` to `heads`, signed by `signer`.
    pub fn plaintext(
        signer: &SecretKey,
        receiver: [u8; 32],
        seq: u64,
        heads: Vec<ChangeHash>,
        base: Vec<ChangeHash>,
        changes: Vec<Vec<u8>>,
    ) -> Vec<u8> {
        let body = Body {
            sender: *signer.public().as_bytes(),
            receiver,
            seq,
            created_at: 1_767_571_200_000,
            opened_seq: seq.saturating_sub(1),
            heads,
            base,
            changes,
        }
        .encode();
        frame_plaintext(&body, &signer.sign(&signed_message(&body)))
    }
}

/// The file name a device uses in a shared folder: opaque, the same on both
/// phones, and different for each device.
fn dir_file_name(endpoint: &PublicKey) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"kintsugi bundle file\0");
    hasher.update(endpoint.as_bytes());
    format!("kintsugi-{}.bundle", &hasher.finalize().to_hex()[..16])
}

/// Exchanges bundles through a folder both phones reach (a synced cloud
/// drive): opens the partner's newest bundle, leaves one for the partner
/// when there is anything to say, and removes this device's bundle once the
/// partner has absorbed it. Only sealed bundles are ever written there,
/// each device keeps at most one file, and each write is atomic.
pub fn sync_dir(device: &mut Device, dir: &Path, progress: &dyn Progress) -> Result<DirReport> {
    let parties = Parties::load(device.store())?;
    let mine = dir.join(dir_file_name(&parties.me.public()));
    let theirs = dir.join(dir_file_name(&parties.partner.id()?));
    let mut report = DirReport::default();

    let read = |path: &PathBuf| -> Result<Option<Vec<u8>>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(CoreError::Io {
                action: "read",
                path: path.clone(),
                source,
            }
            .into()),
        }
    };
    if let Some(bytes) = read(&theirs)? {
        match open(device, &bytes, progress) {
            Ok(opened) => report.opened = Some(opened),
            // A copy the cloud drive has not replaced yet: the newer one
            // was already opened.
            Err(SyncError::BundleOutOfOrder { .. }) => {}
            Err(e) => return Err(e),
        }
    }

    let _lock = device.store().lock(files::BUNDLES_LOCK)?;
    let book = Book::load(device.store(), &parties.partner)?;
    device.reload()?;
    let plan = plan(device, &parties, &book, false, progress)?;
    let moved_on = heads_text(&plan.heads) != book.sent_heads;
    let something_new = !plan.changes.is_empty() && (moved_on || !mine.exists());
    // The partner's bundle with changes deserves word that it arrived, so
    // the partner can clean up; a bare acknowledgement needs none.
    let owe_ack = book.opened_seq > book.told_opened_seq && book.opened_changes;
    if something_new || owe_ack {
        let sealed = seal_plan(device, &parties, book, plan, progress)?;
        kintsugi_core::storage::write_file_atomically(&mine, &sealed.bytes)?;
        report.written = Some((sealed.seq, sealed.changes));
    } else if mine.exists() {
        let absorbed = book.partner_opened_seq >= book.sent_seq;
        // Our file only acknowledged the partner's, and that one is gone:
        // the partner has read the acknowledgement.
        let ack_done = !book.sent_changes && !theirs.exists();
        if absorbed || ack_done {
            kintsugi_core::storage::remove_file_durably(&mine)?;
            report.removed = true;
        }
    }
    progress.report(Step::Saving, 1, 1);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Body {
        Body {
            sender: [1; 32],
            receiver: [2; 32],
            seq: 7,
            created_at: 1_700_000_000_000,
            opened_seq: 3,
            heads: vec![ChangeHash([9; 32]), ChangeHash([8; 32])],
            base: vec![ChangeHash([5; 32])],
            changes: vec![vec![1, 2, 3], Vec::new(), vec![4; 300]],
        }
    }

    #[test]
    fn a_body_decodes_to_what_was_encoded_and_nothing_else() {
        let encoded = body().encode();
        assert_eq!(Body::decode(&encoded).unwrap(), body());
        // Every cut is refused, never misread.
        for cut in 0..encoded.len() {
            assert!(Body::decode(&encoded[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = encoded.clone();
        longer.push(0);
        assert!(Body::decode(&longer).is_err());
        // A change count the body cannot hold allocates nothing.
        let mut lying = encoded[..32 * 2 + 24 + 2 + 64 + 2 + 32].to_vec();
        lying.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(Body::decode(&lying).is_err());
    }

    #[test]
    fn the_plaintext_is_padded_and_its_frame_round_trips() {
        let encoded = body().encode();
        let key = SecretKey::from_bytes(&[3; 32]);
        let signature = key.sign(&signed_message(&encoded));
        let plaintext = frame_plaintext(&encoded, &signature);
        assert_eq!(plaintext.len(), seal::MIN_PADDED);
        let (body, sig) = unframe_plaintext(&plaintext).unwrap();
        assert_eq!(body, encoded.as_slice());
        assert!(key.public().verify(&signed_message(body), &sig).is_ok());
        let mut other = plaintext.clone();
        other[0] = b'X';
        assert!(unframe_plaintext(&other).is_err());
    }
}
