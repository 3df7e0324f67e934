//! Pairing and sync through a self-hosted relay (`Relays::Custom`) with no
//! direct path at all: a relay server on 127.0.0.1 with a self-signed
//! certificate, both phones relay-only, no address lookup, no multicast.

use std::net::Ipv4Addr;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use iroh_relay::server::{CertConfig, RelayConfig, Server, ServerConfig, TlsConfig};
use kintsugi_sync::config::{RelayUrl, parse_relay_url};
use kintsugi_sync::{NetworkConfig, Relays};
use kintsugi_tests::{Phone, bounded, checkin, pair};

/// An `iroh-relay` server on 127.0.0.1, HTTPS only, and its certificate (DER).
///
/// `iroh::test_utils::run_relay_server` drops the certificate, so clients
/// would have to skip verification; keeping it lets the phones verify the
/// relay as they would a real one.
async fn local_relay() -> Result<(Server, RelayUrl, Vec<u8>)> {
    let (certs, server_config) = iroh_relay::server::testing::self_signed_tls_certs_and_config();
    let mut relay = RelayConfig::new((Ipv4Addr::LOCALHOST, 0));
    relay.tls = Some(TlsConfig::new(
        (Ipv4Addr::LOCALHOST, 0),
        CertConfig::Manual { server_config },
    ));
    let mut config = ServerConfig::default();
    config.relay = Some(relay);
    let server = Server::spawn(config).await?;
    let addr = server.https_addr().context("the relay serves HTTPS")?;
    let url = parse_relay_url(&format!("https://{addr}"))?;
    Ok((server, url, certs[0].to_vec()))
}

/// Relayed bytes the server has handed to clients.
fn relayed(server: &Server) -> u64 {
    server.metrics().server.bytes_sent.get()
}

/// Waits until the phone is connected to its home relay: before that its
/// address (what the invite and the pairing answer carry) has no way to reach it.
async fn wait_for_home_relay(phone: &Phone, url: &RelayUrl) -> Result<()> {
    bounded("connecting to the relay", async {
        while !phone.node.addr().relay_urls().any(|u| u == url) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

#[tokio::test]
async fn pairing_and_sync_go_through_a_self_hosted_relay() -> Result<()> {
    let (server, url, cert) = local_relay().await?;
    let config = NetworkConfig {
        relays: Relays::Custom(vec![url.clone()]),
        public_address_lookup: false,
        local_discovery: false,
        relay_only: true,
        relay_ca_roots: vec![cert],
        ..NetworkConfig::loopback()
    };
    let root = tempfile::tempdir()?;
    let ana = Phone::new_with(&root, "Ana", &config).await?;
    let ben = Phone::new_with(&root, "Ben", &config).await?;
    for phone in [&ana, &ben] {
        wait_for_home_relay(phone, &url).await?;
        // The only way to reach either phone is the relay.
        let addr = phone.node.addr();
        assert_eq!(addr.ip_addrs().count(), 0, "{addr:?}");
        assert_eq!(addr.relay_urls().collect::<Vec<_>>(), vec![&url]);
    }

    let before = relayed(&server);
    pair(&ana, &ben).await?;
    let after_pairing = relayed(&server);
    ensure!(after_pairing > before, "pairing crossed the relay");

    // Ben to Ana.
    ben.device()
        .record_checkin(&checkin(6, "talked on the phone"))?;
    let report = bounded("Ben syncs through the relay", ben.node.sync_now()).await??;
    assert!(report.bytes_sent > 0, "{report:?}");
    let after_ben = relayed(&server);
    ensure!(after_ben > after_pairing, "Ben's sync crossed the relay");
    assert_eq!(ana.device().checkins()?.len(), 1);

    // Ana to Ben.
    ana.device()
        .record_checkin(&checkin(4, "tired, still here"))?;
    let report = bounded("Ana syncs through the relay", ana.node.sync_now()).await??;
    assert!(report.bytes_sent > 0, "{report:?}");
    ensure!(relayed(&server) > after_ben, "Ana's sync crossed the relay");

    // Both hold the same document.
    assert_eq!(ben.device().checkins()?.len(), 2);
    assert_eq!(ana.device().checkins()?, ben.device().checkins()?);
    assert_eq!(
        ana.device().doc_mut()?.heads(),
        ben.device().doc_mut()?.heads()
    );

    ana.close().await;
    ben.close().await;
    server.shutdown().await?;
    Ok(())
}
