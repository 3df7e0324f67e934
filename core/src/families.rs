//! The record families of the shared document, in one place: for each, the
//! root map its records live in, the kind the views and events name it by,
//! how one record is read out of the document, and where it sits in the
//! read model ([`Snapshot`]). Adding a family means adding one entry to
//! [`FAMILIES`] and its [`FamilyDef`] beside its operations in `ops/`.

use std::marker::PhantomData;

use automerge::{ObjType, ReadDoc, Value};

use crate::am::Obj;
use crate::doc::CoupleDoc;
use crate::model::{Millis, Snapshot};
use crate::views::RecordKind;

/// A record of the read model: its id and its place in its family's list.
pub(crate) trait Record: Clone + PartialEq {
    fn id(&self) -> &str;
    /// The key of the record in the document's root map it came from (its
    /// own id, except for records kept inside another: a summary's trace
    /// lives in its preparer's member entry).
    fn source(&self) -> &str {
        self.id()
    }
    /// Oldest first, ties by id: the same order on every device.
    fn order(&self) -> (Millis, &str);
}

/// One family: how its records are read and where the read model keeps them.
pub(crate) trait FamilyDef: 'static + Sync {
    type R: Record;
    const MAP: &'static str;
    const KIND: RecordKind;
    /// The records one entry of the root map holds (one, or none when it
    /// cannot be read; a member entry holds the summaries' traces too).
    fn read(key: &str, obj: &Obj<'_>) -> Vec<Self::R>;
    fn list(snapshot: &Snapshot) -> &Vec<Self::R>;
    fn list_mut(snapshot: &mut Snapshot) -> &mut Vec<Self::R>;
}

/// What the read model does with a family, whatever its record type.
pub(crate) trait Family: Sync {
    fn map(&self) -> &'static str;
    fn kind(&self) -> RecordKind;
    /// How many entries the family's root map holds (what reading it costs).
    fn size(&self, doc: &CoupleDoc) -> usize;
    /// Reads part `part` of `parts` of the family's records (oldest first)
    /// into `into`: the entries of the root map cut into `parts` runs, so
    /// that one large family can be read on several threads.
    fn read_part(&self, doc: &CoupleDoc, part: usize, parts: usize, into: &mut Snapshot);
    /// Moves this family's records from `from` onto the end of `into`'s
    /// (the parts of a read done on several threads; [`Family::sort`] them
    /// after the last).
    fn absorb(&self, from: &mut Snapshot, into: &mut Snapshot);
    /// Puts this family's list in `s` in its order (for the search by
    /// order), after records were pushed onto it in another.
    fn sort(&self, s: &mut Snapshot);
    /// Reads the records of root-map entry `key` again and puts them in
    /// place; what they were and what they are go into `delta` when they
    /// differ. Returns whether they did.
    fn refresh(&self, doc: &CoupleDoc, key: &str, model: &mut Snapshot, delta: &mut Delta) -> bool;
    /// Puts `fresh`'s records of this family in place of the model's,
    /// noting in `delta` those that differ. Returns their root-map keys.
    fn replace(&self, model: &mut Snapshot, fresh: &Snapshot, delta: &mut Delta) -> Vec<String>;
    /// The root-map keys the model holds records of.
    fn keys(&self, model: &Snapshot) -> Vec<String>;
    /// Folds a later delta of this family into an earlier one.
    fn merge(&self, earlier: &mut Delta, later: &Delta, later_keys: &[String]);
    /// Whether two snapshots hold the same records of this family.
    fn same(&self, a: &Snapshot, b: &Snapshot) -> bool;
}

/// The records that changed, as they were (`before`) and as they are
/// (`after`): partial snapshots holding only those records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delta {
    pub before: Snapshot,
    pub after: Snapshot,
}

struct Fam<D>(PhantomData<D>);

