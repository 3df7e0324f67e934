//! `kintsugi summary`: a report a partner chooses to bring to a therapist,
//! as Markdown and a standalone HTML page, optionally sealed with age to the
//! therapist's recipient so nothing readable is written to disk.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{ArgGroup, Args, ValueEnum};
use kintsugi_core::views::summary::{
    SUMMARY_KIND_ORDER, SummaryChoice, seal_for_therapist, therapist_recipient,
};
use kintsugi_core::views::{NOTE_NOT_SHARED, RecordKind, summary::kind_words};
use kintsugi_core::{CoreError, now_millis};

use super::Ctx;
use crate::files::{refuse_existing, write_new_private_file};

#[derive(Args)]
#[command(group(ArgGroup::new("output").required(true).multiple(true).args(["out", "markdown", "html"])))]
pub struct SummaryArgs {
    /// First day of the period (YYYY-MM-DD), inclusive.
    #[arg(long, value_name = "DAY")]
    from: String,
    /// Last day of the period (YYYY-MM-DD), inclusive.
    #[arg(long, value_name = "DAY")]
    until: String,
    /// Which kinds of shared records to bring, comma-separated (nothing is
    /// brought unless named): checkins, agreements, commitments, offers,
    /// requests, disclosures, questions, therapist-questions (only the
    /// questions tagged "for the therapist"), triggers, appreciations,
    /// together, phase, surveys; or all.
    #[arg(long, value_name = "KINDS", value_delimiter = ',', required = true)]
    kinds: Vec<KindArg>,
    /// Add one entry of your private journal or notes, by its id (see
    /// `kintsugi journal list --json` / `kintsugi note list --json`); repeat
    /// for several. Nothing else from your private space is ever included.
    #[arg(long = "private-entry", value_name = "ID")]
    private_entries: Vec<String>,
    /// Seal the files with age to the therapist's recipient (age1…): only
    /// their identity opens them, and nothing readable is written.
    #[arg(long, value_name = "RECIPIENT")]
    to: Option<String>,
    /// Write summary.md and summary.html (summary.md.age and
    /// summary.html.age when sealed) into this directory (made if missing).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["markdown", "html"])]
    out: Option<PathBuf>,
    /// Write the Markdown report to this file.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Write the HTML page to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// The time zone the dates are shown in (an IANA name such as
    /// Europe/Berlin); this device's by default.
    #[arg(long, value_name = "ZONE")]
    time_zone: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KindArg {
    #[value(alias = "checkin", alias = "check-ins")]
    Checkins,
    #[value(alias = "agreement")]
    Agreements,
    #[value(alias = "commitment")]
    Commitments,
    #[value(alias = "offer")]
    Offers,
    #[value(alias = "request")]
    Requests,
    #[value(alias = "disclosure")]
    Disclosures,
    #[value(alias = "question")]
    Questions,
    TherapistQuestions,
    #[value(alias = "trigger")]
    Triggers,
    #[value(alias = "appreciation")]
    Appreciations,
    Together,
    #[value(alias = "phases")]
    Phase,
    #[value(alias = "survey")]
    Surveys,
    All,
}

impl KindArg {
    fn kinds(self) -> Vec<RecordKind> {
        match self {
            KindArg::Checkins => vec![RecordKind::CheckIn],
            KindArg::Agreements => vec![RecordKind::Agreement],
            KindArg::Commitments => vec![RecordKind::Commitment],
            KindArg::Offers => vec![RecordKind::Offer],
            KindArg::Requests => vec![RecordKind::Request],
            KindArg::Disclosures => vec![RecordKind::Disclosure],
            KindArg::Questions | KindArg::TherapistQuestions => vec![RecordKind::Question],
            KindArg::Triggers => vec![RecordKind::Trigger],
            KindArg::Appreciations => vec![RecordKind::Appreciation],
            KindArg::Together => vec![RecordKind::TimeTogether],
            KindArg::Phase => vec![RecordKind::Phase],
            KindArg::Surveys => vec![RecordKind::Survey],
            KindArg::All => SUMMARY_KIND_ORDER.to_vec(),
        }
    }
}

/// Where each rendering goes.
struct Targets {
    markdown: Option<PathBuf>,
    html: Option<PathBuf>,
}

impl Targets {
    fn of(args: &SummaryArgs) -> Result<Targets> {
        if let Some(dir) = &args.out {
            let ext = if args.to.is_some() { ".age" } else { "" };
            if dir.exists() && !dir.is_dir() {
                bail!("{} exists and is not a directory", dir.display());
            }
            return Ok(Targets {
                markdown: Some(dir.join(format!("summary.md{ext}"))),
                html: Some(dir.join(format!("summary.html{ext}"))),
            });
        }
        Ok(Targets {
            markdown: args.markdown.clone(),
            html: args.html.clone(),
        })
    }

