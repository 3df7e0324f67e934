//! Sealed bundles: sync through files for two phones that are never online
//! at the same time (see `docs/bundles.md`).
//!
//! They need the pairing, not the network: each call works on the device
//! alone (whether networking runs or not) and never starts networking.

use std::sync::Arc;

use kintsugi_sync::bundle;

use super::progress::ProgressListener;
use crate::{BundleDirReport, BundleOpened, Companion, Result, SealedBundle};

#[uniffi::export]
impl Companion {
    /// Seals the changes the partner's device is not known to have into a
    /// bundle only it can open, signed by this device. With `full`, every
    /// change instead (for a partner whose phone lost data, or who was told
    /// a bundle builds on changes it lacks). Share the bytes any way: the
    /// share sheet, a file, a folder both phones reach.
    ///
    /// Works offline and never starts networking. `NotPaired` before
    /// pairing. Cancelling stops the wait, not the sealing.
    #[uniffi::method(default(full = false, listener = None))]
    pub async fn create_bundle(
        &self,
        full: bool,
        listener: Option<Arc<dyn ProgressListener>>,
    ) -> Result<SealedBundle> {
        self.with_device_blocking(listener, move |device, progress| {
            Ok(bundle::create(device, full, progress)?.into())
        })
        .await
    }

    /// Checks a bundle from the partner and merges its changes, durably.
    /// Opening the same bundle again changes nothing (`already_opened`).
    /// A bundle that is not for this device, not made by the partner's
    /// device, damaged, older than one already opened, or building on
    /// changes this device lacks is `InvalidInput` with a message saying
    /// which, and leaves everything as it was.
    ///
    /// Works offline and never starts networking; if networking runs, live
    /// sync then passes on nothing the partner already has. `NotPaired`
    /// before pairing. Cancelling stops the wait: the bundle is merged
    /// entirely or not at all.
    #[uniffi::method(default(listener = None))]
    pub async fn open_bundle(
        &self,
        bundle: Vec<u8>,
        listener: Option<Arc<dyn ProgressListener>>,
    ) -> Result<BundleOpened> {
        let hub = self.hub.clone();
        let opened = self
            .with_device_blocking(listener, move |device, progress| {
                let opened = bundle::open(device, &bundle, progress)?;
                // Here, not after the wait: observers hear it even if the
                // caller stopped waiting.
                if !opened.already_opened {
                    hub.touch();
                }
                Ok(opened)
            })
            .await?;
        let notices = self.notices_after_merge(!opened.already_opened).await?;
        Ok(BundleOpened::new(opened, notices))
    }

    /// Exchanges bundles through `dir`, a folder both phones reach (a synced
    /// cloud drive, a shared folder): opens the partner's bundle if there is
    /// a new one, leaves one for the partner when there is anything to say,
    /// and removes this device's once the partner has it. Each device keeps
    /// at most one file there, under an opaque name; only sealed bundles
    /// are written. Call it when the app starts or the folder changes.
    ///
    /// Works offline and never starts networking. `NotPaired` before
    /// pairing; a partner's bundle that cannot be opened is `InvalidInput`.
    #[uniffi::method(default(listener = None))]
    pub async fn sync_bundle_dir(
        &self,
        dir: String,
        listener: Option<Arc<dyn ProgressListener>>,
    ) -> Result<BundleDirReport> {
        let hub = self.hub.clone();
        let report = self
            .with_device_blocking(listener, move |device, progress| {
                let report = bundle::sync_dir(device, dir.as_ref(), progress)?;
                if merged(&report) {
                    hub.touch();
                }
                Ok(report)
            })
            .await?;
        let notices = self.notices_after_merge(merged(&report)).await?;
        Ok(BundleDirReport::new(report, notices))
    }
}

/// Whether a folder exchange merged a bundle from the partner.
fn merged(report: &bundle::DirReport) -> bool {
    report.opened.as_ref().is_some_and(|o| !o.already_opened)
}
