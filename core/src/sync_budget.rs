//! A fixed budget for what one of the partner's sync messages may make this
//! device allocate, checked on the message's raw bytes before Automerge
//! decodes anything.
//!
//! Automerge trusts the counts and lengths a message carries. Read naively,
//! a frame can ask for far more memory than its own size (figures for a
//! 16 MiB frame, the framing limit before it was 4 MiB):
//!
//! - every length-prefixed entry becomes a heap object: a frame of empty
//!   change chunks or empty summaries decodes to ~400 MB of `Vec` headers;
//! - compressed change chunks (chunk type 2, raw deflate) are inflated with no
//!   cap: 255 KiB on the wire became 256 MiB inflated and ~780 MB at peak;
//! - a document chunk's columns may each be deflated (bit 3 of a column's
//!   specification), with the same effect;
//! - run-length encoded columns declare row counts in a few bytes (a run of
//!   2^40 equal values, a null run of 2^60), and Automerge builds an
//!   operation or a change for every row; a run of one long string repeats
//!   the string in every row.
//!
//! [`precheck_sync_message`] walks the wire format the way Automerge 0.12 reads
//! it (`automerge/src/sync.rs`, `storage/chunk.rs`, `storage/change.rs`,
//! `storage/document.rs`, the column encodings in `columnar/encoding`),
//! counts what decoding would cost without materialising a value, and
//! refuses a message over any budget below. Deflated data is inflated under
//! a hard cap (the only allocation the check makes, freed before it
//! returns). Every loop consumes input, so the check is linear in the bytes
//! it reads. [`decode_sync_message`] is that check followed by
//! `Message::decode`; the checks on the decoded message in
//! [`crate::CoupleDoc::receive_sync_message`] still run after it.
//!
//! Besides each count on its own, the counts together give an estimate of
//! the memory taking the message in costs ([`SyncMessageCost::memory`]),
//! fitted to a counting allocator's measurements; a message over
//! [`MESSAGE`]'s 56 MiB estimate is refused, which keeps every message a
//! device accepts within 64 MiB of peak memory above its open document
//! (`tests/tests/memory.rs` measures the largest accepted messages in each
//! shape a partner's app can send them, and checks the estimate stays
//! above). Whole documents from files are counted against [`DOCUMENT`].
//!
//! Real messages of the ten-year fixture (`kintsugi_tests::fixture`: two
//! partners syncing weekly, 15,333 changes), before any split:
//!
//! | message (ten years)                  | bytes   | chunks | changes | operations | inflated  | text      |
//! |--------------------------------------|---------|--------|---------|------------|-----------|-----------|
//! | first sync: one V2 document chunk    | 661,679 | 1      | 17,863  | 126,376    | 3,264,562 | 1,341,067 |
//! | 30 days apart: the larger direction  | 18,937  | 57     | 57      | 493        | 0         | 4,236     |
//! | [`MESSAGE`] limits                   | 4 MiB (frame) | 16,384 | 16,384 | 50,000 | 4 MiB | 4 MiB |
//!
//! (A document's "changes" are its longest change column: the dependencies,
//! 17,863, outnumber its 15,333 changes.) A first sync that large goes as
//! several messages ([`crate::sync_send`]). Before this budget a 16 MiB
//! frame could ask for ~16 GiB of inflation alone, or 2^60 operations;
//! before the combined estimate, a frame within the separate counts could
//! still cost about 450 MB.

use std::io::Read;

use automerge::sync::Message;

use crate::doc::MAX_HAVES;
use crate::error::{CoreError, Result};

/// Hashes in one list (heads, needs, one summary's heads, one change's
/// dependencies, a document's heads). Two phones have at most a handful of
/// heads; 1,024 hashes are 32 KiB, as many bytes in memory as on the wire.
pub const MAX_HASHES: u64 = 1_024;

/// Actors named in one chunk (a document's actor table, a change's author
/// and the others its operations name). Each device writes under one actor;
/// a couple over ten years has 2 to a handful.
pub const MAX_ACTORS: u64 = 256;

/// Bytes of one actor id. Kintsugi's devices use 16 random bytes, as
/// Automerge does by default; a change or operation keeps a copy of its
/// actor's id, so a long one would multiply with the rows.
pub const MAX_ACTOR_BYTES: u64 = 32;

/// Columns in one column set. Automerge 0.12 writes at most 16 for a
/// document's operations and 9 for its changes.
pub const MAX_COLUMNS: u64 = 64;

/// What one input may ask of the receiver: each count on its own, and all
/// of them together as an estimate of the memory taking it in costs
/// ([`SyncMessageCost::memory`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Automerge chunks (documents and changes), and entries in a
    /// message's list of changes.
    pub chunks: u64,
    /// Changes: one per change chunk, and the rows of a document chunk's
    /// change columns (the longest; the dependencies group counts the sum
    /// of its values).
    pub changes: u64,
    /// Operations: the rows of each chunk's operation columns (the longest;
    /// a group column counts the sum of its values).
    pub ops: u64,
    /// Bytes inflated from compressed change chunks and deflated document
    /// columns.
    pub inflated_bytes: u64,
    /// Bytes of string values (map keys, mark names, change messages) once
    /// every run-length run is expanded: Automerge gives each change its
    /// own copy of its message.
    pub text_bytes: u64,
    /// The estimated memory of taking the input in, all counts together.
    pub memory: u64,
}

/// One sync message (a live or on-demand frame): what keeps the receiver
/// within 64 MiB of peak memory above its open document. Measured with a
/// counting allocator on the largest messages a device accepts
/// (`tests/tests/memory.rs`): 6,516 changes of real records (32,580
/// operations), one chunk each, peaked at +39.4 MiB, the same as one
/// document chunk at +37.4 MiB, and one change batching 46,080 operations
/// of records (what a modified app can send) at +48.3 MiB. A ten-year
/// first sync (17,863 changes, 126,376 operations) is sent as several
/// messages within half of this ([`crate::CoupleDoc::generate_sync_message`]);
/// a 30-day catch-up of the ten-year fixture is 57 changes, 493 operations.
pub const MESSAGE: Limits = Limits {
    chunks: 16_384,
    changes: 16_384,
    ops: 50_000,
    inflated_bytes: 4 << 20,
    text_bytes: 4 << 20,
    memory: 56 << 20,
};

/// A whole document from a file (an import, a backup taken in) or a
/// bundle's changes. Automerge loads a document only whole, so a file costs
/// about one copy of the document it holds while it is read (~380 bytes
/// per operation); these limits keep the largest accepted file within the
/// same 64 MiB (`tests/tests/memory.rs`: 144,034 operations peaked at
/// +69 MiB), with room for the ten-year fixture (17,863 changes, 126,376
/// operations, 3.3 MB inflated, 1.3 MB of strings). A longer history is
/// refused as a file with a clear error; it still comes whole by sync,
/// which sends it in parts. Each change in a file must also fit one
/// message's limits, and the changes are applied in parts.
pub const DOCUMENT: Limits = Limits {
    chunks: 20_000,
    changes: 20_000,
    ops: 130_000,
    inflated_bytes: 8 << 20,
    text_bytes: 8 << 20,
    memory: 256 << 20,
};