impl<D: FamilyDef> Family for Fam<D> {
    fn map(&self) -> &'static str {
        D::MAP
    }

    fn kind(&self) -> RecordKind {
        D::KIND
    }

    fn size(&self, doc: &CoupleDoc) -> usize {
        doc.root_id(D::MAP).map_or(0, |root| doc.doc.length(&root))
    }

    fn read_part(&self, doc: &CoupleDoc, part: usize, parts: usize, into: &mut Snapshot) {
        *D::list_mut(into) = doc.read_family_part::<D>(part, parts);
    }

    fn absorb(&self, from: &mut Snapshot, into: &mut Snapshot) {
        let records = std::mem::take(D::list_mut(from));
        D::list_mut(into).extend(records);
    }

    fn sort(&self, s: &mut Snapshot) {
        D::list_mut(s).sort_by(|a, b| a.order().cmp(&b.order()));
    }

    fn refresh(&self, doc: &CoupleDoc, key: &str, model: &mut Snapshot, delta: &mut Delta) -> bool {
        let mut now = read_entry::<D>(doc, key);
        now.sort_by(|a, b| a.order().cmp(&b.order()));
        let list = D::list_mut(model);
        let mut was = Vec::new();
        // Recent records are the ones that change: look from the end.
        while let Some(at) = list.iter().rposition(|r| r.source() == key) {
            was.push(list.remove(at));
        }
        was.reverse();
        for record in &now {
            let at = list
                .binary_search_by(|r| r.order().cmp(&record.order()))
                .unwrap_or_else(|at| at);
            list.insert(at, record.clone());
        }
        if was == now {
            return false;
        }
        D::list_mut(&mut delta.before).extend(was);
        D::list_mut(&mut delta.after).extend(now);
        true
    }

    fn replace(&self, model: &mut Snapshot, fresh: &Snapshot, delta: &mut Delta) -> Vec<String> {
        use std::collections::BTreeMap;
        let by_key = |list: &[D::R]| {
            let mut map: BTreeMap<String, Vec<D::R>> = BTreeMap::new();
            for r in list {
                map.entry(r.source().to_owned())
                    .or_default()
                    .push(r.clone());
            }
            map
        };
        let (old, new) = (by_key(D::list(model)), by_key(D::list(fresh)));
        let mut changed = Vec::new();
        let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for key in keys {
            let (was, now) = (old.get(key), new.get(key));
            if was != now {
                D::list_mut(&mut delta.before).extend(was.into_iter().flatten().cloned());
                D::list_mut(&mut delta.after).extend(now.into_iter().flatten().cloned());
                changed.push(key.clone());
            }
        }
        for list in [
            D::list_mut(&mut delta.before),
            D::list_mut(&mut delta.after),
        ] {
            list.sort_by(|a, b| a.order().cmp(&b.order()));
        }
        *D::list_mut(model) = D::list(fresh).clone();
        changed
    }

    fn keys(&self, model: &Snapshot) -> Vec<String> {
        let mut keys: Vec<String> = D::list(model)
            .iter()
            .map(|r| r.source().to_owned())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    fn merge(&self, earlier: &mut Delta, later: &Delta, later_keys: &[String]) {
        let known = |r: &D::R, list: &[D::R]| list.iter().any(|e| e.source() == r.source());
        // Before: the earliest version, so what the first delta saw stays.
        let earlier_after = D::list(&earlier.after).clone();
        let earlier_before = D::list(&earlier.before).clone();
        let touched_before = |r: &D::R| known(r, &earlier_after) || known(r, &earlier_before);
        for r in D::list(&later.before) {
            if !touched_before(r) {
                D::list_mut(&mut earlier.before).push(r.clone());
            }
        }
        // After: the latest version of every record the later delta touched.
        D::list_mut(&mut earlier.after).retain(|r| !later_keys.iter().any(|k| k == r.source()));
        D::list_mut(&mut earlier.after).extend(D::list(&later.after).iter().cloned());
        for list in [
            D::list_mut(&mut earlier.before),
            D::list_mut(&mut earlier.after),
        ] {
            list.sort_by(|a, b| a.order().cmp(&b.order()));
        }
    }

    fn same(&self, a: &Snapshot, b: &Snapshot) -> bool {
        D::list(a) == D::list(b)
    }
}

