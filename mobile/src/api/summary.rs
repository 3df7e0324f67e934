//! The summary a partner chooses to bring to a therapist: as data, as
//! Markdown and HTML, or sealed to the therapist (see `docs/summary.md`).

use kintsugi_core::now_millis;
use kintsugi_core::views::summary;

use crate::records::FromCore;
use crate::{Companion, RenderedSummary, Result, SealedSummary, SummaryChoice, TherapistSummary};

#[uniffi::export]
impl Companion {
    /// The summary for a therapist, prepared by this device's partner from
    /// what `choice` brings: the report as data, as Markdown, and as one
    /// standalone HTML page with its charts (show it in a web view). It
    /// leaves the phone only if the app sends it; to send it, prefer
    /// `sealed_therapist_summary`.
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
        let (snapshot, private, me) = {
            let device = self.device()?;
            let private = if choice.private_entries.is_empty() {
                None
            } else {
                Some(device.private()?)
            };
            (device.snapshot()?, private, device.member_id().to_owned())
        };
        let choice = choice.into_core(&me, now_millis());
        let rendered = summary::prepare_therapist_summary(&snapshot, private.as_ref(), &choice)?;
        finish(rendered, &me)
    }
}
