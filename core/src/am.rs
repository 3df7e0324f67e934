//! Small helpers over the Automerge API used by every record family:
//! reading typed fields out of a map, and the containers records live in.

use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value};

/// Read access to one map object of the document.
#[derive(Clone)]
pub(crate) struct Obj<'a> {
    pub(crate) doc: &'a AutoCommit,
    pub(crate) id: ObjId,
}

impl<'a> Obj<'a> {
    pub(crate) fn new(doc: &'a AutoCommit, id: ObjId) -> Self {
        Obj { doc, id }
    }

    fn scalar(&self, key: &str) -> Option<ScalarValue> {
        match self.doc.get(&self.id, key).ok().flatten() {
            Some((Value::Scalar(s), _)) => Some(s.into_owned()),
            _ => None,
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
        match self.doc.get(&self.id, key).ok().flatten() {
            Some((Value::Object(_), id)) => Some(Obj::new(self.doc, id)),
            _ => None,
        }
    }

    /// The strings of a list field.
    pub(crate) fn strings(&self, key: &str) -> Vec<String> {
        let Some(list) = self.child(key) else {
            return Vec::new();
        };
        (0..self.doc.length(&list.id))
            .filter_map(|i| match self.doc.get(&list.id, i).ok().flatten() {
                Some((Value::Scalar(s), _)) => match s.as_ref() {
                    ScalarValue::Str(s) => Some(s.to_string()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// The small integers of a list field.
    pub(crate) fn numbers(&self, key: &str) -> Vec<i64> {
        let Some(list) = self.child(key) else {
            return Vec::new();
        };
        (0..self.doc.length(&list.id))
            .filter_map(|i| match self.doc.get(&list.id, i).ok().flatten() {
                Some((Value::Scalar(s), _)) => match s.as_ref() {
                    ScalarValue::Int(i) => Some(*i),
                    ScalarValue::Uint(u) => i64::try_from(*u).ok(),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// The map-valued entries of this map, as (key, object) pairs.
    pub(crate) fn entries(&self) -> Vec<(String, Obj<'a>)> {
        self.doc
            .keys(&self.id)
            .filter_map(
                |k| match self.doc.get(&self.id, k.as_str()).ok().flatten() {
                    Some((Value::Object(ObjType::Map), id)) => Some((k, Obj::new(self.doc, id))),
                    _ => None,
                },
            )
            .collect()
    }

    /// The entries of a map-valued field (empty when absent).
    pub(crate) fn entries_of(&self, key: &str) -> Vec<(String, Obj<'a>)> {
        self.child(key).map(|c| c.entries()).unwrap_or_default()
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
