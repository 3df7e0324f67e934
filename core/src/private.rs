//! The private space: a second Automerge document, local to this device.
//! It holds a journal and private notes. The sync layer is never given it:
//! `Device` exposes it only through these methods, and the sync protocol
//! reads only the shared document.

use age::secrecy::{ExposeSecret, SecretString};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use serde::{Deserialize, Serialize};

use crate::am::Obj;
use crate::error::{CoreError, Result};
use crate::model::Millis;
use crate::notice_gate::Interval;
use crate::validate;

const JOURNAL: &str = "journal";
const NOTES: &str = "notes";
/// A setting of this device's user alone: how often, at most, the phone
/// may show a notification of the partner's changes (`notice_gate`). It
/// lives here so the partner never sees or changes it.
const NOTICE_INTERVAL: &str = "notice_interval_minutes";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub id: String,
    pub at: Millis,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateNote {
    pub id: String,
    pub at: Millis,
    pub title: String,
    pub text: String,
}

#[derive(Clone)]
pub struct PrivateDoc {
    doc: AutoCommit,
}

impl std::fmt::Debug for PrivateDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateDoc").finish_non_exhaustive()
    }
}

impl PrivateDoc {
    pub fn new(actor: &ActorId) -> Result<Self> {
        let mut doc = AutoCommit::new().with_actor(actor.clone());
        doc.put(ROOT, "kind", "kintsugi-private")?;
        doc.put_object(ROOT, JOURNAL, ObjType::Map)?;
        doc.put_object(ROOT, NOTES, ObjType::Map)?;
        doc.commit_with(CommitOptions::default().with_message("create private space"));
        Ok(PrivateDoc { doc })
    }

    pub fn load(bytes: &[u8], actor: &ActorId) -> Result<Self> {
        Ok(PrivateDoc {
            doc: AutoCommit::load(bytes)?.with_actor(actor.clone()),
        })
    }

    pub(crate) fn from_automerge(doc: AutoCommit, actor: &ActorId) -> Self {
        PrivateDoc {
            doc: doc.with_actor(actor.clone()),
        }
    }

    pub(crate) fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    pub(crate) fn into_automerge(self) -> AutoCommit {
        self.doc
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    pub fn merge_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        self.doc.load_incremental(bytes)?;
        Ok(())
    }

    pub fn write_journal(&mut self, text: &str, now: Millis) -> Result<String> {
        let text = validate::text("journal entry", text, validate::MAX_PRIVATE_CHARS)?;
        let map = self.map(JOURNAL)?;
        let id = crate::doc::new_id();
        let entry = self.doc.put_object(&map, id.as_str(), ObjType::Map)?;
        self.doc.put(&entry, "at", now)?;
        self.doc.put(&entry, "text", text.as_str())?;
        self.commit("write journal", now);
        Ok(id)
    }

    pub fn add_note(&mut self, title: &str, text: &str, now: Millis) -> Result<String> {
        let title = validate::text("title", title, validate::MAX_NAME_CHARS)?;
        let text = validate::text("note", text, validate::MAX_PRIVATE_CHARS)?;
        let map = self.map(NOTES)?;
        let id = crate::doc::new_id();
        let entry = self.doc.put_object(&map, id.as_str(), ObjType::Map)?;
        self.doc.put(&entry, "at", now)?;
        self.doc.put(&entry, "title", title.as_str())?;
        self.doc.put(&entry, "text", text.as_str())?;
        self.commit("add private note", now);
        Ok(id)
    }

