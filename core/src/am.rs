//! Small helpers over the Automerge API used by every record family:
//! reading typed fields out of a map, and the containers records live in.

use std::cell::OnceCell;

use automerge::iter::MapRangeItem;
use automerge::{
    AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, ScalarValueRef, Value, ValueRef,
};

/// Read access to one map object of the document.
#[derive(Clone)]
pub(crate) struct Obj<'a> {
    pub(crate) doc: &'a AutoCommit,
    pub(crate) id: ObjId,
    /// A record's fields, read in one pass on the first field asked for:
    /// one walk of the map instead of one search per field (most of the
    /// cost of reading a whole history). Unset for maps that are looked at
    /// one key at a time, such as a family's map of thousands of records.
    fields: Option<OnceCell<Vec<MapRangeItem<'a>>>>,
}

impl<'a> Obj<'a> {
    /// A map read one key at a time.
    pub(crate) fn new(doc: &'a AutoCommit, id: ObjId) -> Self {
        Obj {
            doc,
            id,
            fields: None,
        }
    }

    /// A record (or a map inside one): small, and read whole.
    pub(crate) fn record(doc: &'a AutoCommit, id: ObjId) -> Self {
        Obj {
            doc,
            id,
            fields: Some(OnceCell::new()),
        }
    }

    /// The map's field at `key`: a scalar, or the id of the object it holds.
    fn field(&self, key: &str) -> Option<Field> {
        match &self.fields {
            Some(cell) => {
                let fields = cell.get_or_init(|| self.doc.map_range(&self.id, ..).collect());
                let at = fields.binary_search_by(|f| f.key.as_ref().cmp(key)).ok()?;
                let item = &fields[at];
                Some(match &item.value {
                    ValueRef::Scalar(s) => Field::Scalar(owned_scalar(s.clone())),
                    ValueRef::Object(_) => Field::Object(item.id()),
                })
            }
            None => match self.doc.get(&self.id, key).ok().flatten()? {
                (Value::Scalar(s), _) => Some(Field::Scalar(s.into_owned())),
                (Value::Object(_), id) => Some(Field::Object(id)),
            },
        }
    }

    /// A child map or list, read the way this one is.
    fn child_obj(&self, id: ObjId) -> Obj<'a> {
        match self.fields {
            Some(_) => Obj::record(self.doc, id),
            None => Obj::new(self.doc, id),
        }
    }

    fn scalar(&self, key: &str) -> Option<ScalarValue> {
        match self.field(key)? {
            Field::Scalar(s) => Some(s),
            Field::Object(_) => None,
        }
    }

    pub(crate) fn str(&self, key: &str) -> Option<String> {
        match self.scalar(key)? {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        }
    }

    pub(crate) fn string(&self, key: &str) -> String {
        self.str(key).unwrap_or_default()
    }

    pub(crate) fn int(&self, key: &str) -> Option<i64> {
        match self.scalar(key)? {
            ScalarValue::Int(i) => Some(i),
            ScalarValue::Uint(u) => i64::try_from(u).ok(),
            ScalarValue::Timestamp(t) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn time(&self, key: &str) -> i64 {
        self.int(key).unwrap_or_default()
    }

    /// A 0–10 (or 0–4) score; out-of-range values read as absent.
    pub(crate) fn small(&self, key: &str, max: u8) -> Option<u8> {
        self.int(key)
            .and_then(|v| u8::try_from(v).ok())
            .filter(|v| *v <= max)
    }

    pub(crate) fn bool(&self, key: &str) -> Option<bool> {
        match self.scalar(key)? {
            ScalarValue::Boolean(b) => Some(b),
            _ => None,
        }
    }

    pub(crate) fn child(&self, key: &str) -> Option<Obj<'a>> {
        match self.field(key)? {
            Field::Object(id) => Some(self.child_obj(id)),
            Field::Scalar(_) => None,
        }
    }

    /// The scalars of a list field, in one pass over the list.
    fn list_scalars(&self, key: &str) -> Vec<ScalarValueRef<'a>> {
        let Some(list) = self.child(key) else {
            return Vec::new();
        };
        self.doc
            .list_range(&list.id, ..)
            .filter_map(|item| match item.value {
                ValueRef::Scalar(s) => Some(s),
                ValueRef::Object(_) => None,
            })
            .collect()
    }

    /// The strings of a list field.
    pub(crate) fn strings(&self, key: &str) -> Vec<String> {
        self.list_scalars(key)
            .into_iter()
            .filter_map(|s| match s {
                ScalarValueRef::Str(s) => Some(s.into_owned()),
                _ => None,
            })
            .collect()
    }

    /// The small integers of a list field.
    pub(crate) fn numbers(&self, key: &str) -> Vec<i64> {
        self.list_scalars(key)
            .into_iter()
            .filter_map(|s| match s {
                ScalarValueRef::Int(i) => Some(i),
                ScalarValueRef::Uint(u) => i64::try_from(u).ok(),
                _ => None,
            })
            .collect()
    }

    /// The map-valued entries of this map, as (key, object) pairs, in one
    /// pass over the map; each is a record, read whole when asked.
    pub(crate) fn entries(&self) -> Vec<(String, Obj<'a>)> {
        self.doc
            .map_range(&self.id, ..)
            .filter(|item| matches!(item.value, ValueRef::Object(ObjType::Map)))
            .map(|item| (item.key.to_string(), Obj::record(self.doc, item.id())))
            .collect()
    }

    /// The entries of a map-valued field (empty when absent).
    pub(crate) fn entries_of(&self, key: &str) -> Vec<(String, Obj<'a>)> {
        self.child(key).map(|c| c.entries()).unwrap_or_default()
    }
}

