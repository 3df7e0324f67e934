//! Setting up, pairing, syncing and staying reachable.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kintsugi_core::notify::{Notice, notices};
use kintsugi_core::{Device, Snapshot};
use kintsugi_sync::{NetworkConfig, Node};

use super::{Ctx, warn_damage};
use crate::unlock::Source;

#[derive(Subcommand)]
pub enum PairAction {
    /// Show a QR code for your partner to scan, and wait until they join.
    Invite {
        /// Also write the QR code as an SVG image.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Join the partner whose pairing code (kintsugi:…) you scanned.
    Join { payload: String },
}

pub fn init(ctx: &Ctx, name: &str) -> Result<()> {
    // A bad name is refused before anyone types a passphrase.
    kintsugi_core::validate::text("name", name, kintsugi_core::validate::MAX_NAME_CHARS)?;
    let existing = ctx.has_device();
    let (unlock, source) = if existing {
        ctx.unlocker.existing(&ctx.dir)?
    } else {
        ctx.unlocker.new_device(&ctx.dir)?
    };
    let device = Device::init(&ctx.dir, name, &unlock).map_err(|e| ctx.explain(e, &source))?;
    warn_damage(&device);
    println!(
        "This device is set up for {} in {}",
        device.profile().name,
        ctx.dir.display()
    );
    if !existing {
        match source {
            Source::KeyFile(path) => println!(
                "It unlocks with the key file {}: keep a copy somewhere safe, without it \
                 nobody can open this device's data.",
                path.display()
            ),
            _ => println!(
                "It unlocks with your passphrase: without it nobody can open this device's data."
            ),
        }
    }
    Ok(())
}

pub async fn pair(ctx: &Ctx, action: PairAction) -> Result<()> {
    let node = spawn(Arc::new(Mutex::new(ctx.open()?)), &ctx.network).await?;
    let result = pair_with(&node, action).await;
    node.shutdown().await;
    result
}

/// Syncs once, then says what the partner added, without any of its content.
pub async fn sync(ctx: &Ctx) -> Result<()> {
    let device = Arc::new(Mutex::new(ctx.open()?));
    let (me, before) = {
        let device = lock(&device);
        (
            device.member_id().to_owned(),
            device.snapshot().unwrap_or_default(),
        )
    };
    let node = spawn(device.clone(), &ctx.network).await?;
    let result = node.sync_now().await;
    node.shutdown().await;
    let report = result?;
    println!(
        "Up to date with your partner: {} new change(s) received, {} bytes sent, {} received.",
        report.changes_received, report.bytes_sent, report.bytes_received
    );
    let after: Snapshot = lock(&device).snapshot().unwrap_or_default();
    for line in notice_lines(&notices(&before, &after, &me)) {
        println!("{line}");
    }
    Ok(())
}

pub async fn serve(ctx: &Ctx) -> Result<()> {
    let node = spawn(Arc::new(Mutex::new(ctx.open()?)), &ctx.network).await?;
    match node.partner() {
        Some(p) => println!("Reachable for {} — press Ctrl-C to stop.", p.name),
        None => println!("Reachable, but not paired yet — press Ctrl-C to stop."),
    }
    flush();
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    node.shutdown().await;
    Ok(())
}

fn notice_lines(notices: &[Notice]) -> Vec<String> {
    notices
        .iter()
        .map(|n| match n.count {
            1 => format!("  · {}", n.text),
            count => format!("  · {} ({count} times).", n.text.trim_end_matches('.')),
        })
        .collect()
}

fn lock(device: &Mutex<Device>) -> std::sync::MutexGuard<'_, Device> {
    device.lock().unwrap_or_else(|p| p.into_inner())
}

async fn spawn(device: Arc<Mutex<Device>>, network: &NetworkConfig) -> Result<Node> {
    Node::spawn(device, network)
        .await
        .context("starting networking")
}

async fn pair_with(node: &Node, action: PairAction) -> Result<()> {
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
            let minutes = kintsugi_sync::invite::INVITE_LIFETIME.as_secs() / 60;
            println!("The code works for {minutes} minutes.");
            flush();
            let wait = tokio::time::sleep(kintsugi_sync::invite::INVITE_LIFETIME);
            tokio::select! {
                partner = node.wait_for_partner() => println!("Paired with {}.", partner.name),
                _ = wait => bail!("the code expired before your partner used it: run `pair invite` again"),
            }
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
