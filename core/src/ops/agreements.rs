use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::transaction::Transactable;
use automerge::{ObjId, ReadDoc};

use crate::am::Obj;
use crate::doc::{AGREEMENTS, CoupleDoc, by_time, new_id};
use crate::error::{CoreError, Result};
use crate::model::{Acceptance, Agreement, AgreementStatus, AgreementVersion, KeptCheck, Millis};
use crate::validate;

/// The wording of a proposal or revision.
#[derive(Debug, Clone, Default)]
pub struct AgreementDraft {
    pub text: String,
    /// `YYYY-MM-DD` when the couple means to look at it again.
    pub review_on: Option<String>,
}

impl AgreementDraft {
    pub fn new(text: impl Into<String>) -> Self {
        AgreementDraft {
            text: text.into(),
            review_on: None,
        }
    }

    fn validated(&self) -> Result<(String, Option<String>)> {
        let text = validate::text("agreement text", &self.text, validate::MAX_AGREEMENT_CHARS)?;
        let review_on = match self.review_on.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => Some(validate::day("review date", Some(d))?),
        };
        Ok((text, review_on))
    }
}

impl Agreement {
    /// The latest version both partners accepted.
    pub fn in_force_version(&self, members: usize) -> Option<&AgreementVersion> {
        let needed = members.max(2);
        self.versions
            .iter()
            .rev()
            .find(|v| v.acceptances.len() >= needed)
    }

    pub fn latest(&self) -> Option<&AgreementVersion> {
        self.versions.last()
    }

    pub fn status(&self) -> AgreementStatus {
        if self.withdrawn_at.is_some() {
            return AgreementStatus::Withdrawn;
        }
        let Some(latest) = self.latest() else {
            return AgreementStatus::Proposed;
        };
        match self.in_force_version(2) {
            Some(v) if v.id == latest.id => AgreementStatus::InForce,
            Some(_) => AgreementStatus::RevisionPending,
            None => AgreementStatus::Proposed,
        }
    }

    /// The wording in force, or the proposal's wording when none is yet.
    pub fn text(&self) -> &str {
        self.in_force_version(2)
            .or(self.latest())
            .map(|v| v.text.as_str())
            .unwrap_or("")
    }
}

impl CoupleDoc {
    /// Proposes an agreement or boundary; it is in force once the other partner accepts it.
    pub fn propose_agreement(&mut self, draft: &AgreementDraft, now: Millis) -> Result<String> {
        let (text, review_on) = draft.validated()?;
        let (id, obj) = self.new_record(AGREEMENTS, "proposed_by", now)?;
        self.doc.put(&obj, "proposed_at", now)?;
        let versions = self.container(&obj, "versions")?;
        self.container(&obj, "checks")?;
        self.add_version(&versions, 1, &text, review_on.as_deref(), now)?;
        self.commit("propose agreement", now);
        Ok(id)
    }

    fn add_version(
        &mut self,
        versions: &ObjId,
        number: u32,
        text: &str,
        review_on: Option<&str>,
        now: Millis,
    ) -> Result<()> {
        let version = self
            .doc
            .put_object(versions, new_id().as_str(), automerge::ObjType::Map)?;
        self.doc.put(&version, "number", u64::from(number))?;
        self.doc.put(&version, "text", text)?;
        self.put_opt_text(&version, "review_on", review_on)?;
        self.doc.put(&version, "by", self.me.as_str())?;
        self.doc.put(&version, "at", now)?;
        let accepted = self.container(&version, "accepted")?;
        self.doc.put(&accepted, self.me.as_str(), now)?;
        Ok(())
    }

