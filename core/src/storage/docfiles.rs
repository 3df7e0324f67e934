//! One Automerge document on disk: a snapshot plus incremental chunks.
//!
//! - A *snapshot* (`snapshot-<hash>.age`) is a whole compressed document
//!   (`save()`); a *chunk* (`chunk-<hash>.age`) is a run of changes
//!   (`save_after()`). `<hash>` is the BLAKE3 hash of the file's bytes, so a
//!   name is never reused and a flipped bit is caught before decrypting.
//! - The document is the union of every file: Automerge ignores changes it
//!   already has, so a file left behind by a crash (an old snapshot, a chunk
//!   already batched into a bigger one) costs space but never correctness.
//! - Each save appends one chunk. While the newest chunk is small, a save
//!   writes a new chunk holding its changes plus the new ones and then
//!   removes it, so the ~200 bytes of age header per file stay a small share
//!   of the size on disk.
//! - Compaction writes a new snapshot and removes the files it supersedes
//!   only once the snapshot is durable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use automerge::{ActorId, AutoCommit, ChangeHash};

use super::fsio;
use super::keys::DeviceKey;
use crate::error::{CoreError, Result};

const SNAPSHOT_PREFIX: &str = "snapshot-";
const CHUNK_PREFIX: &str = "chunk-";
const SUFFIX: &str = ".age";

/// When chunks are batched and folded into a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactionPolicy {
    /// A save rewrites the newest chunk together with the new changes while
    /// the result stays below this many bytes.
    pub batch_bytes: usize,
    /// Compact once the chunks on disk exceed this share of the snapshot
    /// (in percent)...
    pub chunk_percent: u64,
    /// ...and this many bytes, so a young document is not rewritten on
    /// every save.
    pub min_chunk_bytes: u64,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        // Measured on the 10-year fixture (docs/storage.md): compaction then
        // runs about every 150 check-ins and keeps the size on disk within
        // 1.1x a plain snapshot and the open time within 1.1x a plain load.
        CompactionPolicy {
            batch_bytes: 64 * 1024,
            chunk_percent: 10,
            min_chunk_bytes: 16 * 1024,
        }
    }
}

/// A file that could not be read back, moved aside into `damaged/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub path: PathBuf,
    pub moved_to: Option<PathBuf>,
    pub reason: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is damaged ({})", self.path.display(), self.reason)?;
        if let Some(to) = &self.moved_to {
            write!(f, "; moved aside to {}", to.display())?;
        }
        Ok(())
    }
}

/// Sizes on disk of one document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocStats {
    pub snapshots: usize,
    pub snapshot_bytes: u64,
    pub chunks: usize,
    pub chunk_bytes: u64,
}

impl DocStats {
    pub fn total_bytes(&self) -> u64 {
        self.snapshot_bytes + self.chunk_bytes
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Snapshot,
    Chunk,
}

#[derive(Debug)]
struct Known {
    kind: Kind,
    disk_len: u64,
}

/// The files of one document and what this process knows of them.
#[derive(Debug)]
pub(crate) struct DocFiles {
    dir: PathBuf,
    key: Arc<DeviceKey>,
    actor: ActorId,
    policy: CompactionPolicy,
    /// Every file whose changes are in memory, by name.
    known: BTreeMap<String, Known>,
    /// A small chunk (name, plaintext) that the next save may fold in.
    tail: Option<(String, Vec<u8>)>,
    /// Every change up to these heads is in some file on disk.
    saved_heads: Vec<ChangeHash>,
}

impl DocFiles {
    /// Loads the document kept in `dir` (created if missing). Files that
    /// cannot be read are moved aside and reported; the rest loads.
    pub(crate) fn open(
        dir: PathBuf,
        key: Arc<DeviceKey>,
        actor: ActorId,
    ) -> Result<(Self, Option<AutoCommit>, Vec<Damage>)> {
        fsio::create_private_dir(&dir)?;
        fsio::remove_stale_temporaries(&dir);
        let mut files = DocFiles {
            dir,
            key,
            actor,
            policy: CompactionPolicy::default(),
            known: BTreeMap::new(),
            tail: None,
            saved_heads: Vec::new(),
        };
        let mut doc = None;
        let damage = files.load_new(&mut doc)?;
        if let Some(d) = doc.as_mut() {
            files.saved_heads = d.get_heads();
            if files.saved_heads.is_empty() {
                doc = None;
            }
        }
        Ok((files, doc, damage))
    }

    /// The files whose changes are in memory, by name, in order.
    pub(crate) fn names(&self) -> Vec<String> {
        self.known.keys().cloned().collect()
    }

    pub(crate) fn set_policy(&mut self, policy: CompactionPolicy) {
        self.policy = policy;
    }

    pub(crate) fn policy(&self) -> CompactionPolicy {
        self.policy
    }

    /// Removes every file of this document (before replacing the document
    /// by an unrelated one). Errors are returned: nothing may be left over.
    pub(crate) fn remove_all(&mut self) -> Result<()> {
        for name in fsio::list_files(&self.dir)? {
            if kind_of(&name).is_some() {
                fsio::remove_durably(&self.dir.join(name))?;
            }
        }
        self.known.clear();
        self.tail = None;
        self.saved_heads.clear();
        Ok(())
    }

