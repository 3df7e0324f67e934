//! Kintsugi's networking: one iroh endpoint per device, a QR pairing protocol
//! and the Automerge sync protocol, each on its own ALPN. Only the paired
//! partner's endpoint is ever admitted to sync.

pub mod backup;
pub mod bundle;
pub mod config;
pub mod discovery;
pub mod error;
pub mod framing;
pub mod identity;
pub mod invite;
pub mod live;
pub mod moved;
mod node;
pub mod pairing;
pub mod partner;
pub mod progress;
pub mod protocol;
pub mod quota;
pub mod recovery;
pub mod roster;
pub mod seal;
pub mod status;
pub mod unpair;

pub use config::{NetworkConfig, Relays};
pub use error::{Result, SyncError};
pub use identity::Identity;
pub use invite::Invite;
pub use iroh::{EndpointAddr, EndpointId};
pub use node::{Direction, Node, WireTap};
pub use pairing::PairingRequest;
pub use partner::Partner;
pub use protocol::SyncReport;
pub use status::{SyncState, SyncStatus};
