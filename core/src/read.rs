//! The read model: every record of the shared space as the views read it
//! ([`Snapshot`]), kept current from Automerge's patches instead of being
//! read out of the document again for every view. The document stays the
//! truth: the model is built from it once, then each write and each receive
//! re-reads only the records its patches touched, and says so in one
//! [`ChangeEvent`].

use std::collections::BTreeSet;
use std::sync::Arc;

use automerge::{ChangeHash, Patch, PatchAction, Prop, ROOT};
use serde::Serialize;

use crate::doc::CoupleDoc;
use crate::families::{Delta, FAMILIES, Family, of_map};
use crate::model::Snapshot;
use crate::views::timeline::TimelineIndex;
use crate::views::{RecordKind, TimelineFilter, TimelinePage};

/// One record that changed: its family and its key in the family's root
/// map (for a member's entry and the summaries' traces kept in it, the
/// member's id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ChangedRecord {
    pub kind: RecordKind,
    pub id: String,
}

/// What one write or one receive changed in the shared space, computed from
/// the patches Automerge produced for it: which records, as they were and
/// as they are, and whose changes they were. Every listener in the process
/// (the app's observer, the notices, the CLI's `serve`) reads this one
/// signal; nobody compares whole snapshots.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeEvent {
    /// The records that changed, in a fixed order.
    pub records: Vec<ChangedRecord>,
    /// Those records as they were and as they are now (partial snapshots:
    /// only the changed records; a new record is absent from `before`, a
    /// removed one from `after`).
    pub delta: Delta,
    /// The actors (hex) whose changes these were.
    pub by: Vec<String>,
    /// Whether this device made any of them.
    pub local: bool,
    /// Whether any came from another device (the partner's, or this
    /// member's own earlier device after a restore).
    pub from_partner: bool,
}

impl ChangeEvent {
    /// The families that changed, each once, in a fixed order.
    pub fn kinds(&self) -> Vec<RecordKind> {
        let kinds: BTreeSet<RecordKind> = self.records.iter().map(|r| r.kind).collect();
        kinds.into_iter().collect()
    }

    /// Whether a partner's own entry (name, role, summary setting) changed.
    pub fn members_changed(&self) -> bool {
        self.records.iter().any(|r| r.kind == RecordKind::Member)
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Folds a later event into this one: each record's first `before`
    /// and last `after`, everyone's changes.
    pub fn merge(&mut self, later: ChangeEvent) {
        for family in FAMILIES {
            let keys: Vec<String> = later
                .records
                .iter()
                .filter(|r| r.kind == family.kind())
                .map(|r| r.id.clone())
                .collect();
            if !keys.is_empty() {
                family.merge(&mut self.delta, &later.delta, &keys);
            }
        }
        self.records.extend(later.records);
        self.records.sort();
        self.records.dedup();
        self.by.extend(later.by);
        self.by.sort();
        self.by.dedup();
        self.local |= later.local;
        self.from_partner |= later.from_partner;
    }
}

/// What [`CoupleDoc::take_derived`] carries over.
pub(crate) struct Derived {
    read: ReadModel,
    pending: Option<ChangeEvent>,
    checkin_days: Option<crate::doc::CheckinDays>,
}

/// The model and the document heads it reflects.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadModel {
    /// `None` until built: documents opened only to be looked at (a file
    /// to import, an archive) never pay for it.
    snapshot: Option<Arc<Snapshot>>,
    /// Where each entry of the timeline sits (kept with the snapshot).
    timeline: TimelineIndex,
    heads: Vec<ChangeHash>,
}

