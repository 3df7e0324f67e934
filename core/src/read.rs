//! The read model: every record of the shared space as the views read it
//! ([`Snapshot`]), kept current from Automerge's patches instead of being
//! read out of the document again for every view. The document stays the
//! truth: the model is built from it once, then each write and each receive
//! re-reads only the records its patches touched, and says so in one
//! [`ChangeEvent`].

use std::collections::BTreeSet;
use std::sync::Arc;

use std::collections::HashMap;

use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{ChangeHash, ObjId, ObjType, Prop, ROOT, ReadDoc};
use serde::Serialize;

use crate::doc::CoupleDoc;
use crate::families::{Delta, FAMILIES, Family, of_map};
use crate::model::Snapshot;
use crate::views::span::Span;
use crate::views::timeline::TimelineIndex;
use crate::views::trends::WeekIndex;
use crate::views::{RecordKind, TimelineFilter, TimelinePage, WeeklyBand};

/// A family with at least this many root-map entries is read on every
/// core at once (below it, cutting costs more than it saves).
const SPLIT_AT: usize = 1000;

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
    /// The weekly bands of the check-ins (kept with the snapshot).
    weeks: WeekIndex,
    heads: Vec<ChangeHash>,
}

impl ReadModel {
    /// The model of `snapshot`, standing at `heads`.
    fn of(snapshot: Snapshot, heads: Vec<ChangeHash>) -> ReadModel {
        ReadModel {
            timeline: TimelineIndex::of(&snapshot),
            weeks: WeekIndex::of(&snapshot),
            snapshot: Some(Arc::new(snapshot)),
            heads,
        }
    }
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

    /// The weekly trend bands: kept with the read model when it is current,
    /// else from a fresh read.
    pub fn weekly_bands(&self) -> Vec<WeeklyBand> {
        match &self.read.snapshot {
            Some(_) if self.read_current => self.read.weeks.bands(),
            _ => crate::views::weekly_bands(&self.read_snapshot()),
        }
    }

