//! The private journal and notes: a local-only document that never syncs.
//!
//! With the private lock on (`kintsugi private-lock on`), whatever shows
//! them (listing, editing, deleting, exporting, a backup or summary holding
//! them, their size) first asks the lock's own passphrase, even when the
//! data directory opens by itself (a key file, `KINTSUGI_PASSPHRASE`): the
//! person at an unlocked terminal is not always its owner. Writing a new
//! entry does not ask; it shows nothing.

use anyhow::{Result, bail};
use clap::Subcommand;
use kintsugi_core::Device;

use super::Ctx;
use crate::render::{self, short, when};
use crate::unlock;

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
    /// Replace the text of an entry (ID: its id or a unique start of it).
    /// The old text is gone from this device's files.
    Edit { id: String, text: String },
    /// Delete an entry for good: it is gone from this device's files.
    Delete { id: String },
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
    /// Replace the text (and with --title the title) of a note (ID: its id
    /// or a unique start of it). The old words are gone from this device's files.
    Edit {
        id: String,
        text: String,
        #[arg(long)]
        title: Option<String>,
    },
    /// Delete a note for good: it is gone from this device's files.
    Delete { id: String },
}

#[derive(Subcommand)]
pub enum LockAction {
    /// Ask a passphrase of its own before the journal and notes are shown
    /// (typed twice, or KINTSUGI_PRIVATE_PASSPHRASE for scripts).
    On,
    /// Stop asking (asks the lock's passphrase first).
    Off,
    /// Whether the private lock is on.
    Status,
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
            require_unlocked(&device)?;
            let entries = device.private()?.journal();
            if json {
                return render::print_json(&entries);
            }
            let lines = entries
                .iter()
                .map(|e| format!("{}  {}  {}", short(&e.id), when(e.at), e.text))
                .collect();
            render::print_lines(lines, "(your journal is empty)");
        }
        JournalAction::Edit { id, text } => {
            require_unlocked(&device)?;
            let id = device.update_private_forgetting(|p, now| p.edit_journal(&id, &text, now))?;
            println!(
                "Journal entry {} changed; its old text is gone from this device.",
                short(&id)
            );
        }
        JournalAction::Delete { id } => {
            require_unlocked(&device)?;
            let id = device.update_private_forgetting(|p, now| p.delete_journal(&id, now))?;
            println!(
                "Journal entry {} deleted; it is gone from this device.",
                short(&id)
            );
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
            require_unlocked(&device)?;
            let notes = device.private()?.notes();
            if json {
                return render::print_json(&notes);
            }
            let lines = notes
                .iter()
                .map(|n| format!("{}  {}  {}: {}", short(&n.id), when(n.at), n.title, n.text))
                .collect();
            render::print_lines(lines, "(no private notes)");
        }
        NoteAction::Edit { id, text, title } => {
            require_unlocked(&device)?;
            let id = device.update_private_forgetting(|p, now| {
                p.edit_note(&id, title.as_deref(), &text, now)
            })?;
            println!(
                "Note {} changed; its old words are gone from this device.",
                short(&id)
            );
        }
        NoteAction::Delete { id } => {
            require_unlocked(&device)?;
            let id = device.update_private_forgetting(|p, now| p.delete_note(&id, now))?;
            println!("Note {} deleted; it is gone from this device.", short(&id));
        }
    }
    Ok(())
}

pub fn lock(ctx: &Ctx, action: LockAction) -> Result<()> {
    let mut device = ctx.open()?;
    let locked = device.private()?.has_passphrase_lock();
    match action {
        LockAction::Status => {
            println!("The private lock is {}.", if locked { "on" } else { "off" })
        }
        LockAction::On => {
            if locked {
                bail!(
                    "the private lock is already on; to choose another passphrase, turn it \
                     off first (`kintsugi private-lock off`)"
                );
            }
            let passphrase = unlock::new_private_passphrase(&[&device.profile().name])?;
            device.update_private(|p, now| p.set_passphrase_lock(&passphrase, now))?;
            println!(
                "The private lock is on: your journal and notes are shown only after its \
                 passphrase, even when this device opens by itself. Writing new entries \
                 does not ask."
            );
        }
        LockAction::Off => {
            require_unlocked(&device)?;
            device.update_private(|p, now| p.clear_passphrase_lock(now))?;
            println!("The private lock is off.");
        }
    }
    Ok(())
}

/// With the private lock on, asks its passphrase; refuses unless it fits.
/// The refusal says nothing of what the private space holds.
pub fn require_unlocked(device: &Device) -> Result<()> {
    let private = device.private()?;
    if !private.has_passphrase_lock() {
        return Ok(());
    }
    let passphrase = unlock::private_passphrase()?;
    if !private.check_passphrase_lock(&passphrase) {
        bail!(
            "the private space is locked and that passphrase does not open it; nothing was \
             shown or changed"
        );
    }
    Ok(())
}