impl CoupleDoc {
    /// Every record of the shared space, for the derived views: from the
    /// read model when it is built and current (no cost but a reference),
    /// else read out of the document.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match &self.read.snapshot {
            Some(s) if self.read_current => s.clone(),
            _ => Arc::new(self.read_snapshot()),
        }
    }

    /// One page of the timeline: from the read model's index when it is
    /// current (the cost of the page alone), else from a fresh read.
    pub fn timeline(&self, filter: &TimelineFilter) -> crate::Result<TimelinePage> {
        match &self.read.snapshot {
            Some(s) if self.read_current => self.read.timeline.page(s, filter),
            _ => {
                let s = self.read_snapshot();
                TimelineIndex::of(&s).page(&s, filter)
            }
        }
    }

    /// Whether the read model is built and stands at the document's heads.
    pub(crate) fn read_is_current(&mut self) -> bool {
        self.catch_up();
        self.read_current && self.read.snapshot.is_some()
    }

    /// Every record, read out of the document (what the model is built
    /// from, and what it must always equal).
    pub fn read_snapshot(&self) -> Snapshot {
        let mut s = Snapshot::default();
        for family in FAMILIES {
            family.read_all(self, &mut s);
        }
        s
    }

    /// Builds the read model (once per open; later changes keep it current).
    pub fn build_read_model(&mut self) {
        self.catch_up();
        if self.read.snapshot.is_none() {
            let snapshot = self.read_snapshot();
            self.read = ReadModel {
                timeline: TimelineIndex::of(&snapshot),
                snapshot: Some(Arc::new(snapshot)),
                heads: self.doc.get_heads(),
            };
        }
        self.read_current = true;
    }

    /// Takes a saved read model (see `read_cache`) that stands at `heads`;
    /// refused, leaving the model to be read from the document, unless
    /// those are exactly the document's heads.
    pub(crate) fn adopt_read_model(&mut self, snapshot: Snapshot, heads: Vec<ChangeHash>) -> bool {
        let mut mine = self.doc.get_heads();
        let mut theirs = heads.clone();
        mine.sort();
        theirs.sort();
        if self.read.snapshot.is_some() || mine != theirs {
            return false;
        }
        self.read = ReadModel {
            timeline: TimelineIndex::of(&snapshot),
            snapshot: Some(Arc::new(snapshot)),
            heads: self.doc.get_heads(),
        };
        self.read_current = self.doc.diff_cursor() == self.read.heads;
        true
    }

    /// The read model and the heads it stands at, when it is current.
    pub(crate) fn current_model(&mut self) -> Option<(Arc<Snapshot>, Vec<ChangeHash>)> {
        self.catch_up();
        match &self.read.snapshot {
            Some(s) if self.read_current => Some((s.clone(), self.read.heads.clone())),
            _ => None,
        }
    }

    /// Builds the read model as if it had stood empty: the change event
    /// then names every record (a space just made, joined or imported).
    pub fn build_read_model_from_empty(&mut self) {
        if self.read.snapshot.is_none() {
            self.read = ReadModel {
                snapshot: Some(Arc::default()),
                ..ReadModel::default()
            };
            self.read_current = false;
        }
        self.catch_up();
    }

    /// The change events since the last call, folded into one (`None`
    /// when nothing changed, or while the model is not built).
    pub fn take_change_event(&mut self) -> Option<ChangeEvent> {
        self.catch_up();
        self.pending.take().filter(|e| !e.is_empty())
    }

    /// Takes what is derived from the document (the read model, the
    /// pending event, the check-in index) to carry over to a new wrapper of
    /// the same document.
    pub(crate) fn take_derived(&mut self) -> Derived {
        Derived {
            read: std::mem::take(&mut self.read),
            pending: self.pending.take(),
            checkin_days: self.my_checkin_days.take(),
        }
    }

    pub(crate) fn put_derived(&mut self, kept: Derived) {
        self.read = kept.read;
        self.pending = kept.pending;
        self.my_checkin_days = kept.checkin_days;
        self.read_current = false;
    }

    /// Brings the read model to the document's heads from the patches
    /// logged since it was last current, and returns those patches (the
    /// receive path heals from them). Cheap when nothing changed.
    pub(crate) fn catch_up(&mut self) -> Vec<Patch> {
        let cursor = self.doc.diff_cursor();
        let heads = self.doc.get_heads();
        if heads == cursor && self.read_current {
            return Vec::new();
        }
        // An empty cursor means no log was kept (a new, empty document):
        // the diff is then the whole (small) document.
        let patches = self.doc.diff_incremental();
        // Automerge keeps a copy of the last diff for a repeated call; an
        // empty diff at the new heads replaces it, so a large receive's
        // patches are not held after this.
        self.doc.diff(&heads, &heads);
        let Some(model) = self.read.snapshot.take() else {
            self.read_current = false;
            return patches;
        };
        let mut model = Arc::unwrap_or_clone(model);
        let mut delta = Delta::default();
        let records = if self.read.heads == cursor && !cursor.is_empty() {
            self.apply_patches(&patches, &mut model, &mut delta)
        } else {
            // The log does not start where the model stands (the document
            // was replaced, say by another process's compaction): read it
            // all again, and report what differs.
            self.reread_all(&mut model, &mut delta)
        };
        self.read.timeline.update(&delta.before, &delta.after);
        let before = std::mem::replace(&mut self.read.heads, heads);
        self.read.snapshot = Some(Arc::new(model));
        self.read_current = true;
        if !records.is_empty() {
            let mut event = ChangeEvent {
                records,
                delta,
                ..ChangeEvent::default()
            };
            self.note_authors(&before, &mut event);
            match &mut self.pending {
                Some(pending) => pending.merge(event),
                None => self.pending = Some(event),
            }
        }
        patches
    }

    /// Re-reads the records the patches touched.
    fn apply_patches(
        &self,
        patches: &[Patch],
        model: &mut Snapshot,
        delta: &mut Delta,
    ) -> Vec<ChangedRecord> {
        let mut touched: BTreeSet<(&'static str, String)> = BTreeSet::new();
        let mut whole: BTreeSet<String> = BTreeSet::new();
        for patch in patches {
            match touched_by(patch) {
                Some(Touch::Record(map, key)) => {
                    if let Some(family) = of_map(&map).next() {
                        touched.insert((family.map(), key));
                    }
                }
                Some(Touch::Map(map)) => {
                    whole.insert(map);
                }
                None => {}
            }
        }
        let mut changed = Vec::new();
        for map in &whole {
            for family in of_map(map) {
                // Every key held before or found now.
                let mut keys = family.keys(model);
                keys.extend(self.records(map).into_iter().map(|(k, _)| k));
                keys.sort();
                keys.dedup();
                for key in keys {
                    refresh(family, self, &key, model, delta, &mut changed);
                }
            }
        }
        for (map, key) in touched {
            if whole.contains(map) {
                continue;
            }
            for family in of_map(map) {
                refresh(family, self, &key, model, delta, &mut changed);
            }
        }
        changed.sort();
        changed.dedup();
        changed
    }

    /// Reads every record again, keeping what differs in `delta`.
    fn reread_all(&self, model: &mut Snapshot, delta: &mut Delta) -> Vec<ChangedRecord> {
        let fresh = self.read_snapshot();
        let mut changed = Vec::new();
        for family in FAMILIES {
            if family.same(model, &fresh) {
                continue;
            }
            for id in family.replace(model, &fresh, delta) {
                changed.push(ChangedRecord {
                    kind: family.kind(),
                    id,
                });
            }
        }
        changed.sort();
        changed
    }

    /// Whose changes came in since `before`.
    fn note_authors(&mut self, before: &[ChangeHash], event: &mut ChangeEvent) {
        let mine = self.doc.get_actor().clone();
        let mut by: Vec<String> = Vec::new();
        for change in self.doc.get_changes_meta(before) {
            if *change.actor == mine {
                event.local = true;
            } else {
                event.from_partner = true;
            }
            by.push(change.actor.to_hex_string());
        }
        by.sort();
        by.dedup();
        event.by = by;
    }
}

