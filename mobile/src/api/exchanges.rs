//! Requests, disclosures, questions, triggers, appreciations, time together.

use crate::records::list;
use crate::{
    Appreciation, Companion, Disclosure, Question, QuestionResponse, Request, RequestAnswerKind,
    Result, TimeTogether, TogetherKind, Trigger,
};

#[uniffi::export]
impl Companion {
    // ------------------------------------------------------------ requests

    /// Names a specific low-cost behaviour one would like from the partner
    /// ("text me when you leave work"). Returns its id.
    pub fn make_request(&self, text: String) -> Result<String> {
        self.update(|doc, now| doc.make_request(&text, now))
    }

    /// Rewords one's own request; the old wording stays in its history.
    pub fn reword_request(&self, id: String, text: String) -> Result<()> {
        self.update(|doc, now| doc.reword_request(&id, &text, now))
    }

    /// Retires one's own request (it is no longer needed).
    pub fn retire_request(&self, id: String) -> Result<()> {
        self.update(|doc, now| doc.retire_request(&id, now))
    }

    /// The asked partner answers a request: `Yes`, `TalkFirst` ("let's
    /// talk about it first") or `NotNow`, with an optional note; `YesRetired`
    /// takes back a standing yes. Earlier answers stay visible. The asker
    /// cannot answer their own request (`NotPermitted`). Returns the
    /// answer's id.
    #[uniffi::method(default(note = None))]
    pub fn answer_request(
        &self,
        request_id: String,
        answer: RequestAnswerKind,
        note: Option<String>,
    ) -> Result<String> {
        self.update(|doc, now| doc.answer_request(&request_id, answer.into(), note.as_deref(), now))
    }

    /// Logs that one did what the partner asked (only the partner who was
    /// asked can). Unanswered, this is also one's yes; after `TalkFirst`,
    /// `NotNow` or a retired yes it is `NotPermitted` until one says yes.
    /// Returns the done entry's id, for `acknowledge_done`.
    #[uniffi::method(default(note = None))]
    pub fn log_request_done(&self, request_id: String, note: Option<String>) -> Result<String> {
        self.update(|doc, now| doc.log_request_done(&request_id, note.as_deref(), now))
    }

    /// The asker answers one done entry: it landed, or "thank you, but it
    /// did not land". Answering again replaces the earlier answer.
    #[uniffi::method(default(note = None))]
    pub fn acknowledge_done(
        &self,
        request_id: String,
        done_id: String,
        landed: bool,
        note: Option<String>,
    ) -> Result<()> {
        self.update(|doc, now| {
            doc.acknowledge_done(&request_id, &done_id, landed, note.as_deref(), now)
        })
    }

    /// Every request of both partners with its done entries, oldest first.
    pub fn requests(&self) -> Result<Vec<Request>> {
        self.read(|doc, me| list(doc.requests(), me))
    }

    // --------------------------------------------------------- disclosures

    /// Volunteers something true, and optionally what was done about it.
    /// Nothing in the API can ask for or require a disclosure. Returns its id.
    #[uniffi::method(default(action_taken = None))]
    pub fn disclose(&self, what: String, action_taken: Option<String>) -> Result<String> {
        self.update(|doc, now| doc.disclose(&what, action_taken.as_deref(), now))
    }

    /// Adds or changes what was done about one's own disclosure; the earlier
    /// words stay visible in its history.
    pub fn update_disclosure_action(&self, id: String, action_taken: String) -> Result<()> {
        self.update(|doc, now| doc.update_disclosure_action(&id, &action_taken, now))
    }

    /// Every disclosure, oldest first.
    pub fn disclosures(&self) -> Result<Vec<Disclosure>> {
        self.read(|doc, me| list(doc.disclosures(), me))
    }

    // ----------------------------------------------------------- questions

    /// Writes down a question for when the partner is ready, with an optional
    /// one-word topic (so a topic that keeps coming back can be noticed).
    /// Returns its id.
    #[uniffi::method(default(topic = None))]
    pub fn ask_question(&self, text: String, topic: Option<String>) -> Result<String> {
        self.update(|doc, now| doc.ask_question(&text, topic.as_deref(), now))
    }

    /// Responds to a question: not ready yet, schedule, answer (the partner
    /// who was asked), park or reopen (the asker), for the therapist (either).
    /// The wrong partner gets `NotAllowed`. Returns the response's id.
    pub fn respond_to_question(&self, id: String, response: QuestionResponse) -> Result<String> {
        self.update(|doc, now| doc.respond_to_question(&id, response.into(), now))
    }

    /// Every question with its responses, oldest first.
    pub fn questions(&self) -> Result<Vec<Question>> {
        self.read(|doc, me| list(doc.questions(), me))
    }

    // ------------------------------------------------------------ triggers

    /// Notes a moment that hurt again (a song, a place) and how strongly, 0–10.
    /// Returns its id.
    pub fn log_trigger(&self, what: String, intensity: i32) -> Result<String> {
        self.update(|doc, now| doc.log_trigger(&what, intensity.into(), now))
    }

    /// The other partner's repair response to a trigger. Returns its id.
    pub fn respond_to_trigger(&self, id: String, text: String) -> Result<String> {
        self.update(|doc, now| doc.respond_to_trigger(&id, &text, now))
    }

    /// Every trigger with its repairs, oldest first.
    pub fn triggers(&self) -> Result<Vec<Trigger>> {
        self.read(|doc, me| list(doc.triggers(), me))
    }

    // ------------------------------------------------------- appreciations

    /// Thanks or praise for the partner (once they have joined). Returns its id.
    pub fn appreciate(&self, text: String) -> Result<String> {
        self.update(|doc, now| doc.appreciate(&text, now))
    }

    /// Every appreciation of both partners, oldest first.
    pub fn appreciations(&self) -> Result<Vec<Appreciation>> {
        self.read(|doc, me| list(doc.appreciations(), me))
    }

    // ------------------------------------------------------- time together

    /// Plans a date, a ritual or "recreate a memory" for a day (`YYYY-MM-DD`).
    /// Returns its id.
    pub fn plan_together(
        &self,
        kind: TogetherKind,
        title: String,
        planned_for: String,
    ) -> Result<String> {
        self.update(|doc, now| doc.plan_together(kind.into(), &title, &planned_for, now))
    }

    /// Says, for oneself, whether it happened and how it felt (0–10). A later
    /// word replaces one's earlier one; the partner writes their own.
    #[uniffi::method(default(felt = None, note = None))]
    pub fn record_together_outcome(
        &self,
        id: String,
        happened: bool,
        felt: Option<i32>,
        note: Option<String>,
    ) -> Result<()> {
        self.update(|doc, now| {
            doc.record_together_outcome(&id, happened, felt.map(Into::into), note.as_deref(), now)
        })
    }

    /// Every planned time together with each partner's word, oldest first.
    pub fn time_together(&self) -> Result<Vec<TimeTogether>> {
        self.read(|doc, me| list(doc.together(), me))
    }
}
