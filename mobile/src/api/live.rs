//! Live sync: what the app tells the core about its life (foreground,
//! network changes) and how it learns where sync stands.

use std::sync::{Arc, Mutex};

use crate::{AbortOnDrop, Companion, Result, SyncStatusInfo};

/// Receives every change of sync status. Called from a background thread:
/// hand the value to the UI thread, and return quickly.
#[uniffi::export(with_foreign)]
pub trait SyncStatusListener: Send + Sync {
    fn on_status(&self, status: SyncStatusInfo);
}

/// A live observation. Dropping it (or calling `cancel`) stops the calls.
#[derive(uniffi::Object)]
pub struct Subscription {
    task: Mutex<Option<AbortOnDrop<()>>>,
}

#[uniffi::export]
impl Subscription {
    /// Stops the calls now rather than when the object is collected.
    pub fn cancel(&self) {
        self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

#[uniffi::export]
impl Companion {
    /// Calls `listener` with the current sync status, then on every change
    /// (idle, connecting, syncing, up to date, unreachable since…, with the
    /// last time both devices agreed). Starts networking, and with it live
    /// sync, if it was not running. After `shutdown`, subscribe again.
    pub async fn observe_sync_status(
        &self,
        listener: Arc<dyn SyncStatusListener>,
    ) -> Result<Arc<Subscription>> {
        let handle = self.runtime().handle().clone();
        self.with_node(move |node| async move {
            let mut status = node.status();
            let task = handle.spawn(async move {
                loop {
                    let now = *status.borrow_and_update();
                    listener.on_status(now.into());
                    if status.changed().await.is_err() {
                        break;
                    }
                }
            });
            Ok(Arc::new(Subscription {
                task: Mutex::new(Some(AbortOnDrop(task))),
            }))
        })
        .await
    }

    /// The app came to the foreground: try the partner now rather than at
    /// the next retry.
    pub async fn app_foregrounded(&self) -> Result<()> {
        self.with_node(|node| async move {
            node.kick();
            Ok(())
        })
        .await
    }

    /// Ends the pairing from this side, alone, at any time. The partner's
    /// device is told if it is reachable within a few seconds (it forgets
    /// this one too; no alarm and no content is sent), otherwise it is
    /// refused the next time it tries. Returns whether it was told. Each
    /// keeps the history already shared; with `wipe`, this device's data is
    /// then erased as by `wipe()`. `NotPaired` if there is no partner.
    pub async fn unpair(&self, wipe: bool) -> Result<bool> {
        let told = self
            .with_node(|node| async move { Ok(node.unpair().await?) })
            .await?;
        if wipe {
            self.wipe_now().await?;
        }
        Ok(told)
    }

    /// The phone's network changed (Wi-Fi joined or left, cellular back):
    /// call from the platform's network callback.
    pub async fn network_changed(&self) -> Result<()> {
        self.with_node(|node| async move {
            node.network_changed().await;
            Ok(())
        })
        .await
    }
}