    /// Newest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        let mut out: Vec<JournalEntry> = self
            .entries(JOURNAL)
            .into_iter()
            .map(|(id, e)| JournalEntry {
                at: e.time("at"),
                text: e.string("text"),
                id,
            })
            .collect();
        out.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        out
    }

    /// Newest first.
    pub fn notes(&self) -> Vec<PrivateNote> {
        let mut out: Vec<PrivateNote> = self
            .entries(NOTES)
            .into_iter()
            .map(|(id, e)| PrivateNote {
                at: e.time("at"),
                title: e.string("title"),
                text: e.string("text"),
                id,
            })
            .collect();
        out.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        out
    }

    /// How often, at most, the phone may notify of the partner's changes;
    /// the default until the user chose (or if what is stored is out of
    /// bounds).
    pub fn notice_interval(&self) -> Interval {
        match self.doc.get(ROOT, NOTICE_INTERVAL).ok().flatten() {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(m) => u32::try_from(*m)
                    .ok()
                    .and_then(|m| Interval::minutes(m).ok())
                    .unwrap_or_default(),
                _ => Interval::default(),
            },
            _ => Interval::default(),
        }
    }

    /// Sets the interval (refused outside its bounds).
    pub fn set_notice_interval(&mut self, minutes: u32, now: Millis) -> Result<Interval> {
        let interval = Interval::minutes(minutes)?;
        self.doc
            .put(ROOT, NOTICE_INTERVAL, ScalarValue::Uint(u64::from(minutes)))?;
        self.commit("set notice interval", now);
        Ok(interval)
    }

    /// Every change hash, for tests that check none of them ever travels.
    pub fn change_hashes(&mut self) -> Vec<automerge::ChangeHash> {
        self.doc.get_changes(&[]).iter().map(|c| c.hash()).collect()
    }

    fn entries(&self, key: &str) -> Vec<(String, Obj<'_>)> {
        match self.doc.get(ROOT, key).ok().flatten() {
            Some((Value::Object(ObjType::Map), id)) => Obj::new(&self.doc, id).entries(),
            _ => Vec::new(),
        }
    }

    fn map(&self, key: &str) -> Result<automerge::ObjId> {
        match self.doc.get(ROOT, key)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(CoreError::Malformed(format!(
                "private document has no {key}"
            ))),
        }
    }

    fn commit(&mut self, message: &str, now: Millis) {
        self.doc.commit_with(
            CommitOptions::default()
                .with_message(message)
                .with_time(now / 1000),
        );
    }
}

/// The key of the passphrase lock's check value (`PrivateDoc::set_passphrase_lock`).
const PASSPHRASE_LOCK: &str = "passphrase_lock";
/// What the check value seals: opening it proves the passphrase.
const LOCK_PROOF: &[u8] = b"kintsugi private lock v1";

/// Editing, deleting, forgetting history, and the CLI's passphrase lock.
/// Journal entries and private notes are their writer's alone: nothing of
/// them is shared, so unlike shared records they can be changed and removed.
impl PrivateDoc {
    /// Replaces the text of the journal entry whose id starts with
    /// `id_prefix`; returns its full id. Its date stays.
    pub fn edit_journal(&mut self, id_prefix: &str, text: &str, now: Millis) -> Result<String> {
        let text = validate::text("journal entry", text, validate::MAX_PRIVATE_CHARS)?;
        let (id, entry) = self.find(JOURNAL, "journal entry", id_prefix)?;
        self.doc.put(&entry, "text", text.as_str())?;
        self.commit("edit journal", now);
        Ok(id)
    }

    /// Removes the journal entry whose id starts with `id_prefix` from the
    /// current state; returns its full id. Automerge keeps it in history:
    /// [`Self::without_history`] drops that (`Device::update_private_forgetting`).
    pub fn delete_journal(&mut self, id_prefix: &str, now: Millis) -> Result<String> {
        let (id, _) = self.find(JOURNAL, "journal entry", id_prefix)?;
        let map = self.map(JOURNAL)?;
        self.doc.delete(&map, id.as_str())?;
        self.commit("delete journal", now);
        Ok(id)
    }

    /// Replaces the text, and the title when one is given, of the private
    /// note whose id starts with `id_prefix`; returns its full id.
    pub fn edit_note(
        &mut self,
        id_prefix: &str,
        title: Option<&str>,
        text: &str,
        now: Millis,
    ) -> Result<String> {
        let title = title
            .map(|t| validate::text("title", t, validate::MAX_NAME_CHARS))
            .transpose()?;
        let text = validate::text("note", text, validate::MAX_PRIVATE_CHARS)?;
        let (id, note) = self.find(NOTES, "private note", id_prefix)?;
        if let Some(title) = title {
            self.doc.put(&note, "title", title.as_str())?;
        }
        self.doc.put(&note, "text", text.as_str())?;
        self.commit("edit private note", now);
        Ok(id)
    }

    /// Removes the private note whose id starts with `id_prefix` from the
    /// current state; returns its full id (see [`Self::delete_journal`]).
    pub fn delete_note(&mut self, id_prefix: &str, now: Millis) -> Result<String> {
        let (id, _) = self.find(NOTES, "private note", id_prefix)?;
        let map = self.map(NOTES)?;
        self.doc.delete(&map, id.as_str())?;
        self.commit("delete private note", now);
        Ok(id)
    }

