//! `kintsugi`: the couple's shared space in a terminal, and the two-device demo.

mod commands;
mod demo;
mod files;
mod lang;
mod progress;
mod render;
mod unlock;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use kintsugi_sync::config::{RelayUrl, parse_relay_url};
use kintsugi_sync::{NetworkConfig, Relays};

use crate::commands::{Command, Ctx};
use crate::unlock::Unlocker;

#[derive(Parser)]
#[command(
    name = "kintsugi",
    version,
    about = "A shared space for a couple rebuilding trust, synced phone to phone"
)]
struct Cli {
    /// Where this device keeps its data (default: the platform's data directory).
    #[arg(long, global = true, env = "KINTSUGI_DATA_DIR")]
    data_dir: Option<PathBuf>,

    /// How to reach the partner: internet (relays + lookup), relay-only (a
    /// private network: only through relays, so your partner never learns
    /// your IP addresses, and no local-network announcement), lan (direct
    /// addresses only, no servers), or loopback (this machine only).
    #[arg(
        long,
        global = true,
        env = "KINTSUGI_NETWORK",
        default_value = "internet"
    )]
    network: String,

    /// A self-hosted relay (iroh-relay) to use instead of the default ones,
    /// e.g. https://relay.example.org; repeat it for several. With `lan`, the
    /// partner is also reached through it. KINTSUGI_RELAY takes a
    /// comma-separated list.
    #[arg(
        long = "relay",
        global = true,
        env = "KINTSUGI_RELAY",
        value_name = "URL",
        value_delimiter = ',',
        value_parser = parse_relay_url
    )]
    relays: Vec<RelayUrl>,

    /// Unlock with this key file (an age identity, readable by you only; make
    /// one with `kintsugi key new`) instead of a passphrase. Without it, the
    /// passphrase comes from KINTSUGI_PASSPHRASE or is asked for.
    #[arg(long, global = true, env = "KINTSUGI_KEY_FILE", value_name = "FILE")]
    key_file: Option<PathBuf>,

    /// Read an archived space (from an earlier pairing; `kintsugi archive
    /// list` shows them) instead of the live one: views and exports only.
    #[arg(long, global = true, value_name = "ID")]
    archive: Option<String>,

    /// The language of the texts the core writes (the counselling prompt,
    /// the notices of what your partner did), as a language tag such as es
    /// or en-GB. By default the system's (LC_ALL, LC_MESSAGES, LANG), else
    /// English.
    #[arg(long, global = true, value_name = "TAG")]
    lang: Option<String>,

    #[command(subcommand)]
    command: Command,
}

fn main() -> std::process::ExitCode {
    match start() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // One plain line with the whole chain of causes; no backtrace.
            eprintln!("Error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn start() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KINTSUGI_LOG")
                // Damaged files are reported by the CLI itself, in its own words.
                .unwrap_or_else(|_| {
                    "warn,iroh=error,noq=error,kintsugi_core::storage::docfiles=error".into()
                }),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Demo => return demo::run().await,
        // A key file belongs to no data directory.
        Command::Key {
            action: commands::KeyAction::New { file },
        } => return commands::new_key_file(file),
        _ => {}
    }
    let dir = match cli.data_dir {
        Some(dir) => dir,
        None => dirs::data_dir()
            .context("no platform data directory; pass --data-dir")?
            .join("kintsugi"),
    };
    let mut network = NetworkConfig::from_name(&cli.network).with_context(|| {
        format!(
            "unknown --network {:?}: use internet, relay-only, lan or loopback",
            cli.network
        )
    })?;
    if !cli.relays.is_empty() {
        network = network.with_relays(Relays::Custom(cli.relays));
    }
    let messages = lang::messages(cli.lang.as_deref(), |name| std::env::var(name).ok())?;
    let ctx = Ctx {
        dir,
        network,
        unlocker: Unlocker::new(cli.key_file),
        archive: cli.archive,
        messages,
    };
    commands::run(&ctx, cli.command).await
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    #[test]
    fn relays_repeat_and_bad_ones_are_named() {
        let cli = Cli::try_parse_from([
            "kintsugi",
            "--relay",
            "https://relay.example.org",
            "--relay",
            "http://10.0.0.2:3340",
            "compact",
        ])
        .unwrap();
        let relays: Vec<_> = cli.relays.iter().map(|u| u.as_str()).collect();
        assert_eq!(
            relays,
            ["https://relay.example.org/", "http://10.0.0.2:3340/"]
        );

        let err = Cli::try_parse_from(["kintsugi", "--relay", "relay.example.org", "compact"])
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("\"relay.example.org\" is not a relay URL"),
            "{err}"
        );
    }
}
