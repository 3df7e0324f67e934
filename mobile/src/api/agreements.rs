//! Agreements, transparency offers and commitments.

use kintsugi_core::{AgreementDraft, now_millis};

use super::DAY_MS;
use crate::records::{FromCore, list};
use crate::{Agreement, Commitment, CommitmentKind, Companion, Result, TransparencyOffer};

#[uniffi::export]
impl Companion {
    /// Proposes an agreement or boundary, with an optional review date
    /// (`YYYY-MM-DD`). It is in force once the partner accepts it. Returns its id.
    #[uniffi::method(default(review_on = None))]
    pub fn propose_agreement(&self, text: String, review_on: Option<String>) -> Result<String> {
        let draft = AgreementDraft { text, review_on };
        self.update(|doc, now| doc.propose_agreement(&draft, now))
    }

    /// Proposes new wording for an agreement (either partner may). The new
    /// version needs the other partner's acceptance; the old versions stay
    /// readable, and an older version stays in force meanwhile.
    #[uniffi::method(default(review_on = None))]
    pub fn revise_agreement(
        &self,
        id: String,
        text: String,
        review_on: Option<String>,
    ) -> Result<Agreement> {
        let draft = AgreementDraft { text, review_on };
        let me = self.member_id()?;
        let agreement = self.update(|doc, now| doc.revise_agreement(&id, &draft, now))?;
        Ok(Agreement::from_core(agreement, &me))
    }

    /// Accepts the latest version of the partner's proposal or revision.
    pub fn accept_agreement(&self, id: String) -> Result<Agreement> {
        let me = self.member_id()?;
        let agreement = self.update(|doc, now| doc.accept_agreement(&id, now))?;
        Ok(Agreement::from_core(agreement, &me))
    }

    /// Withdraws one's own proposal before it ever came into force (an
    /// agreement in force changes only by a revision both accept).
    pub fn withdraw_agreement(&self, id: String) -> Result<Agreement> {
        let me = self.member_id()?;
        let agreement = self.update(|doc, now| doc.withdraw_agreement(&id, now))?;
        Ok(Agreement::from_core(agreement, &me))
    }

    /// Notes, honestly and for oneself, that one kept (or slipped on) an
    /// agreement. Returns the check's id.
    #[uniffi::method(default(note = None))]
    pub fn check_agreement(&self, id: String, kept: bool, note: Option<String>) -> Result<String> {
        self.update(|doc, now| doc.check_agreement(&id, kept, note.as_deref(), now))
    }

    /// Every agreement with all its versions and checks, oldest first.
    pub fn agreements(&self) -> Result<Vec<Agreement>> {
        self.read(|doc, me| list(doc.agreements(), me))
    }

    /// Offers something of one's own for `days` days (at most 90), e.g. "my
    /// phone is open to you this month". Only its owner can make or withdraw
    /// an offer; it ends on its own. Returns its id.
    pub fn offer_transparency(&self, text: String, days: i32) -> Result<String> {
        self.update(|doc, now| doc.offer_transparency(&text, now + i64::from(days) * DAY_MS, now))
    }

    /// Withdraws one's own offer at once, without asking anyone
    /// (`NotAllowed` for the partner's offer).
    pub fn withdraw_offer(&self, id: String) -> Result<()> {
        self.update(|doc, now| doc.withdraw_offer(&id, now))
    }

    /// Every transparency offer, oldest first; `active` is computed now.
    pub fn offers(&self) -> Result<Vec<TransparencyOffer>> {
        let now = now_millis();
        self.read(|doc, me| {
            doc.offers()
                .into_iter()
                .map(|o| TransparencyOffer::from_core(o, me, now))
                .collect()
        })
    }

    /// Takes on a commitment of one's own (no contact, an added
    /// responsibility, a small change). Returns its id.
    pub fn make_commitment(&self, kind: CommitmentKind, text: String) -> Result<String> {
        self.update(|doc, now| doc.make_commitment(kind.into(), &text, now))
    }

    /// Logs, for one's own commitment, that a day (`YYYY-MM-DD`, today when
    /// absent) was kept or not. Returns the log entry's id.
    #[uniffi::method(default(day = None, note = None))]
    pub fn log_commitment(
        &self,
        id: String,
        kept: bool,
        day: Option<String>,
        note: Option<String>,
    ) -> Result<String> {
        self.update(|doc, now| doc.log_commitment(&id, day.as_deref(), kept, note.as_deref(), now))
    }

    /// Ends one's own commitment.
    pub fn end_commitment(&self, id: String) -> Result<()> {
        self.update(|doc, now| doc.end_commitment(&id, now))
    }

    /// Every commitment of both partners with its log, oldest first.
    pub fn commitments(&self) -> Result<Vec<Commitment>> {
        self.read(|doc, me| list(doc.commitments(), me))
    }
}
