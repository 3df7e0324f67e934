//! Commitments of one's own: no contact, added responsibilities, small changes.

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use kintsugi_core::{Commitment, CommitmentKind};

use super::{Ctx, KeptOrSlipped, full_id};
use crate::render::{self, Names, note_suffix, plural, short, when};

#[derive(Subcommand)]
pub enum Action {
    /// Take on a commitment of your own.
    Make { kind: KindArg, text: String },
    /// Log, for your own commitment, that a day was kept (or not).
    Log {
        id: String,
        #[command(flatten)]
        outcome: KeptOrSlipped,
        /// The day (YYYY-MM-DD); today when left out.
        #[arg(long)]
        day: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// End your own commitment; its log stays visible.
    End { id: String },
    /// List commitments and their logs.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// No contact with the affair partner.
    NoContact,
    /// An added responsibility.
    Responsibility,
    /// A small change.
    SmallChange,
    Other,
}

fn kind_of(k: KindArg) -> CommitmentKind {
    match k {
        KindArg::NoContact => CommitmentKind::NoContact,
        KindArg::Responsibility => CommitmentKind::AddedResponsibility,
        KindArg::SmallChange => CommitmentKind::SmallChange,
        KindArg::Other => CommitmentKind::Other,
    }
}

fn kind_word(k: CommitmentKind) -> &'static str {
    match k {
        CommitmentKind::NoContact => "no contact",
        CommitmentKind::AddedResponsibility => "added responsibility",
        CommitmentKind::SmallChange => "small change",
        CommitmentKind::Other => "other",
    }
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    let mut device = ctx.open()?;
    let commitment_id = |device: &kintsugi_core::Device, prefix: &str| -> Result<String> {
        let all = device.doc()?.commitments();
        Ok(full_id(prefix, all.iter().map(|c| c.id.as_str())))
    };
    match action {
        Action::Make { kind, text } => {
            let kind = kind_of(kind);
            let id = device.update(|doc, now| doc.make_commitment(kind, &text, now))?;
            println!(
                "Commitment {} made ({}): {}",
                short(&id),
                kind_word(kind),
                text.trim()
            );
        }
        Action::Log {
            id,
            outcome,
            day,
            note,
        } => {
            let kept = outcome.kept();
            device.update(|doc, now| {
                doc.log_commitment(&id, day.as_deref(), kept, note.as_deref(), now)
            })?;
            let full = commitment_id(&device, &id)?;
            if kept {
                println!("Logged for commitment {}: kept.", short(&full));
            } else {
                println!(
                    "Logged for commitment {}: a slip. Thank you for saying so.",
                    short(&full)
                );
            }
        }
        Action::End { id } => {
            device.update(|doc, now| doc.end_commitment(&id, now))?;
            println!(
                "Ended commitment {}. Its log stays visible.",
                short(&commitment_id(&device, &id)?)
            );
        }
        Action::List { json } => {
            let commitments = device.doc()?.commitments();
            if json {
                return render::print_json(&commitments);
            }
            let names = Names::of(&device);
            let lines = commitments.iter().flat_map(|c| lines(c, &names)).collect();
            render::print_lines(lines, "(no commitments yet)");
        }
    }
    Ok(())
}

fn lines(c: &Commitment, names: &Names) -> Vec<String> {
    let kept = c.log.iter().filter(|l| l.kept).count() as u32;
    let slipped = c.log.len() as u32 - kept;
    let mut head = format!(
        "{}  [{}] {} — {}",
        short(&c.id),
        kind_word(c.kind),
        c.text,
        names.get(&c.author)
    );
    if let Some(at) = c.ended_at {
        head.push_str(&format!(" · ended {}", when(at)));
    }
    if !c.log.is_empty() {
        head.push_str(&format!(
            " · kept {}, slipped {slipped}",
            plural(kept, "day", "days")
        ));
    }
    let mut out = vec![head];
    for l in &c.log {
        out.push(format!(
            "    {}  {}{}",
            l.day,
            if l.kept { "kept" } else { "slipped" },
            note_suffix(l.note.as_deref())
        ));
    }
    out
}
