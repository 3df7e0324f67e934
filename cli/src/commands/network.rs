//! Setting up, pairing, syncing and staying reachable.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kintsugi_core::i18n::Messages;
use kintsugi_core::notify::{Notice, notices};
use kintsugi_core::{ChangeEvent, ChangeInbox, Device};
use kintsugi_sync::{NetworkConfig, Node, PairingRequest, SyncState, SyncStatus};

use super::{Ctx, warn_damage};
use crate::unlock::Source;

#[derive(Subcommand)]
pub enum PairAction {
    /// Show a QR code for your partner to scan, and wait until they join.
    Invite {
        /// Also write the QR code as an SVG image.
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Confirm the code without asking (for scripts): your partner still
        /// confirms on their side.
        #[arg(long)]
        yes: bool,
    },
    /// Join the partner whose pairing code (kintsugi:…) you scanned.
    Join {
        payload: String,
        /// Confirm the code without asking (for scripts).
        #[arg(long)]
        yes: bool,
    },
}

pub fn init(ctx: &Ctx, name: &str) -> Result<()> {
    // A bad name is refused before anyone types a passphrase.
    kintsugi_core::validate::text("name", name, kintsugi_core::validate::MAX_NAME_CHARS)?;
    let existing = ctx.has_device();
    let (unlock, source) = if existing {
        ctx.unlocker.existing(&ctx.dir)?
    } else {
        ctx.unlocker.new_device(&ctx.dir, &[name])?
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
    let (me, changes) = {
        let mut device = lock(&device);
        (
            device.member_id().to_owned(),
            ChangeInbox::subscribe(&mut device, || {}),
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
    lock(&device).announce_changes();
    print_news(changes.take(), &me, &ctx.messages);
    Ok(())
}

/// How often `serve` looks for changes other `kintsugi` commands saved.
const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);

/// Ends the pairing from this side, quietly unless `tell`; with `wipe`,
/// erases the device after, whatever happened before.
pub async fn unpair(ctx: &Ctx, tell: bool, wipe: bool, yes: bool) -> Result<()> {
    let outcome = leave(ctx, tell, yes || wipe).await;
    if wipe {
        if let Err(e) = &outcome {
            eprintln!("Unpairing did not complete ({e:#}); erasing this device anyway.");
        }
        return super::data::wipe(ctx, true);
    }
    outcome
}

async fn leave(ctx: &Ctx, tell: bool, yes: bool) -> Result<()> {
    let mut device = ctx.open()?;
    let Some(partner) = kintsugi_sync::Partner::load(device.store())? else {
        bail!("this device is not paired with anyone");
    };
    if !yes
        && !super::data::ask(&format!(
            "End the pairing with {}? This device stops syncing with theirs. You keep the \
             history already shared, read-only; so do they. [y/N] ",
            partner.name
        ))?
    {
        println!("Still paired with {}.", partner.name);
        return Ok(());
    }
    if !tell {
        // No network at all: forget, archive, rotate keys.
        let left = kintsugi_sync::unpair::leave(&mut device)?;
        println!(
            "The pairing with {} has ended on this device. Nothing was sent to their device: \
             to it, this phone now looks offline. Your shared history is kept here, \
             read-only{}.",
            partner.name,
            if left.archive.is_some() {
                " (`kintsugi archive list`)"
            } else {
                ""
            }
        );
        return Ok(());
    }
    let node = spawn(Arc::new(Mutex::new(device)), &ctx.network).await?;
    if node.unpair(true).await? {
        println!(
            "The pairing with {} has ended; their device was told.",
            partner.name
        );
    } else {
        println!(
            "The pairing with {} has ended on this device. Their device could not be reached \
             to be told: to it, this phone now looks offline.",
            partner.name
        );
    }
    Ok(())
}

/// The notices of what the partner changed, one line each.
fn print_news(event: Option<ChangeEvent>, me: &str, messages: &Messages) {
    if let Some(event) = event {
        let found = notices(&event.delta.before, &event.delta.after, me);
        for line in notice_lines(&found, messages) {
            println!("{line}");
        }
    }
}

pub async fn serve(ctx: &Ctx) -> Result<()> {
    let device = Arc::new(Mutex::new(ctx.open()?));
    // What the partner adds is told as the in-app notices: a terminal is
    // the unlocked app, not a lock screen.
    let (me, changes) = {
        let mut device = lock(&device);
        (
            device.member_id().to_owned(),
            ChangeInbox::subscribe(&mut device, || {}),
        )
    };
    let node = spawn(device.clone(), &ctx.network).await?;
    match node.partner() {
        Some(p) => println!("Reachable for {} — press Ctrl-C to stop.", p.name),
        None => println!("Reachable, but not paired yet — press Ctrl-C to stop."),
    }
    flush();
    // Live: what this or another terminal records reaches the partner as
    // soon as it is saved, while both are reachable.
    node.start_live();
    node.watch_data_dir(WATCH_INTERVAL);
    let mut status = node.status();
    let mut received = node.changes_received();
    let report = async {
        loop {
            tokio::select! {
                changed = status.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let now = *status.borrow_and_update();
                    println!("{}", status_line(&now));
                }
                changed = received.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    received.borrow_and_update();
                    lock(&device).announce_changes();
                    print_news(changes.take(), &me, &ctx.messages);
                }
            }
            flush();
        }
    };
    tokio::select! {
        signal = tokio::signal::ctrl_c() => signal.context("waiting for Ctrl-C")?,
        () = report => {}
    }
    node.shutdown().await;
    Ok(())
}