/// The message limits by name, for tests and figures.
pub const MAX_CHUNKS: u64 = MESSAGE.chunks;
pub const MAX_CHANGES: u64 = MESSAGE.changes;
pub const MAX_OPS: u64 = MESSAGE.ops;
pub const MAX_INFLATED_BYTES: u64 = MESSAGE.inflated_bytes;
pub const MAX_TEXT_BYTES: u64 = MESSAGE.text_bytes;

/// Bytes of memory each counted thing costs the receiver, fitted to what
/// a counting allocator measured (`tests/tests/memory.rs`, which checks
/// that the estimate stays above every measurement) and rounded up by
/// about 8%: an operation costs ~1.1 KB to take in (decoded for the door,
/// applied by Automerge, reported as a patch), a change ~2 KB besides its
/// operations, and the message's bytes are held about three times over
/// (the frame, the decoded entries, each change's own copy).
const BYTE_COST: u64 = 3;
const INFLATED_COST: u64 = 3;
const TEXT_COST: u64 = 2;
const CHANGE_COST: u64 = 2_200;
const OP_COST: u64 = 1_150;

/// The first bytes of every Automerge chunk.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// The first byte of a V1 and of a V2 sync message.
const MESSAGE_V1: u8 = 0x42;
const MESSAGE_V2: u8 = 0x43;
const HASH_BYTES: u64 = 32;
/// Bit 3 of a column specification: the column's data is raw deflate.
const DEFLATED: u32 = 0b1000;

/// What a sync message asks of the receiver, as [`precheck_sync_message`]
/// counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncMessageCost {
    /// The message's bytes.
    pub bytes: u64,
    /// Hashes in all its lists.
    pub hashes: u64,
    /// Entries in its list of changes.
    pub entries: u64,
    /// Automerge chunks in those entries.
    pub chunks: u64,
    /// Bytes inflated from compressed chunks and deflated columns.
    pub inflated_bytes: u64,
    /// Changes: one per change chunk, and the rows a document chunk's
    /// change columns declare.
    pub changes: u64,
    /// Operations: the rows the operation columns of every chunk declare.
    pub ops: u64,
    /// Bytes of string values with every run expanded.
    pub text_bytes: u64,
    /// The limits it was counted against.
    pub(crate) limits: Limits,
}

impl Default for SyncMessageCost {
    fn default() -> Self {
        SyncMessageCost::within(MESSAGE)
    }
}

impl SyncMessageCost {
    /// Nothing counted yet, against `limits`.
    pub fn within(limits: Limits) -> Self {
        SyncMessageCost {
            bytes: 0,
            hashes: 0,
            entries: 0,
            chunks: 0,
            inflated_bytes: 0,
            changes: 0,
            ops: 0,
            text_bytes: 0,
            limits,
        }
    }

    /// The estimated peak memory of taking this in, in bytes: what the
    /// receiver allocates on top of its open document while it decodes,
    /// checks and applies it.
    pub fn memory(&self) -> u64 {
        self.bytes
            .saturating_mul(BYTE_COST)
            .saturating_add(self.inflated_bytes.saturating_mul(INFLATED_COST))
            .saturating_add(self.text_bytes.saturating_mul(TEXT_COST))
            .saturating_add(self.hashes.saturating_mul(HASH_BYTES))
            .saturating_add(self.changes.saturating_mul(CHANGE_COST))
            .saturating_add(self.ops.saturating_mul(OP_COST))
    }

    /// Adds another's counts (a message built from several chunks).
    pub fn add(&mut self, other: &SyncMessageCost) {
        self.bytes += other.bytes;
        self.hashes += other.hashes;
        self.entries += other.entries;
        self.chunks += other.chunks;
        self.inflated_bytes += other.inflated_bytes;
        self.changes += other.changes;
        self.ops += other.ops;
        self.text_bytes += other.text_bytes;
    }

    /// Whether these counts stay within `limits`, each and together.
    pub fn fits(&self, limits: &Limits) -> bool {
        self.chunks <= limits.chunks
            && self.changes <= limits.changes
            && self.ops <= limits.ops
            && self.inflated_bytes <= limits.inflated_bytes
            && self.text_bytes <= limits.text_bytes
            && self.memory() <= limits.memory
    }

    /// Refuses counts whose estimated memory passes the limits'.
    fn check_memory(&self) -> Result<()> {
        if self.memory() > self.limits.memory {
            return Err(refusal(format!(
                "an estimated {} MiB to take in (at most {} MiB)",
                self.memory() >> 20,
                self.limits.memory >> 20
            )));
        }
        Ok(())
    }
}

/// Decodes one of the partner's sync messages, after [`precheck_sync_message`]
/// found it within budget. Use this, never `Message::decode`, on bytes
/// from the network.
pub fn decode_sync_message(bytes: &[u8]) -> Result<Message> {
    precheck_sync_message(bytes)?;
    Message::decode(bytes).map_err(|e| refusal(format!("an unreadable sync message ({e})")))
}

/// Walks a sync message's bytes and counts what decoding and applying it
/// would allocate; refuses ([`CoreError::InvalidSyncMessage`]) anything over
/// a budget of this module, anything malformed on the way, and anything
/// Automerge's own sync never sends (an empty or unknown chunk, a bundle).
pub fn precheck_sync_message(bytes: &[u8]) -> Result<SyncMessageCost> {
    let mut cost = SyncMessageCost {
        bytes: bytes.len() as u64,
        ..SyncMessageCost::default()
    };
    let mut input = Input(bytes);
    match input.byte()? {
        MESSAGE_V1 | MESSAGE_V2 => {}
        other => return Err(refusal(format!("not a sync message (type {other:#04x})"))),
    }
    cost.hashes += hashes(&mut input, "heads")?;
    cost.hashes += hashes(&mut input, "needs")?;
    let haves = input.uleb()?;
    if haves > MAX_HAVES as u64 {
        return Err(refusal(format!("{haves} summaries where one is expected")));
    }
    for _ in 0..haves {
        cost.hashes += hashes(&mut input, "summary heads")?;
        // Bloom filter: copied as it is (its parameters are checked after
        // decoding, in `doc.rs`).
        input.prefixed()?;
    }
    let entries = input.uleb()?;
    if entries > cost.limits.chunks {
        return Err(refusal(format!(
            "{entries} change entries (at most {})",
            cost.limits.chunks
        )));
    }
    cost.entries = entries;
    for _ in 0..entries {
        let entry = input.prefixed()?;
        if entry.is_empty() {
            return Err(refusal("an empty change chunk".into()));
        }
        // Automerge joins the entries and reads chunks from the whole; its
        // own entries each hold whole chunks, so each is read alone here
        // and a chunk split across entries is refused.
        let mut chunks = Input(entry);
        while !chunks.is_empty() {
            chunk(&mut chunks, &mut cost)?;
        }
    }
    if !input.is_empty() {
        // The flags section, which Automerge reads bit by bit without
        // allocating.
        input.prefixed()?;
    }
    // Anything after the flags is left alone: `Message::decode` ignores it
    // without copying it, so it costs nothing, and Automerge added the flags
    // themselves this way (older versions ignore them), so a newer Automerge
    // on the partner's phone may append more.
    cost.check_memory()?;
    Ok(cost)
}

