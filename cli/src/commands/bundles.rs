//! `kintsugi bundle …`: sync with no shared moment online, through sealed
//! files (see docs/bundles.md).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use kintsugi_sync::bundle;

use super::Ctx;
use crate::progress::Bar;
use crate::render::plural;

#[derive(Subcommand)]
pub enum Action {
    /// Write what your partner's device is not known to have, sealed so only
    /// it can open it. Send the file any way you like.
    Create {
        file: PathBuf,
        /// Everything, not only what your partner lacks (for a partner whose
        /// phone lost data).
        #[arg(long)]
        full: bool,
    },
    /// Check a bundle from your partner and merge it.
    Open { file: PathBuf },
    /// Exchange bundles through a folder both phones reach (a synced cloud
    /// drive): open your partner's, leave yours, clean up what was absorbed.
    SyncDir { dir: PathBuf },
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    let mut device = ctx.open()?;
    let bar = Bar::new();
    match action {
        Action::Create { file, full } => {
            let sealed = bundle::create(&mut device, full, bar.as_ref());
            bar.done();
            let sealed = sealed?;
            kintsugi_core::storage::write_file_atomically(&file, &sealed.bytes)
                .with_context(|| format!("writing {}", file.display()))?;
            let partner = partner_name(&device);
            if sealed.changes == 0 {
                println!(
                    "Wrote {} (bundle {}): nothing new for {partner}, who already has \
                     everything here; it tells {partner}'s device what this one holds.",
                    file.display(),
                    sealed.seq
                );
            } else {
                println!(
                    "Wrote {} (bundle {}, {}, {} bytes), sealed so only {partner}'s device \
                     can open it.",
                    file.display(),
                    sealed.seq,
                    plural(sealed.changes as u32, "change", "changes"),
                    sealed.bytes.len()
                );
            }
        }
        Action::Open { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let opened = bundle::open(&mut device, &bytes, bar.as_ref());
            bar.done();
            let opened = opened.with_context(|| format!("opening {}", file.display()))?;
            println!("{}", opened_line(&opened));
        }
        Action::SyncDir { dir } => {
            anyhow::ensure!(
                dir.is_dir(),
                "{} is not a folder: make it first (both phones must reach it)",
                dir.display()
            );
            let report = bundle::sync_dir(&mut device, &dir, bar.as_ref());
            bar.done();
            let report = report.with_context(|| format!("exchanging through {}", dir.display()))?;
            let partner = partner_name(&device);
            match &report.opened {
                Some(opened) => println!("{}", opened_line(opened)),
                None => println!("No bundle from {partner} in {}.", dir.display()),
            }
            match report.written {
                Some((seq, 0)) => {
                    println!("Left bundle {seq} for {partner}: it only says what arrived.")
                }
                Some((seq, n)) => println!(
                    "Left bundle {seq} for {partner}, with {}.",
                    plural(n as u32, "change", "changes")
                ),
                None if report.removed => {
                    println!(
                        "{partner} has everything from here; this device's bundle was removed."
                    )
                }
                None => println!("Nothing new to leave for {partner}."),
            }
        }
    }
    Ok(())
}

fn opened_line(opened: &bundle::Opened) -> String {
    let made = jiff::Timestamp::from_millisecond(opened.created_at)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| "at an unknown time".into());
    if opened.already_opened {
        format!(
            "Bundle {} from {} (made {made}) was already opened; nothing changed.",
            opened.seq, opened.partner_name
        )
    } else {
        format!(
            "Opened bundle {} from {} (made {made}): {} new here.",
            opened.seq,
            opened.partner_name,
            plural(opened.new_changes as u32, "change", "changes")
        )
    }
}

fn partner_name(device: &kintsugi_core::Device) -> String {
    kintsugi_sync::Partner::load(device.store())
        .ok()
        .flatten()
        .map(|p| p.name)
        .unwrap_or_else(|| "your partner".into())
}
