//! The subcommands, one module per record family (plus networking, the
//! private space and the derived views). Each module owns its clap types and
//! a `run` function; this one only routes.

mod agreements;
mod appreciations;
mod backups;
mod bundles;
mod checkins;
mod commitments;
mod data;
mod disclosures;
mod keys;
mod members;
mod network;
mod offers;
mod phase;
mod private;
mod questions;
mod requests;
mod settings;
mod summary;
mod surveys;
mod together;
mod triggers;
mod views;

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use kintsugi_core::storage::files;
use kintsugi_core::{CoreError, Device, FirstScreen, Snapshot, Unlock};
use kintsugi_sync::NetworkConfig;

pub use keys::{Action as KeyAction, new as new_key_file};
pub use private::require_unlocked as require_private_unlocked;

use crate::render::Names;
use crate::unlock::{Source, Unlocker};

/// What every command gets: where the data lives, how to unlock it and how
/// to reach the partner.
pub struct Ctx {
    pub dir: PathBuf,
    pub network: NetworkConfig,
    pub unlocker: Unlocker,
    /// `--archive ID`: views and exports read this archived space.
    pub archive: Option<String>,
    /// The language of the core's texts (`--lang`, else the system's).
    pub messages: kintsugi_core::i18n::Messages,
}

impl Ctx {
    /// Unlocks and opens the device, warning about any file found damaged.
    pub fn open(&self) -> Result<Device> {
        let (unlock, source) = self.unlock()?;
        self.open_with(&unlock, &source)
    }

    /// What unlocks the device (asked once: a view tries the first-screen
    /// cache with it, then opens the device with it if need be).
    pub fn unlock(&self) -> Result<(Unlock, Source)> {
        self.require_device()?;
        self.unlocker.existing(&self.dir)
    }

    /// Opens the device with what [`Self::unlock`] gave.
    pub fn open_with(&self, unlock: &Unlock, source: &Source) -> Result<Device> {
        let device = Device::open(&self.dir, unlock).map_err(|e| self.explain(e, source))?;
        warn_damage(&device);
        Ok(device)
    }

    /// The newest timeline entries and the weekly bands as last saved, for
    /// a view that can be shown without loading the document (the shared
    /// space only, never an archive); `None`: open the device.
    pub fn first_screen(&self, unlock: &Unlock, source: &Source) -> Result<Option<FirstScreen>> {
        if self.archive.is_some() {
            return Ok(None);
        }
        Device::first_screen(&self.dir, unlock).map_err(|e| self.explain(e, source))
    }

    /// The device, every shared record, and the names to show them with.
    pub fn read(&self) -> Result<(Device, std::sync::Arc<Snapshot>, Names)> {
        let device = self.open()?;
        let (snapshot, names) = self.shown(&device)?;
        Ok((device, snapshot, names))
    }

    /// Every record of the space shown (the shared one, or `--archive`),
    /// and the names to show them with.
    pub fn shown(&self, device: &Device) -> Result<(std::sync::Arc<Snapshot>, Names)> {
        let snapshot = match &self.archive {
            Some(id) => device.open_archive(id)?.snapshot(),
            None => device.snapshot()?,
        };
        let names = Names::from_members(&snapshot.members, device.member_id());
        Ok((snapshot, names))
    }

    /// Whether a device was set up in the data directory (its key is there).
    pub fn has_device(&self) -> bool {
        self.dir.join(files::KEY).exists()
    }

    /// Refuses before asking for any passphrase when there is nothing to unlock.
    pub fn require_device(&self) -> Result<()> {
        if self.has_device() {
            Ok(())
        } else {
            Err(anyhow!(CoreError::NoDevice {
                dir: self.dir.clone()
            }))
        }
    }

    /// A core error in the words of the command line: a key that does not
    /// fit names where it came from.
    pub fn explain(&self, err: CoreError, source: &Source) -> anyhow::Error {
        match err {
            CoreError::WrongKey { .. } => anyhow!(
                "the passphrase or key does not unlock this device in {} ({source} does not \
                 fit); nothing was changed",
                self.dir.display()
            ),
            other => anyhow!(other).context(format!("opening {}", self.dir.display())),
        }
    }
}

/// Each file found damaged when the device was opened, as a warning on stderr.
pub fn warn_damage(device: &Device) {
    for damage in device.damage() {
        let private = damage
            .path
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == files::PRIVATE_DIR);
        let after = if private {
            "the rest was recovered; what this file held of your private journal and notes \
             cannot come back from your partner, since they never leave this device"
        } else {
            "the rest was recovered; the next sync asks your partner for what was lost"
        };
        eprintln!("Warning: {damage}; {after}.");
    }
}

/// Today's date on this device (`YYYY-MM-DD`), for the views that take `today`.
pub fn today() -> String {
    jiff::Zoned::now().date().to_string()
}

