//! `kintsugi`: the couple's shared space in a terminal, and the two-device demo.

mod demo;
mod render;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use kintsugi_core::{CheckInInput, Device};
use kintsugi_sync::{NetworkConfig, Node};

use crate::render::Names;

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

#[derive(Subcommand)]
enum Command {
    /// Set up this device with the name your partner will see.
    Init {
        #[arg(long)]
        name: String,
    },
    /// Pair with your partner's device.
    Pair {
        #[command(subcommand)]
        action: PairAction,
    },
    /// Record a check-in: how safe, trusting and connected you feel (0–10).
    Checkin {
        #[arg(long)]
        safety: i64,
        #[arg(long)]
        trust: i64,
        #[arg(long)]
        connection: i64,
        /// A mood word (repeat for several): angry, sad, numb, jealous, doubtful, hopeful…
        #[arg(long = "mood")]
        moods: Vec<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Agreements: proposed by one partner, in force once the other accepts.
    Agreement {
        #[command(subcommand)]
        action: AgreementAction,
    },
    /// List every check-in of both partners.
    Checkins {
        #[arg(long)]
        json: bool,
    },
    /// Sync with your partner now (they must be reachable, e.g. running `serve`).
    Sync,
    /// Stay reachable for your partner until interrupted (Ctrl-C).
    Serve,
    /// Two devices in temporary directories pair, write apart, sync and converge.
    Demo,
}

#[derive(Subcommand)]
enum PairAction {
    /// Show a QR code for your partner to scan, and wait until they join.
    Invite {
        /// Also write the QR code as an SVG image.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Join the partner whose pairing code (kintsugi:…) you scanned.
    Join { payload: String },
}

#[derive(Subcommand)]
enum AgreementAction {
    /// Propose an agreement.
    Propose { text: String },
    /// Accept your partner's proposal (the id or its first characters).
    Accept { id: String },
    /// List agreements.
    List {
        #[arg(long)]
        json: bool,
    },
}

fn main() -> Result<()> {
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
    let open = || Device::open(&dir).with_context(|| format!("opening {}", dir.display()));

    match cli.command {
        Command::Demo => unreachable!("handled above"),
        Command::Init { name } => {
            let device = Device::init(&dir, &name)?;
            println!(
                "This device is set up for {} in {}",
                device.profile().name,
                dir.display()
            );
        }
        Command::Pair { action } => {
            let node = spawn(open()?, &network).await?;
            let result = pair(&node, action).await;
            node.shutdown().await;
            result?;
        }
        Command::Checkin {
            safety,
            trust,
            connection,
            moods,
            note,
        } => {
            let mut device = open()?;
            let input = CheckInInput {
                safety,
                trust,
                connection,
                moods,
                note,
                ..Default::default()
            };
            let id = device.record_checkin(&input)?;
            println!(
                "Check-in recorded ({}). It reaches your partner at the next sync.",
                render::short(&id)
            );
        }
        Command::Agreement { action } => {
            let mut device = open()?;
            match action {
                AgreementAction::Propose { text } => {
                    let id = device.propose_agreement(&text)?;
                    println!(
                        "Proposed agreement {}. It is in force once your partner accepts it.",
                        render::short(&id)
                    );
                }
                AgreementAction::Accept { id } => {
                    let agreement = device.accept_agreement(&id)?;
                    println!(
                        "Agreement {} is now in force: {}",
                        render::short(&agreement.id),
                        agreement.text()
                    );
                }
                AgreementAction::List { json } => {
                    let agreements = device.agreements()?;
                    if json {
                        println!(
                            "{}",
                            serde_json::to_string_pretty(&render::agreements_json(&agreements))?
                        );
                    } else {
                        for line in render::agreement_lines(&agreements, &Names::of(&device)) {
                            println!("{line}");
                        }
                    }
                }
            }
        }
        Command::Checkins { json } => {
            let device = open()?;
            let checkins = device.checkins()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&checkins)?);
            } else {
                for line in render::checkin_lines(&checkins, &Names::of(&device)) {
                    println!("{line}");
                }
            }
        }
        Command::Sync => {
            let node = spawn(open()?, &network).await?;
            let result = node.sync_now().await;
            node.shutdown().await;
            let report = result?;
            println!(
                "Up to date with your partner: {} new change(s) received, {} bytes sent, {} received.",
                report.changes_received, report.bytes_sent, report.bytes_received
            );
        }
        Command::Serve => {
            let node = spawn(open()?, &network).await?;
            match node.partner() {
                Some(p) => println!("Reachable for {} — press Ctrl-C to stop.", p.name),
                None => println!("Reachable, but not paired yet — press Ctrl-C to stop."),
            }
            flush();
            tokio::signal::ctrl_c()
                .await
                .context("waiting for Ctrl-C")?;
            node.shutdown().await;
        }
    }
    Ok(())
}

async fn spawn(device: Device, network: &NetworkConfig) -> Result<Node> {
    Node::spawn(Arc::new(Mutex::new(device)), network)
        .await
        .context("starting networking")
}

async fn pair(node: &Node, action: PairAction) -> Result<()> {
    match action {
        PairAction::Invite { svg } => {
            let invite = node.create_invite()?;
            if let Some(path) = svg {
                std::fs::write(&path, invite.qr_svg()?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            println!("Ask your partner to scan this code with Kintsugi:\n");
            println!("{}", invite.qr_terminal()?);
            println!("or to run: kintsugi pair join <code>, with this code:");
            // On a line of its own, flushed now: scripts and the partner read it while we wait.
            println!("{}", invite.payload());
            flush();
            let partner = node.wait_for_partner().await;
            println!("Paired with {}.", partner.name);
        }
        PairAction::Join { payload } => {
            if node.partner().is_some() {
                bail!("this device is already paired");
            }
            let partner = node.join(&payload).await?;
            println!("Paired with {}. You now share one space.", partner.name);
        }
    }
    Ok(())
}

fn flush() {
    let _ = std::io::stdout().flush();
}
