//! The derived views: timeline, weekly trends, consistency, signs of
//! progress and the counselling prompt. The core computes them; this only
//! prints them, plainly and without alarm.

use anyhow::Result;
use clap::{Args, ValueEnum};
use kintsugi_core::Member;
use kintsugi_core::now_millis;
use kintsugi_core::views::{
    self, Band, ConsistencyWindow, Direction, EntryKind, MemberKept, Progress, RecordKind,
    SignName, TimelineEntry, TimelineFilter, TimelinePage, WeeklyBand,
};

use super::{Ctx, today};
use crate::render::{self, Names, num, plural, short, when};

#[derive(Args)]
pub struct TimelineArgs {
    /// Only these record families (repeat for several).
    #[arg(long = "kind", value_name = "KIND")]
    kinds: Vec<KindArg>,
    /// Only what you did, or only what your partner did.
    #[arg(long, value_name = "WHO")]
    partner: Option<Who>,
    /// At most this many entries (the newest).
    #[arg(long)]
    limit: Option<usize>,
    /// Continue with the older entries after the page that printed this cursor.
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
    /// Print as JSON (the core's records, pretty-printed).
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Agreement,
    Offer,
    Checkin,
    Request,
    Disclosure,
    Question,
    Trigger,
    Appreciation,
    Together,
    Phase,
    Survey,
    Commitment,
    /// Names, roles and summary settings.
    Member,
    /// Summaries prepared for a therapist.
    Summary,
}

