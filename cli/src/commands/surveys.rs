//! The monthly trust survey.

use anyhow::{Context, Result};
use clap::Subcommand;
use kintsugi_core::SURVEY_ITEMS;

use super::Ctx;
use crate::render::{self, when};

#[derive(Subcommand)]
pub enum Action {
    /// The survey's statements and how to answer them.
    Items {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
    /// Answer every statement, 0 (not at all) to 4 (completely), in order.
    Answer {
        #[arg(num_args = 1.., allow_negative_numbers = true, value_name = "N")]
        answers: Vec<i64>,
        /// Any day of the month this is for (YYYY-MM-DD); today when left out.
        #[arg(long)]
        day: Option<String>,
    },
    /// List the surveys both of you answered.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    match action {
        Action::Items { json } => {
            if json {
                return render::print_json(SURVEY_ITEMS);
            }
            println!(
                "Answer each from 0 (not at all) to 4 (completely), in this order, once a month:"
            );
            for (i, item) in SURVEY_ITEMS.iter().enumerate() {
                println!("  {}. {item}", i + 1);
            }
            Ok(())
        }
        Action::Answer { answers, day } => {
            let mut device = ctx.open()?;
            let (id, revised) = device.update(|doc, now| {
                let existing: Vec<String> = doc.surveys().into_iter().map(|s| s.id).collect();
                let id = doc.answer_survey(day.as_deref(), &answers, now)?;
                let revised = existing.contains(&id);
                Ok((id, revised))
            })?;
            let survey = device
                .doc()?
                .surveys()
                .into_iter()
                .find(|s| s.id == id)
                .context("the survey just answered is missing")?;
            if revised {
                println!(
                    "Your survey for {} is updated (score {} of 100); the earlier answers stay in its history.",
                    survey.month, survey.score
                );
            } else {
                println!(
                    "Survey for {} saved (score {} of 100).",
                    survey.month, survey.score
                );
            }
            Ok(())
        }
        Action::List { json } => {
            let (_, snapshot, names) = ctx.read()?;
            if json {
                return render::print_json(&snapshot.surveys);
            }
            let lines = snapshot
                .surveys
                .iter()
                .map(|s| {
                    let answers: Vec<String> = s.answers.iter().map(u8::to_string).collect();
                    format!(
                        "{}  {}: score {} of 100 (answers {}; {})",
                        s.month,
                        names.get(&s.author),
                        s.score,
                        answers.join(" "),
                        when(s.at)
                    )
                })
                .collect();
            render::print_lines(lines, "(no surveys answered yet)");
            Ok(())
        }
    }
}
