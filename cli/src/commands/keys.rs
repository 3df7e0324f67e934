//! Key files, and changing what unlocks this device.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use kintsugi_core::Store;

use super::Ctx;
use crate::unlock::{self, Source};

#[derive(Subcommand)]
pub enum Action {
    /// Write a fresh key (an age identity) to FILE, readable by you only; use
    /// it with --key-file instead of a passphrase. Never overwrites a file.
    New { file: PathBuf },
    /// Change what unlocks this device: a new passphrase (typed twice, or
    /// KINTSUGI_NEW_PASSPHRASE), or a key file. Unlocks with the current one as usual.
    Change {
        /// Unlock with this key file from now on (make one with `kintsugi key new`).
        #[arg(long, value_name = "FILE")]
        new_key_file: Option<PathBuf>,
    },
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    match action {
        Action::New { file } => new(&file),
        Action::Change { new_key_file } => change(ctx, new_key_file),
    }
}

/// `key new` needs no data directory: `main` calls it directly.
pub fn new(file: &std::path::Path) -> Result<()> {
    unlock::write_new_key_file(file)?;
    println!(
        "Wrote a new key to {} (readable by you only). Keep a copy somewhere safe: a device \
         that unlocks with it cannot be opened without it.",
        file.display()
    );
    println!(
        "Set up a device with it: kintsugi --key-file {0} init --name …; or move this device \
         onto it: kintsugi key change --new-key-file {0}",
        file.display()
    );
    Ok(())
}

fn change(ctx: &Ctx, new_key_file: Option<PathBuf>) -> Result<()> {
    ctx.require_device()?;
    let (old, source) = ctx.unlocker.existing(&ctx.dir)?;
    if unlock::replacement_is_typed(new_key_file.as_deref()) {
        // Check the current passphrase or key before asking for a new one twice.
        Store::unlock(&ctx.dir, &old).map_err(|e| ctx.explain(e, &source))?;
    }
    let (new, new_source) = unlock::replacement(new_key_file.as_deref())?;
    Store::change_unlock(&ctx.dir, &old, &new).map_err(|e| ctx.explain(e, &source))?;
    let same_file = match (&source, &new_source) {
        (Source::KeyFile(a), Source::KeyFile(b)) => a
            .canonicalize()
            .ok()
            .is_some_and(|a| b.canonicalize().ok() == Some(a)),
        _ => false,
    };
    let before = match &source {
        _ if same_file => String::new(),
        Source::KeyFile(path) => format!("; the key file {} no longer unlocks it", path.display()),
        Source::Env(_) | Source::Typed => "; the old passphrase no longer unlocks it".into(),
    };
    match new_source {
        Source::KeyFile(path) => println!(
            "This device now unlocks with the key file {0} (--key-file {0}, or \
             KINTSUGI_KEY_FILE){before}.",
            path.display()
        ),
        _ => println!("This device now unlocks with the new passphrase{before}."),
    }
    Ok(())
}
