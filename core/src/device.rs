//! One partner's device: its identity, its copy of the shared document and
//! its data directory. Every mutation validates, commits with a time and a
//! message, and is durable on disk before it returns.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use automerge::ActorId;
use serde::{Deserialize, Serialize};

use crate::doc::CoupleDoc;
use crate::error::{CoreError, Result};
use crate::model::{Agreement, CheckIn, CheckInInput, Member, Millis};
use crate::store::{Store, files};
use crate::validate;

/// Who this device is. The actor id is stable for the life of the device, so
/// every change it ever made is attributable to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceProfile {
    pub actor_id: String,
    pub name: String,
    pub created_at: Millis,
}

impl DeviceProfile {
    pub fn actor(&self) -> Result<ActorId> {
        hex::decode(&self.actor_id).map(ActorId::from).map_err(|_| {
            CoreError::Malformed(format!("device actor id {:?} is not hex", self.actor_id))
        })
    }
}

pub fn now_millis() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

#[derive(Debug)]
pub struct Device {
    store: Store,
    profile: DeviceProfile,
    doc: Option<CoupleDoc>,
}

impl Device {
    /// Sets up a device in `dir`, or renames an existing one.
    pub fn init(dir: impl Into<PathBuf>, name: &str) -> Result<Self> {
        let name = validate::text("name", name, validate::MAX_NAME_CHARS)?;
        let store = Store::open(dir)?;
        let profile = match read_profile(&store)? {
            Some(mut existing) => {
                existing.name = name;
                existing
            }
            None => DeviceProfile {
                actor_id: hex::encode(rand::random::<[u8; 16]>()),
                name,
                created_at: now_millis(),
            },
        };
        write_profile(&store, &profile)?;
        let mut device = Self::load(store, profile)?;
        let (name, now) = (device.profile.name.clone(), now_millis());
        if let Some(doc) = device.doc.as_mut() {
            doc.set_my_name(&name, now)?;
            device.persist()?;
        }
        Ok(device)
    }

    /// Opens a device that was set up before.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let store = Store::open(dir)?;
        let profile = read_profile(&store)?.ok_or(CoreError::NoDevice)?;
        Self::load(store, profile)
    }

    fn load(store: Store, profile: DeviceProfile) -> Result<Self> {
        let actor = profile.actor()?;
        let doc = match store.read(files::DOCUMENT)? {
            Some(bytes) => Some(CoupleDoc::load(&bytes, &actor).map_err(|e| match e {
                CoreError::Automerge(err) => CoreError::Corrupt {
                    path: store.path(files::DOCUMENT),
                    reason: err.to_string(),
                },
                other => other,
            })?),
            None => None,
        };
        Ok(Device {
            store,
            profile,
            doc,
        })
    }

    /// Re-reads the document from disk (another process may have written it).
    pub fn reload(&mut self) -> Result<()> {
        let fresh = Self::load(self.store.clone(), self.profile.clone())?;
        match (self.doc.as_mut(), fresh.doc) {
            (Some(mine), Some(mut theirs)) => {
                mine.merge_bytes(&theirs.save())?;
            }
            (None, Some(theirs)) => self.doc = Some(theirs),
            _ => {}
        }
        Ok(())
    }

    pub fn profile(&self) -> &DeviceProfile {
        &self.profile
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn member_id(&self) -> &str {
        &self.profile.actor_id
    }

    pub fn has_couple(&self) -> bool {
        self.doc.is_some()
    }

    pub fn doc(&self) -> Result<&CoupleDoc> {
        self.doc.as_ref().ok_or(CoreError::NoCouple)
    }

    pub fn doc_mut(&mut self) -> Result<&mut CoupleDoc> {
        self.doc.as_mut().ok_or(CoreError::NoCouple)
    }

    /// Creates the shared space if this device has none yet. Called by the
    /// inviting device only; the joiner receives the document instead.
    pub fn start_couple(&mut self) -> Result<()> {
        if self.doc.is_some() {
            return Ok(());
        }
        let doc = CoupleDoc::create(&self.profile.actor()?, &self.profile.name, now_millis())?;
        self.doc = Some(doc);
        self.persist()
    }

    /// Adopts the document the inviter sent during pairing and adds this
    /// partner's own member entry to it.
    pub fn join_couple(&mut self, document: &[u8]) -> Result<()> {
        let mut doc = CoupleDoc::load(document, &self.profile.actor()?)?;
        if let Some(existing) = &self.doc
            && existing.couple_id()? != doc.couple_id()?
        {
            return Err(CoreError::AlreadyInCouple);
        }
        doc.set_my_name(&self.profile.name, now_millis())?;
        match self.doc.as_mut() {
            Some(existing) => {
                existing.merge_bytes(&doc.save())?;
            }
            None => self.doc = Some(doc),
        }
        self.persist()
    }

    pub fn propose_agreement(&mut self, text: &str) -> Result<String> {
        let id = self.doc_mut()?.propose_agreement(text, now_millis())?;
        self.persist()?;
        Ok(id)
    }

    pub fn accept_agreement(&mut self, id: &str) -> Result<Agreement> {
        let agreement = self.doc_mut()?.accept_agreement(id, now_millis())?;
        self.persist()?;
        Ok(agreement)
    }

    pub fn record_checkin(&mut self, input: &CheckInInput) -> Result<String> {
        let id = self.doc_mut()?.record_checkin(input, now_millis())?;
        self.persist()?;
        Ok(id)
    }

    pub fn agreements(&self) -> Result<Vec<Agreement>> {
        self.doc()?.agreements()
    }

    pub fn checkins(&self) -> Result<Vec<CheckIn>> {
        self.doc()?.checkins()
    }

    pub fn members(&self) -> Result<Vec<Member>> {
        self.doc()?.members()
    }

    /// Writes the document to disk. Mutations call this before returning.
    pub fn persist(&mut self) -> Result<()> {
        let Some(doc) = self.doc.as_mut() else {
            return Ok(());
        };
        let bytes = doc.save();
        self.store.write(files::DOCUMENT, &bytes)
    }
}

fn read_profile(store: &Store) -> Result<Option<DeviceProfile>> {
    let Some(bytes) = store.read(files::DEVICE)? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| CoreError::Corrupt {
            path: store.path(files::DEVICE),
            reason: e.to_string(),
        })
}

fn write_profile(store: &Store, profile: &DeviceProfile) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(profile).expect("profile serialises");
    store.write(files::DEVICE, &bytes)
}