    /// Loads files other processes wrote since we last looked, and forgets
    /// files they removed (folded into a chunk or snapshot we then load).
    pub(crate) fn refresh(&mut self, doc: &mut Option<AutoCommit>) -> Result<Vec<Damage>> {
        let clean = match doc.as_mut() {
            Some(d) => d.get_heads() == self.saved_heads,
            None => true,
        };
        let damage = self.load_new(doc)?;
        if clean && let Some(d) = doc.as_mut() {
            // Nothing unsaved was in memory: all of it is on disk now.
            self.saved_heads = d.get_heads();
        }
        Ok(damage)
    }

    /// Like [`Self::refresh`], for a document that is always saved before
    /// its lock is let go (the private one): when no file this process
    /// loaded is left, another process replaced them all (a compaction, or
    /// a rewrite without history), so the document is read anew from disk
    /// rather than merged into memory, which would bring back the history
    /// a rewrite dropped.
    pub(crate) fn refresh_whole(&mut self, doc: &mut Option<AutoCommit>) -> Result<Vec<Damage>> {
        let on_disk = fsio::list_files(&self.dir)?;
        let replaced = !self.known.is_empty()
            && self
                .known
                .keys()
                .all(|name| on_disk.binary_search(name).is_err());
        if replaced {
            *doc = None;
            self.known.clear();
            self.tail = None;
            self.saved_heads.clear();
        }
        self.refresh(doc)
    }

    fn load_new(&mut self, doc: &mut Option<AutoCommit>) -> Result<Vec<Damage>> {
        let on_disk = fsio::list_files(&self.dir)?;
        self.known
            .retain(|name, _| on_disk.binary_search(name).is_ok());
        if let Some((tail, _)) = &self.tail
            && !self.known.contains_key(tail)
        {
            self.tail = None;
        }
        let mut fresh: Vec<(Kind, String)> = on_disk
            .into_iter()
            .filter(|n| !self.known.contains_key(n))
            .filter_map(|n| kind_of(&n).map(|k| (k, n)))
            .collect();
        // Snapshots first: loading one into an empty document is the fast path.
        fresh.sort_by_key(|(kind, _)| *kind != Kind::Snapshot);
        let mut damage = Vec::new();
        for (kind, name) in fresh {
            let path = self.dir.join(&name);
            let sealed = match fsio::read_optional(&path)? {
                Some(bytes) => bytes,
                // Removed by a compaction in another process between listing and reading.
                None => continue,
            };
            match self.decode(&name, &sealed, doc) {
                Ok(plain) => {
                    if kind == Kind::Chunk
                        && plain.len() < self.policy.batch_bytes
                        && self
                            .tail
                            .as_ref()
                            .is_none_or(|(_, t)| plain.len() < t.len())
                    {
                        self.tail = Some((name.clone(), plain));
                    }
                    self.known.insert(
                        name,
                        Known {
                            kind,
                            disk_len: sealed.len() as u64,
                        },
                    );
                }
                Err(reason) => damage.push(self.move_aside(&path, reason)),
            }
        }
        Ok(damage)
    }

    /// Checks, decrypts and loads one file; `Err` carries why it is damaged.
    fn decode(
        &self,
        name: &str,
        sealed: &[u8],
        doc: &mut Option<AutoCommit>,
    ) -> std::result::Result<Vec<u8>, String> {
        let expected = name
            .split_once('-')
            .and_then(|(_, rest)| rest.strip_suffix(SUFFIX))
            .unwrap_or_default();
        if content_name(sealed) != expected {
            return Err(format!(
                "its content does not match its name ({} bytes; truncated or altered)",
                sealed.len()
            ));
        }
        let plain = self
            .key
            .open(sealed)
            .map_err(|e| format!("cannot decrypt: {e}"))?;
        // age has authenticated the bytes, so they are what we wrote. Changes
        // whose dependencies are missing (their snapshot was damaged) wait
        // in Automerge's queue until the partner sends those again.
        let d = doc.get_or_insert_with(|| AutoCommit::new().with_actor(self.actor.clone()));
        d.load_incremental(&plain)
            .map_err(|e| format!("not Automerge data: {e}"))?;
        Ok(plain)
    }

    fn move_aside(&self, path: &Path, reason: String) -> Damage {
        let data_dir = self.dir.parent().unwrap_or(&self.dir);
        let label = self
            .dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("doc");
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        let damaged = data_dir.join(super::files::DAMAGED_DIR);
        let mut target = damaged.join(format!("{label}-{file}"));
        let mut n = 1;
        while target.exists() {
            target = damaged.join(format!("{label}-{file}.{n}"));
            n += 1;
        }
        let moved_to = match fsio::move_durably(path, &target) {
            Ok(()) => Some(target),
            Err(e) => {
                tracing::warn!(
                    file = %format_args!("{label}/{file}"),
                    error = %e.redacted(),
                    "cannot move a damaged file aside"
                );
                None
            }
        };
        // The reason is this module's words with age's or Automerge's: no content.
        tracing::warn!(file = %format_args!("{label}/{file}"), %reason, "damaged file");
        Damage {
            path: path.to_owned(),
            moved_to,
            reason,
        }
    }

