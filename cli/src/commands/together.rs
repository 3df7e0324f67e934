//! Time together: dates, rituals, recreated memories, and how they went.

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use kintsugi_core::{TimeTogether, TogetherKind};

use super::{Ctx, full_id};
use crate::render::{self, Names, note_suffix, short};

#[derive(Subcommand)]
pub enum Action {
    /// Plan a date, a ritual or "recreate a memory".
    Plan {
        kind: KindArg,
        title: String,
        /// The day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        on: String,
    },
    /// Say, for yourself, whether it happened and how it felt.
    Outcome {
        id: String,
        #[command(flatten)]
        happened: Happened,
        /// How it felt to you, 0–10.
        #[arg(long)]
        felt: Option<i64>,
        #[arg(long)]
        note: Option<String>,
    },
    /// List planned time together.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    Date,
    Ritual,
    /// Recreate a memory.
    Memory,
}

/// `--happened` or `--did-not-happen`, exactly one.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Happened {
    #[arg(long)]
    happened: bool,
    #[arg(long)]
    did_not_happen: bool,
}

fn kind_of(k: KindArg) -> TogetherKind {
    match k {
        KindArg::Date => TogetherKind::Date,
        KindArg::Ritual => TogetherKind::Ritual,
        KindArg::Memory => TogetherKind::RecreateMemory,
    }
}

fn kind_word(k: TogetherKind) -> &'static str {
    match k {
        TogetherKind::Date => "date",
        TogetherKind::Ritual => "ritual",
        TogetherKind::RecreateMemory => "recreate a memory",
    }
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    let mut device = ctx.open()?;
    match action {
        Action::Plan { kind, title, on } => {
            let kind = kind_of(kind);
            let id = device.update(|doc, now| doc.plan_together(kind, &title, &on, now))?;
            let day = device
                .doc()?
                .together()
                .into_iter()
                .find(|t| t.id == id)
                .map(|t| t.planned_for)
                .unwrap_or(on);
            println!(
                "Planned ({}) for {day}: {} ({}).",
                kind_word(kind),
                title.trim(),
                short(&id)
            );
        }
        Action::Outcome {
            id,
            happened,
            felt,
            note,
        } => {
            let happened = happened.happened;
            device.update(|doc, now| {
                doc.record_together_outcome(&id, happened, felt, note.as_deref(), now)
            })?;
            let all = device.doc()?.together();
            let id = full_id(&id, all.iter().map(|t| t.id.as_str()));
            println!("Noted how {} went for you.", short(&id));
        }
        Action::List { json } => {
            let together = device.doc()?.together();
            if json {
                return render::print_json(&together);
            }
            let names = Names::of(&device);
            let lines = together.iter().flat_map(|t| lines(t, &names)).collect();
            render::print_lines(lines, "(nothing planned yet)");
        }
    }
    Ok(())
}

fn lines(t: &TimeTogether, names: &Names) -> Vec<String> {
    let mut out = vec![format!(
        "{}  {}  {}: {} — planned by {}",
        short(&t.id),
        t.planned_for,
        kind_word(t.kind),
        t.title,
        names.get(&t.planner)
    )];
    for o in &t.outcomes {
        let mut line = format!(
            "    {}: {}",
            names.get(&o.by),
            if o.happened {
                "it happened"
            } else {
                "it did not happen"
            }
        );
        if let Some(felt) = o.felt {
            line.push_str(&format!(", felt {felt}"));
        }
        line.push_str(&note_suffix(o.note.as_deref()));
        out.push(line);
    }
    out
}
