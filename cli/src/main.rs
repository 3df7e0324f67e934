//! `kintsugi`: the couple's shared space in a terminal, and the two-device demo.

mod commands;
mod demo;
mod render;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use kintsugi_sync::NetworkConfig;

use crate::commands::{Command, Ctx};

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

    /// How to reach the partner: internet (relays + lookup), lan (direct
    /// addresses only, no servers), or loopback (this machine only).
    #[arg(
        long,
        global = true,
        env = "KINTSUGI_NETWORK",
        default_value = "internet"
    )]
    network: String,

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
                .unwrap_or_else(|_| "warn,iroh=error,noq=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    if let Command::Demo = cli.command {
        return demo::run().await;
    }
    let dir = match cli.data_dir {
        Some(dir) => dir,
        None => dirs::data_dir()
            .context("no platform data directory; pass --data-dir")?
            .join("kintsugi"),
    };
    let network = NetworkConfig::from_name(&cli.network).with_context(|| {
        format!(
            "unknown --network {:?}: use internet, lan or loopback",
            cli.network
        )
    })?;
    commands::run(&Ctx { dir, network }, cli.command).await
}