/// The pairing as this device remembers it, without touching the network.
/// When the devices were last in sync is not shown: it is when the
/// partner's device was last online (docs/threat-model.md).
pub fn status(ctx: &Ctx, as_json: bool) -> Result<()> {
    let device = ctx.open()?;
    let partner = kintsugi_sync::Partner::load(device.store())?;
    if as_json {
        return crate::render::print_json(&serde_json::json!({
            "paired": partner.is_some(),
            "partner": partner.as_ref().map(|p| serde_json::json!({
                "name": p.name,
                "member_id": p.member_id,
                "paired_at": p.paired_at,
            })),
        }));
    }
    match partner {
        None => println!("Not paired: run `kintsugi pair invite` or `kintsugi pair join`."),
        Some(p) => println!("Paired with {} since {}.", p.name, when(p.paired_at)),
    }
    Ok(())
}

fn when(ms: kintsugi_core::Millis) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| ms.to_string())
}

/// One line per change of sync status, for people and scripts alike. No
/// time the partner's device was reached or lost: that is when it was
/// online or switched off.
pub fn status_line(status: &SyncStatus) -> String {
    match status.state {
        SyncState::Idle => "Sync: idle".to_owned(),
        SyncState::Connecting => "Sync: connecting to your partner's device".to_owned(),
        SyncState::Syncing => "Sync: syncing".to_owned(),
        SyncState::UpToDate => "Sync: up to date".to_owned(),
        SyncState::Unreachable { .. } => "Sync: your partner's device is not reachable now \
                                           (both keep working apart)"
            .to_owned(),
        SyncState::Paused { since } => format!(
            "Sync: paused since {}: your partner's device sent changes this app cannot accept, \
             and nothing of them was kept (`kintsugi sync` tries again)",
            when(since)
        ),
        SyncState::QuotaReached { until } => format!(
            "Sync: your partner's device sent more in a day than this app takes in; its new \
             changes wait until {} (yours still reach your partner)",
            when(until)
        ),
    }
}

fn notice_lines(notices: &[Notice], messages: &Messages) -> Vec<String> {
    notices
        .iter()
        .map(|n| match n.count {
            1 => format!("  · {}", n.text(messages)),
            count => format!(
                "  · {} ({count} times).",
                n.text(messages).trim_end_matches('.')
            ),
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
        PairAction::Invite { svg, yes } => {
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
            let request = tokio::select! {
                request = node.next_pairing_request() => request,
                _ = wait => bail!("the code expired before your partner used it: run `pair invite` again"),
            };
            let partner = decide(request, yes).await?;
            node.wait_for_partner().await;
            println!("Paired with {}.", partner.name);
        }
        PairAction::Join { payload, yes } => {
            if node.partner().is_some() {
                bail!("this device is already paired");
            }
            let request = node.join(&payload).await?;
            let partner = decide(request, yes).await?;
            println!("Paired with {}. You now share one space.", partner.name);
        }
    }
    Ok(())
}

/// Shows the confirmation code and asks whether the partner's screen shows
/// the same one (or takes `--yes`). Who is on the other side is told only
/// once both confirmed.
async fn decide(request: PairingRequest, yes: bool) -> Result<kintsugi_sync::Partner> {
    println!(
        "A phone wants to pair. Confirmation code: {}",
        request.code()
    );
    println!("Check that your partner's screen shows the same code.");
    let confirmed = if yes {
        println!("Confirmed (--yes).");
        true
    } else {
        print!("Does it match? [y/N] ");
        flush();
        let answer = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        })
        .await
        .context("reading the answer")?
        .context("reading the answer")?;
        matches!(answer.trim(), "y" | "Y" | "yes" | "Yes")
    };
    if !confirmed {
        request.reject().await;
        bail!("pairing cancelled: nothing was shared");
    }
    flush();
    Ok(request.confirm().await?)
}

fn flush() {
    let _ = std::io::stdout().flush();
}
