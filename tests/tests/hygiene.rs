//! Secrets are never printed, and the data directory names nothing: values
//! holding key material print no secret with `{:?}` (none of them has a
//! `Display`), and after a pairing and syncs no path under either phone's
//! data directory holds an endpoint id, member id, actor id or couple id.

use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use anyhow::Result;
use iroh::{EndpointAddr, SecretKey, TransportAddr};
use iroh_tickets::endpoint::EndpointTicket;
use kintsugi_core::{Device, Store, Unlock};
use kintsugi_sync::{Identity, Invite};
use kintsugi_tests::{Phone, assert_secret_not_in, bounded, checkin, pair};
use zeroize::Zeroizing;

/// Distinct bytes, so that no run of them appears by chance.
fn known_secret() -> [u8; 32] {
    std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(101))
}

#[test]
fn an_invite_prints_no_secret() {
    let secret = known_secret();
    let id = SecretKey::from_bytes(&[7; 32]).public();
    let addr = EndpointAddr::from_parts(id, [TransportAddr::Ip("127.0.0.1:4433".parse().unwrap())]);
    let invite = Invite {
        ticket: EndpointTicket::new(addr),
        secret: Zeroizing::new(secret),
        expires_at: 1_800_000_000,
    };
    // The payload carries it on purpose (it is what the QR code shows)...
    assert!(
        invite
            .payload()
            .contains(&data_encoding::BASE32_NOPAD.encode(&secret).to_lowercase())
    );
    // ...and nothing else shows it.
    for printed in [format!("{invite:?}"), format!("{invite:#?}")] {
        assert_secret_not_in(&printed, &secret, "Invite");
        assert!(printed.contains("expires_at"), "{printed}");
    }
}

#[test]
fn an_unlock_prints_neither_passphrase_nor_host_key() {
    let passphrase = "seven lanterns drift past the old mill";
    let unlock = Unlock::passphrase(passphrase);
    for printed in [format!("{unlock:?}"), format!("{unlock:#?}")] {
        assert_secret_not_in(&printed, passphrase.as_bytes(), "Unlock::Passphrase");
    }
    let host = Unlock::generate_host_key();
    let unlock = Unlock::host_key(host.expose_secret()).unwrap();
    for printed in [format!("{unlock:?}"), format!("{unlock:#?}")] {
        assert_secret_not_in(&printed, host.expose_secret().as_bytes(), "Unlock::HostKey");
    }
}

#[test]
fn a_store_a_device_and_an_identity_print_no_key() -> Result<()> {
    let root = tempfile::tempdir()?;
    let dir = root.path().join("data");
    let host = Unlock::generate_host_key();
    let unlock = Unlock::host_key(host.expose_secret())?;
    let device = Device::init(&dir, "Rosalind", &unlock)?;
    // The device key, as key.age holds it under the host key.
    let host_identity: age::x25519::Identity = host.expose_secret().parse().unwrap();
    let device_key = Zeroizing::new(age::decrypt(
        &host_identity,
        &std::fs::read(dir.join(kintsugi_core::storage::files::KEY))?,
    )?);
    let store = Store::unlock(&dir, &unlock)?;
    let identity = Identity::load_or_create(&store)?;
    let endpoint = kintsugi_sync::identity::endpoint_key_or_create(&store)?;
    let recovery = kintsugi_sync::recovery::RecoveryKey::load_or_create(&store)?.text();
    let identity_json = Zeroizing::new(
        store
            .read(kintsugi_core::storage::files::IDENTITY)?
            .unwrap(),
    );
    let stored: serde_json::Value = serde_json::from_slice(&identity_json)?;
    let signing = data_encoding::HEXLOWER.decode(stored["signing"].as_str().unwrap().as_bytes())?;
    for printed in [
        format!("{store:?}"),
        format!("{store:#?}"),
        format!("{device:?}"),
        format!("{identity:?}"),
        format!("{identity:#?}"),
        format!("{recovery:?}"),
    ] {
        assert_secret_not_in(&printed, &device_key, "the device key");
        assert_secret_not_in(&printed, host.expose_secret().as_bytes(), "the host key");
        assert_secret_not_in(&printed, recovery.as_bytes(), "the recovery key");
        assert_secret_not_in(
            &printed,
            stored["age"].as_str().unwrap().as_bytes(),
            "the identity's age key",
        );
        assert_secret_not_in(&printed, &signing, "the identity's signing key");
        assert_secret_not_in(&printed, &endpoint.to_bytes(), "the endpoint key");
    }
    Ok(())
}

