//! No internet: the relays are unreachable and no address lookup service is
//! configured, yet two devices still pair and sync through the direct
//! addresses carried in the ticket. Everything stays on 127.0.0.1.

use anyhow::Result;
use kintsugi_sync::{NetworkConfig, Relays};
use kintsugi_tests::{Phone, bounded, checkin, join_confirmed};

#[tokio::test]
async fn unreachable_relays_do_not_stop_pairing_or_sync() -> Result<()> {
    // Nothing listens on port 9 of 127.0.0.1: the relay is configured but dead.
    let dead_relay = "http://127.0.0.1:9".parse()?;
    let config = NetworkConfig {
        relays: Relays::Custom(vec![dead_relay]),
        ..NetworkConfig::loopback()
    };
    let root = tempfile::tempdir()?;
    let ana = Phone::new_with(&root, "Ana", &config).await?;
    let ben = Phone::new_with(&root, "Ben", &config).await?;

    let payload = ana.node.create_invite()?.payload();
    bounded("join without relays", join_confirmed(&ana, &ben, &payload)).await??;
    ben.device()
        .record_checkin(&checkin(6, "no internet at home today"))?;
    let report = bounded("sync without relays", ben.node.sync_now()).await??;
    assert!(report.bytes_sent > 0);
    assert_eq!(ana.device().checkins()?.len(), 1);
    ana.close().await;
    ben.close().await;
    Ok(())
}