/// Walks a whole document (what `save()` writes: one or more chunks, as a
/// partner sends at pairing or a file brings to an import) under `limits`
/// ([`MESSAGE`] for the inviter's first document, a new space; [`DOCUMENT`]
/// for files). Refuses ([`CoreError::InvalidSyncMessage`]) what a sync
/// message would be refused for, before Automerge loads anything.
pub fn precheck_document(bytes: &[u8], limits: Limits) -> Result<SyncMessageCost> {
    let mut cost = SyncMessageCost::within(limits);
    cost.bytes = bytes.len() as u64;
    let mut input = Input(bytes);
    if input.is_empty() {
        return Err(refusal("an empty document".into()));
    }
    while !input.is_empty() {
        chunk(&mut input, &mut cost)?;
    }
    cost.check_memory()?;
    Ok(cost)
}

/// Counts a list of changes from a file (a bundle's) against `limits`,
/// each change also within the message limits, before Automerge parses
/// any of them.
pub fn precheck_changes(chunks: &[Vec<u8>], limits: Limits) -> Result<SyncMessageCost> {
    let mut cost = SyncMessageCost::within(limits);
    for chunk in chunks {
        cost.add(&chunk_cost(chunk)?);
    }
    if !cost.fits(&limits) {
        return Err(refusal(format!(
            "{} changes holding {} operations, an estimated {} MiB to take in (at most {} changes, \
             {} operations, {} MiB)",
            cost.changes,
            cost.ops,
            cost.memory() >> 20,
            limits.changes,
            limits.ops,
            limits.memory >> 20
        )));
    }
    Ok(cost)
}

/// Counts one chunk (a change's `raw_bytes()`, say) against the message
/// limits, as the partner's device will count it in a message.
pub fn chunk_cost(bytes: &[u8]) -> Result<SyncMessageCost> {
    let mut cost = SyncMessageCost {
        bytes: bytes.len() as u64,
        entries: 1,
        ..SyncMessageCost::default()
    };
    let mut input = Input(bytes);
    while !input.is_empty() {
        chunk(&mut input, &mut cost)?;
    }
    Ok(cost)
}

/// The chunks of one entry of a message's list of changes (Automerge
/// concatenates a V2 message's changes into one entry), each with its type
/// byte (0 a document, 1 a change, 2 a compressed change). Run after
/// [`precheck_sync_message`], which read the same headers.
pub(crate) fn split_chunks(entry: &[u8]) -> Result<Vec<(u8, &[u8])>> {
    let mut chunks = Vec::new();
    let mut input = Input(entry);
    while !input.is_empty() {
        let start = input.0;
        input.take(8)?; // magic and checksum
        let kind = input.byte()?;
        input.prefixed()?;
        let used = start.len() - input.0.len();
        chunks.push((kind, &start[..used]));
    }
    Ok(chunks)
}

fn refusal(why: String) -> CoreError {
    CoreError::InvalidSyncMessage(why)
}

/// A list of hashes: a count, then 32 bytes each.
fn hashes(input: &mut Input<'_>, what: &str) -> Result<u64> {
    let count = input.uleb()?;
    if count > MAX_HASHES {
        return Err(refusal(format!(
            "{count} {what} (at most {MAX_HASHES} hashes)"
        )));
    }
    input.take(count * HASH_BYTES)?;
    Ok(count)
}

/// A list of actor ids: a count, then each length-prefixed.
fn actors(input: &mut Input<'_>, already: u64) -> Result<()> {
    let count = input.uleb()?;
    if count.saturating_add(already) > MAX_ACTORS {
        return Err(refusal(format!(
            "a chunk naming {count} actors (at most {MAX_ACTORS})"
        )));
    }
    for _ in 0..count {
        actor(input)?;
    }
    Ok(())
}

fn actor(input: &mut Input<'_>) -> Result<()> {
    let len = input.uleb()?;
    if len > MAX_ACTOR_BYTES {
        return Err(refusal(format!(
            "an actor id of {len} bytes (at most {MAX_ACTOR_BYTES})"
        )));
    }
    input.take(len)?;
    Ok(())
}

/// One Automerge chunk: magic bytes, checksum, type, length, body.
fn chunk(input: &mut Input<'_>, cost: &mut SyncMessageCost) -> Result<()> {
    cost.chunks += 1;
    if cost.chunks > cost.limits.chunks {
        return Err(refusal(format!(
            "more than {} Automerge chunks",
            cost.limits.chunks
        )));
    }
    if input.take(4)? != MAGIC {
        return Err(refusal(
            "a change entry that is not an Automerge chunk".into(),
        ));
    }
    input.take(4)?; // checksum: Automerge verifies it
    let kind = input.byte()?;
    let body = input.prefixed()?;
    match kind {
        0 => document(body, cost),
        1 => change(body, cost),
        2 => {
            let inflated = inflate(body, cost, "a compressed change")?;
            change(&inflated, cost)
        }
        3 => Err(refusal(
            "a bundle chunk, which Automerge's sync never sends".into(),
        )),
        other => Err(refusal(format!("an unknown chunk type {other}"))),
    }
}

/// A change chunk's body (after its header, or inflated).
fn change(body: &[u8], cost: &mut SyncMessageCost) -> Result<()> {
    let mut input = Input(body);
    cost.hashes += hashes(&mut input, "dependencies")?;
    actor(&mut input)?;
    input.uleb()?; // seq
    input.uleb()?; // start op
    input.sleb()?; // time
    input.prefixed()?; // message, copied once
    actors(&mut input, 1)?;
    let columns = Columns::read(&mut input)?;
    if columns.specs().any(|(spec, _)| spec & DEFLATED != 0) {
        // Automerge refuses these too, without inflating them.
        return Err(refusal("a change with deflated columns".into()));
    }
    let data = input.take(columns.data_len()?)?;
    // What follows is the change's extra bytes, kept as they are.
    spend(cost, Rows::Changes, 1)?;
    let ops = columns.rows(data, cost, Rows::Ops)?;
    spend(cost, Rows::Ops, ops)
}

/// A document chunk's body: actors, heads, the change and operation column
/// metadata, their data, then one index per head.
fn document(body: &[u8], cost: &mut SyncMessageCost) -> Result<()> {
    let mut input = Input(body);
    actors(&mut input, 0)?;
    cost.hashes += hashes(&mut input, "document heads")?;
    let changes = Columns::read(&mut input)?;
    let ops = Columns::read(&mut input)?;
    let change_data = input.take(changes.data_len()?)?;
    let op_data = input.take(ops.data_len()?)?;
    // The head indices that follow are one number per head, already bounded.
    let changes = changes.rows(change_data, cost, Rows::Changes)?;
    spend(cost, Rows::Changes, changes)?;
    let ops = ops.rows(op_data, cost, Rows::Ops)?;
    spend(cost, Rows::Ops, ops)
}

