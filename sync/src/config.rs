//! How a device reaches its partner. Presets cover the three situations the
//! app meets: the internet (relays + address lookup + local discovery), a home
//! network with no internet (local discovery and direct addresses), and
//! loopback for tests.

use std::net::{Ipv4Addr, SocketAddr};

use iroh::endpoint::{Builder, PortmapperConfig, presets};
use iroh::tls::CaTlsConfig;
use iroh::{Endpoint, RelayMode};

pub use iroh::RelayUrl;

use crate::discovery::LocalDiscovery;
use crate::error::{Result, SyncError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relays {
    /// iroh's public relays (n0).
    Default,
    /// No relay: only direct paths.
    Disabled,
    /// Self-hosted relays (`iroh-relay`).
    Custom(Vec<RelayUrl>),
}

impl Relays {
    /// Self-hosted relays from user text (a CLI flag, an app setting). An
    /// empty list is `None`: keep the preset's relays.
    pub fn parse_custom<S: AsRef<str>>(
        urls: &[S],
    ) -> std::result::Result<Option<Relays>, InvalidRelayUrl> {
        if urls.is_empty() {
            return Ok(None);
        }
        let urls = urls
            .iter()
            .map(|u| parse_relay_url(u.as_ref()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Some(Relays::Custom(urls)))
    }
}

/// A relay URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url:?} is not a relay URL: {reason}")]
pub struct InvalidRelayUrl {
    pub url: String,
    pub reason: String,
}

/// Parses a relay URL: `https://` (or `http://`, for a relay on a trusted
/// network) with a host, as `iroh-relay` serves.
pub fn parse_relay_url(text: &str) -> std::result::Result<RelayUrl, InvalidRelayUrl> {
    let invalid = |reason: String| InvalidRelayUrl {
        url: text.to_owned(),
        reason,
    };
    let url: RelayUrl = text.trim().parse().map_err(|e| invalid(format!("{e}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid("it must start with https:// or http://".into()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host".into()));
    }
    Ok(url)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkConfig {
    pub relays: Relays,
    /// Publish and resolve addresses through n0's DNS (pkarr). Off means the
    /// partner is reached only through addresses learnt while pairing or syncing.
    pub public_address_lookup: bool,
    /// Bind to 127.0.0.1 only; nothing leaves the machine.
    pub loopback_only: bool,
    /// Announce this device and find the partner on the local network with
    /// mDNS (multicast on every interface), so two phones on one Wi-Fi meet
    /// with no internet. See [`crate::discovery`].
    pub local_discovery: bool,
    /// No direct IP paths: every packet goes through the relays. Hides this
    /// device's IP addresses from the partner, at the cost of speed; needs
    /// relays.
    pub relay_only: bool,
    /// Extra trusted root certificates (DER) for the relays' TLS: a relay
    /// with a private CA, or the self-signed relay of the tests. The usual
    /// web roots stay trusted.
    #[doc(hidden)]
    pub relay_ca_roots: Vec<Vec<u8>>,
    /// What the partner's changes may add in any 24 hours before their
    /// further changes wait ([`crate::quota`]); tests lower it.
    pub growth_quota: crate::quota::Allowance,
}

impl NetworkConfig {
    /// Production: relays and address lookup, direct paths when possible,
    /// and the partner found on the local network when the internet is down.
    pub fn internet() -> Self {
        NetworkConfig {
            relays: Relays::Default,
            public_address_lookup: true,
            loopback_only: false,
            local_discovery: true,
            relay_only: false,
            relay_ca_roots: Vec::new(),
            growth_quota: crate::quota::Allowance::default(),
        }
    }

    /// A home network with no internet: the partner is found by mDNS and
    /// reached at direct addresses; nothing is sent to a relay or a DNS server.
    pub fn local_network() -> Self {
        NetworkConfig {
            relays: Relays::Disabled,
            public_address_lookup: false,
            loopback_only: false,
            local_discovery: true,
            relay_only: false,
            relay_ca_roots: Vec::new(),
            growth_quota: crate::quota::Allowance::default(),
        }
    }

    /// Tests and the demo: bound to 127.0.0.1, relays, lookups and multicast off.
    pub fn loopback() -> Self {
        NetworkConfig {
            relays: Relays::Disabled,
            public_address_lookup: false,
            loopback_only: true,
            // Multicast would go out on the machine's real interfaces.
            local_discovery: false,
            relay_only: false,
            relay_ca_roots: Vec::new(),
            growth_quota: crate::quota::Allowance::default(),
        }
    }

    /// The "private network" setting: everything through the relays, so
    /// the partner's device never learns this phone's IP addresses, and no
    /// announcement on the local network. Slower; the relay operator still
    /// sees both IP addresses (see docs/threat-model.md).
    pub fn relay_only() -> Self {
        NetworkConfig {
            local_discovery: false,
            relay_only: true,
            ..Self::internet()
        }
    }

    /// Parses the CLI's `--network` value.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "internet" => Some(Self::internet()),
            "relay-only" | "private" => Some(Self::relay_only()),
            "lan" | "local" => Some(Self::local_network()),
            "loopback" => Some(Self::loopback()),
            _ => None,
        }
    }

    /// The same configuration with other relays (e.g. self-hosted ones
    /// instead of n0's).
    pub fn with_relays(mut self, relays: Relays) -> Self {
        self.relays = relays;
        self
    }

    /// The endpoint builder, and a handle on local discovery when this
    /// configuration runs it (it starts when the endpoint binds).
    pub(crate) fn builder_with_discovery(
        &self,
        port: Option<u16>,
    ) -> Result<(Builder, Option<LocalDiscovery>)> {
        if self.relay_only && self.relays == Relays::Disabled {
            return Err(SyncError::Endpoint(
                "relay-only networking needs at least one relay".into(),
            ));
        }
        let mut builder = if self.public_address_lookup {
            Endpoint::builder(presets::N0)
        } else {
            Endpoint::builder(presets::Minimal)
        };
        builder = builder.relay_mode(match &self.relays {
            Relays::Default => RelayMode::Default,
            Relays::Disabled => RelayMode::Disabled,
            Relays::Custom(urls) => RelayMode::custom(urls.iter().cloned()),
        });
        if self.relays == Relays::Disabled {
            builder = builder.clear_relay_transports();
        }
        if !self.relay_ca_roots.is_empty() {
            let roots = self.relay_ca_roots.iter().cloned().map(Into::into);
            builder = builder.ca_tls_config(CaTlsConfig::embedded().with_extra_roots(roots));
        }
        if !self.public_address_lookup {
            builder = builder.portmapper_config(PortmapperConfig::Disabled);
        }
        if self.relay_only {
            // No UDP socket at all: no path but the relay can exist.
            builder = builder.clear_ip_transports();
        } else if self.loopback_only || port.is_some() {
            // A stable port lets the partner reach us at the address it
            // learnt last time, even with no address lookup service.
            let ip = if self.loopback_only {
                Ipv4Addr::LOCALHOST
            } else {
                Ipv4Addr::UNSPECIFIED
            };
            let addr = SocketAddr::new(ip.into(), port.unwrap_or(0));
            builder = builder
                .clear_ip_transports()
                .bind_addr(addr)
                .map_err(|e| SyncError::Endpoint(e.to_string()))?;
        }
        let discovery = self.local_discovery.then(LocalDiscovery::new);
        if let Some(discovery) = &discovery {
            builder = builder.address_lookup(discovery.installer());
        }
        Ok((builder, discovery))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_enable_local_discovery_except_loopback() {
        let internet = NetworkConfig::internet();
        assert!(internet.local_discovery && internet.public_address_lookup);
        assert_eq!(internet.relays, Relays::Default);

        let lan = NetworkConfig::local_network();
        assert!(lan.local_discovery && !lan.public_address_lookup);
        assert_eq!(lan.relays, Relays::Disabled);

        // Tests must never multicast on a real interface.
        let loopback = NetworkConfig::loopback();
        assert!(!loopback.local_discovery && !loopback.public_address_lookup);
        assert!(loopback.loopback_only);

        for preset in [&internet, &lan, &loopback] {
            assert!(!preset.relay_only && preset.relay_ca_roots.is_empty());
        }

        // The private network: relays only, and nothing announced nearby.
        let private = NetworkConfig::relay_only();
        assert!(private.relay_only && !private.local_discovery);
        assert_eq!(private.relays, Relays::Default);
        assert_eq!(NetworkConfig::from_name("relay-only"), Some(private));
    }

    #[tokio::test]
    async fn the_builder_installs_discovery_only_when_configured() -> anyhow::Result<()> {
        // Building does not bind: nothing touches the network here.
        for (config, expected) in [
            (NetworkConfig::internet(), true),
            (NetworkConfig::local_network(), true),
            (NetworkConfig::loopback(), false),
        ] {
            let (_, discovery) = config.builder_with_discovery(None)?;
            assert_eq!(discovery.is_some(), expected, "{config:?}");
            // Inactive until the endpoint binds.
            assert!(!discovery.is_some_and(|d| d.is_active()));
        }
        Ok(())
    }

    #[test]
    fn relay_only_needs_a_relay() {
        let config = NetworkConfig {
            relay_only: true,
            ..NetworkConfig::loopback()
        };
        assert!(matches!(
            config.builder_with_discovery(None),
            Err(SyncError::Endpoint(_))
        ));
        let config = config.with_relays(Relays::Custom(vec![
            parse_relay_url("https://127.0.0.1:3340").unwrap(),
        ]));
        assert!(config.builder_with_discovery(None).is_ok());
    }

    #[test]
    fn custom_relays_replace_the_preset_ones() {
        let relays = Relays::parse_custom(&["https://relay.example.org", " http://10.0.0.2:3340 "])
            .unwrap()
            .unwrap();
        let config = NetworkConfig::internet().with_relays(relays.clone());
        assert_eq!(config.relays, relays);
        let Relays::Custom(urls) = relays else {
            panic!("parsed relays are custom");
        };
        assert_eq!(urls[0].as_str(), "https://relay.example.org/");
        assert_eq!(urls[1].as_str(), "http://10.0.0.2:3340/");
        assert_eq!(Relays::parse_custom::<&str>(&[]).unwrap(), None);
    }

    #[test]
    fn unusable_relay_urls_are_refused_with_the_url_named() {
        for bad in [
            "relay.example.org",
            "ftp://relay.example.org",
            "https://",
            "",
        ] {
            let err = parse_relay_url(bad).unwrap_err();
            assert_eq!(err.url, bad);
            assert!(err.to_string().contains("is not a relay URL"), "{err}");
        }
        let err = Relays::parse_custom(&["https://ok.example", "nope"]).unwrap_err();
        assert_eq!(err.url, "nope");
    }
}