    /// Proposes new wording for an agreement. Either partner may; the old
    /// versions stay readable and the new one needs the other's acceptance.
    pub fn revise_agreement(
        &mut self,
        id: &str,
        draft: &AgreementDraft,
        now: Millis,
    ) -> Result<Agreement> {
        let (text, review_on) = draft.validated()?;
        let (id, obj) = self.find(AGREEMENTS, "agreement", id)?;
        let current = self.agreement(&id)?;
        if current.withdrawn_at.is_some() {
            return Err(CoreError::NotPermitted("this agreement was withdrawn"));
        }
        let number = current.versions.iter().map(|v| v.number).max().unwrap_or(0) + 1;
        self.migrate(now)?;
        self.upgrade_legacy_agreement(&obj, &current)?;
        let versions = self.container_for_write(&obj, "versions")?;
        self.add_version(&versions, number, &text, review_on.as_deref(), now)?;
        self.commit("revise agreement", now);
        self.agreement(&id)
    }

    /// Accepts the latest version of the partner's proposal or revision.
    pub fn accept_agreement(&mut self, id: &str, now: Millis) -> Result<Agreement> {
        let (id, obj) = self.find(AGREEMENTS, "agreement", id)?;
        let current = self.agreement(&id)?;
        if current.withdrawn_at.is_some() {
            return Err(CoreError::NotPermitted("this agreement was withdrawn"));
        }
        let latest = current
            .latest()
            .ok_or_else(|| CoreError::Malformed("agreement without versions".into()))?;
        if latest.by == self.me {
            return Err(CoreError::NotPermitted(
                "an agreement is accepted by the partner who did not propose it",
            ));
        }
        if latest.acceptances.iter().any(|a| a.by == self.me) {
            return Err(CoreError::NotPermitted(
                "this agreement is already in force",
            ));
        }
        self.migrate(now)?;
        self.upgrade_legacy_agreement(&obj, &current)?;
        let versions = self.container_for_write(&obj, "versions")?;
        let version = self
            .obj(&versions)
            .entries()
            .into_iter()
            .find(|(vid, _)| *vid == latest.id)
            .map(|(_, v)| v.id)
            .ok_or_else(|| CoreError::Malformed("agreement version vanished".into()))?;
        let accepted = self.container_for_write(&version, "accepted")?;
        self.doc.put(&accepted, self.me.as_str(), now)?;
        self.commit("accept agreement", now);
        self.agreement(&id)
    }

    /// Withdraws an agreement. Before it is in force only its proposer can
    /// (the other simply does not accept); once in force, either partner may
    /// step out of it alone, and both see who did and when. Nobody is held to
    /// an agreement by the app.
    pub fn withdraw_agreement(&mut self, id: &str, now: Millis) -> Result<Agreement> {
        let (id, obj) = self.find(AGREEMENTS, "agreement", id)?;
        let current = self.agreement(&id)?;
        if current.in_force_version(2).is_none() {
            self.require_author(
                &obj,
                "proposed_by",
                "a proposal is withdrawn by the partner who made it; the other simply does not accept it",
            )?;
        }
        if current.withdrawn_at.is_some() {
            return Ok(current);
        }
        self.migrate(now)?;
        self.doc.put(&obj, "withdrawn_at", now)?;
        self.doc.put(&obj, "withdrawn_by", self.me.as_str())?;
        self.commit("withdraw agreement", now);
        self.agreement(&id)
    }

    /// Notes, honestly and for oneself, that one kept (or slipped on) an agreement.
    pub fn check_agreement(
        &mut self,
        id: &str,
        kept: bool,
        note: Option<&str>,
        now: Millis,
    ) -> Result<String> {
        let note = validate::optional_text("note", note, validate::MAX_NOTE_CHARS)?;
        let (_, obj) = self.find(AGREEMENTS, "agreement", id)?;
        let checks = self.container_for_write(&obj, "checks")?;
        let check_id = new_id();
        let check = self
            .doc
            .put_object(&checks, check_id.as_str(), automerge::ObjType::Map)?;
        self.doc.put(&check, "by", self.me.as_str())?;
        self.doc.put(&check, "at", now)?;
        self.doc.put(&check, "kept", kept)?;
        self.put_opt_text(&check, "note", note.as_deref())?;
        self.commit("check agreement", now);
        Ok(check_id)
    }

