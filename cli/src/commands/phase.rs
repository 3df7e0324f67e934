//! The recovery phase: atone → attune → attach. Only a partner who was hurt
//! (or "both") moves it forward.

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use kintsugi_core::{Phase, PhaseChange};
use serde::Serialize;

use super::Ctx;
use crate::render::{self, note_suffix, when};

#[derive(Args)]
pub struct PhaseArgs {
    #[command(subcommand)]
    action: Option<Action>,
    /// Print the current phase and its history as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum Action {
    /// Move the recovery phase.
    Set {
        phase: PhaseArg,
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PhaseArg {
    Atone,
    Attune,
    Attach,
}

impl From<PhaseArg> for Phase {
    fn from(p: PhaseArg) -> Phase {
        match p {
            PhaseArg::Atone => Phase::Atone,
            PhaseArg::Attune => Phase::Attune,
            PhaseArg::Attach => Phase::Attach,
        }
    }
}

#[derive(Serialize)]
struct PhaseJson {
    current: Phase,
    /// Oldest first.
    history: Vec<PhaseChange>,
}

pub fn run(ctx: &Ctx, args: PhaseArgs) -> Result<()> {
    if let Some(Action::Set { phase, note }) = args.action {
        let mut device = ctx.open()?;
        let to = Phase::from(phase);
        device.update(|doc, now| doc.set_phase(to, note.as_deref(), now))?;
        println!(
            "The recovery phase is now {}. Your partner sees it at the next sync.",
            to.as_str()
        );
        return Ok(());
    }
    let (_, snapshot, names) = ctx.read()?;
    let current = snapshot.phase();
    if args.json {
        return render::print_json(&PhaseJson {
            current,
            history: snapshot.phase_changes.clone(),
        });
    }
    println!(
        "Current phase: {} (atone → attune → attach)",
        current.as_str()
    );
    for c in &snapshot.phase_changes {
        // The role decides who may move it forward: say which one they held.
        let role = c
            .role
            .map(|r| format!(" (as “{}”)", r.words()))
            .unwrap_or_default();
        println!(
            "  {}  {}: {} → {}{role}{}",
            when(c.at),
            names.get(&c.by),
            c.from.as_str(),
            c.to.as_str(),
            note_suffix(c.note.as_deref())
        );
    }
    Ok(())
}
