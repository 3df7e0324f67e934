//! Agreements and boundaries: versions, acceptances and kept-notes.

use anyhow::Result;
use clap::Subcommand;
use kintsugi_core::{Agreement, AgreementDraft, AgreementStatus};

use super::{Ctx, KeptOrSlipped};
use crate::render::{self, Names, note_suffix, short, when};

#[derive(Subcommand)]
pub enum Action {
    /// Propose an agreement or boundary; it is in force once your partner accepts it.
    Propose {
        text: String,
        /// When you mean to look at it again together (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        review_on: Option<String>,
    },
    /// Propose new wording; the earlier versions stay visible.
    Revise {
        id: String,
        text: String,
        /// When you mean to look at it again together (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        review_on: Option<String>,
    },
    /// Accept your partner's proposal (the id or its first characters).
    Accept { id: String },
    /// Withdraw your own proposal before it comes into force.
    Withdraw { id: String },
    /// Note, honestly and for yourself, that you kept an agreement or slipped.
    Check {
        id: String,
        #[command(flatten)]
        outcome: KeptOrSlipped,
        #[arg(long)]
        note: Option<String>,
    },
    /// List agreements.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
    /// One agreement: every version with who wrote and accepted it, and the kept-notes.
    Show {
        id: String,
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
}

fn draft(text: String, review_on: Option<String>) -> AgreementDraft {
    AgreementDraft { text, review_on }
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    let mut device = ctx.open()?;
    match action {
        Action::Propose { text, review_on } => {
            let draft = draft(text, review_on);
            let id = device.update(|doc, now| doc.propose_agreement(&draft, now))?;
            println!(
                "Proposed agreement {}. It is in force once your partner accepts it.",
                short(&id)
            );
            let agreement = device.doc()?.agreement(&id)?;
            if let Some(day) = agreement.latest().and_then(|v| v.review_on.as_ref()) {
                println!("You mean to look at it again on {day}.");
            }
        }
        Action::Revise {
            id,
            text,
            review_on,
        } => {
            let draft = draft(text, review_on);
            let a = device.update(|doc, now| doc.revise_agreement(&id, &draft, now))?;
            let number = a.latest().map(|v| v.number).unwrap_or(1);
            println!(
                "Proposed version {number} of agreement {}. It takes effect once your partner accepts it; the earlier versions stay visible.",
                short(&a.id)
            );
            if let Some(v) = a.in_force_version(2) {
                println!("Until then, version {} stays in force.", v.number);
            }
        }
        Action::Accept { id } => {
            let agreement = device.accept_agreement(&id)?;
            println!(
                "Agreement {} is now in force: {}",
                short(&agreement.id),
                agreement.text()
            );
        }
        Action::Withdraw { id } => {
            let a = device.update(|doc, now| doc.withdraw_agreement(&id, now))?;
            if a.in_force_version(2).is_some() {
                println!(
                    "You stepped out of agreement {}. Your partner sees that you did and when; its history stays.",
                    short(&a.id)
                );
            } else {
                println!(
                    "Withdrew your proposal {}. It stays visible in the history.",
                    short(&a.id)
                );
            }
        }
        Action::Check { id, outcome, note } => {
            let kept = outcome.kept();
            device.update(|doc, now| doc.check_agreement(&id, kept, note.as_deref(), now))?;
            let a = device.doc()?.agreement(&id)?;
            if kept {
                println!("Noted: you kept agreement {}.", short(&a.id));
            } else {
                println!(
                    "Noted: a slip on agreement {}. Thank you for saying so.",
                    short(&a.id)
                );
            }
        }
        Action::List { json } => {
            let agreements = device.agreements()?;
            if json {
                return render::print_json(&render::agreements_json(&agreements));
            }
            for line in render::agreement_lines(&agreements, &Names::of(&device)) {
                println!("{line}");
            }
        }
        Action::Show { id, json } => {
            let agreement = device.doc()?.agreement(&id)?;
            if json {
                return render::print_json(&render::agreement_json(&agreement));
            }
            for line in show_lines(&agreement, &Names::of(&device)) {
                println!("{line}");
            }
        }
    }
    Ok(())
}

fn show_lines(a: &Agreement, names: &Names) -> Vec<String> {
    let mut lines = vec![
        format!(
            "Agreement {} — {}",
            short(&a.id),
            render::agreement_status(a.status())
        ),
        format!(
            "Proposed by {} on {}",
            names.get(&a.proposed_by),
            when(a.proposed_at)
        ),
    ];
    let in_force = a.in_force_version(2).map(|v| v.id.clone());
    for v in &a.versions {
        let mut head = format!(
            "Version {} · {} · {}",
            v.number,
            when(v.at),
            names.get(&v.by)
        );
        if in_force.as_deref() == Some(v.id.as_str()) && a.status() != AgreementStatus::Withdrawn {
            head.push_str(" · in force");
        }
        if let Some(day) = &v.review_on {
            head.push_str(&format!(" · look at it again on {day}"));
        }
        lines.push(head);
        lines.push(format!("  “{}”", v.text));
        let accepted: Vec<String> = v
            .acceptances
            .iter()
            .map(|x| format!("{} ({})", names.get(&x.by), when(x.at)))
            .collect();
        lines.push(format!("  accepted by {}", accepted.join(", ")));
    }
    if let Some(at) = a.withdrawn_at {
        lines.push(format!("Withdrawn on {}", when(at)));
    }
    if !a.checks.is_empty() {
        lines.push("Kept-notes:".into());
        for c in &a.checks {
            lines.push(format!(
                "  {}  {}: {}{}",
                when(c.at),
                names.get(&c.by),
                if c.kept { "kept" } else { "slipped" },
                note_suffix(c.note.as_deref())
            ));
        }
    }
    lines
}
