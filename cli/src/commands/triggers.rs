//! Triggers: moments that hurt again, and the other partner's repair.

use anyhow::Result;
use clap::Subcommand;

use super::{Ctx, full_id};
use crate::render::{self, Names, short, when};

#[derive(Subcommand)]
pub enum Action {
    /// Note a moment that hurt again (a song, a place) and how strongly (0–10).
    Log {
        what: String,
        #[arg(long)]
        intensity: i64,
    },
    /// Respond to your partner's hard moment.
    Repair { id: String, text: String },
    /// List hard moments and the repairs.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    let mut device = ctx.open()?;
    match action {
        Action::Log { what, intensity } => {
            let id = device.update(|doc, now| doc.log_trigger(&what, intensity, now))?;
            println!(
                "Noted a hard moment ({}), intensity {intensity}. Your partner sees it at the next sync.",
                short(&id)
            );
        }
        Action::Repair { id, text } => {
            device.update(|doc, now| doc.respond_to_trigger(&id, &text, now))?;
            let triggers = device.doc()?.triggers();
            let id = full_id(&id, triggers.iter().map(|t| t.id.as_str()));
            println!("Your response to {} is recorded.", short(&id));
        }
        Action::List { json } => {
            let triggers = device.doc()?.triggers();
            if json {
                return render::print_json(&triggers);
            }
            let names = Names::of(&device);
            let lines =
                triggers
                    .iter()
                    .flat_map(|t| {
                        let head = format!(
                            "{}  {}  {}: {} (intensity {})",
                            short(&t.id),
                            when(t.at),
                            names.get(&t.author),
                            t.what,
                            t.intensity
                        );
                        std::iter::once(head).chain(t.repairs.iter().map(|r| {
                            format!("    {}  {}: {}", when(r.at), names.get(&r.by), r.text)
                        }))
                    })
                    .collect();
            render::print_lines(lines, "(no hard moments noted)");
        }
    }
    Ok(())
}