/// The records entry `key` of `D`'s root map holds now (none when gone).
fn read_entry<D: FamilyDef>(doc: &CoupleDoc, key: &str) -> Vec<D::R> {
    let Some(root) = doc.root_id(D::MAP) else {
        return Vec::new();
    };
    match doc.doc.get(&root, key).ok().flatten() {
        Some((Value::Object(ObjType::Map), id)) => D::read(key, &Obj::record(&doc.doc, id)),
        _ => Vec::new(),
    }
}

/// The record with order `(at, id)` in `list`: by binary search, as the
/// read model keeps every list in that order; a list made by hand that is
/// not is looked through instead.
pub(crate) fn find_by_order<'a, R: Record>(list: &'a [R], at: Millis, id: &str) -> Option<&'a R> {
    list.binary_search_by(|r| r.order().cmp(&(at, id)))
        .ok()
        .or_else(|| list.iter().position(|r| r.order() == (at, id)))
        .map(|i| &list[i])
}

impl CoupleDoc {
    /// The records entry `key` of family `D`'s root map holds now.
    pub(crate) fn read_one<D: FamilyDef>(&self, key: &str) -> Vec<D::R> {
        read_entry::<D>(self, key)
    }

    /// Every record of family `D`, read out of the document, oldest first.
    pub(crate) fn read_family<D: FamilyDef>(&self) -> Vec<D::R> {
        self.read_family_part::<D>(0, 1)
    }

    /// The records of run `part` of `parts` of `D`'s root-map entries,
    /// oldest first.
    fn read_family_part<D: FamilyDef>(&self, part: usize, parts: usize) -> Vec<D::R> {
        let entries = self.records(D::MAP);
        let n = entries.len();
        let (start, end) = (n * part / parts, n * (part + 1) / parts);
        let mut out: Vec<D::R> = entries
            .into_iter()
            .skip(start)
            .take(end - start)
            .flat_map(|(key, obj)| D::read(&key, &obj))
            .collect();
        out.sort_by(|a, b| a.order().cmp(&b.order()));
        out
    }
}

macro_rules! families {
    ($($def:ty),* $(,)?) => {
        /// Every family, in the order the views list them.
        pub(crate) static FAMILIES: &[&dyn Family] = &[$(&Fam::<$def>(PhantomData)),*];
    };
}

families!(
    crate::ops::members::Members,
    crate::ops::members::Summaries,
    crate::ops::agreements::Agreements,
    crate::ops::offers::Offers,
    crate::ops::checkins::CheckIns,
    crate::ops::requests::Requests,
    crate::ops::disclosures::Disclosures,
    crate::ops::questions::Questions,
    crate::ops::triggers::Triggers,
    crate::ops::appreciations::Appreciations,
    crate::ops::together::Together,
    crate::ops::phase::PhaseChanges,
    crate::ops::surveys::Surveys,
    crate::ops::commitments::Commitments,
);

/// The families kept in root map `map` (members hold two).
pub(crate) fn of_map(map: &str) -> impl Iterator<Item = &'static dyn Family> + '_ {
    FAMILIES.iter().copied().filter(move |f| f.map() == map)
}

/// Implements [`Record`] for a model type from its id and time fields.
macro_rules! record {
    ($ty:ty, $time:ident) => {
        impl Record for $ty {
            fn id(&self) -> &str {
                &self.id
            }
            fn order(&self) -> (Millis, &str) {
                (self.$time, &self.id)
            }
        }
    };
}

use crate::model::*;
record!(Member, joined_at);
record!(Agreement, proposed_at);
record!(TransparencyOffer, offered_at);
record!(CheckIn, recorded_at);
record!(Request, created_at);
record!(Disclosure, at);
record!(Question, at);
record!(Trigger, at);
record!(Appreciation, at);
record!(TimeTogether, created_at);
record!(PhaseChange, at);
record!(TrustSurvey, at);
record!(Commitment, created_at);

impl Record for SummaryMade {
    fn id(&self) -> &str {
        &self.id
    }
    fn source(&self) -> &str {
        &self.by
    }
    fn order(&self) -> (Millis, &str) {
        (self.at, &self.id)
    }
}
