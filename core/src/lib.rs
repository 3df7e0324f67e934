//! Kintsugi's core: the couple's shared Automerge document, its records and
//! rules, and the device's storage. No networking and no async runtime here.

pub mod device;
pub mod doc;
pub mod error;
pub mod model;
pub mod store;
pub mod validate;

pub use automerge;
pub use device::{Device, DeviceProfile, now_millis};
pub use doc::{CoupleDoc, SCHEMA_VERSION};
pub use error::{CoreError, Result};
pub use model::{Agreement, AgreementStatus, CheckIn, CheckInInput, Member, Millis};
pub use store::Store;