    fn each(&self) -> impl Iterator<Item = &PathBuf> {
        self.markdown.iter().chain(&self.html)
    }
}

fn day(flag: &str, value: &str) -> Result<jiff::civil::Date> {
    value
        .trim()
        .parse()
        .with_context(|| format!("{flag} must be a day like 2026-09-01, got {value:?}"))
}

pub fn run(ctx: &Ctx, args: SummaryArgs) -> Result<()> {
    // Everything that can be refused is refused before the passphrase is asked.
    let (from, until) = (day("--from", &args.from)?, day("--until", &args.until)?);
    if until < from {
        bail!(
            "the period ends on {until}, before it starts on {from}: --from is the first day \
             and --until the last"
        );
    }
    if let Some(to) = &args.to {
        if to.trim().parse::<jiff::civil::Date>().is_ok() {
            bail!(
                "--to takes the therapist's age recipient (age1…), not a day; the last day of \
                 the period is --until"
            );
        }
        therapist_recipient(to)?;
    }
    let targets = Targets::of(&args)?;
    for path in targets.each() {
        refuse_existing(path)?;
    }
    let mut kinds: Vec<RecordKind> = args.kinds.iter().flat_map(|k| k.kinds()).collect();
    kinds.sort();
    kinds.dedup();
    let therapist_questions_only = args.kinds.contains(&KindArg::TherapistQuestions)
        && !args
            .kinds
            .iter()
            .any(|k| matches!(k, KindArg::Questions | KindArg::All));
    let time_zone = args
        .time_zone
        .clone()
        .or_else(|| jiff::tz::TimeZone::system().iana_name().map(str::to_owned));

    let mut device = ctx.open()?;
    if !args.private_entries.is_empty() {
        // Private entries come only past the private lock, when it is on.
        super::require_private_unlocked(&device)?;
    }
    let choice = SummaryChoice {
        prepared_by: device.member_id().to_owned(),
        from: from.to_string(),
        to: until.to_string(),
        kinds,
        therapist_questions_only,
        private_entries: args.private_entries.clone(),
        time_zone,
        prepared_at: now_millis(),
    };
    // Prepared and, in the same step, traced in the shared space: your
    // partner sees that a summary was made, its period and kinds.
    let rendered = device
        .prepare_therapist_summary(&choice)
        .map_err(|e| match e {
            CoreError::UnknownId { kind: "member", .. } => anyhow::anyhow!(
                "this device has no shared space yet; there is nothing to summarise"
            ),
            other => anyhow::anyhow!(other),
        })?;

    for dir in targets.each().filter_map(|p| p.parent()) {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    let seal = |bytes: &[u8]| -> Result<Vec<u8>> {
        match &args.to {
            Some(to) => Ok(seal_for_therapist(to, bytes)?),
            None => Ok(bytes.to_vec()),
        }
    };
    // Sealed in memory first: a plaintext copy never touches the disk.
    let mut files: Vec<(&Path, Vec<u8>)> = Vec::new();
    if let Some(path) = &targets.markdown {
        files.push((path, seal(rendered.markdown.as_bytes())?));
    }
    if let Some(path) = &targets.html {
        files.push((path, seal(rendered.html.as_bytes())?));
    }
    for (path, bytes) in &files {
        write_new_private_file(path, bytes)?;
    }

    let s = &rendered.summary;
    let brought: Vec<&str> = s.included.iter().map(|k| kind_words(*k)).collect();
    println!("Summary for the therapist, {}.", s.period);
    println!(
        "  brought: {}",
        if brought.is_empty() {
            "no shared records".to_owned()
        } else {
            brought.join(", ")
        }
    );
    if !s.private_entries.is_empty() {
        println!(
            "  and {} private entr{} you chose",
            s.private_entries.len(),
            if s.private_entries.len() == 1 {
                "y"
            } else {
                "ies"
            }
        );
    }
    if let Some(partner) = &s.partner {
        if s.partner_words {
            println!("  with {}'s own words (they allowed them)", partner.name);
        } else {
            println!(
                "  {}'s notes and texts read \"{NOTE_NOT_SHARED}\": they have not allowed their words in summaries",
                partner.name
            );
        }
        println!(
            "  {} sees that you prepared it (the period and kinds, never its text)",
            partner.name
        );
    }
    for (path, _) in &files {
        println!("  wrote {}", path.display());
    }
    match &args.to {
        Some(to) => println!(
            "Sealed with age to {}: only the therapist's identity opens them (for example \
             `age -d -i KEY FILE`).",
            to.trim()
        ),
        None => eprintln!(
            "Warning: these files are NOT encrypted: anyone who can read them reads everything \
             in them. To send them, seal them with --to and the therapist's age recipient."
        ),
    }
    Ok(())
}

/// `kintsugi summaries`: the traces of summaries either partner prepared,
/// and whether your own words may appear in your partner's.
#[derive(clap::Subcommand)]
pub enum TraceAction {
    /// Every summary either of you prepared: who, when, the period and
    /// kinds, and which of your records your partner's drew on.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
    /// Whether your own notes and texts may appear in a summary your
    /// partner prepares (off until you turn it on; they see each change).
    MyWords { allowed: OnOff },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

pub fn traces(ctx: &Ctx, action: TraceAction) -> Result<()> {
    match action {
        TraceAction::MyWords { allowed } => {
            let allowed = matches!(allowed, OnOff::On);
            let mut device = ctx.open()?;
            device.update(|doc, now| doc.set_words_in_summaries(allowed, now))?;
            if allowed {
                println!(
                    "Your notes and texts may now appear in a summary your partner prepares for a therapist."
                );
            } else {
                println!(
                    "Your notes and texts stay out of summaries your partner prepares; your scores and dates may still appear."
                );
            }
        }
        TraceAction::List { json } => {
            let (device, snapshot, names) = ctx.read()?;
            if json {
                return crate::render::print_json(&snapshot.summaries);
            }
            let me = device.member_id().to_owned();
            let lines = snapshot
                .summaries
                .iter()
                .map(|s| {
                    let mut line = format!(
                        "{}  {} prepared a summary for a therapist: {} to {}; {}",
                        crate::render::when(s.at),
                        names.get(&s.by),
                        s.from,
                        s.to,
                        if s.kinds.is_empty() {
                            "no shared records".to_owned()
                        } else {
                            s.kinds.join(", ").replace('_', " ")
                        }
                    );
                    if s.by != me {
                        line.push_str(&format!(
                            "\n    drew on {} of your records{}",
                            s.drew_on.len(),
                            if s.drew_on.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    ": {}",
                                    s.drew_on
                                        .iter()
                                        .map(|id| crate::render::short(id))
                                        .collect::<Vec<_>>()
                                        .join(" ")
                                )
                            }
                        ));
                        if !s.partner_words {
                            line.push_str(" (your words were not in it)");
                        }
                    }
                    line
                })
                .collect();
            crate::render::print_lines(lines, "(no summary has been prepared)");
        }
    }
    Ok(())
}