    /// The same content in a new document with no history: one change that
    /// writes the current state. What was edited away or deleted is in no
    /// change of it. The private document never syncs, so its history
    /// serves nobody; every value (whatever later fields hold) is copied.
    pub fn without_history(&self, now: Millis) -> Result<PrivateDoc> {
        let actor = self.doc.get_actor().clone();
        let mut fresh = AutoCommit::new().with_actor(actor);
        copy_object(&self.doc, &ROOT, ObjType::Map, &mut fresh, &ROOT)?;
        fresh.commit_with(
            CommitOptions::default()
                .with_message("private space without history")
                .with_time(now / 1000),
        );
        Ok(PrivateDoc { doc: fresh })
    }

    /// Sets the CLI's private lock: `passphrase` will be asked before the
    /// journal or notes are shown. Kept as an age scrypt seal of a fixed
    /// value that only this passphrase opens; the passphrase is not stored.
    pub fn set_passphrase_lock(&mut self, passphrase: &SecretString, now: Millis) -> Result<()> {
        if passphrase.expose_secret().is_empty() {
            return Err(CoreError::EmptyText {
                field: "passphrase",
            });
        }
        let sealed = age::encrypt(&age::scrypt::Recipient::new(passphrase.clone()), LOCK_PROOF)
            .map_err(|e| CoreError::Encrypt(e.to_string()))?;
        self.doc.put(ROOT, PASSPHRASE_LOCK, sealed)?;
        self.commit("set private lock", now);
        Ok(())
    }

    /// Removes the CLI's private lock (the caller has checked the passphrase).
    pub fn clear_passphrase_lock(&mut self, now: Millis) -> Result<()> {
        if self.has_passphrase_lock() {
            self.doc.delete(ROOT, PASSPHRASE_LOCK)?;
            self.commit("clear private lock", now);
        }
        Ok(())
    }

    pub fn has_passphrase_lock(&self) -> bool {
        self.lock_seal().is_some()
    }

    /// Whether `passphrase` opens the lock (`true` when there is no lock).
    pub fn check_passphrase_lock(&self, passphrase: &SecretString) -> bool {
        let Some(sealed) = self.lock_seal() else {
            return true;
        };
        age::decrypt(&age::scrypt::Identity::new(passphrase.clone()), &sealed)
            .is_ok_and(|plain| plain == LOCK_PROOF)
    }