/// What a column set's rows are.
#[derive(Debug, Clone, Copy)]
enum Rows {
    Changes,
    Ops,
}

impl Rows {
    /// What the message has spent of this budget, the budget, its name.
    fn budget(self, cost: &SyncMessageCost) -> (u64, u64, &'static str) {
        match self {
            Rows::Changes => (cost.changes, cost.limits.changes, "changes"),
            Rows::Ops => (cost.ops, cost.limits.ops, "operations"),
        }
    }

    fn refusal(self, cost: &SyncMessageCost) -> CoreError {
        let (_, budget, what) = self.budget(cost);
        refusal(format!("chunks holding more than {budget} {what}"))
    }
}

/// Adds `rows` to the message's changes or operations.
fn spend(cost: &mut SyncMessageCost, kind: Rows, rows: u64) -> Result<()> {
    let (spent, budget, _) = kind.budget(cost);
    let total = spent.saturating_add(rows);
    if total > budget {
        return Err(kind.refusal(cost));
    }
    match kind {
        Rows::Changes => cost.changes = total,
        Rows::Ops => cost.ops = total,
    }
    Ok(())
}

/// Inflates raw deflate data, refusing it once the message's inflated
/// bytes would pass [`MAX_INFLATED_BYTES`].
fn inflate(data: &[u8], cost: &mut SyncMessageCost, what: &str) -> Result<Vec<u8>> {
    let room = cost
        .limits
        .inflated_bytes
        .saturating_sub(cost.inflated_bytes);
    let mut out = Vec::new();
    flate2::bufread::DeflateDecoder::new(data)
        .take(room + 1)
        .read_to_end(&mut out)
        .map_err(|_| refusal(format!("{what} that is not valid deflate data")))?;
    let len = out.len() as u64;
    if len > room {
        return Err(refusal(format!(
            "{what} inflating past {} MiB per message",
            cost.limits.inflated_bytes >> 20
        )));
    }
    cost.inflated_bytes += len;
    Ok(out)
}

/// A column set's metadata: how many columns, then each one's
/// specification (id, type, deflate bit) and data length.
struct Columns<'a> {
    count: u64,
    meta: Input<'a>,
}

impl<'a> Columns<'a> {
    fn read(input: &mut Input<'a>) -> Result<Columns<'a>> {
        let count = input.uleb()?;
        if count > MAX_COLUMNS {
            return Err(refusal(format!("{count} columns (at most {MAX_COLUMNS})")));
        }
        let start = input.0;
        let mut last: Option<u32> = None;
        for _ in 0..count {
            let spec = u32::try_from(input.uleb()?)
                .map_err(|_| refusal("a column specification past 32 bits".into()))?;
            input.uleb()?;
            // Automerge refuses columns out of order or repeated (ignoring
            // the deflate bit) too; refusing them here keeps one column per
            // specification.
            let normal = spec & !DEFLATED;
            if last.is_some_and(|l| normal <= l) {
                return Err(refusal("columns out of order or repeated".into()));
            }
            last = Some(normal);
        }
        let used = start.len() - input.0.len();
        Ok(Columns {
            count,
            meta: Input(&start[..used]),
        })
    }

    /// Each column's specification and data length, as read.
    fn specs(&self) -> impl Iterator<Item = (u32, u64)> + 'a {
        let mut meta = self.meta;
        (0..self.count).map_while(move |_| {
            let spec = meta.uleb().ok()?;
            let len = meta.uleb().ok()?;
            Some((spec as u32, len))
        })
    }

    fn data_len(&self) -> Result<u64> {
        self.specs()
            .try_fold(0u64, |total, (_, len)| total.checked_add(len))
            .ok_or_else(|| refusal("column lengths past 64 bits".into()))
    }

    /// The rows of the set: its longest column (or group), inflating any
    /// deflated column within the message's budget; refused as soon as a
    /// column declares more than is left of the `kind` budget.
    fn rows(&self, mut data: &[u8], cost: &mut SyncMessageCost, kind: Rows) -> Result<u64> {
        let mut rows = 0u64;
        for (spec, len) in self.specs() {
            // `data` holds exactly the columns' total length (taken above).
            let (column, rest) = data.split_at(len as usize);
            data = rest;
            let inflated;
            let column = if spec & DEFLATED != 0 {
                inflated = inflate(column, cost, "a deflated column")?;
                &inflated[..]
            } else {
                column
            };
            let counted = count_column(spec, column)?;
            rows = rows.max(counted.rows).max(counted.grouped);
            cost.text_bytes = cost.text_bytes.saturating_add(counted.text_bytes);
            if cost.text_bytes > cost.limits.text_bytes {
                return Err(refusal(format!(
                    "strings expanding past {} MiB",
                    cost.limits.text_bytes >> 20
                )));
            }
            let (spent, budget, _) = kind.budget(cost);
            if spent.saturating_add(rows) > budget {
                return Err(kind.refusal(cost));
            }
        }
        Ok(rows)
    }
}

/// What one column declares.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counted {
    rows: u64,
    /// A group column: the sum of its values, the rows of the columns it groups.
    grouped: u64,
    /// A string column: its values' bytes with every run expanded.
    text_bytes: u64,
}

/// The encodings of Automerge's column types (the low 3 bits of a
/// specification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// Group (0): run-length encoded unsigned numbers, each the number of
    /// rows the next columns of the same id hold for this row.
    Group,
    /// Actor (1), integer (2), value metadata (6): run-length encoded
    /// LEB128 numbers. Delta (3) is the same on the wire (signed).
    Number,
    /// Boolean (4): alternating run lengths, false first.
    Boolean,
    /// String (5): run-length encoded, each value length-prefixed UTF-8.
    Text,
    /// Raw values (7): bytes sliced by the value metadata column; no rows.
    Raw,
}

fn encoding(spec: u32) -> Encoding {
    match spec & 0b111 {
        0 => Encoding::Group,
        4 => Encoding::Boolean,
        5 => Encoding::Text,
        7 => Encoding::Raw,
        _ => Encoding::Number,
    }
}

/// Counts the rows one column's data declares, reading each run's header
/// and skipping its values. Every step consumes input.
fn count_column(spec: u32, data: &[u8]) -> Result<Counted> {
    let encoding = encoding(spec);
    let mut input = Input(data);
    let mut counted = Counted::default();
    match encoding {
        Encoding::Raw => {}
        Encoding::Boolean => {
            while !input.is_empty() {
                counted.rows = counted.rows.saturating_add(input.uleb()?);
            }
        }
        Encoding::Group | Encoding::Number | Encoding::Text => {
            while !input.is_empty() {
                let run = input.sleb()?;
                if run > 0 {
                    // `run` copies of the one value that follows.
                    let copies = run as u64;
                    let value = input.value(encoding)?;
                    counted.add(copies, value, encoding);
                } else if run < 0 {
                    // A literal run: that many values follow, each at least
                    // one byte, so a count past the bytes left is a lie.
                    let values = run.unsigned_abs();
                    if values > input.0.len() as u64 {
                        return Err(refusal("a column cut short".into()));
                    }
                    for _ in 0..values {
                        let value = input.value(encoding)?;
                        counted.add(1, value, encoding);
                    }
                } else {
                    // A null run: its length follows.
                    counted.rows = counted.rows.saturating_add(input.uleb()?);
                }
            }
        }
    }
    Ok(counted)
}