#[test]
fn the_facades_config_prints_no_storage_key() {
    let key = kintsugi_mobile::generate_storage_key();
    let config = kintsugi_mobile::CompanionConfig {
        data_dir: "/data/app".into(),
        display_name: "Rosalind".into(),
        network: kintsugi_mobile::NetworkMode::Loopback,
        storage_key: key.clone(),
        relay_urls: Vec::new(),
        cache_dir: None,
        locale: None,
    };
    for printed in [format!("{config:?}"), format!("{config:#?}")] {
        assert_secret_not_in(&printed, key.as_bytes(), "CompanionConfig");
        assert!(printed.contains("/data/app"), "{printed}");
    }
}

/// Every path under `dir`, relative to it.
fn paths_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap().flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(dir).unwrap().to_owned());
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            }
        }
    }
    out
}

#[tokio::test]
async fn no_path_in_a_data_directory_names_an_id() -> Result<()> {
    let root = tempfile::tempdir()?;
    let ana = Phone::new(&root, "Ana").await?;
    let ben = Phone::new(&root, "Ben").await?;
    // A node holding an open invite prints no secret of it.
    let invite = ana.node.create_invite()?;
    let printed = format!("{:?}", ana.node);
    assert!(printed.contains("open_invites"), "{printed}");
    assert_secret_not_in(&printed, invite.secret.as_slice(), "Node");
    pair(&ana, &ben).await?;
    // Neither does it once the secret is used.
    assert_secret_not_in(&format!("{:?}", ana.node), invite.secret.as_slice(), "Node");
    ana.device()
        .record_checkin(&checkin(6, "the long walk home"))?;
    bounded("sync", ana.node.sync_now()).await??;
    ben.device()
        .record_checkin(&checkin(5, "a quiet evening"))?;
    bounded("sync", ben.node.sync_now()).await??;
    bounded("sync", ana.node.sync_now()).await??;

    let mut ids = Vec::new();
    for phone in [&ana, &ben] {
        let endpoint = phone.node.endpoint_id();
        ids.push(endpoint.to_string());
        ids.push(endpoint.fmt_short().to_string());
        ids.push(data_encoding::BASE32_NOPAD.encode(endpoint.as_bytes()));
        let device = phone.device();
        ids.push(device.member_id().to_owned());
        ids.push(device.profile().actor_id.clone());
        ids.push(device.doc()?.couple_id()?);
    }
    let mut seen = 0;
    for phone in [&ana, &ben] {
        // Sync states were written, and are there under their keyed names.
        let states = phone
            .dir
            .join(kintsugi_core::storage::files::SYNC_STATE_DIR);
        assert!(std::fs::read_dir(&states)?.count() > 0);
        for path in paths_under(&phone.dir) {
            seen += 1;
            let text = path.to_string_lossy().to_lowercase();
            for id in &ids {
                // Ids run 10 to 64 characters; any 10 of them in a row is too many.
                let head: String = id.to_lowercase().chars().take(10).collect();
                assert!(
                    !text.contains(&head),
                    "{} names the id {id}",
                    path.display()
                );
            }
        }
    }
    assert!(seen > 10, "only {seen} paths");
    ana.close().await;
    ben.close().await;
    Ok(())
}
