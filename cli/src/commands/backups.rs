//! `kintsugi backup …`: a sealed copy of this device to bring back a lost
//! phone, opened with the device's recovery key.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use kintsugi_sync::{Identity, backup};

use super::Ctx;
use crate::progress::Bar;

#[derive(Subcommand)]
pub enum Action {
    /// Seal a backup of this device (shared history, keys, partner) that
    /// only its recovery key opens.
    Create {
        file: PathBuf,
        /// Also your private journal and notes (they never leave this device
        /// otherwise; a backup is still yours alone).
        #[arg(long)]
        private: bool,
    },
    /// Print this device's recovery key: keep it where losing the phone
    /// cannot take it (a password manager, paper). Anyone holding it and a
    /// backup can read the backup.
    RecoveryKey,
    /// Bring a lost device back into an empty data directory from its backup.
    Restore {
        file: PathBuf,
        /// A file holding the recovery key (default: KINTSUGI_RECOVERY_KEY,
        /// or asked for).
        #[arg(long, value_name = "FILE")]
        recovery_key_file: Option<PathBuf>,
    },
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    match action {
        Action::Create { file, private } => {
            let mut device = ctx.open()?;
            let bar = Bar::new();
            let made = backup::create(&mut device, private, bar.as_ref());
            bar.done();
            let made = made?;
            kintsugi_core::storage::write_file_atomically(&file, &made.bytes)
                .with_context(|| format!("writing {}", file.display()))?;
            println!(
                "Wrote the backup {} ({} bytes{}). It opens only with this device's recovery \
                 key (`kintsugi backup recovery-key`).",
                file.display(),
                made.bytes.len(),
                if made.private {
                    ", with your private journal and notes"
                } else {
                    ", without your private journal and notes"
                }
            );
        }
        Action::RecoveryKey => {
            let device = ctx.open()?;
            let key = Identity::load_or_create(device.store())?.recovery_key();
            eprintln!("This device's recovery key. Keep it secret and safe:");
            println!("{key}");
        }
        Action::Restore {
            file,
            recovery_key_file,
        } => {
            anyhow::ensure!(
                !ctx.has_device(),
                "{} already holds a Kintsugi device; restore into an empty directory \
                 (--data-dir)",
                ctx.dir.display()
            );
            let key = match recovery_key_file {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?,
                None => match std::env::var("KINTSUGI_RECOVERY_KEY") {
                    Ok(key) => key,
                    Err(_) => rpassword::prompt_password("Recovery key: ")
                        .map_err(|e| anyhow!("reading the recovery key: {e}"))?,
                },
            };
            let sealed =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let (unlock, _) = ctx.unlocker.new_device(&ctx.dir)?;
            let bar = Bar::new();
            let restored = backup::restore(&ctx.dir, &unlock, &sealed, &key, bar.as_ref());
            bar.done();
            let (_, restored) =
                restored.with_context(|| format!("restoring {}", file.display()))?;
            println!(
                "Restored {} in {}{}.",
                restored.name,
                ctx.dir.display(),
                match &restored.partner_name {
                    Some(partner) => format!(
                        "; the next sync with {partner} brings back anything written after the \
                         backup"
                    ),
                    None => String::new(),
                }
            );
        }
    }
    Ok(())
}
