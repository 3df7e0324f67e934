//! The timeline's index: where every entry sits in the newest-first order,
//! kept apart per family and author, so that a page is found by walking
//! only the entries it shows. The index holds positions, not text: a page's
//! lines are rendered from its records when it is asked for (a partner's
//! new name, or an offer's end passing, then shows without re-indexing).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{RecordKind, TimelineEntry, TimelineFilter, record_entries};
use crate::error::{CoreError as Error, Result};
use crate::families::Record;
use crate::model::*;
use crate::views::EntryKind;

/// One page of the timeline, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TimelinePage {
    pub entries: Vec<TimelineEntry>,
    /// Where the next (older) page starts, to pass as the filter's
    /// `cursor`; `None` when this page reached the oldest entry.
    pub next: Option<String>,
}

/// A borrowed record of any family.
#[derive(Clone, Copy)]
pub(crate) enum RecordRef<'a> {
    Agreement(&'a Agreement),
    Offer(&'a TransparencyOffer),
    CheckIn(&'a CheckIn),
    Request(&'a Request),
    Disclosure(&'a Disclosure),
    Question(&'a Question),
    Trigger(&'a Trigger),
    Appreciation(&'a Appreciation),
    Together(&'a TimeTogether),
    Phase(&'a PhaseChange),
    Survey(&'a TrustSurvey),
    Commitment(&'a Commitment),
    Member(&'a Member),
    Summary(&'a SummaryMade),
}

/// Calls `f` with every record of `s` (a whole snapshot, or a delta's half).
fn each_record(s: &Snapshot, mut f: impl FnMut(RecordKind, Millis, &str, RecordRef<'_>)) {
    macro_rules! each {
        ($($list:ident => $kind:ident / $variant:ident),* $(,)?) => {$(
            for r in &s.$list {
                f(RecordKind::$kind, r.order().0, r.id(), RecordRef::$variant(r));
            }
        )*};
    }
    each!(
        agreements => Agreement / Agreement,
        offers => Offer / Offer,
        checkins => CheckIn / CheckIn,
        requests => Request / Request,
        disclosures => Disclosure / Disclosure,
        questions => Question / Question,
        triggers => Trigger / Trigger,
        appreciations => Appreciation / Appreciation,
        together => TimeTogether / Together,
        phase_changes => Phase / Phase,
        surveys => Survey / Survey,
        commitments => Commitment / Commitment,
        members => Member / Member,
        summaries => Summary / Summary,
    );
}

/// The record of family `kind` with order time `at` and id `id`.
fn find<'a>(s: &'a Snapshot, kind: RecordKind, at: Millis, id: &str) -> Option<RecordRef<'a>> {
    use crate::families::find_by_order as by_order;
    Some(match kind {
        RecordKind::Agreement => RecordRef::Agreement(by_order(&s.agreements, at, id)?),
        RecordKind::Offer => RecordRef::Offer(by_order(&s.offers, at, id)?),
        RecordKind::CheckIn => RecordRef::CheckIn(by_order(&s.checkins, at, id)?),
        RecordKind::Request => RecordRef::Request(by_order(&s.requests, at, id)?),
        RecordKind::Disclosure => RecordRef::Disclosure(by_order(&s.disclosures, at, id)?),
        RecordKind::Question => RecordRef::Question(by_order(&s.questions, at, id)?),
        RecordKind::Trigger => RecordRef::Trigger(by_order(&s.triggers, at, id)?),
        RecordKind::Appreciation => RecordRef::Appreciation(by_order(&s.appreciations, at, id)?),
        RecordKind::TimeTogether => RecordRef::Together(by_order(&s.together, at, id)?),
        RecordKind::Phase => RecordRef::Phase(by_order(&s.phase_changes, at, id)?),
        RecordKind::Survey => RecordRef::Survey(by_order(&s.surveys, at, id)?),
        RecordKind::Commitment => RecordRef::Commitment(by_order(&s.commitments, at, id)?),
        RecordKind::Member => RecordRef::Member(by_order(&s.members, at, id)?),
        RecordKind::Summary => RecordRef::Summary(by_order(&s.summaries, at, id)?),
    })
}

/// One entry's place. Ordered as the timeline is: newest first, then by
/// record id, then later steps of a record first, then by entry id (which
/// `ordinal`, the entry's place among its record's entries, stands for).
#[derive(Debug, Clone)]
struct Slot {
    at: Reverse<Millis>,
    record: Arc<str>,
    step: Reverse<u32>,
    ordinal: u32,
    /// The record's own time, to find it in its family's list.
    record_at: Millis,
    /// An offer's end: shown only once `now` has reached it.
    only_from_now: bool,
}

impl Slot {
    /// What places the entry; the rest only finds and renders it.
    fn place(&self) -> (Reverse<Millis>, &str, Reverse<u32>, u32) {
        (self.at, &self.record, self.step, self.ordinal)
    }

    fn cursor(&self) -> String {
        format!(
            "{}.{}.{}.{}.{}",
            self.at.0, self.step.0, self.ordinal, self.record_at, self.record
        )
    }

    fn from_cursor(cursor: &str) -> Result<Slot> {
        let bad = || Error::InvalidValue {
            field: "cursor",
            reason: "not a cursor this timeline gave".into(),
        };
        let mut parts = cursor.splitn(5, '.');
        let mut number = || parts.next().ok_or_else(bad);
        let at = number()?.parse().map_err(|_| bad())?;
        let step = number()?.parse().map_err(|_| bad())?;
        let ordinal = number()?.parse().map_err(|_| bad())?;
        let record_at = number()?.parse().map_err(|_| bad())?;
        let record = number()?;
        Ok(Slot {
            at: Reverse(at),
            record: record.into(),
            step: Reverse(step),
            ordinal,
            record_at,
            only_from_now: false,
        })
    }

    /// The first place an entry at or before `until` can take.
    fn first_at(until: Millis) -> Slot {
        Slot {
            at: Reverse(until),
            record: "".into(),
            step: Reverse(u32::MAX),
            ordinal: 0,
            record_at: Millis::MIN,
            only_from_now: false,
        }
    }
}

impl PartialEq for Slot {
    fn eq(&self, other: &Self) -> bool {
        self.place() == other.place()
    }
}

impl Eq for Slot {}

impl PartialOrd for Slot {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Slot {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.place().cmp(&other.place())
    }
}

/// Entries are kept apart by family and author so that a filtered page
/// walks only what it may show.
type Bucket = (RecordKind, Option<Arc<str>>);

/// Where every entry of the timeline sits.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TimelineIndex {
    buckets: BTreeMap<Bucket, BTreeSet<Slot>>,
    /// Member ids, shared by the buckets.
    authors: BTreeSet<Arc<str>>,
}

impl TimelineIndex {
    /// The index of every entry of `s`.
    pub(crate) fn of(s: &Snapshot) -> TimelineIndex {
        let mut index = TimelineIndex::default();
        index.add(s);
        index
    }

    /// Adds the entries of every record in `s`.
    pub(crate) fn add(&mut self, s: &Snapshot) {
        self.each_slot(s, |index, bucket, slot| {
            index.buckets.entry(bucket).or_default().insert(slot);
        });
    }

    /// Takes out the entries of every record in `s` (records as they were
    /// indexed: a delta's `before`).
    pub(crate) fn remove(&mut self, s: &Snapshot) {
        self.each_slot(s, |index, bucket, slot| {
            if let Some(set) = index.buckets.get_mut(&bucket) {
                set.remove(&slot);
                if set.is_empty() {
                    index.buckets.remove(&bucket);
                }
            }
        });
    }

    /// The entries of one record change: those of `before` go, those of
    /// `after` come.
    pub(crate) fn update(&mut self, before: &Snapshot, after: &Snapshot) {
        self.remove(before);
        self.add(after);
    }

    fn each_slot(&mut self, s: &Snapshot, mut f: impl FnMut(&mut Self, Bucket, Slot)) {
        each_record(s, |kind, record_at, id, record| {
            let record_id: Arc<str> = id.into();
            // Names are rendered with the page; the index needs none.
            let entries = record_entries(record, &[], Millis::MAX);
            for (ordinal, (step, e)) in entries.into_iter().enumerate() {
                let author = e.author.as_deref().map(|a| self.author(a));
                let slot = Slot {
                    at: Reverse(e.at),
                    record: record_id.clone(),
                    step: Reverse(step),
                    ordinal: ordinal as u32,
                    record_at,
                    only_from_now: e.kind == EntryKind::OfferExpired,
                };
                f(self, (kind, author), slot);
            }
        });
    }

    /// The shared copy of a member id.
    fn author(&mut self, id: &str) -> Arc<str> {
        if let Some(known) = self.authors.get(id) {
            return known.clone();
        }
        let id: Arc<str> = id.into();
        self.authors.insert(id.clone());
        id
    }

    /// One page of the entries that pass `filter`, rendered from `s`.
    pub(crate) fn page(&self, s: &Snapshot, filter: &TimelineFilter) -> Result<TimelinePage> {
        let limit = filter.limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(TimelinePage::default());
        }
        let found = self.select(filter, limit)?;
        Ok(Self::finish(s, found, limit))
    }

    /// The page from what [`Self::select`] found.
    fn finish(s: &Snapshot, mut found: Vec<(&Bucket, &Slot)>, limit: usize) -> TimelinePage {
        let next = (found.len() > limit).then(|| found[limit - 1].1.cursor());
        found.truncate(limit);
        TimelinePage {
            entries: render(s, &found),
            next,
        }
    }

    /// The places of the first `limit` + 1 entries that pass `filter` (the
    /// one more tells whether another page follows).
    fn select(&self, filter: &TimelineFilter, limit: usize) -> Result<Vec<(&Bucket, &Slot)>> {
        let until = filter.until.map(Slot::first_at);
        let after = filter
            .cursor
            .as_deref()
            .map(Slot::from_cursor)
            .transpose()?;
        let from = match (until, after) {
            (Some(until), Some(after)) if until > after => Bound::Included(until),
            (_, Some(after)) => Bound::Excluded(after),
            (Some(until), None) => Bound::Included(until),
            (None, None) => Bound::Unbounded,
        };
        let wants = |(kind, author): &Bucket| {
            (filter.kinds.is_empty() || filter.kinds.contains(kind))
                && filter
                    .author
                    .as_deref()
                    .is_none_or(|who| author.as_deref() == Some(who))
        };
        // One more than asked for, to know whether another page follows.
        let take = limit.saturating_add(1);
        let mut found: Vec<(&Bucket, &Slot)> = Vec::new();
        for (bucket, slots) in self.buckets.iter().filter(|(b, _)| wants(b)) {
            let slots = slots
                .range((from.as_ref(), Bound::Unbounded))
                .take_while(|slot| filter.since.is_none_or(|since| slot.at.0 >= since))
                .filter(|slot| !slot.only_from_now || slot.at.0 <= filter.now)
                .take(take)
                .map(|slot| (bucket, slot));
            found.extend(slots);
            found.sort_by(|a, b| a.1.cmp(b.1));
            found.truncate(take);
        }
        Ok(found)
    }

    /// What the first screen needs, apart from the rest: the records of the
    /// newest `entries` entries (whatever the filter or the present: an
    /// offer's end that is yet to come counts) and every member, with the
    /// place of the last of those entries.
    pub(crate) fn front(&self, s: &Snapshot, entries: usize) -> Front {
        let mut newest: Vec<(RecordKind, &Slot)> = Vec::new();
        for ((kind, _), slots) in &self.buckets {
            newest.extend(slots.iter().take(entries).map(|slot| (*kind, slot)));
            newest.sort_by(|a, b| a.1.cmp(b.1));
            newest.truncate(entries);
        }
        let whole = self.buckets.values().map(BTreeSet::len).sum::<usize>() <= entries;
        let mut part = Snapshot {
            members: s.members.clone(),
            ..Snapshot::default()
        };
        let mut taken = BTreeSet::new();
        for (kind, slot) in &newest {
            if *kind != RecordKind::Member
                && taken.insert((*kind, slot.record.clone()))
                && let Some(record) = find(s, *kind, slot.record_at, &slot.record)
            {
                record.copy_into(&mut part);
            }
        }
        for family in crate::families::FAMILIES {
            family.sort(&mut part);
        }
        Front {
            boundary: match newest.last() {
                Some((_, last)) if !whole => Some(last.cursor()),
                _ => None,
            },
            snapshot: part,
        }
    }
}

/// The records of the newest entries of the timeline, enough to page its
/// start without the rest of the history (see [`TimelineIndex::front`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Front {
    /// The records, in their families' order.
    pub(crate) snapshot: Snapshot,
    /// The place of the oldest entry whose record is here, as a cursor;
    /// `None` when every entry of the timeline is.
    pub(crate) boundary: Option<String>,
}

impl Front {
    /// The page `filter` asks for, when it lies wholly within these
    /// records: `None` when the page (or the entry that tells whether
    /// another follows) could reach past them.
    pub(crate) fn page(&self, filter: &TimelineFilter) -> Result<Option<TimelinePage>> {
        let limit = filter.limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Some(TimelinePage::default()));
        }
        let index = TimelineIndex::of(&self.snapshot);
        let found = index.select(filter, limit)?;
        if let Some(boundary) = &self.boundary {
            let boundary = Slot::from_cursor(boundary)?;
            let within = found.len() > limit && found[limit].1 <= &boundary;
            if !within {
                return Ok(None);
            }
        }
        Ok(Some(TimelineIndex::finish(&self.snapshot, found, limit)))
    }
}

impl RecordRef<'_> {
    /// Pushes a copy of the record onto its family's list in `s`.
    fn copy_into(self, s: &mut Snapshot) {
        match self {
            RecordRef::Agreement(r) => s.agreements.push(r.clone()),
            RecordRef::Offer(r) => s.offers.push(r.clone()),
            RecordRef::CheckIn(r) => s.checkins.push(r.clone()),
            RecordRef::Request(r) => s.requests.push(r.clone()),
            RecordRef::Disclosure(r) => s.disclosures.push(r.clone()),
            RecordRef::Question(r) => s.questions.push(r.clone()),
            RecordRef::Trigger(r) => s.triggers.push(r.clone()),
            RecordRef::Appreciation(r) => s.appreciations.push(r.clone()),
            RecordRef::Together(r) => s.together.push(r.clone()),
            RecordRef::Phase(r) => s.phase_changes.push(r.clone()),
            RecordRef::Survey(r) => s.surveys.push(r.clone()),
            RecordRef::Commitment(r) => s.commitments.push(r.clone()),
            RecordRef::Member(r) => s.members.push(r.clone()),
            RecordRef::Summary(r) => s.summaries.push(r.clone()),
        }
    }
}

/// The entries at `found`, rendered from their records (each record once).
fn render(s: &Snapshot, found: &[(&Bucket, &Slot)]) -> Vec<TimelineEntry> {
    let mut records: BTreeMap<(RecordKind, &str), Vec<(u32, TimelineEntry)>> = BTreeMap::new();
    let mut out = Vec::with_capacity(found.len());
    for ((kind, _), slot) in found {
        let entries = records.entry((*kind, &slot.record)).or_insert_with(|| {
            find(s, *kind, slot.record_at, &slot.record)
                .map(|r| record_entries(r, &s.members, Millis::MAX))
                .unwrap_or_default()
        });
        if let Some((_, entry)) = entries.get(slot.ordinal as usize) {
            out.push(entry.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::fixtures::*;

    /// The timeline as it was computed before the index: every entry of
    /// every record, filtered, then sorted whole.
    fn reference(s: &Snapshot, filter: &TimelineFilter) -> Vec<TimelineEntry> {
        let mut all = Vec::new();
        each_record(s, |kind, _, _, record| {
            if filter.kinds.is_empty() || filter.kinds.contains(&kind) {
                all.extend(record_entries(record, &s.members, filter.now));
            }
        });
        all.retain(|(_, e)| {
            filter
                .author
                .as_ref()
                .is_none_or(|a| e.author.as_ref() == Some(a))
                && filter.since.is_none_or(|since| e.at >= since)
                && filter.until.is_none_or(|until| e.at <= until)
        });
        all.sort_by(|(sa, a), (sb, b)| {
            b.at.cmp(&a.at)
                .then_with(|| a.record_id.cmp(&b.record_id))
                .then_with(|| sb.cmp(sa))
                .then_with(|| a.entry_id.cmp(&b.entry_id))
        });
        all.into_iter()
            .take(filter.limit.unwrap_or(usize::MAX))
            .map(|(_, e)| e)
            .collect()
    }

    /// Six weeks of a couple: daily check-ins, a request done most days,
    /// an offer that ends in the middle, appreciations, and entries that
    /// share an instant.
    fn weeks() -> Snapshot {
        let mut s = couple();
        let mut r = request("r1", ANA, "Call when you are late", "2026-10-01");
        for d in 1..=42 {
            let day = if d <= 31 {
                format!("2026-10-{d:02}")
            } else {
                format!("2026-11-{:02}", d - 31)
            };
            s.checkins
                .push(checkin(&format!("a{d}"), ANA, &day, 5, 5, 5));
            s.checkins
                .push(checkin(&format!("b{d}"), BEN, &day, 6, 6, 6));
            if d % 3 != 0 {
                r.done
                    .push(done(&format!("d{d}"), BEN, &day, Some(d % 2 == 0)));
            }
            if d % 5 == 0 {
                s.appreciations
                    .push(appreciation(&format!("p{d}"), BEN, ANA, &day, "thank you"));
            }
        }
        s.requests.push(r);
        s.agreements
            .push(agreement("g1", ANA, "No secrets about money", "2026-10-03"));
        s.offers.push(TransparencyOffer {
            id: "o1".into(),
            owner: BEN.into(),
            text: "My phone is open to you".into(),
            offered_at: ms("2026-10-05"),
            expires_at: ms("2026-10-20"),
            withdrawn_at: None,
        });
        s
    }

    fn paged(
        index: &TimelineIndex,
        s: &Snapshot,
        filter: &TimelineFilter,
        size: usize,
    ) -> Vec<TimelineEntry> {
        let mut filter = TimelineFilter {
            limit: Some(size),
            cursor: None,
            ..filter.clone()
        };
        let mut out = Vec::new();
        loop {
            let page = index.page(s, &filter).unwrap();
            assert!(page.entries.len() <= size);
            out.extend(page.entries);
            match page.next {
                Some(next) => filter.cursor = Some(next),
                None => return out,
            }
        }
    }

    #[test]
    fn pages_put_together_are_the_whole_timeline_under_every_filter() {
        let s = weeks();
        let index = TimelineIndex::of(&s);
        let filters = [
            TimelineFilter::default(),
            TimelineFilter {
                now: ms("2026-10-25"),
                ..TimelineFilter::default()
            },
            TimelineFilter {
                kinds: vec![RecordKind::Request, RecordKind::Offer],
                now: ms("2026-11-30"),
                ..TimelineFilter::default()
            },
            TimelineFilter {
                author: Some(BEN.into()),
                ..TimelineFilter::default()
            },
            TimelineFilter {
                since: Some(ms("2026-10-10")),
                until: Some(ms("2026-10-17")),
                now: ms("2026-11-30"),
                ..TimelineFilter::default()
            },
        ];
        for filter in &filters {
            let whole = reference(&s, filter);
            assert!(!whole.is_empty());
            assert_eq!(index.page(&s, filter).unwrap().entries, whole);
            for size in [1, 2, 5, 50] {
                assert_eq!(
                    paged(&index, &s, filter, size),
                    whole,
                    "{filter:?} by {size}"
                );
            }
        }
    }

    #[test]
    fn the_first_screen_part_serves_exactly_the_pages_it_holds_and_no_other() {
        let mut s = weeks();
        // An offer whose end is still to come when the part is taken.
        s.offers.push(TransparencyOffer {
            id: "o2".into(),
            owner: ANA.into(),
            text: "Ask me anything about that week".into(),
            offered_at: ms("2026-11-09"),
            expires_at: ms("2026-11-25"),
            withdrawn_at: None,
        });
        let index = TimelineIndex::of(&s);
        let mut filters = vec![
            TimelineFilter {
                now: ms("2026-11-12"),
                ..TimelineFilter::default()
            },
            // The offer's end has come since.
            TimelineFilter {
                now: ms("2026-11-30"),
                ..TimelineFilter::default()
            },
            TimelineFilter {
                kinds: vec![RecordKind::CheckIn],
                now: ms("2026-11-30"),
                ..TimelineFilter::default()
            },
            TimelineFilter {
                author: Some(ANA.into()),
                ..TimelineFilter::default()
            },
            TimelineFilter {
                kinds: vec![RecordKind::Agreement],
                ..TimelineFilter::default()
            },
        ];
        let second = index
            .page(
                &s,
                &TimelineFilter {
                    limit: Some(10),
                    ..TimelineFilter::default()
                },
            )
            .unwrap()
            .next;
        filters.push(TimelineFilter {
            cursor: second,
            ..TimelineFilter::default()
        });
        for entries in [1, 20, 60, 1000] {
            let front = index.front(&s, entries);
            assert_eq!(front.boundary.is_none(), entries == 1000);
            let held = front.snapshot.checkins.len() + front.snapshot.requests.len();
            assert!(held <= entries, "{held} records for {entries} entries");
            for filter in &filters {
                for size in [1, 5, 19, 50] {
                    let filter = TimelineFilter {
                        limit: Some(size),
                        ..filter.clone()
                    };
                    let full = index.page(&s, &filter).unwrap();
                    // Within the part: the page and the entry after it are
                    // among the newest `entries` (or the part is all).
                    let found = index.select(&filter, size).unwrap();
                    let within = front.boundary.as_deref().is_none_or(|b| {
                        found.len() > size && *found[size].1 <= Slot::from_cursor(b).unwrap()
                    });
                    let served = front.page(&filter).unwrap();
                    assert_eq!(served.is_some(), within, "{filter:?} from {entries}");
                    if let Some(page) = served {
                        assert_eq!(page, full, "{filter:?} from {entries}");
                    }
                }
            }
        }
        // The usual first screen is always served from the part.
        let front = index.front(&s, 60);
        for filter in &filters[..2] {
            let filter = TimelineFilter {
                limit: Some(50),
                ..filter.clone()
            };
            assert!(front.page(&filter).unwrap().is_some(), "{filter:?}");
        }
    }

    #[test]
    fn an_offer_shows_as_ended_only_once_its_end_has_come() {
        let s = weeks();
        let index = TimelineIndex::of(&s);
        let ended = |now: &str| {
            let filter = TimelineFilter {
                kinds: vec![RecordKind::Offer],
                now: ms(now),
                ..TimelineFilter::default()
            };
            index
                .page(&s, &filter)
                .unwrap()
                .entries
                .iter()
                .any(|e| e.kind == EntryKind::OfferExpired)
        };
        assert!(!ended("2026-10-19"));
        assert!(ended("2026-10-21"));
    }

    #[test]
    fn a_partner_renamed_shows_under_the_new_name_without_reindexing() {
        let mut s = weeks();
        let index = TimelineIndex::of(&s);
        s.members[0].name = "Anabel".into();
        let filter = TimelineFilter {
            kinds: vec![RecordKind::Appreciation],
            limit: Some(1),
            ..TimelineFilter::default()
        };
        let page = index.page(&s, &filter).unwrap();
        assert!(
            page.entries[0].summary.starts_with("to Anabel:"),
            "{page:?}"
        );
    }

    #[test]
    fn a_record_changed_moves_its_entries_and_only_those() {
        let s = weeks();
        let mut index = TimelineIndex::of(&s);
        let mut after = s.clone();
        after.requests[0]
            .done
            .push(done("d-late", BEN, "2026-11-20", None));
        let (mut was, mut now) = (Snapshot::default(), Snapshot::default());
        was.requests.push(s.requests[0].clone());
        now.requests.push(after.requests[0].clone());
        index.update(&was, &now);
        assert_eq!(index, TimelineIndex::of(&after));
        let top = index.page(
            &after,
            &TimelineFilter {
                limit: Some(1),
                ..Default::default()
            },
        );
        assert_eq!(top.unwrap().entries[0].entry_id, "d-late");
    }

    #[test]
    fn a_cursor_from_elsewhere_is_refused_and_an_empty_page_ends() {
        let s = weeks();
        let index = TimelineIndex::of(&s);
        let bad = TimelineFilter {
            cursor: Some("not a cursor".into()),
            ..TimelineFilter::default()
        };
        assert!(index.page(&s, &bad).is_err());
        let none = TimelineFilter {
            limit: Some(0),
            ..TimelineFilter::default()
        };
        assert_eq!(index.page(&s, &none).unwrap(), TimelinePage::default());
        let empty = TimelineIndex::default().page(&Snapshot::default(), &TimelineFilter::default());
        assert_eq!(empty.unwrap(), TimelinePage::default());
    }
}
