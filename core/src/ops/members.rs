use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, Value};

use crate::am::Obj;
use crate::doc::{CoupleDoc, MEMBERS, new_id, revisions};
use crate::error::{CoreError, Result};
use crate::families::FamilyDef;
use crate::model::{Member, Millis, Role, Snapshot, SummaryMade};
use crate::validate;
use crate::views::RecordKind;

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
    /// "prefer not to say". Nobody can set the other partner's role. The old
    /// role stays in the member's history, so both timelines show the change.
    pub fn set_my_role(&mut self, role: Role, now: Millis) -> Result<()> {
        let member = self.my_member(now)?;
        if self.revise(&member, "role", Some(role.as_str().into()), now)? {
            self.commit("set my role", now);
        }
        Ok(())
    }

    /// Says whether one's own words (notes and texts) may appear in a
    /// summary the partner prepares for a therapist. Off until turned on;
    /// both timelines show each change, the first one included.
    pub fn set_words_in_summaries(&mut self, allowed: bool, now: Millis) -> Result<()> {
        let member = self.my_member(now)?;
        let current = self.obj(&member).bool("words_in_summaries");
        if current.unwrap_or(false) == allowed {
            return Ok(());
        }
        if current.is_none() {
            // Never set is "off": record that as the earlier value, so even
            // the first choice shows in the history.
            self.note_revision(&member, "words_in_summaries", "false".into(), now)?;
            self.doc.put(&member, "words_in_summaries", allowed)?;
        } else {
            self.revise(&member, "words_in_summaries", Some(allowed.into()), now)?;
        }
        self.commit("set words in summaries", now);
        Ok(())
    }

    /// Leaves a content-free trace that this partner prepared a summary for
    /// a therapist: both partners see it, with the period, the kinds and
    /// which records it drew on. Returns its id.
    pub fn record_summary_made(&mut self, made: &SummaryMade, now: Millis) -> Result<String> {
        let member = self.my_member(now)?;
        let summaries = self.container_for_write(&member, "summaries")?;
        let id = new_id();
        let entry = self.doc.put_object(&summaries, id.as_str(), ObjType::Map)?;
        self.doc.put(&entry, "at", now)?;
        self.doc.put(&entry, "from", made.from.as_str())?;
        self.doc.put(&entry, "to", made.to.as_str())?;
        self.put_list(&entry, "kinds", &made.kinds)?;
        self.doc
            .put(&entry, "questions_only", made.therapist_questions_only)?;
        self.put_list(&entry, "drew_on", &made.drew_on)?;
        self.doc.put(&entry, "partner_words", made.partner_words)?;
        self.commit("record summary made", now);
        Ok(id)
    }

    /// This device's own member entry, to write into.
    fn my_member(&mut self, now: Millis) -> Result<automerge::ObjId> {
        let members = self.root_for_write(MEMBERS, now)?;
        let me = self.me.clone();
        match self.doc.get(&members, me.as_str())? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(CoreError::NoCouple),
        }
    }

    /// Every summary either partner prepared for a therapist, oldest first.
    pub fn summaries_made(&self) -> Vec<SummaryMade> {
        self.read_family::<Summaries>()
    }

    pub fn members(&self) -> Vec<Member> {
        self.read_family::<Members>()
    }
}

/// The partners' own entries.
pub(crate) struct Members;

impl FamilyDef for Members {
    type R = Member;
    const MAP: &'static str = MEMBERS;
    const KIND: RecordKind = RecordKind::Member;

    fn read(id: &str, m: &Obj<'_>) -> Vec<Member> {
        vec![Member {
            name: m.string("name"),
            joined_at: m.time("joined_at"),
            role: m
                .str("role")
                .and_then(|r| Role::parse(&r))
                .unwrap_or(Role::Unsaid),
            revisions: revisions(m),
            words_in_summaries: m.bool("words_in_summaries").unwrap_or(false),
            id: id.to_owned(),
        }]
    }

    fn list(s: &Snapshot) -> &Vec<Member> {
        &s.members
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<Member> {
        &mut s.members
    }
}

/// The traces of summaries prepared for a therapist, kept in the
/// preparer's member entry.
pub(crate) struct Summaries;

impl FamilyDef for Summaries {
    type R = SummaryMade;
    const MAP: &'static str = MEMBERS;
    const KIND: RecordKind = RecordKind::Summary;

    fn read(member: &str, m: &Obj<'_>) -> Vec<SummaryMade> {
        m.entries_of("summaries")
            .into_iter()
            .map(|(id, e)| SummaryMade {
                by: member.to_owned(),
                at: e.time("at"),
                from: e.string("from"),
                to: e.string("to"),
                kinds: e.strings("kinds"),
                therapist_questions_only: e.bool("questions_only").unwrap_or(false),
                drew_on: e.strings("drew_on"),
                partner_words: e.bool("partner_words").unwrap_or(false),
                id,
            })
            .collect()
    }

    fn list(s: &Snapshot) -> &Vec<SummaryMade> {
        &s.summaries
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<SummaryMade> {
        &mut s.summaries
    }
}