    /// Makes every change in `doc` durable. Returns once they are on disk;
    /// the first save of a document writes a snapshot, later ones a chunk.
    pub(crate) fn save(&mut self, doc: &mut AutoCommit) -> Result<()> {
        let heads = doc.get_heads();
        if heads == self.saved_heads && !self.known.is_empty() {
            return Ok(());
        }
        if self.known.is_empty() {
            return self.compact(doc);
        }
        let new = doc.save_after(&self.saved_heads);
        let (plain, replaces) = match &self.tail {
            Some((name, tail)) if tail.len() + new.len() <= self.policy.batch_bytes => {
                let mut plain = tail.clone();
                plain.extend_from_slice(&new);
                (plain, Some(name.clone()))
            }
            _ => (new, None),
        };
        let name = self.write_file(Kind::Chunk, &plain)?;
        // Durable from here on: what follows only tidies up.
        self.saved_heads = heads;
        if let Some(old) = replaces {
            self.remove_quietly(&old);
        }
        self.tail = (plain.len() < self.policy.batch_bytes).then_some((name, plain));
        if self.should_compact()
            && let Err(e) = self.compact(doc)
        {
            tracing::warn!(error = %e.redacted(), "automatic compaction failed; the chunks stay");
        }
        Ok(())
    }

    fn should_compact(&self) -> bool {
        let stats = self.stats();
        let limit = (stats.snapshot_bytes * self.policy.chunk_percent / 100)
            .max(self.policy.min_chunk_bytes);
        stats.chunk_bytes > limit
    }

    /// Folds everything into one new snapshot, then removes the files it supersedes.
    pub(crate) fn compact(&mut self, doc: &mut AutoCommit) -> Result<()> {
        if !doc.get_missing_deps(&[]).is_empty() {
            // Some loaded changes wait for dependencies lost to damage; a
            // snapshot would not hold them, so their chunks must stay.
            return Err(CoreError::NotPermitted(
                "compaction waits until the changes lost to a damaged file are synced again",
            ));
        }
        let heads = doc.get_heads();
        let bytes = doc.save();
        let name = self.write_file(Kind::Snapshot, &bytes)?;
        self.saved_heads = heads;
        let superseded: Vec<String> = self.known.keys().filter(|n| **n != name).cloned().collect();
        for old in superseded {
            self.remove_quietly(&old);
        }
        self.tail = None;
        Ok(())
    }

    fn write_file(&mut self, kind: Kind, plain: &[u8]) -> Result<String> {
        let sealed = self.key.seal(plain)?;
        let prefix = match kind {
            Kind::Snapshot => SNAPSHOT_PREFIX,
            Kind::Chunk => CHUNK_PREFIX,
        };
        let name = format!("{prefix}{}{SUFFIX}", content_name(&sealed));
        fsio::write_atomic(&self.dir.join(&name), &sealed)?;
        self.known.insert(
            name.clone(),
            Known {
                kind,
                disk_len: sealed.len() as u64,
            },
        );
        Ok(name)
    }

    /// Removes a superseded file. Failing here loses nothing (its changes
    /// are in a newer durable file), so it is logged, not returned.
    fn remove_quietly(&mut self, name: &str) {
        match fsio::remove_durably(&self.dir.join(name)) {
            Ok(()) => {
                self.known.remove(name);
            }
            Err(e) => {
                tracing::warn!(
                    file = name,
                    error = %e.redacted(),
                    "cannot remove a superseded file"
                )
            }
        }
    }

    pub(crate) fn stats(&self) -> DocStats {
        let mut stats = DocStats::default();
        for known in self.known.values() {
            match known.kind {
                Kind::Snapshot => {
                    stats.snapshots += 1;
                    stats.snapshot_bytes += known.disk_len;
                }
                Kind::Chunk => {
                    stats.chunks += 1;
                    stats.chunk_bytes += known.disk_len;
                }
            }
        }
        stats
    }
}

/// The names of the document files in `dir` now, in order: what
/// [`DocFiles::names`] gives once they are loaded, without reading them.
pub(crate) fn names_on_disk(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = fsio::list_files(dir)?
        .into_iter()
        .filter(|name| kind_of(name).is_some())
        .collect();
    names.sort();
    Ok(names)
}

fn kind_of(name: &str) -> Option<Kind> {
    if !name.ends_with(SUFFIX) {
        None
    } else if name.starts_with(SNAPSHOT_PREFIX) {
        Some(Kind::Snapshot)
    } else if name.starts_with(CHUNK_PREFIX) {
        Some(Kind::Chunk)
    } else {
        None
    }
}

/// 128 bits of BLAKE3 over the stored bytes, in hex.
fn content_name(sealed: &[u8]) -> String {
    blake3::hash(sealed).to_hex()[..32].to_owned()
}
