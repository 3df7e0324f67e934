//! Helpers for Kintsugi's end-to-end tests: real devices in temporary data
//! directories, real iroh endpoints on 127.0.0.1 with relays disabled.

pub mod bench;
pub mod counting;
pub mod fixture;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result};
use kintsugi_core::{Device, Unlock};
use kintsugi_sync::{NetworkConfig, Node, Partner, SyncError};
use tempfile::TempDir;

/// Every network step in the tests ends within this bound.
pub const STEP: Duration = Duration::from_secs(30);

pub async fn bounded<T>(what: &str, fut: impl Future<Output = T>) -> Result<T> {
    tokio::time::timeout(STEP, fut)
        .await
        .with_context(|| format!("{what} did not finish within {STEP:?}"))
}

/// The host key of every test phone, made once per test process: what a
/// real phone keeps in its Keychain or Keystore.
pub fn unlock() -> Unlock {
    static KEY: OnceLock<Unlock> = OnceLock::new();
    KEY.get_or_init(|| Unlock::HostKey(Unlock::generate_host_key()))
        .clone()
}

/// What pairing tells the device of member `me` about its partner `partner`:
/// the door its partner's changes go through (no device keys: the members'
/// first actors are their member ids).
pub fn door_between(me: &str, partner: &str) -> kintsugi_core::Door {
    kintsugi_core::Door::partner(
        kintsugi_core::Roster::new(kintsugi_core::RosterMember::new(me))
            .with_partner(kintsugi_core::RosterMember::new(partner)),
    )
}

/// A door for a fixture's whole history on a third device: every member of
/// `doc` may write (an import), each only what is theirs.
pub fn fixture_door(doc: &kintsugi_core::CoupleDoc) -> kintsugi_core::Door {
    let mut roster = kintsugi_core::Roster::new(kintsugi_core::RosterMember::new(doc.me()));
    for member in doc.members() {
        roster = roster.with_partner(kintsugi_core::RosterMember::new(member.id));
    }
    kintsugi_core::Door::import(roster)
}

/// One phone: a data directory, the core device and its network node.
pub struct Phone {
    pub dir: PathBuf,
    pub device: Arc<Mutex<Device>>,
    pub node: Node,
}

impl Phone {
    /// A new phone in its own directory under `root`.
    pub async fn new(root: &TempDir, name: &str) -> Result<Phone> {
        let dir = root.path().join(name.to_lowercase());
        Device::init(&dir, name, &unlock())?;
        Phone::open(&dir).await
    }

    /// Opens a phone from its data directory, as after an app restart.
    pub async fn open(dir: &Path) -> Result<Phone> {
        Phone::open_with(dir, &NetworkConfig::loopback()).await
    }

    pub async fn new_with(root: &TempDir, name: &str, config: &NetworkConfig) -> Result<Phone> {
        let dir = root.path().join(name.to_lowercase());
        Device::init(&dir, name, &unlock())?;
        Phone::open_with(&dir, config).await
    }

    pub async fn open_with(dir: &Path, config: &NetworkConfig) -> Result<Phone> {
        Phone::open_unlocked(dir, config, &unlock()).await
    }

    /// Opens a phone whose files are sealed to `unlock` rather than to this
    /// process's test key (e.g. a data directory kept from an earlier run).
    pub async fn open_unlocked(
        dir: &Path,
        config: &NetworkConfig,
        unlock: &Unlock,
    ) -> Result<Phone> {
        let device = Arc::new(Mutex::new(Device::open(dir, unlock)?));
        let node = Node::spawn(device.clone(), config).await?;
        Ok(Phone {
            dir: dir.to_owned(),
            device,
            node,
        })
    }

    pub fn device(&self) -> MutexGuard<'_, Device> {
        self.device.lock().unwrap()
    }

    pub async fn close(self) {
        self.node.shutdown().await;
    }
}

/// Pairs `joiner` with `inviter` through a real QR payload.
pub async fn pair(inviter: &Phone, joiner: &Phone) -> Result<()> {
    let invite = inviter.node.create_invite()?;
    bounded(
        "joining",
        join_confirmed(inviter, joiner, &invite.payload()),
    )
    .await??;
    bounded("inviter sees partner", inviter.node.wait_for_partner()).await?;
    Ok(())
}

/// `joiner` scans `payload` and both users confirm, after checking that
/// their screens show the same code.
pub async fn join_confirmed(
    inviter: &Phone,
    joiner: &Phone,
    payload: &str,
) -> Result<Partner, SyncError> {
    let joining = joiner.node.join(payload).await?;
    let inviting = inviter.node.next_pairing_request().await;
    assert_eq!(
        joining.code(),
        inviting.code(),
        "both screens show one code"
    );
    let (joined, _) = tokio::join!(joining.confirm(), inviting.confirm());
    joined
}

/// Today's check-in.
pub fn checkin(safety: i64, note: &str) -> kintsugi_core::CheckInInput {
    kintsugi_core::CheckInInput {
        safety,
        trust: 5,
        connection: 6,
        moods: vec!["hopeful".into()],
        note: Some(note.into()),
        ..Default::default()
    }
}

/// A check-in for the `n`th day of 2026 (one per partner per day).
pub fn checkin_on(n: u32, safety: i64, note: &str) -> kintsugi_core::CheckInInput {
    let day = jiff::civil::date(2026, 1, 1) + jiff::Span::new().days(i64::from(n));
    kintsugi_core::CheckInInput {
        day: Some(day.to_string()),
        ..checkin(safety, note)
    }
}

/// Copies a data directory as it is on disk, e.g. to put a phone back to an
/// older copy of its files.
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The ways a secret could show up in printed text: the raw bytes as text,
/// hex, base32 and base64 (each in the case it may be printed in), and the
/// decimal byte list `{:?}` gives a byte array or slice. Short secrets are
/// refused: a few bytes could appear by chance.
pub fn encodings(secret: &[u8]) -> Vec<String> {
    use data_encoding::{BASE32, BASE32_NOPAD, BASE64, BASE64_NOPAD, BASE64URL_NOPAD, HEXLOWER};
    assert!(secret.len() >= 8, "a secret this short proves nothing");
    let mut out = vec![
        HEXLOWER.encode(secret),
        BASE32.encode(secret),
        BASE32_NOPAD.encode(secret),
        BASE64.encode(secret),
        BASE64_NOPAD.encode(secret),
        BASE64URL_NOPAD.encode(secret),
        format!("{secret:?}"),
        format!("{secret:#?}"),
        secret
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(","),
    ];
    if let Ok(text) = std::str::from_utf8(secret) {
        out.push(text.to_owned());
    }
    // Case-folded, as base32 and hex are often printed either way.
    out.iter()
        .flat_map(|e| [e.clone(), e.to_lowercase(), e.to_uppercase()])
        .collect()
}

/// Panics if `printed` holds `secret` in any of [`encodings`] (or its first
/// 12 characters of one, which is already too much of a key).
pub fn assert_secret_not_in(printed: &str, secret: &[u8], what: &str) {
    for encoded in encodings(secret) {
        let head: String = encoded.chars().take(12).collect();
        assert!(
            !printed.contains(&head),
            "{what} shows its secret ({encoded}): {printed}"
        );
    }
}