fn refresh(
    family: &dyn Family,
    doc: &CoupleDoc,
    key: &str,
    model: &mut Snapshot,
    delta: &mut Delta,
    changed: &mut Vec<ChangedRecord>,
) {
    if family.refresh(doc, key, model, delta) {
        changed.push(ChangedRecord {
            kind: family.kind(),
            id: key.to_owned(),
        });
    }
}

/// What a patch touched: one record of a root map, or a root map as a whole
/// (created, replaced, or one of two created concurrently).
enum Touch {
    Record(String, String),
    Map(String),
}

fn touched_by(patch: &Patch) -> Option<Touch> {
    let key_of = |prop: &Prop| match prop {
        Prop::Map(k) => Some(k.clone()),
        Prop::Seq(_) => None,
    };
    match patch.path.as_slice() {
        // At the root: a root map itself.
        [] if patch.obj == ROOT => match &patch.action {
            PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                Some(Touch::Map(key.clone()))
            }
            PatchAction::Conflict { prop } => key_of(prop).map(Touch::Map),
            _ => None,
        },
        // In a root map: a record added, replaced or removed.
        [(_, map)] => {
            let map = key_of(map)?;
            match &patch.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    Some(Touch::Record(map, key.clone()))
                }
                PatchAction::Conflict { prop } => key_of(prop).map(|key| Touch::Record(map, key)),
                _ => None,
            }
        }
        // Anywhere inside a record.
        [(_, map), (_, record), ..] => Some(Touch::Record(key_of(map)?, key_of(record)?)),
        _ => None,
    }
}

/// A subscription to a device's change events that keeps them until taken:
/// for a reader that looks now and then (the notices, an observer's task).
/// Dropping it unsubscribes.
pub struct ChangeInbox {
    queue: Arc<std::sync::Mutex<Option<ChangeEvent>>>,
    // Held for the device's weak reference to it.
    _listener: Arc<dyn Fn(&ChangeEvent) + Send + Sync>,
}

impl std::fmt::Debug for ChangeInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangeInbox")
    }
}

impl ChangeInbox {
    /// Subscribes to `device`'s changes from now on; `wake` is called
    /// (under the device lock: it must only signal) when one arrives.
    pub fn subscribe(
        device: &mut crate::Device,
        wake: impl Fn() + Send + Sync + 'static,
    ) -> ChangeInbox {
        let queue: Arc<std::sync::Mutex<Option<ChangeEvent>>> = Arc::default();
        let held = queue.clone();
        let listener: Arc<dyn Fn(&ChangeEvent) + Send + Sync> = Arc::new(move |e: &ChangeEvent| {
            let mut held = held.lock().unwrap_or_else(|p| p.into_inner());
            match held.as_mut() {
                Some(pending) => pending.merge(e.clone()),
                None => *held = Some(e.clone()),
            }
            wake();
        });
        device.on_change(&listener);
        ChangeInbox {
            queue,
            _listener: listener,
        }
    }

    /// Everything that changed since the last take, as one event.
    pub fn take(&self) -> Option<ChangeEvent> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}
