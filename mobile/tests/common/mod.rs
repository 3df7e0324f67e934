//! What the facade's Rust tests share: companions on loopback in temporary
//! directories, and pairing as two people do it.
#![allow(dead_code)] // each test file uses its own part

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kintsugi_mobile::{CheckInInput, Companion, CompanionConfig, KintsugiError, NetworkMode};

/// Upper bound for any single network step.
pub const STEP: Duration = Duration::from_secs(30);

pub fn config(dir: &Path, name: &str, key: &str) -> CompanionConfig {
    CompanionConfig {
        data_dir: dir.to_string_lossy().into_owned(),
        display_name: name.into(),
        network: NetworkMode::Loopback,
        storage_key: key.into(),
        relay_urls: Vec::new(),
        cache_dir: None,
        locale: None,
    }
}

pub fn open(dir: &Path, name: &str, key: &str) -> Result<Arc<Companion>, KintsugiError> {
    Companion::new(config(dir, name, key))
}

pub fn checkin(score: i32, note: Option<&str>) -> CheckInInput {
    CheckInInput {
        safety: score,
        trust: score,
        connection: score,
        moods: vec!["calm".into()],
        note: note.map(Into::into),
        day: None,
        heard: None,
        free_words: Vec::new(),
    }
}

pub async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, f).await.expect("step timed out")
}

/// A data directory inside a temporary one (so that wiping it can remove it).
pub fn data_dir(tmp: &tempfile::TempDir) -> PathBuf {
    tmp.path().join("data")
}

/// Pairs two companions the way two people would: scan, compare the codes
/// on both screens, both confirm.
pub async fn pair(inviter: &Arc<Companion>, joiner: &Arc<Companion>) {
    let invite = bounded(inviter.create_invite()).await.unwrap();
    let request = tokio::spawn({
        let inviter = inviter.clone();
        async move { bounded(inviter.next_pairing_request()).await }
    });
    let joiners = bounded(joiner.join(invite.payload)).await.unwrap();
    let inviters = request.await.unwrap().unwrap();
    assert_eq!(joiners.code, inviters.code);
    let (a, b) = tokio::join!(
        bounded(inviter.confirm_pairing()),
        bounded(joiner.confirm_pairing())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.age_recipient.is_some() && b.signing_key.is_some());
}

/// Alex and Sam, each with a companion in a temporary directory of their
/// own, paired over loopback. Keep it whole while the companions are in
/// use (destructuring with `..` would remove the directories at once); its
/// companions are dropped before its directories.
pub struct Paired {
    pub alex: Arc<Companion>,
    pub sam: Arc<Companion>,
    pub alex_dir: tempfile::TempDir,
    pub sam_dir: tempfile::TempDir,
}

pub async fn paired() -> Paired {
    let (alex_dir, sam_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alex = open(
        &data_dir(&alex_dir),
        "Alex",
        &kintsugi_mobile::generate_storage_key(),
    )
    .unwrap();
    let sam = open(
        &data_dir(&sam_dir),
        "Sam",
        &kintsugi_mobile::generate_storage_key(),
    )
    .unwrap();
    pair(&alex, &sam).await;
    Paired {
        alex,
        sam,
        alex_dir,
        sam_dir,
    }
}

/// Every file under `dir` with its bytes, sorted by path: to check that a
/// refused call changed nothing on disk.
pub fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().unwrap().is_dir() {
            out.extend(files_under(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

/// Keeps every progress report; throws on each one with `throws`.
#[derive(Default)]
pub struct Steps {
    pub seen: std::sync::Mutex<Vec<(kintsugi_mobile::ProgressStep, u64, u64)>>,
    pub throws: bool,
}

impl kintsugi_mobile::ProgressListener for Steps {
    fn on_progress(
        &self,
        step: kintsugi_mobile::ProgressStep,
        done: u64,
        total: u64,
    ) -> Result<(), kintsugi_mobile::CallbackError> {
        self.seen.lock().unwrap().push((step, done, total));
        if self.throws {
            return Err(kintsugi_mobile::CallbackError::Failed {
                reason: "the app's progress bar threw".into(),
            });
        }
        Ok(())
    }
}

impl Steps {
    pub fn new(throws: bool) -> Arc<Self> {
        Arc::new(Steps {
            throws,
            ..Steps::default()
        })
    }

    /// The reports so far, checked: within a run of one step, `done` never
    /// goes back and never passes `total`.
    pub fn monotonic(&self) -> Vec<(kintsugi_mobile::ProgressStep, u64, u64)> {
        let seen = self.seen.lock().unwrap().clone();
        for pair in seen.windows(2) {
            let ((s1, d1, _), (s2, d2, _)) = (pair[0], pair[1]);
            assert!(s1 != s2 || d2 >= d1, "progress went back: {seen:?}");
        }
        assert!(
            seen.iter().all(|(_, d, t)| d <= t),
            "done past total: {seen:?}"
        );
        seen
    }

    pub fn has(&self, step: kintsugi_mobile::ProgressStep) -> bool {
        self.seen.lock().unwrap().iter().any(|(s, _, _)| *s == step)
    }
}

/// The check-in notes and appreciations the companion holds, sorted.
pub fn notes(companion: &Companion) -> Vec<String> {
    let checkins = companion
        .checkins()
        .unwrap()
        .into_iter()
        .filter_map(|c| c.note);
    let thanks = companion
        .appreciations()
        .unwrap()
        .into_iter()
        .map(|a| a.text);
    let mut notes: Vec<String> = checkins.chain(thanks).collect();
    notes.sort();
    notes
}
