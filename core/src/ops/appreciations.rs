use automerge::transaction::Transactable;

use crate::doc::{APPRECIATIONS, CoupleDoc, by_time};
use crate::error::{CoreError, Result};
use crate::model::{Appreciation, Millis};
use crate::validate;

impl CoupleDoc {
    /// Thanks or praise for the partner.
    pub fn appreciate(&mut self, text: &str, now: Millis) -> Result<String> {
        let text = validate::text("appreciation", text, validate::MAX_NOTE_CHARS)?;
        let to = self.partner_id().ok_or(CoreError::NotPermitted(
            "appreciations go to a partner who has joined",
        ))?;
        let (id, obj) = self.new_record(APPRECIATIONS, "author", now)?;
        self.doc.put(&obj, "to", to.as_str())?;
        self.doc.put(&obj, "at", now)?;
        self.doc.put(&obj, "text", text.as_str())?;
        self.commit("appreciate", now);
        Ok(id)
    }

    pub fn appreciations(&self) -> Vec<Appreciation> {
        let mut out: Vec<Appreciation> = self
            .records(APPRECIATIONS)
            .into_iter()
            .map(|(id, a)| Appreciation {
                author: a.string("author"),
                to: a.string("to"),
                at: a.time("at"),
                text: a.string("text"),
                id,
            })
            .collect();
        by_time(&mut out, |a| (a.at, a.id.as_str()));
        out
    }
}
