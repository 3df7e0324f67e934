//! Disclosures: truth volunteered by its author, never asked for.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{Ctx, full_id};
use crate::render::{self, Names, short, when};

#[derive(Args)]
pub struct DiscloseArgs {
    /// What you want your partner to know.
    what: String,
    /// What you did about it.
    #[arg(long)]
    action: Option<String>,
}

#[derive(Subcommand)]
pub enum Action {
    /// Add or change what was done about one of your disclosures.
    Update {
        id: String,
        #[arg(long)]
        action: String,
    },
    /// List disclosures.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
}

pub fn disclose(ctx: &Ctx, args: DiscloseArgs) -> Result<()> {
    let mut device = ctx.open()?;
    let id = device.update(|doc, now| doc.disclose(&args.what, args.action.as_deref(), now))?;
    println!(
        "Disclosure {} recorded. Your partner sees it at the next sync.",
        short(&id)
    );
    Ok(())
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    let mut device = ctx.open()?;
    match action {
        Action::Update { id, action } => {
            device.update(|doc, now| doc.update_disclosure_action(&id, &action, now))?;
            let all = device.doc()?.disclosures();
            let id = full_id(&id, all.iter().map(|d| d.id.as_str()));
            println!(
                "Updated what was done about disclosure {}; the earlier words stay visible.",
                short(&id)
            );
        }
        Action::List { json } => {
            let disclosures = device.doc()?.disclosures();
            if json {
                return render::print_json(&disclosures);
            }
            let names = Names::of(&device);
            let lines = disclosures
                .iter()
                .map(|d| {
                    let mut line = format!(
                        "{}  {}  {}: {}",
                        short(&d.id),
                        when(d.at),
                        names.get(&d.author),
                        d.what
                    );
                    if let Some(action) = &d.action_taken {
                        line.push_str(&format!(" — what was done: {action}"));
                    }
                    if !d.revisions.is_empty() {
                        line.push_str(&format!(" · changed {}×", d.revisions.len()));
                    }
                    line
                })
                .collect();
            render::print_lines(lines, "(no disclosures)");
        }
    }
    Ok(())
}
