use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, Value};

use crate::doc::{CoupleDoc, MEMBERS, by_time, revisions};
use crate::error::Result;
use crate::model::{Member, Millis, Role};
use crate::validate;

impl CoupleDoc {
    /// Writes this device's own member entry (each partner writes only
    /// theirs). Returns whether anything changed; a new name keeps the old one
    /// in the entry's history.
    pub(crate) fn put_member(&mut self, name: &str, now: Millis) -> Result<bool> {
        let members = self.root_for_write(MEMBERS, now)?;
        let me = self.me.clone();
        let member = match self.doc.get(&members, me.as_str())? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => {
                let id = self.doc.put_object(&members, me.as_str(), ObjType::Map)?;
                self.doc.put(&id, "joined_at", now)?;
                self.doc.put(&id, "role", Role::Unsaid.as_str())?;
                self.doc.put(&id, "name", name)?;
                self.container(&id, "revisions")?;
                return Ok(true);
            }
        };
        self.revise(&member, "name", Some(name.into()), now)
    }

    /// Adds or renames this device's own member entry.
    pub fn set_my_name(&mut self, name: &str, now: Millis) -> Result<()> {
        let name = validate::text("name", name, validate::MAX_NAME_CHARS)?;
        // Note: asking for heads here would close the open transaction
        // without a message or time; `put_member` says whether it wrote.
        if self.put_member(&name, now)? {
            self.commit("set my name", now);
        }
        Ok(())
    }

    /// Says, for oneself only, "I was hurt", "I broke the trust", "both" or
    /// "prefer not to say". Nobody can set the other partner's role.
    pub fn set_my_role(&mut self, role: Role, now: Millis) -> Result<()> {
        let members = self.root_for_write(MEMBERS, now)?;
        let me = self.me.clone();
        let member = match self.doc.get(&members, me.as_str())? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => return Err(crate::CoreError::NoCouple),
        };
        self.revise(&member, "role", Some(role.as_str().into()), now)?;
        self.commit("set my role", now);
        Ok(())
    }

    pub fn members(&self) -> Vec<Member> {
        let mut out: Vec<Member> = self
            .records(MEMBERS)
            .into_iter()
            .map(|(id, m)| Member {
                name: m.string("name"),
                joined_at: m.time("joined_at"),
                role: m
                    .str("role")
                    .and_then(|r| Role::parse(&r))
                    .unwrap_or(Role::Unsaid),
                revisions: revisions(&m),
                id,
            })
            .collect();
        by_time(&mut out, |m| (m.joined_at, m.id.as_str()));
        out
    }
}
