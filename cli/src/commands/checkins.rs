//! Daily check-ins: skippable, no streaks.

use anyhow::Result;
use clap::Args;
use kintsugi_core::{CheckInInput, MOOD_VOCABULARY};

use super::Ctx;
use crate::render::{self, Names};

#[derive(Args)]
pub struct CheckinArgs {
    #[arg(long)]
    safety: i64,
    #[arg(long)]
    trust: i64,
    #[arg(long)]
    connection: i64,
    /// Did you feel listened to? 0–10.
    #[arg(long)]
    heard: Option<i64>,
    /// A mood word (repeat for several): angry, sad, numb, jealous, doubtful, hopeful… (see `kintsugi moods`)
    #[arg(long = "mood")]
    moods: Vec<String>,
    /// Any other single word of your own (repeat for several).
    #[arg(long = "word")]
    words: Vec<String>,
    #[arg(long)]
    note: Option<String>,
    /// The day this check-in is for (YYYY-MM-DD); today when left out.
    #[arg(long)]
    day: Option<String>,
}

pub fn checkin(ctx: &Ctx, args: CheckinArgs) -> Result<()> {
    let mut device = ctx.open()?;
    let input = CheckInInput {
        day: args.day,
        safety: args.safety,
        trust: args.trust,
        connection: args.connection,
        heard: args.heard,
        moods: args.moods,
        free_words: args.words,
        note: args.note,
    };
    let id = device.record_checkin(&input)?;
    println!(
        "Check-in recorded ({}). It reaches your partner at the next sync.",
        render::short(&id)
    );
    Ok(())
}

pub fn list(ctx: &Ctx, json: bool) -> Result<()> {
    let device = ctx.open()?;
    let checkins = device.checkins()?;
    if json {
        return render::print_json(&checkins);
    }
    for line in render::checkin_lines(&checkins, &Names::of(&device)) {
        println!("{line}");
    }
    Ok(())
}

pub fn moods(json: bool) -> Result<()> {
    if json {
        return render::print_json(MOOD_VOCABULARY);
    }
    println!("Mood words for a check-in (use --word for any other word of your own):");
    for chunk in MOOD_VOCABULARY.chunks(6) {
        println!("  {}", chunk.join(", "));
    }
    Ok(())
}