impl From<KindArg> for RecordKind {
    fn from(k: KindArg) -> RecordKind {
        match k {
            KindArg::Agreement => RecordKind::Agreement,
            KindArg::Offer => RecordKind::Offer,
            KindArg::Checkin => RecordKind::CheckIn,
            KindArg::Request => RecordKind::Request,
            KindArg::Disclosure => RecordKind::Disclosure,
            KindArg::Question => RecordKind::Question,
            KindArg::Trigger => RecordKind::Trigger,
            KindArg::Appreciation => RecordKind::Appreciation,
            KindArg::Together => RecordKind::TimeTogether,
            KindArg::Phase => RecordKind::Phase,
            KindArg::Survey => RecordKind::Survey,
            KindArg::Commitment => RecordKind::Commitment,
            KindArg::Member => RecordKind::Member,
            KindArg::Summary => RecordKind::Summary,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Who {
    Me,
    Partner,
}

#[derive(Args)]
pub struct ConsistencyArgs {
    /// How many four-week windows to show, newest first, each ending a week
    /// before the previous one.
    #[arg(long, default_value_t = 1)]
    windows: usize,
    /// Print as JSON (the core's records, pretty-printed).
    #[arg(long)]
    json: bool,
}

pub fn timeline(ctx: &Ctx, args: TimelineArgs) -> Result<()> {
    let (unlock, source) = ctx.unlock()?;
    // The newest pages come from what the last close saved, without
    // loading the document, when that still speaks for it.
    if let Some(screen) = ctx.first_screen(&unlock, &source)? {
        let filter = timeline_filter(&args, &screen.member_id, screen.members());
        if let Some(page) = screen.page(&filter)? {
            let names = Names::from_members(screen.members(), &screen.member_id);
            return print_timeline(page, &names, args.json);
        }
    }
    let device = ctx.open_with(&unlock, &source)?;
    let (snapshot, names) = ctx.shown(&device)?;
    let filter = timeline_filter(&args, device.member_id(), &snapshot.members);
    // One page from the read model's index (an archive is read whole).
    let page = match &ctx.archive {
        Some(id) => device.open_archive(id)?.timeline(&filter)?,
        None => device.timeline(&filter)?,
    };
    print_timeline(page, &names, args.json)
}

/// The filter `args` ask for, for member `me` of a space of `members`.
fn timeline_filter(args: &TimelineArgs, me: &str, members: &[Member]) -> TimelineFilter {
    let author = match args.partner {
        None => None,
        Some(Who::Me) => Some(me.to_owned()),
        // Before the partner joins, nothing is theirs: an id no member has.
        Some(Who::Partner) => Some(
            members
                .iter()
                .map(|m| m.id.clone())
                .find(|id| id != me)
                .unwrap_or_else(|| "(no partner yet)".into()),
        ),
    };
    TimelineFilter {
        kinds: args.kinds.iter().copied().map(RecordKind::from).collect(),
        author,
        limit: args.limit,
        cursor: args.after.clone(),
        now: now_millis(),
        ..TimelineFilter::default()
    }
}

fn print_timeline(page: TimelinePage, names: &Names, json: bool) -> Result<()> {
    if json {
        return render::print_json(&page.entries);
    }
    let lines = page
        .entries
        .iter()
        .map(|e| timeline_line(e, names))
        .collect();
    render::print_lines(lines, "(nothing here yet)");
    if let Some(next) = page.next {
        println!("(older entries: --after {next})");
    }
    Ok(())
}

fn timeline_line(e: &TimelineEntry, names: &Names) -> String {
    let what = entry_words(e.kind);
    let who = match &e.author {
        Some(id) => format!("{} {what}", names.get(id)),
        None => what.to_owned(),
    };
    let mut line = format!("{}  {who}", when(e.at));
    if !e.summary.is_empty() {
        line.push_str(&format!(": {}", e.summary));
    }
    line.push_str(&format!("  ({})", short(&e.record_id)));
    line
}

fn entry_words(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::AgreementProposed => "proposed an agreement",
        EntryKind::AgreementRevised => "proposed new wording for an agreement",
        EntryKind::AgreementAccepted => "accepted an agreement",
        EntryKind::AgreementWithdrawn => "withdrew a proposal",
        EntryKind::AgreementKeptCheck => "noted on an agreement",
        EntryKind::OfferMade => "made an offer",
        EntryKind::OfferWithdrawn => "withdrew an offer",
        EntryKind::OfferExpired => "an offer ended",
        EntryKind::CheckIn => "checked in",
        EntryKind::RequestMade => "asked for something",
        EntryKind::RequestDone => "did something asked for",
        EntryKind::RequestAcknowledged => "answered something done",
        EntryKind::RequestRetired => "retired a request",
        EntryKind::Disclosure => "shared something",
        EntryKind::QuestionAsked => "asked a question",
        EntryKind::QuestionResponse => "responded to a question",
        EntryKind::Trigger => "noted a hard moment",
        EntryKind::TriggerRepair => "responded to a hard moment",
        EntryKind::Appreciation => "appreciated",
        EntryKind::TogetherPlanned => "planned time together",
        EntryKind::TogetherOutcome => "said how time together went",
        EntryKind::PhaseChange => "moved the recovery phase",
        EntryKind::Survey => "answered the trust survey",
        EntryKind::CommitmentMade => "made a commitment",
        EntryKind::CommitmentLog => "logged a commitment",
        EntryKind::CommitmentEnded => "ended a commitment",
        EntryKind::Edited => "edited",
        EntryKind::RequestAnswered => "answered a request",
        EntryKind::RoleChanged => "changed their role",
        EntryKind::WordsInSummariesChanged => "changed a summary setting",
        EntryKind::SummaryPrepared => "prepared a summary",
    }
}

pub fn trends(ctx: &Ctx, json: bool) -> Result<()> {
    let (unlock, source) = ctx.unlock()?;
    // As the last close saved them, when that still speaks for the
    // document; else kept with the read model (an archive is read whole).
    let (bands, names) = match ctx.first_screen(&unlock, &source)? {
        Some(screen) => (
            screen.weekly_bands().to_vec(),
            Names::from_members(screen.members(), &screen.member_id),
        ),
        None => {
            let device = ctx.open_with(&unlock, &source)?;
            let (_, names) = ctx.shown(&device)?;
            let bands = match &ctx.archive {
                Some(id) => device.open_archive(id)?.weekly_bands(),
                None => device.weekly_bands()?,
            };
            (bands, names)
        }
    };
    if json {
        return render::print_json(&bands);
    }
    let lines = bands.iter().flat_map(|b| band_lines(b, &names)).collect();
    render::print_lines(
        lines,
        "No check-ins yet; weeks appear here once there are some.",
    );
    Ok(())
}

fn band_lines(b: &WeeklyBand, names: &Names) -> Vec<String> {
    let band = |label: &str, band: &Band| {
        let range = if band.low == band.high {
            format!("{}", band.low)
        } else {
            format!("{}–{}", band.low, band.high)
        };
        format!("{label} median {} (range {range})", num(band.median))
    };
    let mut scores = vec![
        band("safety", &b.safety),
        band("trust", &b.trust),
        band("connection", &b.connection),
    ];
    if let Some(heard) = &b.heard {
        scores.push(band("heard", heard));
    }
    vec![
        format!(
            "{} · {} (week of {}) · {}",
            names.get(&b.member),
            b.week,
            b.week_start,
            plural(b.checkins, "check-in", "check-ins")
        ),
        format!("    {}", scores.join(" · ")),
    ]
}

pub fn consistency(ctx: &Ctx, args: ConsistencyArgs) -> Result<()> {
    let (_, snapshot, names) = ctx.read()?;
    let windows = views::consistency(&snapshot, &today(), args.windows);
    if args.json {
        return render::print_json(&windows);
    }
    let lines = windows
        .iter()
        .flat_map(|w| window_lines(w, &names))
        .collect();
    render::print_lines(lines, "Nothing to show.");
    Ok(())
}

fn window_lines(w: &ConsistencyWindow, names: &Names) -> Vec<String> {
    let mut out = vec![format!("{} to {}", w.start, w.end)];
    if w.requests.flows.is_empty() {
        out.push("  No requested things logged in these four weeks.".into());
    }
    for f in &w.requests.flows {
        // What was done and how it was received: counts, never a rate,
        // and nothing about what has had no word yet.
        let mut line = format!(
            "  {} did {} {} asked for",
            names.plain(&f.doer),
            plural(f.done, "thing", "things"),
            names.plain(&f.asker),
        );
        let mut received = Vec::new();
        if f.landed > 0 {
            received.push(format!("{} landed", f.landed));
        }
        if f.did_not_land > 0 {
            received.push(format!("{} did not land", f.did_not_land));
        }
        if !received.is_empty() {
            line.push_str(&format!(
                "; for {}, {}",
                names.plain(&f.asker),
                received.join(" and ")
            ));
        }
        line.push('.');
        out.push(line);
    }
    let kept = |by: &[MemberKept], verb: &str, unit: Option<(&str, &str)>| -> Vec<String> {
        by.iter()
            .map(|m| {
                let count = match unit {
                    Some((one, many)) => plural(m.kept, one, many),
                    None => m.kept.to_string(),
                };
                let mut line = format!("{} {verb} {count} kept", names.plain(&m.member));
                if m.slipped > 0 {
                    line.push_str(&format!(" and {} slipped", m.slipped));
                }
                line
            })
            .collect()
    };
    let mut agreements = format!("  Agreements in force: {}.", w.agreements.in_force);
    let notes = kept(&w.agreements.by_member, "noted", None);
    if !notes.is_empty() {
        agreements.push_str(&format!(" {}.", notes.join("; ")));
    }
    out.push(agreements);
    let logs = kept(&w.commitments.by_member, "logged", Some(("day", "days")));
    if !logs.is_empty() {
        out.push(format!("  Commitments: {}.", logs.join("; ")));
    }
    out
}

pub fn progress(ctx: &Ctx, json: bool) -> Result<()> {
    let (device, snapshot, names) = ctx.read()?;
    // From the read model's index (an archive is read whole).
    let progress = match &ctx.archive {
        Some(_) => views::signs_of_progress(&snapshot, &today()),
        None => device.signs_of_progress(&today())?,
    };
    if json {
        return render::print_json(&progress);
    }
    for line in progress_lines(&progress, &names) {
        println!("{line}");
    }
    Ok(())
}

fn progress_lines(p: &Progress, names: &Names) -> Vec<String> {
    let (Some(now), Some(before)) = (&p.now_period, &p.before_period) else {
        return vec!["Nothing to compare yet.".into()];
    };
    let mut out = vec![format!(
        "The last four weeks ({} to {}) beside the four before ({} to {}):",
        now.start, now.end, before.start, before.end
    )];
    let mut member: Option<&str> = None;
    for s in &p.signs {
        if member != Some(s.member.as_str()) {
            member = Some(s.member.as_str());
            out.push(names.get(&s.member));
        }
        let label = match s.name {
            SignName::SaferToTalk => "feeling safe to talk (median safety)",
            SignName::BeingListenedTo => "feeling listened to (median heard)",
            SignName::WarmMoments => "warm moments (appreciations, good time together)",
        };
        let value = |v: Option<f32>| v.map(num).unwrap_or_else(|| "—".into());
        let direction = match s.direction {
            Direction::Up => "higher",
            Direction::Down => "lower",
            Direction::Steady => "about the same",
            Direction::NotEnoughData => "not enough entries yet to compare",
        };
        out.push(format!(
            "  {label}: {} → {}, {direction}",
            value(s.before),
            value(s.now)
        ));
    }
    out
}

pub fn counselling(ctx: &Ctx, json: bool) -> Result<()> {
    let (device, snapshot, _) = ctx.read()?;
    // Worked out for this device's user: their own safety is theirs alone.
    let prompt = match &ctx.archive {
        Some(_) => {
            views::counselling_prompt_in(&snapshot, &today(), device.member_id(), &ctx.messages)
        }
        None => device.counselling_prompt(&today(), &ctx.messages)?,
    };
    if json {
        return render::print_json(&prompt);
    }
    match prompt {
        None => println!("No prompt right now."),
        Some(p) => {
            println!("{}", p.message);
            if !p.resources.is_empty() {
                println!("Support for you:");
                for r in &p.resources {
                    println!("  · {}", r.text);
                }
            }
            println!("What was noticed:");
            for r in &p.reasons {
                println!("  · {}", r.sentence);
            }
        }
    }
    Ok(())
}