    /// A skeleton-era agreement kept its wording at the top level; before it
    /// gets versions, that wording becomes version 1 so nothing is lost.
    fn upgrade_legacy_agreement(&mut self, obj: &ObjId, current: &Agreement) -> Result<()> {
        if self.obj(obj).child("versions").is_some() {
            return Ok(());
        }
        let Some(v1) = current.versions.first() else {
            return Ok(());
        };
        let versions = self.container(obj, "versions")?;
        let version = self
            .doc
            .put_object(&versions, v1.id.as_str(), automerge::ObjType::Map)?;
        self.doc.put(&version, "number", 1u64)?;
        self.doc.put(&version, "text", v1.text.as_str())?;
        self.doc.put(&version, "by", v1.by.as_str())?;
        self.doc.put(&version, "at", v1.at)?;
        let accepted = self.container(&version, "accepted")?;
        for a in &v1.acceptances {
            self.doc.put(&accepted, a.by.as_str(), a.at)?;
        }
        Ok(())
    }

    pub fn agreement(&self, id: &str) -> Result<Agreement> {
        let (id, obj) = self.find(AGREEMENTS, "agreement", id)?;
        Ok(read_agreement(id, &self.obj(&obj)))
    }

    /// Every agreement, oldest proposal first.
    pub fn agreements(&self) -> Vec<Agreement> {
        self.read_family::<Agreements>()
    }
}

fn read_agreement(id: String, obj: &Obj<'_>) -> Agreement {
    let proposed_by = obj.string("proposed_by");
    let proposed_at = obj.time("proposed_at");
    let mut versions: Vec<AgreementVersion> = match obj.child("versions") {
        Some(vs) => vs
            .entries()
            .into_iter()
            .map(|(vid, v)| {
                let mut acceptances: Vec<Acceptance> = v
                    .child("accepted")
                    .map(|acc| {
                        acc.doc
                            .keys(&acc.id)
                            .map(|by| Acceptance {
                                at: acc.time(&by),
                                by,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                acceptances.sort_by(|a, b| (a.at, &a.by).cmp(&(b.at, &b.by)));
                AgreementVersion {
                    number: v
                        .int("number")
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(1),
                    text: v.string("text"),
                    review_on: v.str("review_on"),
                    by: v.string("by"),
                    at: v.time("at"),
                    acceptances,
                    id: vid,
                }
            })
            .collect(),
        // Schema 1: one implicit version at the top level.
        None => {
            let mut acceptances = vec![Acceptance {
                by: proposed_by.clone(),
                at: proposed_at,
            }];
            if let Some(by) = obj.str("accepted_by") {
                acceptances.push(Acceptance {
                    by,
                    at: obj.time("accepted_at"),
                });
            }
            vec![AgreementVersion {
                id: format!("{id}-v1"),
                number: 1,
                text: obj.string("text"),
                review_on: None,
                by: proposed_by.clone(),
                at: proposed_at,
                acceptances,
            }]
        }
    };
    versions.sort_by(|a, b| (a.number, a.at, &a.id).cmp(&(b.number, b.at, &b.id)));
    let mut checks: Vec<KeptCheck> = obj
        .entries_of("checks")
        .into_iter()
        .map(|(cid, c)| KeptCheck {
            by: c.string("by"),
            at: c.time("at"),
            kept: c.bool("kept").unwrap_or(true),
            note: c.str("note"),
            id: cid,
        })
        .collect();
    by_time(&mut checks, |c| (c.at, c.id.as_str()));
    Agreement {
        id,
        proposed_by,
        proposed_at,
        versions,
        withdrawn_at: obj.int("withdrawn_at"),
        withdrawn_by: obj.str("withdrawn_by"),
        checks,
    }
}

pub(crate) struct Agreements;

impl FamilyDef for Agreements {
    type R = Agreement;
    const MAP: &'static str = AGREEMENTS;
    const KIND: RecordKind = RecordKind::Agreement;

    fn read(id: &str, obj: &Obj<'_>) -> Vec<Agreement> {
        let id = id.to_owned();
        vec![read_agreement(id, obj)]
    }

    fn list(s: &Snapshot) -> &Vec<Agreement> {
        &s.agreements
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<Agreement> {
        &mut s.agreements
    }
}
