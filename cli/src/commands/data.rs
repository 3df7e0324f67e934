//! The data on this device as files: export, import, sizes on disk,
//! compaction and wiping.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{ArgGroup, Args};
use kintsugi_core::storage::files;
use kintsugi_core::{Device, DocStats, StorageStats};
use serde_json::json;

use super::Ctx;
use crate::files::{refuse_existing, write_new_private_file};
use crate::render;

#[derive(Args)]
#[command(group(ArgGroup::new("format").required(true).args(["automerge", "json"])))]
pub struct ExportArgs {
    /// Write the shared space as a standard Automerge document, which any
    /// Automerge implementation reads (and `kintsugi import` takes back).
    #[arg(long, value_name = "FILE")]
    automerge: Option<PathBuf>,
    /// Write every record of the shared space as readable JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// With --json: add your private journal and notes.
    #[arg(long, requires = "json")]
    include_private: bool,
}

#[derive(Args)]
pub struct ImportArgs {
    /// An Automerge export of your shared space (`kintsugi export --automerge`).
    #[arg(long, value_name = "FILE")]
    automerge: PathBuf,
}

pub fn export(ctx: &Ctx, args: ExportArgs) -> Result<()> {
    let (path, what) = match (&args.automerge, &args.json) {
        (Some(path), None) => (path, "the shared space as an Automerge document"),
        (None, Some(path)) if args.include_private => (
            path,
            "the shared space and your private journal and notes as JSON",
        ),
        (None, Some(path)) => (path, "the shared space as JSON"),
        _ => unreachable!("clap requires exactly one format"),
    };
    // Refused before the passphrase is asked; the create below refuses too.
    refuse_existing(path)?;
    let mut device = ctx.open()?;
    if args.include_private {
        super::require_private_unlocked(&device)?;
    }
    let bytes = match (&ctx.archive, args.automerge.is_some()) {
        (Some(id), true) => device.export_archive_automerge(id)?,
        (Some(id), false) => device
            .export_archive_json(id, args.include_private)?
            .into_bytes(),
        (None, true) => device.export_automerge()?,
        (None, false) => device.export_json(args.include_private)?.into_bytes(),
    };
    write_new_private_file(path, &bytes)?;
    println!(
        "Exported {what} to {} ({}).",
        path.display(),
        size(bytes.len() as u64)
    );
    eprintln!(
        "Warning: {} is NOT encrypted: anyone who can read it reads everything in it; keep it \
         safe and delete it when you no longer need it.",
        path.display()
    );
    Ok(())
}

