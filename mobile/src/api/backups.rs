//! Encrypted backups: make one, show the recovery key that opens it,
//! restore a lost phone from it, and, on the partner's phone, take in the
//! shared history of a backup its owner made partner-readable.
//!
//! Like bundles, none of this needs networking or starts it.

use std::path::PathBuf;
use std::sync::Arc;

use age::secrecy::zeroize::Zeroize;
use kintsugi_core::Unlock;
use kintsugi_sync::backup;
use kintsugi_sync::recovery::RecoveryKey;

use super::deliver_progress;
use super::progress::ProgressListener;
use crate::{
    Backup, BackupAbsorbed, BackupOptions, Companion, CompanionConfig, KintsugiError, Result,
    new_runtime,
};

#[uniffi::export]
impl Companion {
    /// Seals a backup of this device: the shared history, the device's keys
    /// (so the partner's phone still admits it once restored) and the
    /// pairing, plus what `options` adds. Only this device's recovery key
    /// (`recovery_key`) opens it, and the partner's device too with
    /// `options.partner_can_open`. `NotPaired` without a shared space.
    /// With `options.include_private` the private lock is asked first.
    /// Cancelling stops the wait, not the sealing.
    #[uniffi::method(default(listener = None, options))]
    pub async fn create_backup(
        &self,
        options: BackupOptions,
        listener: Option<Arc<dyn ProgressListener>>,
    ) -> Result<Backup> {
        if options.include_private {
            self.unlock_private_async().await?;
        }
        let options = options.into();
        self.with_device_blocking(listener, move |device, progress| {
            Ok(backup::create(device, &options, progress)?.into())
        })
        .await
    }

    /// The secret that opens this device's backups (`AGE-SECRET-KEY-1…`).
    /// Show it once for the user to keep where losing the phone cannot take
    /// it (a password manager, the platform's synced keychain, paper). Never
    /// log it or store it beside the backups: whoever holds both reads them.
    /// It is not the device's identity: unpairing rotates the device's keys
    /// but keeps this one.
    pub fn recovery_key(&self) -> Result<String> {
        // The app receives a copy; this one is wiped when dropped.
        let key = RecoveryKey::load_or_create(self.device()?.store())?.text();
        Ok(key.as_str().to_owned())
    }

    /// Replaces the recovery key with a new one and returns it: backups made
    /// from now on open with the new key only, and earlier ones still need
    /// the old key (for example after the old one was seen by someone).
    pub fn rotate_recovery_key(&self) -> Result<String> {
        let key = RecoveryKey::rotate(self.device()?.store())?.text();
        Ok(key.as_str().to_owned())
    }

    /// On the partner's phone: takes in the shared history of a backup the
    /// partner made with `partner_can_open` (say their phone and recovery
    /// key are both gone, and the backup holds what never synced). Merges
    /// like `import_automerge`, durably; nothing else of the backup is read.
    /// A backup not sealed for this device is `InvalidInput`; this device's
    /// own backup is `NotAllowed` (restore it instead). Cancelling stops the
    /// wait: the history is merged entirely or not at all.
    #[uniffi::method(default(listener = None))]
    pub async fn absorb_backup(
        &self,
        backup: Vec<u8>,
        listener: Option<Arc<dyn ProgressListener>>,
    ) -> Result<BackupAbsorbed> {
        let hub = self.hub.clone();
        let absorbed = self
            .with_device_blocking(listener, move |device, progress| {
                let absorbed = backup::absorb(device, &backup, progress)?;
                // Here, not after the wait: observers hear it even if the
                // caller stopped waiting.
                if absorbed.new_changes > 0 {
                    hub.touch();
                }
                Ok(absorbed)
            })
            .await?;
        let notices = self.notices_after_merge(absorbed.new_changes > 0).await?;
        Ok(BackupAbsorbed::new(absorbed, notices))
    }
}

/// Brings a lost phone back from its backup into `config.data_dir`, which
/// must hold no device, and returns it open, as `Companion(config)` would,
/// with, if the backup holds them, its private journal and notes. Ask the
/// user whether to keep the pairing the backup holds (a backup can be older
/// than an unpairing): with `keep_pairing` the partner learns this device's
/// new endpoint at the next sync, which brings back what was written after
/// the backup; without it the shared space is archived (read-only) and the
/// device's keys rotate, as after unpairing. Either way the device gets a
/// new endpoint key. The directory is locked with
/// `config.storage_key` (a new key from `generate_storage_key` is fine);
/// `recovery_key` is the lost device's; `config.display_name` is not used,
/// the name comes from the backup.
///
/// A recovery key that does not open the backup is `WrongKey`, one that is
/// not a recovery key `InvalidInput`, and neither writes anything; the
/// partner's backup is `NotAllowed` (absorb it instead), and so is a
/// directory that already holds a device. Once started, the restore runs
/// to its end even if the caller stops waiting: then open the directory
/// with `Companion(config)`.
#[uniffi::export(default(listener = None))]
pub async fn restore_from_backup(
    mut config: CompanionConfig,
    backup: Vec<u8>,
    mut recovery_key: String,
    keep_pairing: bool,
    listener: Option<Arc<dyn ProgressListener>>,
) -> Result<Arc<Companion>> {
    let network = config.network_config();
    let messages = config.messages();
    let unlock = Unlock::host_key(&config.storage_key);
    // Our copies of the secrets go now; `Unlock` keeps its own.
    config.storage_key.zeroize();
    let (network, messages, unlock) = (network?, messages?, unlock?);
    let runtime = RuntimeOnDrop(Some(new_runtime()?));
    let dir = PathBuf::from(&config.data_dir);
    let cache_dir = config.cache_dir.take().map(PathBuf::from);
    let (progress, delivery) = deliver_progress(listener, runtime.handle());
    let work = runtime.handle().spawn_blocking(move || {
        let pairing = if keep_pairing {
            backup::Pairing::Keep
        } else {
            backup::Pairing::Drop
        };
        let restored = backup::restore(&dir, &unlock, &backup, &recovery_key, pairing, &progress);
        recovery_key.zeroize();
        restored.map_err(KintsugiError::from_restore)
    });
    let restored = work.await.map_err(|e| KintsugiError::Internal {
        message: format!("restoring failed: {e}"),
    });
    delivery.finish().await;
    let (device, _) = restored??;
    Ok(Companion::assemble(
        device,
        network,
        cache_dir,
        messages,
        runtime.take(),
    ))
}

/// The runtime a restore runs on until the companion takes it. If the
/// caller stops waiting, it is let go without blocking the caller's thread;
/// a restore already under way still runs to its end.
struct RuntimeOnDrop(Option<tokio::runtime::Runtime>);

impl RuntimeOnDrop {
    fn handle(&self) -> &tokio::runtime::Handle {
        self.0.as_ref().expect("held until taken").handle()
    }

    fn take(mut self) -> tokio::runtime::Runtime {
        self.0.take().expect("held until taken")
    }
}

impl Drop for RuntimeOnDrop {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}