    /// Runs `f` over the records as the views read them: the read model and
    /// its indexes when it is current, else a fresh read.
    pub(crate) fn with_span<T>(&self, f: impl FnOnce(&Span<'_>) -> T) -> T {
        match &self.read.snapshot {
            Some(s) if self.read_current => f(&Span::indexed(s, &self.read.weeks)),
            _ => f(&Span::bare(&self.read_snapshot())),
        }
    }

    /// The signs of progress (see [`crate::views::signs_of_progress`]), from
    /// the check-ins of the two periods alone.
    pub fn signs_of_progress(&self, today: &str) -> crate::views::Progress {
        self.with_span(|span| crate::views::progress::signs_in(span, today))
    }

    /// The counselling prompt `viewer` sees (see
    /// [`crate::views::counselling_prompt_in`]), from the kept weekly bands
    /// and the check-ins of the windows it looks at.
    pub fn counselling_prompt(
        &self,
        today: &str,
        viewer: &str,
        messages: &crate::i18n::Messages,
    ) -> Option<crate::views::CounsellingPrompt> {
        self.with_span(|span| {
            let bands = if span.is_indexed() {
                self.read.weeks.bands()
            } else {
                crate::views::weekly_bands(span.s)
            };
            crate::views::counselling::prompt_in(span, &bands, today, viewer, messages)
        })
    }

    /// A therapist summary of the shared space alone (see
    /// [`crate::views::therapist_summary`]), the period's check-ins found
    /// by their weeks.
    pub fn therapist_summary(
        &self,
        choice: &crate::views::SummaryChoice,
    ) -> crate::Result<crate::views::TherapistSummary> {
        self.with_span(|span| crate::views::summary::summary_in(span, None, choice))
    }

    /// Whether the read model is built and stands at the document's heads.
    pub(crate) fn read_is_current(&mut self) -> bool {
        self.catch_up();
        self.read_current && self.read.snapshot.is_some()
    }

    /// Every record, read out of the document (what the model is built
    /// from, and what it must always equal).
    pub fn read_snapshot(&self) -> Snapshot {
        use std::sync::atomic::{AtomicUsize, Ordering};
        // The families are read side by side, one thread per core: the
        // document is only read, and an open without a cache waits on this.
        // A family of many records (check-ins: half of a couple's records
        // and two thirds of the reading) is cut into one run per thread,
        // and the largest pieces go first so the threads end together.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut pieces: Vec<(usize, &dyn crate::families::Family, usize, usize)> = Vec::new();
        for &family in FAMILIES {
            let size = family.size(self);
            let parts = if size >= SPLIT_AT { threads } else { 1 };
            for part in 0..parts {
                pieces.push((size / parts, family, part, parts));
            }
        }
        pieces.sort_by_key(|p| std::cmp::Reverse(p.0));
        let next = AtomicUsize::new(0);
        let read_some = || {
            let mut read = Vec::new();
            while let Some(&(_, family, part, parts)) =
                pieces.get(next.fetch_add(1, Ordering::Relaxed))
            {
                let mut piece = Snapshot::default();
                family.read_part(self, part, parts, &mut piece);
                read.push(piece);
            }
            read
        };
        let read: Vec<Snapshot> = if threads < 2 {
            read_some()
        } else {
            std::thread::scope(|scope| {
                let helpers: Vec<_> = (1..threads.min(pieces.len()))
                    .map(|_| scope.spawn(read_some))
                    .collect();
                let mut read = read_some();
                for helper in helpers {
                    read.extend(
                        helper
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                    );
                }
                read
            })
        };
        let mut s = Snapshot::default();
        for mut piece in read {
            for family in FAMILIES {
                family.absorb(&mut piece, &mut s);
            }
        }
        // Runs of one family arrive in any order; each is in order already.
        for family in FAMILIES {
            family.sort(&mut s);
        }
        s
    }

    /// Builds the read model (once per open; later changes keep it current).
    pub fn build_read_model(&mut self) {
        self.catch_up();
        if self.read.snapshot.is_none() {
            let snapshot = self.read_snapshot();
            self.read = ReadModel::of(snapshot, self.doc.get_heads());
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
        self.read = ReadModel::of(snapshot, self.doc.get_heads());
        self.read_current = self.caught_up == self.read.heads;
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

    /// The first screen's part of the current read model: the records of
    /// its newest `entries` timeline entries.
    pub(crate) fn front(&self, entries: usize) -> Option<crate::views::timeline::Front> {
        match &self.read.snapshot {
            Some(s) if self.read_current => Some(self.read.timeline.front(s, entries)),
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
        if self.read.snapshot.is_some() {
            // The next catch-up starts where the model stands: when this
            // document holds those heads (another process added changes,
            // or compacted the same history), only the new changes are
            // read; otherwise everything is read again.
            self.caught_up = self.read.heads.clone();
        }
    }

    /// Brings the read model to the document's heads from the changes made
    /// or received since it was last current, and returns where those
    /// changes made a map (the receive path heals two made at one key).
    /// Cheap when nothing changed.
    pub(crate) fn catch_up(&mut self) -> Vec<(ObjId, String)> {
        let heads = self.doc.get_heads();
        if heads == self.caught_up && self.read_current {
            return Vec::new();
        }
        let since = std::mem::replace(&mut self.caught_up, heads.clone());
        let touches = self.touched_since(&since);
        let made = touches
            .as_ref()
            .map(|t| t.made.iter().cloned().collect())
            .unwrap_or_default();
        let Some(model) = self.read.snapshot.take() else {
            self.read_current = false;
            return made;
        };
        let mut model = Arc::unwrap_or_clone(model);
        let mut delta = Delta::default();
        let records = match touches {
            Some(touches) if self.read.heads == since && !since.is_empty() => {
                self.apply_touches(&touches, &mut model, &mut delta)
            }
            // The model does not stand where the changes start (built from
            // empty, or the document was replaced), or a change could not
            // be placed: read it all again, and report what differs.
            _ => self.reread_all(&mut model, &mut delta),
        };
        self.read.timeline.update(&delta.before, &delta.after);
        self.read.weeks.update(&delta.before, &delta.after, &model);
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
        made
    }

    /// What the changes after `since` touched, from their operations. Each
    /// operation's object is placed without walking the document: the root
    /// maps are the root's entries, an object made in these changes sits
    /// where its making operation put it, and only an older object inside
    /// a record is looked up by its parents (which costs Automerge a search
    /// of its operation ids). `None` when `since` is not in this document
    /// or an object cannot be placed.
    fn touched_since(&mut self, since: &[ChangeHash]) -> Option<Touches> {
        if since
            .iter()
            .any(|h| self.doc.get_change_by_hash(h).is_none())
        {
            return None;
        }
        // Objects never move (an object is the operation that made it, and
        // that put it at one place for good), so what was placed stays
        // placed across catch-ups: an edit into an object made since the
        // open, or looked up once, needs no lookup again.
        let mut placed = std::mem::take(&mut self.placed);
        if placed.len() > MAX_PLACED {
            placed.clear();
        }
        let touches = self.touches(since, &mut placed);
        self.placed = placed;
        touches
    }

    /// [`Self::touched_since`], with what was placed before at hand.
    fn touches(
        &mut self,
        since: &[ChangeHash],
        placed: &mut HashMap<OpKey, Place>,
    ) -> Option<Touches> {
        // (A scalar entry's id is never an operation's object: harmless.)
        for item in self.doc.map_range(ROOT, ..) {
            if let ObjId::Id(counter, actor, _) = item.id() {
                placed.entry((counter, actor)).or_insert_with(|| Place {
                    map: item.key.to_string(),
                    record: None,
                });
            }
        }
        let mut touches = Touches::default();
        for change in self.doc.get_changes(since) {
            let expanded = change.decode();
            let start = expanded.start_op.get();
            for (i, op) in expanded.operations.iter().enumerate() {
                let here = match &op.obj {
                    ObjectId::Root => None,
                    ObjectId::Id(id) => Some(self.locate(id, placed)?),
                };
                let key = match &op.key {
                    Key::Map(k) => Some(k.to_string()),
                    Key::Seq(_) => None,
                };
                match (&here, &key) {
                    (None, Some(k)) => {
                        touches.maps.insert(k.clone());
                    }
                    (Some(place), k) => touches.add(place, k.as_ref()),
                    (None, None) => {}
                }
                let OpType::Make(ty) = op.action else {
                    continue;
                };
                let made = match (here, &key) {
                    (None, Some(k)) => Place {
                        map: k.clone(),
                        record: None,
                    },
                    (Some(place), Some(k)) => Place {
                        record: place.record.or_else(|| Some(k.clone())),
                        map: place.map,
                    },
                    (Some(place), None) => place,
                    (None, None) => continue,
                };
                placed.insert((start + i as u64, expanded.actor_id.clone()), made);
                if let (ObjType::Map, Some(k)) = (ty, key) {
                    let parent = match &op.obj {
                        ObjectId::Root => ROOT,
                        ObjectId::Id(id) => self.doc.import_obj(&id.to_string()).ok()?,
                    };
                    touches.made.insert((parent, k));
                }
            }
        }
        Some(touches)
    }

    /// Where the object made by operation `id` sits: known, or looked up.
    fn locate(
        &self,
        id: &automerge::legacy::OpId,
        placed: &mut HashMap<OpKey, Place>,
    ) -> Option<Place> {
        let key = (id.0, id.1.clone());
        if let Some(place) = placed.get(&key) {
            return Some(place.clone());
        }
        let exid = self.doc.import_obj(&id.to_string()).ok()?;
        let path = self.doc.parents(&exid).ok()?.path();
        let prop = |i: usize| match path.get(i) {
            Some((_, Prop::Map(k))) => Some(k.clone()),
            _ => None,
        };
        let place = Place {
            map: prop(0)?,
            record: prop(1),
        };
        placed.insert(key, place.clone());
        Some(place)
    }

    /// Re-reads the records the changes touched.
    fn apply_touches(
        &self,
        touches: &Touches,
        model: &mut Snapshot,
        delta: &mut Delta,
    ) -> Vec<ChangedRecord> {
        let mut changed = Vec::new();
        for map in &touches.maps {
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
        for (map, key) in &touches.records {
            if touches.maps.contains(map) {
                continue;
            }
            for family in of_map(map) {
                refresh(family, self, key, model, delta, &mut changed);
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

/// An operation's id, which is also the id of the object it made.
pub(crate) type OpKey = (u64, automerge::ActorId);

/// How many placed objects a document keeps before it starts afresh
/// (about 12 MB; a day's use adds a few dozen).
const MAX_PLACED: usize = 100_000;

/// Where an object of the document sits: the root map it is in (or is),
/// and the record of that map it is in (none for the root map itself).
#[derive(Clone)]
pub(crate) struct Place {
    map: String,
    record: Option<String>,
}

/// What a run of changes touched.
#[derive(Default)]
struct Touches {
    /// Records, by root map and key.
    records: BTreeSet<(String, String)>,
    /// Root maps put, made or replaced as a whole.
    maps: BTreeSet<String>,
    /// Where a map was made: (parent object, key).
    made: BTreeSet<(ObjId, String)>,
}

impl Touches {
    /// An operation at `key` of an object placed at `place`.
    fn add(&mut self, place: &Place, key: Option<&String>) {
        match (&place.record, key) {
            (Some(record), _) => {
                self.records.insert((place.map.clone(), record.clone()));
            }
            // An entry of the root map itself: a record put or made.
            (None, Some(key)) => {
                self.records.insert((place.map.clone(), key.clone()));
            }
            (None, None) => {}
        }
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

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;

    use super::*;

    /// Two phones each made a map at the same key of one record while
    /// apart: the catch-up after the merge names the place, and healing
    /// from it keeps both phones' entries.
    #[test]
    fn a_map_made_at_one_key_on_both_phones_is_found_and_healed() {
        let now = 1_790_000_000_000;
        let mut ana = CoupleDoc::create(&automerge::ActorId::from([1u8; 16]), "Ana", now).unwrap();
        ana.build_read_model();
        let id = ana
            .propose_agreement(&crate::AgreementDraft::new("Walks"), now)
            .unwrap();
        let mut ben = CoupleDoc::load(&ana.save(), &automerge::ActorId::from([2u8; 16])).unwrap();
        for (doc, word) in [(&mut ana, "ana"), (&mut ben, "ben")] {
            let agreements = doc.root_id("agreements").unwrap();
            let (_, record) = doc.doc.get(&agreements, id.as_str()).unwrap().unwrap();
            let am = doc.automerge_mut();
            let notes = am.put_object(&record, "notes", ObjType::Map).unwrap();
            am.put(&notes, word, true).unwrap();
            am.commit();
        }
        ana.catch_up();
        ana.automerge_mut().merge(&mut ben.doc).unwrap();
        let made = ana.catch_up();
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].1, "notes");
        ana.heal_from(&made, now).unwrap();
        let agreements = ana.root_id("agreements").unwrap();
        let (_, record) = ana.doc.get(&agreements, id.as_str()).unwrap().unwrap();
        let (_, notes) = ana.doc.get(&record, "notes").unwrap().unwrap();
        let mut keys: Vec<String> = ana.doc.keys(&notes).collect();
        keys.sort();
        assert_eq!(keys, ["ana", "ben"]);
        // And the model stands where the document does.
        assert!(ana.read_is_current());
        assert_eq!(*ana.snapshot(), ana.read_snapshot());
    }

    /// A family large enough to be read on several threads at once comes
    /// out whole and in order, as one read of it gives.
    #[test]
    fn a_family_read_in_runs_is_the_family_read_at_once() {
        const DAY: i64 = 86_400_000;
        let t0 = 1_767_571_200_000;
        let mut doc = CoupleDoc::create(&automerge::ActorId::from([1u8; 16]), "Ana", t0).unwrap();
        let days = SPLIT_AT as i64 + 37;
        for d in 0..days {
            let input = crate::CheckInInput {
                day: Some(crate::ops::checkins::utc_day(t0 + d * DAY)),
                safety: d % 11,
                // Written out of order, as a late entry for an earlier day is.
                note: Some(format!("day {}", (d * 7919) % days)),
                ..crate::CheckInInput::default()
            };
            doc.record_checkin(&input, t0 + ((d * 7919) % days) * DAY)
                .unwrap();
        }
        let checkins = doc.checkins();
        assert_eq!(checkins.len(), days as usize);
        let read = doc.read_snapshot();
        assert_eq!(read.checkins, checkins);
        assert_eq!(read.members, doc.members());
    }
}
