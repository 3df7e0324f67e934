//! Operations and readers of each record family, as `impl CoupleDoc` blocks.
//! Every operation validates first, then writes and commits once, so an
//! error never leaves a record half-written.

pub(crate) mod agreements;
pub(crate) mod appreciations;
pub(crate) mod checkins;
pub(crate) mod commitments;
pub(crate) mod disclosures;
pub(crate) mod members;
pub(crate) mod offers;
pub(crate) mod phase;
pub(crate) mod questions;
pub(crate) mod requests;
pub(crate) mod surveys;
pub(crate) mod together;
pub(crate) mod triggers;

pub use agreements::AgreementDraft;
pub(crate) use offers::MAX_OFFER_DAYS;
pub use questions::Respond;