impl Counted {
    fn add(&mut self, copies: u64, value: u64, encoding: Encoding) {
        self.rows = self.rows.saturating_add(copies);
        match encoding {
            Encoding::Group => {
                self.grouped = self.grouped.saturating_add(copies.saturating_mul(value))
            }
            Encoding::Text => {
                self.text_bytes = self.text_bytes.saturating_add(copies.saturating_mul(value))
            }
            _ => {}
        }
    }
}

/// A cursor over bytes that refuses to read past their end.
#[derive(Clone, Copy)]
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn cut_short() -> CoreError {
        refusal("a sync message cut short or malformed".into())
    }

    fn byte(&mut self) -> Result<u8> {
        let (&first, rest) = self.0.split_first().ok_or_else(Self::cut_short)?;
        self.0 = rest;
        Ok(first)
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8]> {
        let len = usize::try_from(len).map_err(|_| Self::cut_short())?;
        if len > self.0.len() {
            return Err(Self::cut_short());
        }
        let (taken, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(taken)
    }

    /// A LEB128 length, then that many bytes.
    fn prefixed(&mut self) -> Result<&'a [u8]> {
        let len = self.uleb()?;
        self.take(len)
    }

    /// An unsigned LEB128 number of at most 64 bits, as Automerge reads them.
    fn uleb(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = self.byte()?;
            let bits = u64::from(byte & 0x7f);
            if i == 9 && bits > 1 {
                return Err(refusal("a number past 64 bits".into()));
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(refusal("a number past 64 bits".into()))
    }

    /// A signed LEB128 number of at most 64 bits.
    fn sleb(&mut self) -> Result<i64> {
        let mut value = 0i64;
        let mut shift = 0u32;
        loop {
            let byte = self.byte()?;
            if shift == 63 && byte != 0 && byte != 0x7f {
                return Err(refusal("a number past 64 bits".into()));
            }
            value |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
        }
    }

    /// One value of a run-length encoded column: the number for a group,
    /// the length for a string, 0 for anything else.
    fn value(&mut self, encoding: Encoding) -> Result<u64> {
        match encoding {
            Encoding::Group => self.uleb(),
            Encoding::Text => {
                let text = self.prefixed()?;
                Ok(text.len() as u64)
            }
            _ => {
                // Signed or unsigned, a LEB128 number ends at the first
                // byte without its top bit.
                self.uleb_or_sleb_skip()?;
                Ok(0)
            }
        }
    }

    fn uleb_or_sleb_skip(&mut self) -> Result<()> {
        for _ in 0..10 {
            if self.byte()? & 0x80 == 0 {
                return Ok(());
            }
        }
        Err(refusal("a number past 64 bits".into()))
    }
}

#[cfg(test)]
mod tests {
    use automerge::sync::{ChunkList, MessageVersion, State, SyncDoc};
    use automerge::{ActorId, AutoCommit};

    use super::*;
    use crate::{CheckInInput, CoupleDoc};

    const DAY: i64 = 86_400_000;
    /// 2026-01-05, a Monday.
    const T0: i64 = 1_767_571_200_000;

    // Column specifications Automerge uses for a change's operations:
    // id << 4 | type.
    const OBJ_ACTOR: u32 = 0x01;
    const INSERT: u32 = 0x34;
    const ACTION: u32 = 0x42;
    const VALUE_META: u32 = 0x56;
    const VALUE_RAW: u32 = 0x57;
    const PRED_GROUP: u32 = 0x70;
    const MARK_NAME: u32 = 0xa5;