    fn lock_seal(&self) -> Option<Vec<u8>> {
        match self.doc.get(ROOT, PASSPHRASE_LOCK).ok().flatten() {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Bytes(b) => Some(b.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// The entry of `key` whose id starts with `prefix`, as elsewhere.
    fn find(
        &self,
        key: &str,
        kind: &'static str,
        prefix: &str,
    ) -> Result<(String, automerge::ObjId)> {
        let map = self.map(key)?;
        crate::am::find_entry(&self.doc, &map, kind, prefix)
    }
}

/// Copies the current value of object `from` (of type `ty`) in `src` into
/// the empty object `to` of `dst`.
fn copy_object(
    src: &AutoCommit,
    from: &automerge::ObjId,
    ty: ObjType,
    dst: &mut AutoCommit,
    to: &automerge::ObjId,
) -> Result<()> {
    match ty {
        ObjType::Map | ObjType::Table => {
            for key in src.keys(from).collect::<Vec<_>>() {
                match src.get(from, key.as_str())? {
                    Some((Value::Scalar(s), _)) => {
                        dst.put(to, key.as_str(), s.into_owned())?;
                    }
                    Some((Value::Object(t), id)) => {
                        let child = dst.put_object(to, key.as_str(), t)?;
                        copy_object(src, &id, t, dst, &child)?;
                    }
                    None => {}
                }
            }
        }
        ObjType::List => {
            for i in 0..src.length(from) {
                match src.get(from, i)? {
                    Some((Value::Scalar(s), _)) => dst.insert(to, i, s.into_owned())?,
                    Some((Value::Object(t), id)) => {
                        let child = dst.insert_object(to, i, t)?;
                        copy_object(src, &id, t, dst, &child)?;
                    }
                    None => {}
                }
            }
        }
        ObjType::Text => {
            let text = src.text(from)?;
            dst.splice_text(to, 0, 0, &text)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod edit_delete_tests {
    use super::*;
    use crate::device::Device;
    use crate::error::CoreError;
    use crate::storage::{Unlock, files};

    const SECRET: &str = "I still check his phone at night";

    fn doc() -> PrivateDoc {
        PrivateDoc::new(&ActorId::random()).unwrap()
    }

    fn key() -> Unlock {
        Unlock::HostKey(Unlock::generate_host_key())
    }

    fn contains(bytes: &[u8], text: &str) -> bool {
        bytes.windows(text.len()).any(|w| w == text.as_bytes())
    }

    /// Every file of the private document: (raw bytes, decrypted bytes).
    fn private_files(device: &Device) -> Vec<(Vec<u8>, Vec<u8>)> {
        let dir = device.store().dir().join(files::PRIVATE_DIR);
        let key = device.store().key();
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .map(|raw| {
                let plain = key
                    .open(&raw)
                    .expect("a private file opens with the device key");
                (raw, plain)
            })
            .collect()
    }

    #[test]
    fn entries_are_edited_and_deleted_by_id_prefix() {
        let mut p = doc();
        let first = p.write_journal("first draft", 1_000).unwrap();
        let note = p.add_note("For me", "an old thought", 2_000).unwrap();
        assert_eq!(
            p.edit_journal(&first[..6], "second draft", 3_000).unwrap(),
            first
        );
        assert_eq!(p.journal()[0].text, "second draft");
        assert_eq!(p.journal()[0].at, 1_000, "the date stays");
        p.edit_note(&note[..6], Some("Later"), "a new thought", 4_000)
            .unwrap();
        let n = &p.notes()[0];
        assert_eq!(
            (n.title.as_str(), n.text.as_str()),
            ("Later", "a new thought")
        );
        p.edit_note(&note, None, "kept title", 5_000).unwrap();
        assert_eq!(p.notes()[0].title, "Later");

        assert!(matches!(
            p.edit_journal("zzz", "x", 6_000),
            Err(CoreError::UnknownId { .. })
        ));
        assert!(matches!(
            p.edit_journal(&first, " ", 6_000),
            Err(CoreError::EmptyText { .. })
        ));
        assert!(matches!(
            p.delete_note(" ", 6_000),
            Err(CoreError::EmptyText { .. })
        ));
        // A journal id is not a note id.
        assert!(matches!(
            p.delete_note(&first, 6_000),
            Err(CoreError::UnknownId { .. })
        ));
        p.delete_journal(&first, 7_000).unwrap();
        p.delete_note(&note, 7_000).unwrap();
        assert!(p.journal().is_empty() && p.notes().is_empty());
    }

    #[test]
    fn a_prefix_of_two_entries_is_refused() {
        let mut p = doc();
        let mut ids = Vec::new();
        // Random ids: enough of them share a first character.
        while !ids
            .iter()
            .any(|a: &String| ids.iter().filter(|b| b[..1] == a[..1]).count() > 1)
        {
            ids.push(p.write_journal("entry", 1_000).unwrap());
        }
        let shared = ids
            .iter()
            .find(|a| ids.iter().filter(|b| b[..1] == a[..1]).count() > 1)
            .unwrap();
        assert!(matches!(
            p.delete_journal(&shared[..1], 2_000),
            Err(CoreError::AmbiguousId { .. })
        ));
        assert_eq!(p.journal().len(), ids.len(), "nothing was deleted");
    }

    #[test]
    fn without_history_keeps_the_current_state_and_nothing_deleted() {
        let mut p = doc();
        let gone = p.write_journal(SECRET, 1_000).unwrap();
        let kept = p.write_journal("a calmer day", 2_000).unwrap();
        p.add_note("Title", "a note that stays", 3_000).unwrap();
        // A field this version does not know (a later setting) is copied too.
        p.doc.put(ROOT, "later_setting", 42_i64).unwrap();
        p.delete_journal(&gone, 4_000).unwrap();
        assert!(contains(&p.save(), SECRET), "Automerge keeps history");

        let mut fresh = p.without_history(5_000).unwrap();
        let bytes = fresh.save();
        assert!(!contains(&bytes, SECRET));
        assert_eq!(fresh.journal(), p.journal());
        assert_eq!(fresh.journal()[0].id, kept);
        assert_eq!(fresh.notes(), p.notes());
        assert!(matches!(
            fresh.doc.get(ROOT, "later_setting").unwrap(),
            Some((Value::Scalar(s), _)) if s.as_i64() == Some(42)
        ));
        assert_eq!(fresh.change_hashes().len(), 1, "one change, no history");
        // It still takes new entries, and loads back.
        fresh.write_journal("after", 6_000).unwrap();
        let back = PrivateDoc::load(&fresh.save(), &ActorId::random()).unwrap();
        assert_eq!(back.journal().len(), 2);
    }

    #[test]
    fn a_deleted_or_edited_entry_is_in_no_file_of_the_device() {
        let tmp = tempfile::tempdir().unwrap();
        let key = key();
        let mut device = Device::init(tmp.path(), "Ana", &key).unwrap();
        let gone = device
            .update_private(|p, now| p.write_journal(SECRET, now))
            .unwrap();
        let edited = device
            .update_private(|p, now| p.write_journal("what I said to my sister", now))
            .unwrap();
        device
            .update_private(|p, now| p.add_note("Kept", "a note that stays", now))
            .unwrap();
        assert!(
            private_files(&device)
                .iter()
                .any(|(_, plain)| contains(plain, SECRET)),
            "written at first"
        );

        device
            .update_private_forgetting(|p, now| p.delete_journal(&gone[..8], now))
            .unwrap();
        device
            .update_private_forgetting(|p, now| p.edit_journal(&edited, "(edited)", now))
            .unwrap();
        let files = private_files(&device);
        assert_eq!(files.len(), 1, "one snapshot, every older file removed");
        for (raw, plain) in &files {
            for text in [SECRET, "my sister"] {
                assert!(
                    !contains(raw, text) && !contains(plain, text),
                    "{text:?} kept"
                );
            }
            assert!(contains(plain, "a note that stays"));
        }

        // Reopened from disk: what stays is there, and works on.
        drop(device);
        let mut device = Device::open(tmp.path(), &key).unwrap();
        let private = device.private().unwrap();
        assert_eq!(private.journal().len(), 1);
        assert_eq!(private.journal()[0].text, "(edited)");
        assert_eq!(private.notes().len(), 1);
        device
            .update_private(|p, now| p.write_journal("another day", now))
            .unwrap();
        assert_eq!(device.private().unwrap().journal().len(), 2);
    }

    #[test]
    fn another_process_holding_the_old_history_does_not_bring_it_back() {
        let tmp = tempfile::tempdir().unwrap();
        let key = key();
        let mut first = Device::init(tmp.path(), "Ana", &key).unwrap();
        let gone = first
            .update_private(|p, now| p.write_journal(SECRET, now))
            .unwrap();
        // A second process (another terminal, `serve`) has it in memory.
        let mut second = Device::open(tmp.path(), &key).unwrap();
        assert_eq!(second.private().unwrap().journal().len(), 1);

        first
            .update_private_forgetting(|p, now| p.delete_journal(&gone, now))
            .unwrap();
        second
            .update_private(|p, now| p.write_journal("written in the other terminal", now))
            .unwrap();
        let texts: Vec<String> = second
            .private()
            .unwrap()
            .journal()
            .into_iter()
            .map(|e| e.text)
            .collect();
        assert_eq!(texts, ["written in the other terminal"]);
        for (raw, plain) in private_files(&second) {
            assert!(!contains(&raw, SECRET) && !contains(&plain, SECRET));
        }
        first.reload().unwrap();
        assert_eq!(first.private().unwrap().journal().len(), 1);
        let reopened = Device::open(tmp.path(), &key).unwrap();
        assert_eq!(reopened.private().unwrap().journal()[0].text, texts[0]);
    }

    #[test]
    fn the_passphrase_lock_opens_only_with_its_passphrase() {
        let mut p = doc();
        let right = SecretString::from("a river at dusk, twice");
        let wrong = SecretString::from("a river at dawn, twice");
        assert!(!p.has_passphrase_lock());
        assert!(p.check_passphrase_lock(&wrong), "no lock, nothing to open");
        assert!(matches!(
            p.set_passphrase_lock(&SecretString::from(""), 1_000),
            Err(CoreError::EmptyText { .. })
        ));
        p.set_passphrase_lock(&right, 1_000).unwrap();
        assert!(p.has_passphrase_lock());
        assert!(p.check_passphrase_lock(&right));
        assert!(!p.check_passphrase_lock(&wrong));
        // The passphrase itself is not kept.
        assert!(!contains(&p.save(), "river"));
        p.clear_passphrase_lock(2_000).unwrap();
        assert!(!p.has_passphrase_lock());
    }
}
