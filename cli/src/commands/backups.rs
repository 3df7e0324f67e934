//! `kintsugi backup …`: a sealed copy of this device to bring back a lost
//! phone, opened with the device's recovery key; and, on the partner's
//! phone, taking in the shared history of a backup made readable to it.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::Subcommand;
use kintsugi_sync::backup::{self, BackupOptions, Pairing};
use kintsugi_sync::recovery::RecoveryKey;
use zeroize::Zeroizing;

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
        #[arg(long, conflicts_with = "partner_can_open")]
        private: bool,
        /// Seal it to your partner too: should your phone and your recovery
        /// key both be lost, their phone can take in the shared history it
        /// holds (`kintsugi backup absorb`). Your keys stay yours alone.
        #[arg(long)]
        partner_can_open: bool,
    },
    /// Print this device's recovery key: keep it where losing the phone
    /// cannot take it (a password manager, paper). Anyone holding it and a
    /// backup can read the backup.
    RecoveryKey {
        /// Make a new one instead (e.g. the old one was seen): backups from
        /// now on need the new key, earlier ones still the old.
        #[arg(long)]
        rotate: bool,
    },
    /// Bring a lost device back into an empty data directory from its backup.
    Restore {
        file: PathBuf,
        /// A file holding the recovery key (default: KINTSUGI_RECOVERY_KEY,
        /// or asked for).
        #[arg(long, value_name = "FILE")]
        recovery_key_file: Option<PathBuf>,
        /// Pair with the same partner again (their device learns this one's
        /// new address at the next sync). Asked when neither flag is given.
        #[arg(long, conflicts_with = "drop_pairing")]
        keep_pairing: bool,
        /// Do not pair again: the shared space is kept read-only as an
        /// archive, and nothing is sent to the partner of the backup.
        #[arg(long)]
        drop_pairing: bool,
    },
    /// Take in the shared history of your partner's backup, one they made
    /// with `--partner-can-open`.
    Absorb { file: PathBuf },
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    match action {
        Action::Create {
            file,
            private,
            partner_can_open,
        } => {
            let mut device = ctx.open()?;
            if private {
                super::require_private_unlocked(&device)?;
            }
            let options = BackupOptions {
                include_private: private,
                partner_can_open,
            };
            let bar = Bar::new();
            let made = backup::create(&mut device, &options, bar.as_ref());
            bar.done();
            let made = made?;
            kintsugi_core::storage::write_file_atomically(&file, &made.bytes)
                .with_context(|| format!("writing {}", file.display()))?;
            println!(
                "Wrote the backup {} ({} bytes{}). {}",
                file.display(),
                made.bytes.len(),
                if made.private {
                    ", with your private journal and notes"
                } else {
                    ", without your private journal and notes"
                },
                if made.partner_can_open {
                    "It restores only with this device's recovery key (`kintsugi backup \
                     recovery-key`); your partner's phone can also read its shared history."
                } else {
                    "It opens only with this device's recovery key (`kintsugi backup \
                     recovery-key`)."
                }
            );
        }
        Action::RecoveryKey { rotate } => {
            let device = ctx.open()?;
            let key = if rotate {
                let key = RecoveryKey::rotate(device.store())?.text();
                eprintln!(
                    "A new recovery key. Backups from now on open with it only; earlier ones \
                     still need the old one. Keep it secret and safe:"
                );
                key
            } else {
                eprintln!("This device's recovery key. Keep it secret and safe:");
                RecoveryKey::load_or_create(device.store())?.text()
            };
            println!("{}", key.as_str());
        }
        Action::Restore {
            file,
            recovery_key_file,
            keep_pairing,
            drop_pairing,
        } => {
            anyhow::ensure!(
                !ctx.has_device(),
                "{} already holds a Kintsugi device; restore into an empty directory \
                 (--data-dir)",
                ctx.dir.display()
            );
            let key = Zeroizing::new(match recovery_key_file {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?,
                None => match std::env::var("KINTSUGI_RECOVERY_KEY") {
                    Ok(key) => key,
                    Err(_) => rpassword::prompt_password("Recovery key: ")
                        .map_err(|e| anyhow!("reading the recovery key: {e}"))?,
                },
            });
            let sealed =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let pairing = match (keep_pairing, drop_pairing) {
                (true, _) => Pairing::Keep,
                (_, true) => Pairing::Drop,
                _ => {
                    let keep = super::data::ask(
                        "Pair again with the partner this backup was paired with? If you \
                         have unpaired since, answer no: the shared history is then kept \
                         read-only and nothing is sent to them. [y/N] ",
                    )
                    .context("choose --keep-pairing or --drop-pairing")?;
                    if keep { Pairing::Keep } else { Pairing::Drop }
                }
            };
            let (unlock, _) = ctx.unlocker.new_device(&ctx.dir, &[])?;
            let bar = Bar::new();
            let restored = backup::restore(&ctx.dir, &unlock, &sealed, &key, pairing, bar.as_ref());
            bar.done();
            let (_, restored) =
                restored.with_context(|| format!("restoring {}", file.display()))?;
            println!(
                "Restored {} in {}{}.",
                restored.name,
                ctx.dir.display(),
                match (&restored.partner_name, restored.had_partner) {
                    (Some(partner), _) => format!(
                        "; the next sync with {partner} brings back anything written after the \
                         backup"
                    ),
                    (None, true) => "; not paired: the shared history is kept read-only \
                                     (`kintsugi archive list`)"
                        .to_owned(),
                    (None, false) => String::new(),
                }
            );
        }
        Action::Absorb { file } => {
            let mut device = ctx.open()?;
            let sealed =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let bar = Bar::new();
            let absorbed = backup::absorb(&mut device, &sealed, bar.as_ref());
            bar.done();
            let absorbed = absorbed.with_context(|| format!("opening {}", file.display()))?;
            println!(
                "Took in {}'s backup: {} change(s) this device did not have.",
                absorbed.from_name, absorbed.new_changes
            );
        }
    }
    Ok(())
}