/// `--kept` or `--slipped`, exactly one.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct KeptOrSlipped {
    /// You kept it.
    #[arg(long)]
    kept: bool,
    /// You slipped; saying so honestly is part of the record.
    #[arg(long)]
    slipped: bool,
}

impl KeptOrSlipped {
    pub fn kept(&self) -> bool {
        self.kept
    }
}

/// The full id of the record a prefix named (after the core accepted it).
pub fn full_id<'a>(prefix: &str, ids: impl IntoIterator<Item = &'a str>) -> String {
    let prefix = prefix.trim();
    ids.into_iter()
        .find(|id| id.starts_with(prefix))
        .unwrap_or(prefix)
        .to_owned()
}

#[derive(Subcommand)]
pub enum Command {
    /// Set up this device with the name your partner will see.
    Init {
        #[arg(long)]
        name: String,
    },
    /// Pair with your partner's device.
    Pair {
        #[command(subcommand)]
        action: network::PairAction,
    },
    /// Say how you describe your place in what happened (only your own), or show both.
    Role(members::RoleArgs),
    /// Record a check-in: how safe, trusting and connected you feel (0–10).
    Checkin(checkins::CheckinArgs),
    /// List every check-in of both partners.
    Checkins {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
    /// The mood words a check-in offers.
    Moods {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
    /// Agreements and boundaries: proposed by one partner, in force once the other accepts.
    Agreement {
        #[command(subcommand)]
        action: agreements::Action,
    },
    /// Transparency you offer for a while, and can withdraw alone at any time.
    Offer {
        #[command(subcommand)]
        action: offers::Action,
    },
    /// Small, specific things you would like from your partner.
    Request {
        #[command(subcommand)]
        action: requests::Action,
    },
    /// Volunteer something true (e.g. that the affair partner made contact).
    Disclose(disclosures::DiscloseArgs),
    /// Your disclosures: add what was done about one, or list them.
    Disclosure {
        #[command(subcommand)]
        action: disclosures::Action,
    },
    /// Questions, with space before talking about them.
    Question {
        #[command(subcommand)]
        action: questions::Action,
    },
    /// Moments that hurt again, and the repair that follows.
    Trigger {
        #[command(subcommand)]
        action: triggers::Action,
    },
    /// Thank or praise your partner.
    Appreciate { text: String },
    /// List the appreciations between you.
    Appreciations {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
    /// Dates, rituals and recreated memories.
    Together {
        #[command(subcommand)]
        action: together::Action,
    },
    /// The recovery phase (atone → attune → attach) and its history.
    Phase(phase::PhaseArgs),
    /// The monthly trust survey.
    Survey {
        #[command(subcommand)]
        action: surveys::Action,
    },
    /// Commitments of your own: no contact, added responsibilities, small changes.
    Commitment {
        #[command(subcommand)]
        action: commitments::Action,
    },
    /// Your private journal: it never leaves this device.
    Journal {
        #[command(subcommand)]
        action: private::JournalAction,
    },
    /// Your private notes: they never leave this device.
    Note {
        #[command(subcommand)]
        action: private::NoteAction,
    },
    /// A passphrase of its own before your journal and notes are shown,
    /// even at a terminal where this device opens by itself.
    PrivateLock {
        #[command(subcommand)]
        action: private::LockAction,
    },
    /// Settings of this device alone (never synced), e.g. `settings notices --interval 30`.
    Settings {
        #[command(subcommand)]
        action: settings::Action,
    },
    /// Everything that happened in the shared space, newest first.
    Timeline(views::TimelineArgs),
    /// Check-in scores per week: the middle and the range.
    Trends {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
    /// How requested things, agreements and commitments were kept over four weeks.
    Consistency(views::ConsistencyArgs),
    /// Signs of progress: the last four weeks beside the four before.
    Progress {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
    /// Whether a couples therapist might help right now, and why.
    Counselling {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
    /// A report you choose to bring to a therapist (Markdown and HTML), optionally sealed to them.
    /// Your partner sees that you prepared one (its period and kinds, never its text).
    Summary(summary::SummaryArgs),
    /// Summaries either of you prepared, and whether your own words may appear in your partner's.
    Summaries {
        #[command(subcommand)]
        action: summary::TraceAction,
    },
    /// Make a key file, or change what unlocks this device (passphrase or key file).
    Key {
        #[command(subcommand)]
        action: keys::Action,
    },
    /// Write the shared space to a file (NOT encrypted): Automerge or readable JSON.
    Export(data::ExportArgs),
    /// Merge an Automerge export of your own shared space back in.
    Import(data::ImportArgs),
    /// Shared spaces of earlier pairings, kept read-only on this device
    /// (read one with `--archive ID timeline`, `--archive ID export …`).
    Archive {
        #[command(subcommand)]
        action: data::ArchiveAction,
    },
    /// How much this device's shared space takes on disk.
    Storage {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
        /// Also the private journal and notes (asks the private lock, if on).
        #[arg(long)]
        private: bool,
    },
    /// Fold each document's saved changes into one snapshot now.
    Compact,
    /// Erase this device's Kintsugi data (no passphrase needed). Your partner keeps theirs.
    Wipe {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Sync with your partner now (they must be reachable, e.g. running `serve`).
    Sync,
    /// Who this device is paired with, since when (no network; `serve`
    /// reports the live status as it changes).
    Status {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// End the pairing, from this side alone. Nothing is sent unless you
    /// pass --tell: to your partner's device this phone then looks offline.
    /// The shared space stays here, read-only (`kintsugi archive list`).
    Unpair {
        /// Also tell your partner's device (it then leaves too). Without it
        /// nothing is sent: to your partner this phone simply looks offline.
        #[arg(long)]
        tell: bool,
        /// Also erase this device's Kintsugi data afterwards (even if
        /// unpairing fails).
        #[arg(long)]
        wipe: bool,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Stay reachable for your partner until interrupted (Ctrl-C).
    Serve,
    /// Sync with no shared moment online: sealed files only your partner's
    /// device can open, carried any way (a file, a shared folder).
    Bundle {
        #[command(subcommand)]
        action: bundles::Action,
    },
    /// Back up this device, sealed to its recovery key, or restore a lost one.
    Backup {
        #[command(subcommand)]
        action: backups::Action,
    },
    /// Two devices in temporary directories pair, write apart, sync and converge.
    Demo,
}

pub async fn run(ctx: &Ctx, command: Command) -> Result<()> {
    let reads_only = matches!(
        command,
        Command::Timeline(_)
            | Command::Trends { .. }
            | Command::Consistency(_)
            | Command::Progress { .. }
            | Command::Counselling { .. }
            | Command::Export(_)
            | Command::Archive { .. }
    );
    if ctx.archive.is_some() && !reads_only {
        anyhow::bail!(
            "--archive reads an archived space: only the views (timeline, trends, consistency, \
             progress, counselling) and export read it; it is never written or synced"
        );
    }
    match command {
        Command::Demo => unreachable!("handled before the data directory is chosen"),
        Command::Key { action } => keys::run(ctx, action),
        Command::Export(args) => data::export(ctx, args),
        Command::Import(args) => data::import(ctx, args),
        Command::Archive { action } => data::archive(ctx, action),
        Command::Storage { json, private } => data::storage(ctx, json, private),
        Command::Compact => data::compact(ctx),
        Command::Wipe { yes } => data::wipe(ctx, yes),
        Command::Init { name } => network::init(ctx, &name),
        Command::Pair { action } => network::pair(ctx, action).await,
        Command::Sync => network::sync(ctx).await,
        Command::Status { json } => network::status(ctx, json),
        Command::Unpair { tell, wipe, yes } => network::unpair(ctx, tell, wipe, yes).await,
        Command::Serve => network::serve(ctx).await,
        Command::Bundle { action } => bundles::run(ctx, action),
        Command::Backup { action } => backups::run(ctx, action),
        Command::Role(args) => members::run(ctx, args),
        Command::Checkin(args) => checkins::checkin(ctx, args),
        Command::Checkins { json } => checkins::list(ctx, json),
        Command::Moods { json } => checkins::moods(json),
        Command::Agreement { action } => agreements::run(ctx, action),
        Command::Offer { action } => offers::run(ctx, action),
        Command::Request { action } => requests::run(ctx, action),
        Command::Disclose(args) => disclosures::disclose(ctx, args),
        Command::Disclosure { action } => disclosures::run(ctx, action),
        Command::Question { action } => questions::run(ctx, action),
        Command::Trigger { action } => triggers::run(ctx, action),
        Command::Appreciate { text } => appreciations::appreciate(ctx, &text),
        Command::Appreciations { json } => appreciations::list(ctx, json),
        Command::Together { action } => together::run(ctx, action),
        Command::Phase(args) => phase::run(ctx, args),
        Command::Survey { action } => surveys::run(ctx, action),
        Command::Commitment { action } => commitments::run(ctx, action),
        Command::Journal { action } => private::journal(ctx, action),
        Command::Note { action } => private::note(ctx, action),
        Command::PrivateLock { action } => private::lock(ctx, action),
        Command::Settings { action } => settings::run(ctx, action),
        Command::Timeline(args) => views::timeline(ctx, args),
        Command::Trends { json } => views::trends(ctx, json),
        Command::Consistency(args) => views::consistency(ctx, args),
        Command::Progress { json } => views::progress(ctx, json),
        Command::Counselling { json } => views::counselling(ctx, json),
        Command::Summary(args) => summary::run(ctx, args),
        Command::Summaries { action } => summary::traces(ctx, action),
    }
}