#[derive(clap::Subcommand)]
pub enum ArchiveAction {
    /// Every archived space: when it was archived and who was in it.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete an archived space from this device, for good.
    Delete {
        /// Its id (or the first characters of it).
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

pub fn archive(ctx: &Ctx, action: ArchiveAction) -> Result<()> {
    let mut device = ctx.open()?;
    let archives = device.archives()?;
    match action {
        ArchiveAction::List { json } => {
            if json {
                let list: Vec<_> = archives
                    .iter()
                    .map(|a| {
                        json!({
                            "id": a.id,
                            "archived_at": a.archived_at,
                            "members": a.members.iter().map(|m| &m.name).collect::<Vec<_>>(),
                            "unreadable": a.unreadable,
                        })
                    })
                    .collect();
                return render::print_json(&list);
            }
            let lines = archives
                .iter()
                .map(|a| {
                    let who = if a.members.is_empty() {
                        "cannot be read".to_owned()
                    } else {
                        a.members
                            .iter()
                            .map(|m| m.name.as_str())
                            .collect::<Vec<_>>()
                            .join(" & ")
                    };
                    format!("{}  archived {}  {who}", a.id, render::when(a.archived_at))
                })
                .collect();
            render::print_lines(lines, "(no archived spaces)");
            Ok(())
        }
        ArchiveAction::Delete { id, yes } => {
            let found: Vec<_> = archives
                .iter()
                .filter(|a| a.id.starts_with(id.trim()))
                .collect();
            let [archive] = found.as_slice() else {
                bail!("{} archived spaces match {id:?}", found.len());
            };
            if !yes
                && !ask(&format!(
                    "Delete the archived space {} from this device for good? [y/N] ",
                    archive.id
                ))?
            {
                println!("Kept.");
                return Ok(());
            }
            device.delete_archive(&archive.id)?;
            println!("Deleted the archived space {}.", archive.id);
            Ok(())
        }
    }
}

pub fn import(ctx: &Ctx, args: ImportArgs) -> Result<()> {
    let path = &args.automerge;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut device = ctx.open()?;
    let roster = kintsugi_sync::roster::load(&device)?;
    let report = device
        .import_automerge(&bytes, &roster)
        .with_context(|| format!("importing {}", path.display()))?;
    match report.new_changes {
        0 => println!(
            "Imported {}: 0 new changes; this device already held all of it.",
            path.display()
        ),
        n => println!(
            "Imported {}: {n} new change(s). They reach your partner at the next sync.",
            path.display()
        ),
    }
    Ok(())
}

/// Sizes on disk. The private space's only with `private`: its size on a
/// screen someone else sees would tell that a journal exists and grows.
pub fn storage(ctx: &Ctx, as_json: bool, private: bool) -> Result<()> {
    let device = ctx.open()?;
    if private {
        super::require_private_unlocked(&device)?;
    }
    let stats = device.storage_stats();
    let all = total(&stats, private);
    if as_json {
        let mut out = json!({
            "shared": doc_json(&stats.couple),
            "total_bytes": all,
        });
        if private {
            out["private"] = doc_json(&stats.private);
        }
        return render::print_json(&out);
    }
    println!(
        "On disk in {} (encrypted; keys, profile and sync state not counted):",
        ctx.dir.display()
    );
    println!("  shared space   {}", doc_line(&stats.couple));
    if private {
        println!("  private space  {}", doc_line(&stats.private));
        println!("  in all         {}", size(all));
    }
    Ok(())
}

/// Compacts both documents; reports the shared space's sizes only (see `storage`).
pub fn compact(ctx: &Ctx) -> Result<()> {
    let mut device = ctx.open()?;
    let before = device.storage_stats();
    let after = device.compact()?;
    println!("Compacted the documents on disk in {}:", ctx.dir.display());
    println!(
        "  shared space   {} → {}",
        doc_short(&before.couple),
        doc_short(&after.couple)
    );
    Ok(())
}

pub fn wipe(ctx: &Ctx, yes: bool) -> Result<()> {
    let dir = &ctx.dir;
    if !dir.exists() {
        println!("Nothing to wipe: {} does not exist.", dir.display());
        return Ok(());
    }
    if !dir.join(files::KEY).exists() && !dir.join(files::DEVICE).exists() {
        bail!(
            "{} holds no Kintsugi device; nothing was wiped",
            dir.display()
        );
    }
    if !yes && !confirm_wipe(ctx)? {
        println!("Nothing was wiped.");
        return Ok(());
    }
    let report = Device::wipe(dir).with_context(|| format!("wiping {}", dir.display()))?;
    println!(
        "Wiped {}: removed {} file(s) (the device key, the documents, pairing and sync state).",
        dir.display(),
        report.removed_files
    );
    if report.left.is_empty() {
        println!("The directory is gone.");
    } else {
        println!(
            "Left {} file(s) that are not Kintsugi's, and so the directory:",
            report.left.len()
        );
        for path in &report.left {
            println!("  {}", path.display());
        }
    }
    Ok(())
}

/// Asks y/N on stderr and reads the answer from stdin.
fn confirm_wipe(ctx: &Ctx) -> Result<bool> {
    ask(&format!(
        "This erases this device's Kintsugi data in {}: its key, the shared space as kept \
         here, your private journal and notes, and the pairing. It cannot be undone; your \
         partner's phone keeps its own copy. Wipe? [y/N] ",
        ctx.dir.display()
    ))
}

/// Asks a yes/no question on stderr; no answer (stdin closed) is an error
/// that names `--yes`.
pub(super) fn ask(question: &str) -> Result<bool> {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("reading the answer")?;
    if read == 0 {
        eprintln!();
        bail!(
            "no answer (standard input is closed), so nothing was done: pass --yes to go ahead without asking"
        );
    }
    let answer = answer.trim().to_lowercase();
    Ok(answer == "y" || answer == "yes")
}

fn total(stats: &StorageStats, private: bool) -> u64 {
    stats.couple.total_bytes()
        + if private {
            stats.private.total_bytes()
        } else {
            0
        }
}

fn doc_json(stats: &DocStats) -> serde_json::Value {
    json!({
        "snapshots": stats.snapshots,
        "snapshot_bytes": stats.snapshot_bytes,
        "chunks": stats.chunks,
        "chunk_bytes": stats.chunk_bytes,
        "total_bytes": stats.total_bytes(),
    })
}

fn doc_line(stats: &DocStats) -> String {
    if stats.snapshots + stats.chunks == 0 {
        return "nothing yet".into();
    }
    format!(
        "{} ({}) + {} ({}) = {}",
        count(stats.snapshots, "snapshot"),
        size(stats.snapshot_bytes),
        count(stats.chunks, "chunk"),
        size(stats.chunk_bytes),
        size(stats.total_bytes())
    )
}

fn doc_short(stats: &DocStats) -> String {
    if stats.snapshots + stats.chunks == 0 {
        return "nothing".into();
    }
    format!(
        "{}, {} ({})",
        count(stats.snapshots, "snapshot"),
        count(stats.chunks, "chunk"),
        size(stats.total_bytes())
    )
}

fn count(n: usize, word: &str) -> String {
    match n {
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    }
}

/// Bytes for people: B, KiB, MiB.
fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{:.1} MiB", b / (KIB * KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(count(1, "chunk"), "1 chunk");
        assert_eq!(count(0, "chunk"), "0 chunks");
    }
}
