//! Transparency offers: made by their owner, ending on their own date,
//! withdrawable by the owner alone.

use anyhow::{Context, Result};
use clap::Subcommand;
use kintsugi_core::{OfferStatus, TransparencyOffer, now_millis};
use serde::Serialize;

use super::{Ctx, full_id};
use crate::render::{self, Names, short, when};

const DAY_MS: i64 = 86_400_000;

#[derive(Subcommand)]
pub enum Action {
    /// Offer something of your own for a number of days ("my phone is open to you").
    Make {
        text: String,
        /// How many days the offer runs (at most 90).
        #[arg(long)]
        days: i64,
    },
    /// Withdraw your own offer, at once and without asking anyone.
    Withdraw { id: String },
    /// List offers: active, ended and withdrawn.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
}

/// The core's offer with its status at `now` beside it.
#[derive(Serialize)]
struct OfferJson<'a> {
    #[serde(flatten)]
    offer: &'a TransparencyOffer,
    status: OfferStatus,
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    let mut device = ctx.open()?;
    match action {
        Action::Make { text, days } => {
            let id = device.update(|doc, now| {
                let expires_at = now.saturating_add(days.saturating_mul(DAY_MS));
                doc.offer_transparency(&text, expires_at, now)
            })?;
            let offer = device
                .doc()?
                .offers()
                .into_iter()
                .find(|o| o.id == id)
                .context("the offer just made is missing")?;
            println!(
                "Offered until {}: {} ({}). Only you can withdraw it, at any time.",
                when(offer.expires_at),
                offer.text,
                short(&id)
            );
        }
        Action::Withdraw { id } => {
            device.update(|doc, now| doc.withdraw_offer(&id, now))?;
            let offers = device.doc()?.offers();
            let id = full_id(&id, offers.iter().map(|o| o.id.as_str()));
            println!("Withdrew offer {}.", short(&id));
        }
        Action::List { json } => {
            let offers = device.doc()?.offers();
            let now = now_millis();
            if json {
                let out: Vec<OfferJson> = offers
                    .iter()
                    .map(|offer| OfferJson {
                        offer,
                        status: offer.status(now),
                    })
                    .collect();
                return render::print_json(&out);
            }
            let names = Names::of(&device);
            let lines = offers
                .iter()
                .map(|o| {
                    let state = match (o.status(now), o.withdrawn_at) {
                        (OfferStatus::Withdrawn, Some(at)) => format!("withdrawn {}", when(at)),
                        (OfferStatus::Active, _) => format!("active until {}", when(o.expires_at)),
                        _ => format!("ended {}", when(o.expires_at)),
                    };
                    format!(
                        "{}  [{state}] {}  — {}",
                        short(&o.id),
                        o.text,
                        names.get(&o.owner)
                    )
                })
                .collect();
            render::print_lines(lines, "(no offers yet)");
        }
    }
    Ok(())
}
