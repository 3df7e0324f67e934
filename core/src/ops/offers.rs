use crate::am::Obj;
use crate::families::FamilyDef;
use crate::model::Snapshot;
use crate::views::RecordKind;
use automerge::transaction::Transactable;

use crate::doc::{CoupleDoc, OFFERS};
use crate::error::{CoreError, Result};
use crate::model::{Millis, TransparencyOffer};
use crate::validate;

/// The longest a transparency offer may run before it must be offered anew.
pub const MAX_OFFER_DAYS: i64 = 90;

impl CoupleDoc {
    /// Offers something of one's own for a while ("my phone is open to you
    /// this month"). Offered by its owner only: nothing in the model lets one
    /// partner demand this of the other. It ends on its own at `expires_at`.
    pub fn offer_transparency(
        &mut self,
        text: &str,
        expires_at: Millis,
        now: Millis,
    ) -> Result<String> {
        let text = validate::text("offer", text, validate::MAX_AGREEMENT_CHARS)?;
        if expires_at <= now {
            return Err(CoreError::InvalidValue {
                field: "expires_at",
                reason: "an offer must end in the future".into(),
            });
        }
        if expires_at - now > MAX_OFFER_DAYS * 86_400_000 {
            return Err(CoreError::InvalidValue {
                field: "expires_at",
                reason: format!(
                    "an offer runs at most {MAX_OFFER_DAYS} days; offer it again later"
                ),
            });
        }
        let (id, obj) = self.new_record(OFFERS, "owner", now)?;
        self.doc.put(&obj, "text", text.as_str())?;
        self.doc.put(&obj, "offered_at", now)?;
        self.doc.put(&obj, "expires_at", expires_at)?;
        self.commit("offer transparency", now);
        Ok(id)
    }

    /// Withdraws one's own offer at once, without asking anyone.
    pub fn withdraw_offer(&mut self, id: &str, now: Millis) -> Result<()> {
        let (_, obj) = self.find(OFFERS, "offer", id)?;
        self.require_author(
            &obj,
            "owner",
            "only the partner who made an offer can withdraw it",
        )?;
        if self.obj(&obj).int("withdrawn_at").is_none() {
            self.doc.put(&obj, "withdrawn_at", now)?;
            self.commit("withdraw offer", now);
        }
        Ok(())
    }

    pub fn offers(&self) -> Vec<TransparencyOffer> {
        self.read_family::<Offers>()
    }
}

pub(crate) struct Offers;

impl FamilyDef for Offers {
    type R = TransparencyOffer;
    const MAP: &'static str = OFFERS;
    const KIND: RecordKind = RecordKind::Offer;

    fn read(id: &str, o: &Obj<'_>) -> Vec<TransparencyOffer> {
        let id = id.to_owned();
        vec![TransparencyOffer {
            owner: o.string("owner"),
            text: o.string("text"),
            offered_at: o.time("offered_at"),
            expires_at: o.time("expires_at"),
            withdrawn_at: o.int("withdrawn_at"),
            id,
        }]
    }

    fn list(s: &Snapshot) -> &Vec<TransparencyOffer> {
        &s.offers
    }

    fn list_mut(s: &mut Snapshot) -> &mut Vec<TransparencyOffer> {
        &mut s.offers
    }
}
