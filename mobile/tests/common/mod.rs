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
