//! The one partner this device is paired with, kept in the data directory.

use std::str::FromStr;

use iroh::{EndpointAddr, EndpointId};
use iroh_tickets::endpoint::EndpointTicket;
use kintsugi_core::{CoreError, Millis, Store};
use serde::{Deserialize, Serialize};

use crate::error::Result;

pub const PARTNER_FILE: &str = kintsugi_core::storage::files::PARTNER;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    /// The partner device's iroh endpoint id: the only peer the sync protocol admits.
    pub endpoint_id: String,
    /// The partner's member id in the shared document.
    pub member_id: String,
    pub name: String,
    pub paired_at: Millis,
    /// Where the partner was last reached (an endpoint ticket), so it can be
    /// dialled again without any address lookup service.
    pub last_addr: Option<String>,
    /// The role the partner had chosen when pairing ("hurt", "broke_trust",
    /// …), if any; the shared document stays the truth after that.
    #[serde(default)]
    pub role: Option<String>,
    /// The partner's age recipient (`age1…`): what bundles are sealed to.
    #[serde(default)]
    pub age_recipient: Option<String>,
    /// The partner's public signing key: what its bundles are checked against.
    #[serde(default)]
    pub signing_key: Option<String>,
    /// When the two devices last held the same changes.
    #[serde(default)]
    pub last_synced_at: Option<Millis>,
    /// The Automerge actor ids the partner's device said it writes with,
    /// signed by its signing key at pairing (hex). Empty for a pairing made
    /// before they were exchanged.
    #[serde(default)]
    pub actor_ids: Vec<String>,
}

impl Partner {
    pub fn id(&self) -> Result<EndpointId> {
        EndpointId::from_str(&self.endpoint_id)
            .map_err(|e| CoreError::Malformed(format!("partner endpoint id: {e}")).into())
    }

    pub fn addr(&self) -> Result<EndpointAddr> {
        let id = self.id()?;
        let known = self
            .last_addr
            .as_deref()
            .and_then(|t| EndpointTicket::from_str(t).ok())
            .map(EndpointAddr::from)
            .filter(|a| a.id == id);
        Ok(known.unwrap_or_else(|| EndpointAddr::new(id)))
    }

    pub fn load(store: &Store) -> Result<Option<Partner>> {
        let Some(bytes) = store.read(PARTNER_FILE)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            CoreError::Corrupt {
                path: store.path(PARTNER_FILE),
                reason: e.to_string(),
            }
            .into()
        })
    }

    pub fn save(&self, store: &Store) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self).expect("partner serialises");
        Ok(store.write(PARTNER_FILE, &bytes)?)
    }
}
