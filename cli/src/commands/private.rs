//! The private journal and notes: a local-only document that never syncs.

use anyhow::Result;
use clap::Subcommand;

use super::Ctx;
use crate::render::{self, short, when};

#[derive(Subcommand)]
pub enum JournalAction {
    /// Write a journal entry (it stays on this device).
    Write { text: String },
    /// Read your journal, newest first.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum NoteAction {
    /// Add a private note (it stays on this device).
    Add { title: String, text: String },
    /// Read your private notes, newest first.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
}

pub fn journal(ctx: &Ctx, action: JournalAction) -> Result<()> {
    let mut device = ctx.open()?;
    match action {
        JournalAction::Write { text } => {
            let id = device.update_private(|p, now| p.write_journal(&text, now))?;
            println!(
                "Journal entry {} saved. It stays on this device and is never synced.",
                short(&id)
            );
        }
        JournalAction::List { json } => {
            let entries = device.private()?.journal();
            if json {
                return render::print_json(&entries);
            }
            let lines = entries
                .iter()
                .map(|e| format!("{}  {}", when(e.at), e.text))
                .collect();
            render::print_lines(lines, "(your journal is empty)");
        }
    }
    Ok(())
}

pub fn note(ctx: &Ctx, action: NoteAction) -> Result<()> {
    let mut device = ctx.open()?;
    match action {
        NoteAction::Add { title, text } => {
            let id = device.update_private(|p, now| p.add_note(&title, &text, now))?;
            println!(
                "Note {} saved. It stays on this device and is never synced.",
                short(&id)
            );
        }
        NoteAction::List { json } => {
            let notes = device.private()?.notes();
            if json {
                return render::print_json(&notes);
            }
            let lines = notes
                .iter()
                .map(|n| format!("{}  {}: {}", when(n.at), n.title, n.text))
                .collect();
            render::print_lines(lines, "(no private notes)");
        }
    }
    Ok(())
}
