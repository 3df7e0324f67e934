//! Network settings of `CompanionConfig`: self-hosted relays.

use kintsugi_mobile::{
    Companion, CompanionConfig, KintsugiError, NetworkMode, generate_storage_key,
};

fn config(dir: &std::path::Path, relay_urls: &[&str]) -> CompanionConfig {
    CompanionConfig {
        data_dir: dir.to_string_lossy().into_owned(),
        display_name: "Alex".into(),
        network: NetworkMode::Loopback,
        storage_key: generate_storage_key(),
        relay_urls: relay_urls.iter().map(|u| u.to_string()).collect(),
        cache_dir: None,
        locale: None,
    }
}

#[test]
fn a_bad_relay_url_is_invalid_input_naming_the_field_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    for bad in ["relay.example.org", "ftp://relay.example.org", ""] {
        let err = Companion::new(config(&dir, &["https://ok.example.org", bad]))
            .err()
            .expect("a bad relay URL was accepted");
        let KintsugiError::InvalidInput { message } = &err else {
            panic!("{bad:?}: {err:?}");
        };
        assert!(message.starts_with("relay_urls: "), "{message}");
        assert!(message.contains(&format!("{bad:?}")), "{message}");
    }
    assert!(!dir.exists(), "a refused config created the data directory");
}

#[test]
fn self_hosted_relays_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    // Networking starts on the first call that needs it: nothing is dialled here.
    let companion = Companion::new(config(&dir, &["https://relay.example.org"])).unwrap();
    assert!(companion.partner().unwrap().is_none());
    let printed = format!("{:?}", config(&dir, &["https://relay.example.org"]));
    assert!(printed.contains("relay.example.org"), "{printed}");
}
