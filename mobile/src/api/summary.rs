//! The summary a partner chooses to bring to a therapist: as data, as
//! Markdown and HTML, or sealed to the therapist (see `docs/summary.md`).

use kintsugi_core::now_millis;
use kintsugi_core::views::summary;

use crate::records::{FromCore, list};
use crate::{
    Companion, RenderedSummary, Result, SealedSummary, SummaryChoice, SummaryMade, TherapistSummary,
};

#[uniffi::export]
impl Companion {
    /// The summary for a therapist, prepared by this device's partner from
    /// what `choice` brings: the report as data, as Markdown, and as one
    /// standalone HTML page with its charts (show it in a web view). It
    /// leaves the phone only if the app sends it; to send it, prefer
    /// `sealed_therapist_summary`.
    ///
    /// A summary is never made behind the other partner's back: each call
    /// leaves a content-free trace both partners see (`summaries_made`, a
    /// `SummaryPrepared` timeline entry and a notice on the other phone), so
    /// call it when the user asks for the report, not to draw a preview on
    /// every keystroke. The other partner's notes and texts are in it only
    /// if they allowed it (`set_words_in_summaries`).
    ///
    /// An unreadable day, a period that ends before it starts or an unknown
    /// time zone is `InvalidInput`; a private id that names no entry is
    /// `NotFound`. `NotPaired` before there is a shared space. When
    /// `choice` brings private entries, the private lock is asked first.
    pub fn therapist_summary(&self, choice: SummaryChoice) -> Result<RenderedSummary> {
        self.summarise(choice, |rendered, me| {
            Ok(RenderedSummary::from_core(rendered, me))
        })
    }

    /// The same summary, each rendering sealed with age to the therapist's
    /// recipient (`age1…`, made with `age-keygen` or any age app): only
    /// the therapist's identity opens them, and the readable text never
    /// has to be written anywhere. A recipient that is not one is
    /// `InvalidInput`, checked before anything is prepared.
    pub fn sealed_therapist_summary(
        &self,
        choice: SummaryChoice,
        therapist_recipient: String,
    ) -> Result<SealedSummary> {
        summary::therapist_recipient(&therapist_recipient)?;
        self.summarise(choice, |rendered, me| {
            Ok(SealedSummary {
                markdown_sealed: summary::seal_for_therapist(
                    &therapist_recipient,
                    rendered.markdown.as_bytes(),
                )?,
                html_sealed: summary::seal_for_therapist(
                    &therapist_recipient,
                    rendered.html.as_bytes(),
                )?,
                summary: TherapistSummary::from_core(rendered.summary, me),
            })
        })
    }
}

#[uniffi::export]
impl Companion {
    /// Every summary either partner prepared for a therapist, oldest first:
    /// who, when, the period and kinds, and which records of the partner
    /// who did not prepare it it drew on. Never the summary's text.
    pub fn summaries_made(&self) -> Result<Vec<SummaryMade>> {
        self.read(|doc, me| list(doc.summaries_made(), me))
    }

    /// Whether one's own words (notes and texts) may appear in a summary the
    /// partner prepares for a therapist. Off until turned on; the partner
    /// sees each change in the timeline. Scores and dates appear either way.
    pub fn set_words_in_summaries(&self, allowed: bool) -> Result<()> {
        self.update(|doc, now| doc.set_words_in_summaries(allowed, now))
    }
}

impl Companion {
    /// Prepares the summary from a snapshot taken under the lock (with the
    /// private space only when entries of it are chosen), then hands it to
    /// `finish` with this device's member id.
    fn summarise<T>(
        &self,
        choice: SummaryChoice,
        finish: impl FnOnce(summary::RenderedSummary, &str) -> Result<T>,
    ) -> Result<T> {
        if !choice.private_entries.is_empty() {
            self.unlock_private()?;
        }
        let (rendered, me) = {
            let mut device = self.device()?;
            let me = device.member_id().to_owned();
            let choice = choice.into_core(&me, now_millis());
            // Prepared and traced in one step, under the lock.
            (device.prepare_therapist_summary(&choice)?, me)
        };
        self.hub.touch();
        finish(rendered, &me)
    }
}
