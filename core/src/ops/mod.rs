//! Operations and readers of each record family, as `impl CoupleDoc` blocks.
//! Every operation validates first, then writes and commits once, so an
//! error never leaves a record half-written.

mod agreements;
mod appreciations;
mod checkins;
mod commitments;
mod disclosures;
mod members;
mod offers;
mod phase;
mod questions;
mod requests;
mod surveys;
mod together;
mod triggers;

pub use agreements::AgreementDraft;
pub(crate) use offers::MAX_OFFER_DAYS;
pub use questions::Respond;
