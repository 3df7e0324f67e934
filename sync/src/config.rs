//! How a device reaches its partner. Presets cover the three situations the
//! app meets: the internet (relays + address lookup), a home network with no
//! internet, and loopback for tests.

use std::net::{Ipv4Addr, SocketAddr};

use iroh::endpoint::{Builder, PortmapperConfig, presets};
use iroh::{Endpoint, RelayMode, RelayUrl};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkConfig {
    pub relays: Relays,
    /// Publish and resolve addresses through n0's DNS (pkarr). Off means the
    /// partner is reached only through addresses learnt while pairing or syncing.
    pub public_address_lookup: bool,
    /// Bind to 127.0.0.1 only; nothing leaves the machine.
    pub loopback_only: bool,
}

impl NetworkConfig {
    /// Production: relays and address lookup, direct paths when possible.
    pub fn internet() -> Self {
        NetworkConfig {
            relays: Relays::Default,
            public_address_lookup: true,
            loopback_only: false,
        }
    }

    /// A home network with no internet: direct addresses only, nothing is
    /// sent to a relay or a DNS server.
    pub fn local_network() -> Self {
        NetworkConfig {
            relays: Relays::Disabled,
            public_address_lookup: false,
            loopback_only: false,
        }
    }

    /// Tests and the demo: bound to 127.0.0.1, relays and lookups off.
    pub fn loopback() -> Self {
        NetworkConfig {
            relays: Relays::Disabled,
            public_address_lookup: false,
            loopback_only: true,
        }
    }

    /// Parses the CLI's `--network` value.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "internet" => Some(Self::internet()),
            "lan" | "local" => Some(Self::local_network()),
            "loopback" => Some(Self::loopback()),
            _ => None,
        }
    }

    pub(crate) fn builder(&self, port: Option<u16>) -> Result<Builder> {
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
        if !self.public_address_lookup {
            builder = builder.portmapper_config(PortmapperConfig::Disabled);
        }
        if self.loopback_only || port.is_some() {
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
        Ok(builder)
    }
}