/// The map entry of `map` whose key is `prefix` or, failing that, the one
/// key that starts with it (a short id typed by hand), as a record id and
/// its object.
pub(crate) fn find_entry(
    doc: &AutoCommit,
    map: &ObjId,
    kind: &'static str,
    prefix: &str,
) -> crate::error::Result<(String, ObjId)> {
    use crate::error::CoreError;
    let prefix = prefix.trim();
    if prefix.is_empty() {
        return Err(CoreError::EmptyText { field: "id" });
    }
    // A whole id (what the apps pass) is one lookup; only a prefix needs a
    // look through every key, thousands in a family after some years.
    if let Some((Value::Object(ObjType::Map), obj)) = doc.get(map, prefix)? {
        return Ok((prefix.to_owned(), obj));
    }
    let mut found = doc.keys(map).filter(|k| k.starts_with(prefix));
    let id = match (found.next(), found.next()) {
        (Some(id), None) => id,
        (None, _) => {
            return Err(CoreError::UnknownId {
                kind,
                id: prefix.to_owned(),
            });
        }
        (Some(_), Some(_)) => {
            return Err(CoreError::AmbiguousId {
                kind,
                prefix: prefix.to_owned(),
            });
        }
    };
    match doc.get(map, id.as_str())? {
        Some((Value::Object(ObjType::Map), obj)) => Ok((id, obj)),
        _ => Err(CoreError::UnknownId { kind, id }),
    }
}

/// One field of a map.
enum Field {
    Scalar(ScalarValue),
    Object(ObjId),
}

/// A borrowed scalar as an owned one.
fn owned_scalar(s: ScalarValueRef<'_>) -> ScalarValue {
    match s {
        ScalarValueRef::Bytes(b) => ScalarValue::Bytes(b.into_owned()),
        ScalarValueRef::Str(s) => ScalarValue::Str(s.as_ref().into()),
        ScalarValueRef::Int(i) => ScalarValue::Int(i),
        ScalarValueRef::Uint(u) => ScalarValue::Uint(u),
        ScalarValueRef::F64(f) => ScalarValue::F64(f),
        ScalarValueRef::Counter(c) => ScalarValue::counter(c),
        ScalarValueRef::Timestamp(t) => ScalarValue::Timestamp(t),
        ScalarValueRef::Boolean(b) => ScalarValue::Boolean(b),
        ScalarValueRef::Unknown { type_code, bytes } => ScalarValue::Unknown {
            type_code,
            bytes: bytes.into_owned(),
        },
        ScalarValueRef::Null => ScalarValue::Null,
    }
}

/// Copies the value at `from[key]` to `to[key]`, deeply, for healing.
pub(crate) fn deep_copy(
    doc: &mut AutoCommit,
    from: &ObjId,
    key: &str,
    to: &ObjId,
) -> Result<(), automerge::AutomergeError> {
    use automerge::transaction::Transactable;
    match doc.get(from, key)? {
        Some((Value::Scalar(s), _)) => {
            doc.put(to, key, s.into_owned())?;
        }
        Some((Value::Object(ObjType::Map), src)) => {
            let dst = doc.put_object(to, key, ObjType::Map)?;
            for k in doc.keys(&src).collect::<Vec<_>>() {
                deep_copy(doc, &src, &k, &dst)?;
            }
        }
        Some((Value::Object(ObjType::List), src)) => {
            let dst = doc.put_object(to, key, ObjType::List)?;
            for i in 0..doc.length(&src) {
                if let Some((Value::Scalar(s), _)) = doc.get(&src, i)? {
                    doc.insert(&dst, i, s.into_owned())?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT};

    use super::find_entry;
    use crate::error::CoreError;

    #[test]
    fn a_whole_id_is_found_at_once_and_a_prefix_only_when_it_is_unique() {
        let mut doc = AutoCommit::new();
        let map = doc.put_object(ROOT, "records", ObjType::Map).unwrap();
        for key in ["abc1", "abc12", "abd"] {
            doc.put_object(&map, key, ObjType::Map).unwrap();
        }
        doc.put(&map, "plain", 1).unwrap();
        let found = |prefix: &str| find_entry(&doc, &map, "record", prefix).map(|(id, _)| id);
        // A whole id wins even where a longer one starts with it.
        assert_eq!(found("abc1").unwrap(), "abc1");
        assert_eq!(found(" abc12 ").unwrap(), "abc12");
        assert_eq!(found("abd").unwrap(), "abd");
        assert!(matches!(found("abc"), Err(CoreError::AmbiguousId { .. })));
        assert!(matches!(found("ab"), Err(CoreError::AmbiguousId { .. })));
        assert!(matches!(found("x"), Err(CoreError::UnknownId { .. })));
        // A key that holds no record is no record.
        assert!(matches!(found("plain"), Err(CoreError::UnknownId { .. })));
        assert!(matches!(found("  "), Err(CoreError::EmptyText { .. })));
    }
}