    fn uleb(out: &mut Vec<u8>, mut value: u64) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn sleb(out: &mut Vec<u8>, mut value: i64) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
            if done {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
        uleb(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }

    /// A chunk: magic, a checksum (never verified here), type, body.
    fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[0; 4]);
        out.push(kind);
        prefixed(&mut out, body);
        out
    }

    /// A V1 message carrying `entries` as its changes, as the wire has it.
    fn message(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![MESSAGE_V1, 0, 0, 0];
        uleb(&mut out, entries.len() as u64);
        for entry in entries {
            prefixed(&mut out, entry);
        }
        out
    }

    /// Column metadata and data for `columns`.
    fn columns(out: &mut Vec<u8>, data: &mut Vec<u8>, columns: &[(u32, Vec<u8>)]) {
        uleb(out, columns.len() as u64);
        for (spec, bytes) in columns {
            uleb(out, u64::from(*spec));
            uleb(out, bytes.len() as u64);
            data.extend_from_slice(bytes);
        }
    }

    /// A change chunk's body: no dependencies, a 16-byte actor, seq 1,
    /// start op 1, time 0, no message, no other actors, then `cols`.
    fn change_body(cols: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut out = vec![0];
        prefixed(&mut out, &[0xbb; 16]);
        out.extend_from_slice(&[1, 1, 0, 0, 0]);
        let mut data = Vec::new();
        columns(&mut out, &mut data, cols);
        out.extend(data);
        out
    }

    /// A document chunk's body: one actor, no heads, `changes` and `ops`.
    fn document_body(changes: &[(u32, Vec<u8>)], ops: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut out = vec![1];
        prefixed(&mut out, &[0xbb; 16]);
        out.push(0);
        let (mut change_data, mut op_data) = (Vec::new(), Vec::new());
        columns(&mut out, &mut change_data, changes);
        columns(&mut out, &mut op_data, ops);
        out.extend(change_data);
        out.extend(op_data);
        out
    }

    /// Raw deflate of `prefix` then `zeros` zero bytes, written by hand as
    /// one block with the fixed Huffman codes (RFC 1951, 3.2.6): after one
    /// literal zero, each 258 zeros are a copy at distance 1 in 13 bits, so
    /// 32 MiB of zeros take ~210 KB and no time to make.
    fn deflate(prefix: &[u8], zeros: u64) -> Vec<u8> {
        let mut bits = Bits::default();
        bits.push(0b011, 3); // the last block; fixed codes
        for &byte in prefix {
            bits.literal(byte);
        }
        let mut left = zeros;
        if left > 0 {
            bits.literal(0);
            left -= 1;
        }
        while left >= 258 {
            bits.code(0b1100_0101, 8); // length 258 (symbol 285)
            bits.code(0, 5); // distance 1
            left -= 258;
        }
        for _ in 0..left {
            bits.literal(0);
        }
        bits.code(0, 7); // end of block (symbol 256)
        bits.finish()
    }

    /// A deflate bit stream: fields go least significant bit first,
    /// Huffman codes most significant bit first.
    #[derive(Default)]
    struct Bits {
        out: Vec<u8>,
        pending: u64,
        count: u32,
    }

    impl Bits {
        fn push(&mut self, value: u32, count: u32) {
            self.pending |= u64::from(value) << self.count;
            self.count += count;
            while self.count >= 8 {
                self.out.push(self.pending as u8);
                self.pending >>= 8;
                self.count -= 8;
            }
        }

        fn code(&mut self, code: u32, len: u32) {
            let reversed = code.reverse_bits() >> (32 - len);
            self.push(reversed, len);
        }

        fn literal(&mut self, byte: u8) {
            match byte {
                0..=143 => self.code(0x30 + u32::from(byte), 8),
                _ => self.code(0x190 + u32::from(byte - 144), 9),
            }
        }

        fn finish(mut self) -> Vec<u8> {
            if self.count > 0 {
                self.out.push(self.pending as u8);
            }
            self.out
        }
    }

    #[test]
    fn the_hand_made_deflate_inflates_as_written() {
        let body = b"a prefix \x00\xff with bytes from both literal ranges";
        let mut out = Vec::new();
        flate2::bufread::DeflateDecoder::new(&deflate(body, 100_000)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(&out[..body.len()], body);
        assert_eq!(out.len(), body.len() + 100_000);
        assert!(out[body.len()..].iter().all(|&b| b == 0));
    }

    /// Counts each within its own limit can still add up past the memory
    /// estimate, which is what keeps a message within 64 MiB; a file's
    /// limits are wider.
    #[test]
    fn counts_within_their_limits_are_still_held_to_the_memory_estimate() {
        let each_at_its_limit = SyncMessageCost {
            changes: MAX_CHANGES,
            ops: MAX_OPS,
            ..SyncMessageCost::default()
        };
        assert!(!each_at_its_limit.fits(&MESSAGE));
        let err = each_at_its_limit.check_memory().unwrap_err().to_string();
        assert!(err.contains("MiB to take in"), "{err}");
        assert!(each_at_its_limit.fits(&DOCUMENT));
        let quarter = SyncMessageCost {
            changes: MAX_CHANGES / 4,
            ops: MAX_OPS / 4,
            bytes: 1 << 20,
            ..SyncMessageCost::default()
        };
        assert!(quarter.fits(&MESSAGE));
        assert!(quarter.memory() < MESSAGE.memory);
        // What this device sends stays within half.
        const { assert!(crate::sync_send::SEND.memory * 2 <= MESSAGE.memory) };
    }

    fn refused(bytes: &[u8], what: &str) {
        match precheck_sync_message(bytes) {
            Err(CoreError::InvalidSyncMessage(why)) => {
                assert!(why.contains(what), "refused for {why:?}, expected {what:?}")
            }
            other => panic!("expected a refusal for {what:?}, got {other:?}"),
        }
        assert!(decode_sync_message(bytes).is_err());
    }

    // ------------------------------------------------------------- refusals

    #[test]
    fn a_flood_of_empty_chunks_is_refused() {
        // Control: Automerge decodes it, one heap object per entry.
        let flood = message(&vec![Vec::new(); 16_000]);
        assert_eq!(Message::decode(&flood).unwrap().changes.len(), 16_000);
        refused(&flood, "an empty change chunk");
        // A count past the budget is refused before any entry is read.
        let mut claimed = vec![MESSAGE_V1, 0, 0, 0];
        uleb(&mut claimed, MAX_CHUNKS + 1);
        refused(&claimed, "change entries");
        // So are Automerge chunks past it, packed into one entry.
        let tiny = chunk(1, &change_body(&[]));
        let packed = message(&[tiny.repeat(MAX_CHUNKS as usize + 1)]);
        refused(&packed, "Automerge chunks");
    }

    #[test]
    fn a_flood_of_summaries_is_refused() {
        let with_haves = |count: u64| {
            let mut out = vec![MESSAGE_V1, 0, 0];
            uleb(&mut out, count);
            for _ in 0..count {
                out.extend_from_slice(&[0, 0]); // no heads, an empty filter
            }
            out.push(0); // no changes
            out
        };
        let flood = with_haves(1_000_000);
        assert_eq!(Message::decode(&flood).unwrap().have.len(), 1_000_000);
        refused(&flood, "summaries");
        refused(&with_haves(MAX_HAVES as u64 + 1), "summaries");
        precheck_sync_message(&with_haves(MAX_HAVES as u64)).unwrap();
    }

    #[test]
    fn too_many_hashes_are_refused_before_they_are_read() {
        let mut heads = vec![MESSAGE_V1];
        uleb(&mut heads, MAX_HASHES + 1);
        heads.extend(vec![0; (MAX_HASHES as usize + 1) * 32]);
        heads.extend_from_slice(&[0, 0, 0]);
        refused(&heads, "heads");
        // A count of 2^60 hashes with none behind it.
        let mut needs = vec![MESSAGE_V1, 0];
        uleb(&mut needs, 1 << 60);
        refused(&needs, "needs");
    }

    #[test]
    fn a_deflate_bomb_in_a_compressed_change_is_refused() {
        // A real change, whose body inflates from the chunk and is then
        // followed by zeros, which Automerge keeps as the change's extra bytes.
        let mut doc = AutoCommit::new();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "k", "v").unwrap();
        let real = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
        let body = &real[real.len() - usize::from(real[9])..];
        assert!(real[9] < 0x80, "a one-byte length");

        // Within the budget: inflated and counted.
        let small = message(&[chunk(2, &deflate(body, 1 << 20))]);
        let cost = precheck_sync_message(&small).unwrap();
        assert_eq!(cost.inflated_bytes, body.len() as u64 + (1 << 20));
        assert_eq!((cost.changes, cost.ops), (1, 1));

        // Past it: ~210 KB on the wire.
        let bomb = deflate(body, MAX_INFLATED_BYTES);
        assert!(bomb.len() < 256 << 10, "{}", bomb.len());
        refused(
            &message(&[chunk(2, &bomb)]),
            "a compressed change inflating past",
        );
        // Two halves of the budget in one message are refused as one.
        let half = chunk(2, &deflate(body, MAX_INFLATED_BYTES / 2));
        refused(&message(&[half.clone(), half]), "inflating past");
        // And deflate that is not deflate.
        refused(&message(&[chunk(2, &[0xff; 8])]), "not valid deflate");
    }

    #[test]
    fn a_deflated_column_bomb_in_a_document_is_refused() {
        let column = |zeros: u64| (VALUE_RAW | DEFLATED, deflate(&[], zeros));
        let small = message(&[chunk(0, &document_body(&[], &[column(1 << 20)]))]);
        assert_eq!(
            precheck_sync_message(&small).unwrap().inflated_bytes,
            1 << 20
        );
        let past = column(MAX_INFLATED_BYTES + 1);
        let bomb = message(&[chunk(0, &document_body(&[], std::slice::from_ref(&past)))]);
        assert!(bomb.len() < 256 << 10);
        refused(&bomb, "a deflated column inflating past");
        // In the change columns as much as in the operation columns.
        let in_changes = message(&[chunk(0, &document_body(&[past], &[]))]);
        refused(&in_changes, "a deflated column inflating past");
        // A change's columns are never deflated (Automerge refuses them).
        let deflated_change = chunk(1, &change_body(&[column(16)]));
        refused(&message(&[deflated_change]), "deflated columns");
    }

    #[test]
    fn run_length_row_bombs_are_refused() {
        let run = |copies: i64, value: &[u8]| {
            let mut out = Vec::new();
            sleb(&mut out, copies);
            out.extend_from_slice(value);
            out
        };
        let null_run = |rows: u64| {
            let mut out = vec![0];
            uleb(&mut out, rows);
            out
        };
        let booleans = |falses: u64, trues: u64| {
            let mut out = Vec::new();
            uleb(&mut out, falses);
            uleb(&mut out, trues);
            out
        };
        let in_change = |cols: &[(u32, Vec<u8>)]| message(&[chunk(1, &change_body(cols))]);
        let in_document = |cols: &[(u32, Vec<u8>)]| message(&[chunk(0, &document_body(&[], cols))]);

        // At the budget exactly: accepted.
        let at = in_change(&[(ACTION, run(MAX_OPS as i64, &[1]))]);
        assert_eq!(precheck_sync_message(&at).unwrap().ops, MAX_OPS);

        let bombs: Vec<(&str, Vec<u8>)> = vec![
            (
                "one past the budget",
                in_change(&[(ACTION, run(MAX_OPS as i64 + 1, &[1]))]),
            ),
            ("a run of 2^40", in_change(&[(ACTION, run(1 << 40, &[1]))])),
            (
                "a run of i64::MAX",
                in_document(&[(ACTION, run(i64::MAX, &[1]))]),
            ),
            (
                "a null run of 2^60",
                in_change(&[(OBJ_ACTOR, null_run(1 << 60))]),
            ),
            (
                "a null run of u64::MAX",
                in_document(&[(OBJ_ACTOR, null_run(u64::MAX))]),
            ),
            (
                "booleans",
                in_change(&[(INSERT, booleans(1 << 20, 1 << 40))]),
            ),
            (
                "value metadata",
                in_document(&[(VALUE_META, null_run(1 << 40))]),
            ),
            // One row whose group says 2^40 predecessors follow.
            (
                "a group",
                in_change(&[(PRED_GROUP, run(1, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x20]))]),
            ),
            (
                "rows spread over two chunks",
                message(&[
                    chunk(
                        1,
                        &change_body(&[(ACTION, run(MAX_OPS as i64 / 2 + 1, &[1]))]),
                    ),
                    chunk(1, &change_body(&[(ACTION, run(MAX_OPS as i64 / 2, &[1]))])),
                ]),
            ),
        ];
        for (what, bytes) in bombs {
            match precheck_sync_message(&bytes) {
                Err(CoreError::InvalidSyncMessage(why)) => {
                    assert!(why.contains("operations"), "{what}: {why}")
                }
                other => panic!("{what}: expected a refusal, got {other:?}"),
            }
        }
        // The same in a document's change columns counts changes.
        let changes = |cols: &[(u32, Vec<u8>)]| message(&[chunk(0, &document_body(cols, &[]))]);
        let at = changes(&[(OBJ_ACTOR, null_run(MAX_CHANGES))]);
        assert_eq!(precheck_sync_message(&at).unwrap().changes, MAX_CHANGES);
        for bytes in [
            changes(&[(OBJ_ACTOR, null_run(MAX_CHANGES + 1))]),
            changes(&[(ACTION, run(1 << 40, &[1]))]),
            // Dependencies: one change depending on 2^40 others.
            changes(&[(0x40, run(1, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x20]))]),
        ] {
            refused(&bytes, "changes");
        }
        // A literal run claiming more values than there are bytes.
        refused(
            &in_change(&[(ACTION, run(-(1 << 62), &[1, 2, 3]))]),
            "cut short",
        );
        refused(&in_change(&[(ACTION, run(i64::MIN, &[1]))]), "cut short");
    }

    #[test]
    fn a_string_run_expanding_past_the_budget_is_refused() {
        // One kilobyte, repeated in 2^18 rows (within the budget of
        // operations): 256 MiB of strings once each row holds its own.
        let mut column = Vec::new();
        sleb(&mut column, 1 << 18);
        prefixed(&mut column, &[b'x'; 1024]);
        let bytes = message(&[chunk(1, &change_body(&[(MARK_NAME, column)]))]);
        refused(&bytes, "strings expanding past");
    }

    #[test]
    fn malformed_chunks_are_refused() {
        let body = change_body(&[]);
        let mut split = chunk(1, &body);
        let tail = split.split_off(6);
        let mut bad_magic = chunk(1, &body);
        bad_magic[0] = 0;
        let mut long_actor = vec![0];
        prefixed(&mut long_actor, &[0xbb; MAX_ACTOR_BYTES as usize + 1]);
        long_actor.extend_from_slice(&[1, 1, 0, 0, 0, 0]);
        let mut many_actors = vec![0];
        prefixed(&mut many_actors, &[0xbb; 16]);
        many_actors.extend_from_slice(&[1, 1, 0, 0]);
        uleb(&mut many_actors, MAX_ACTORS);
        let mut many_columns = vec![0];
        prefixed(&mut many_columns, &[0xbb; 16]);
        many_columns.extend_from_slice(&[1, 1, 0, 0, 0]);
        uleb(&mut many_columns, MAX_COLUMNS + 1);
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("not an Automerge chunk", message(&[bad_magic])),
            (
                "not an Automerge chunk",
                message(&[b"not a chunk at all".to_vec()]),
            ),
            ("unknown chunk type", message(&[chunk(9, &body)])),
            ("bundle", message(&[chunk(3, &body)])),
            ("cut short", message(&[split, tail])),
            ("an actor id of 33 bytes", message(&[chunk(1, &long_actor)])),
            ("actors", message(&[chunk(1, &many_actors)])),
            ("columns (at most", message(&[chunk(1, &many_columns)])),
            (
                "out of order",
                message(&[chunk(
                    1,
                    &change_body(&[(ACTION, vec![]), (OBJ_ACTOR, vec![])]),
                )]),
            ),
            ("not a sync message", vec![0x44, 0, 0, 0, 0]),
            ("cut short", vec![MESSAGE_V2, 1, 0xaa]),
        ];
        for (what, bytes) in cases {
            refused(&bytes, what);
        }
    }

    // ------------------------------------------------------------- real messages

    /// Ana and Ben, each `days` of check-ins (notes on most) and some
    /// thanks, synced weekly.
    fn couple(days: i64) -> (CoupleDoc, CoupleDoc) {
        let mut ana = CoupleDoc::create(&ActorId::from(vec![0xa; 16]), "Ana", T0).unwrap();
        let mut ben = CoupleDoc::load(&ana.save(), &ActorId::from(vec![0xb; 16])).unwrap();
        ben.set_my_name("Ben", T0 + 1).unwrap();
        ana.merge_bytes(&ben.save()).unwrap();
        for d in 0..days {
            let now = T0 + d * DAY;
            let day = jiff::Timestamp::from_millisecond(now)
                .unwrap()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
                .to_string();
            for (who, doc) in [(0, &mut ana), (1, &mut ben)] {
                let input = CheckInInput {
                    day: Some(day.clone()),
                    safety: (d + who) % 11,
                    trust: 5,
                    connection: 6,
                    moods: vec!["hopeful".into()],
                    note: (d % 3 != 0).then(|| format!("Day {d}: we talked after dinner.")),
                    ..CheckInInput::default()
                };
                doc.record_checkin(&input, now + who).unwrap();
                if d % 4 == who {
                    doc.appreciate("Thank you for listening tonight.", now + 10)
                        .unwrap();
                }
            }
            if d % 7 == 6 {
                let (a, b) = (ana.save(), ben.save());
                ana.merge_bytes(&b).unwrap();
                ben.merge_bytes(&a).unwrap();
            }
        }
        (ana, ben)
    }

    /// Automerge's own sync of `a` and `b` from the given states: every
    /// message sent, encoded.
    fn sync(a: &mut AutoCommit, b: &mut AutoCommit, mut sa: State, mut sb: State) -> Vec<Vec<u8>> {
        let mut sent = Vec::new();
        for _ in 0..20 {
            let mut quiet = true;
            if let Some(m) = a.sync().generate_sync_message(&mut sa) {
                sent.push(m.encode());
                let m = Message::decode(sent.last().unwrap()).unwrap();
                b.sync().receive_sync_message(&mut sb, m).unwrap();
                quiet = false;
            }
            if let Some(m) = b.sync().generate_sync_message(&mut sb) {
                sent.push(m.encode());
                let m = Message::decode(sent.last().unwrap()).unwrap();
                a.sync().receive_sync_message(&mut sa, m).unwrap();
                quiet = false;
            }
            if quiet {
                assert_eq!(a.get_heads(), b.get_heads());
                return sent;
            }
        }
        panic!("the sync did not settle")
    }

    /// Checks every message as the receiver does; returns the costs.
    fn pass_unchanged(messages: &[Vec<u8>]) -> Vec<SyncMessageCost> {
        messages
            .iter()
            .map(|bytes| {
                let cost = precheck_sync_message(bytes).unwrap();
                assert_eq!(
                    decode_sync_message(bytes).unwrap(),
                    Message::decode(bytes).unwrap()
                );
                cost
            })
            .collect()
    }

    #[test]
    fn real_messages_pass_unchanged() {
        let (mut ana, mut ben) = couple(90);

        // A device that holds nothing gets the whole document as one V2
        // document chunk, its larger columns deflated.
        let first = sync(
            ana.automerge_mut(),
            &mut AutoCommit::new(),
            State::new(),
            State::new(),
        );
        let costs = pass_unchanged(&first);
        let document = costs.iter().find(|c| c.entries > 0).unwrap();
        assert_eq!((document.entries, document.chunks), (1, 1));
        assert!(document.inflated_bytes > 0, "{document:?}");
        assert!(
            document.changes > 100 && document.ops > 1_000,
            "{document:?}"
        );
        assert!(document.text_bytes > 0, "{document:?}");

        // A catch-up after a week apart, from the shared heads both keep.
        let mut shared = State::new();
        let (a, b) = (ana.save(), ben.save());
        ana.merge_bytes(&b).unwrap();
        ben.merge_bytes(&a).unwrap();
        shared.shared_heads = ana.heads();
        shared.shared_heads.sort();
        for d in 0..7 {
            ana.appreciate("Thank you for the walk.", T0 + (100 + d) * DAY)
                .unwrap();
            ben.appreciate("Thank you for dinner.", T0 + (100 + d) * DAY)
                .unwrap();
        }
        let persisted = || State::decode(&shared.encode()).unwrap();
        let catch_up = sync(
            ana.automerge_mut(),
            ben.automerge_mut(),
            persisted(),
            persisted(),
        );
        let costs = pass_unchanged(&catch_up);
        assert!(costs.iter().any(|c| c.chunks >= 7), "{costs:?}");

        // A V1 message, one change per entry, and a compressed change.
        let mut changes = ben.automerge_mut().get_changes(&[]);
        let mut entries: Vec<Vec<u8>> = changes.iter().map(|c| c.raw_bytes().to_vec()).collect();
        let long = changes
            .iter_mut()
            .find(|c| c.raw_bytes().len() > 400)
            .unwrap();
        let compressed = long.bytes().to_vec();
        assert_eq!(compressed[8], 2, "a compressed change chunk");
        entries.push(compressed);
        let v1 = Message {
            heads: Vec::new(),
            need: Vec::new(),
            have: Vec::new(),
            changes: ChunkList::from(entries),
            flags: None,
            version: MessageVersion::V1,
        }
        .encode();
        let cost = pass_unchanged(&[v1])[0];
        assert!(cost.inflated_bytes > 0, "{cost:?}");
    }

    #[test]
    fn whole_documents_pass_and_a_document_bomb_is_refused() {
        let (mut ana, _) = couple(90);
        // What `save()` writes, and saves joined (what a data directory's
        // snapshot plus chunks would be), pass with their cost counted.
        let saved = ana.save();
        let cost = precheck_document(&saved, DOCUMENT).unwrap();
        assert_eq!(cost.chunks, 1);
        assert!(cost.changes > 100 && cost.ops > 1_000, "{cost:?}");
        let mut joined = saved.clone();
        ana.appreciate("Thank you for the walk.", T0 + 100 * DAY)
            .unwrap();
        joined.extend(ana.automerge_mut().save_incremental());
        assert_eq!(precheck_document(&joined, DOCUMENT).unwrap().chunks, 2);

        // The deflated column bomb of a sync message, as a document file
        // (a file may inflate more than a message).
        let past = (
            VALUE_RAW | DEFLATED,
            deflate(&[], DOCUMENT.inflated_bytes + 1),
        );
        let bomb = chunk(0, &document_body(&[], &[past]));
        match precheck_document(&bomb, DOCUMENT) {
            Err(CoreError::InvalidSyncMessage(why)) => assert!(why.contains("inflating past")),
            other => panic!("expected a refusal, got {other:?}"),
        }
        let door = crate::Door::partner(crate::Roster::new(crate::RosterMember::new(ana.me())));
        let loaded = CoupleDoc::load_received(&bomb, &ActorId::random(), &door);
        assert!(matches!(loaded, Err(CoreError::InvalidSyncMessage(_))));
        let before = ana.heads();
        assert!(ana.merge_received(&bomb, &door).is_err());
        assert_eq!(ana.heads(), before);
        // Nothing, a cut document and trailing garbage are refused too.
        assert!(precheck_document(&[], DOCUMENT).is_err());
        assert!(precheck_document(&saved[..saved.len() - 1], DOCUMENT).is_err());
        assert!(precheck_document(&[&saved[..], b"junk"].concat(), DOCUMENT).is_err());
    }

    #[test]
    fn trailing_bytes_after_the_flags_are_ignored_as_automerge_does() {
        let (mut ana, _) = couple(2);
        let first = sync(
            ana.automerge_mut(),
            &mut AutoCommit::new(),
            State::new(),
            State::new(),
        );
        let mut bytes = first[0].clone();
        bytes.extend_from_slice(b"a newer Automerge's section");
        precheck_sync_message(&bytes).unwrap();
        assert_eq!(
            decode_sync_message(&bytes).unwrap(),
            Message::decode(&bytes).unwrap()
        );
    }
}
