//! Kintsugi's core: the couple's shared Automerge document, its records and
//! rules, and the device's storage. No networking and no async runtime here.

mod am;
pub mod device;
pub mod doc;
pub mod door;
pub mod error;
pub(crate) mod families;
pub mod first_screen;
pub mod i18n;
pub mod model;
pub mod notice_gate;
pub mod notify;
pub mod ops;
pub mod private;
pub mod read;
mod read_cache;
pub mod storage;
pub mod sync_budget;
mod sync_receive;
pub mod sync_send;
pub mod validate;
pub mod views;

pub use automerge;
pub use device::{ArchiveInfo, Device, DeviceProfile, ImportReport, StorageStats, now_millis};
pub use doc::{CoupleDoc, SCHEMA_VERSION};
pub use door::{ActorBinding, Door, Reason, Refusal, Roster, RosterMember, Source};
pub use error::{CoreError, Result};
pub use first_screen::FirstScreen;
pub use model::*;
pub use ops::{AgreementDraft, Respond};
pub use read::{ChangeEvent, ChangeInbox, ChangedRecord};
pub use storage::{CompactionPolicy, Damage, DocStats, Store, Unlock, WipeReport};
pub use sync_budget::{
    Limits, SyncMessageCost, decode_sync_message, precheck_changes, precheck_document,
    precheck_sync_message,
};
