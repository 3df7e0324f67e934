//! Questions: asked by one partner; the other can ask for space, schedule a
//! question window, keep it for the therapist, or answer.

use anyhow::{Context, Result};
use clap::Subcommand;
use kintsugi_core::{Question, QuestionStatus, Respond, ResponseKind};

use super::Ctx;
use crate::render::{self, Names, short, when};

#[derive(Subcommand)]
pub enum Action {
    /// Write down a question you would like to ask.
    Ask {
        text: String,
        /// A short topic word, so a topic that keeps returning can be noticed.
        #[arg(long)]
        topic: Option<String>,
    },
    /// Respond to a question.
    Respond {
        id: String,
        #[command(subcommand)]
        response: Response,
    },
    /// List questions and their responses.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum Response {
    /// You need space before talking about it (asked partner).
    NotReady,
    /// Put it into a question window on a day (asked partner).
    Schedule {
        /// YYYY-MM-DD
        date: String,
    },
    /// Keep it for a session with the therapist (either partner).
    Therapist,
    /// Answer it (asked partner).
    Answer { text: String },
    /// Set it aside (the partner who asked).
    Park,
    /// Open it again (the partner who asked).
    Reopen,
}

impl From<Response> for Respond {
    fn from(r: Response) -> Respond {
        match r {
            Response::NotReady => Respond::NotReadyYet,
            Response::Schedule { date } => Respond::Schedule(date),
            Response::Therapist => Respond::ForTherapist,
            Response::Answer { text } => Respond::Answer(text),
            Response::Park => Respond::Park,
            Response::Reopen => Respond::Reopen,
        }
    }
}

fn status(q: &Question) -> String {
    match q.status {
        QuestionStatus::Open => "open".into(),
        QuestionStatus::NotReadyYet => "not ready yet".into(),
        QuestionStatus::Scheduled => match &q.scheduled_for {
            Some(day) => format!("scheduled for {day}"),
            None => "scheduled".into(),
        },
        QuestionStatus::Answered => "answered".into(),
        QuestionStatus::Parked => "set aside".into(),
    }
}

fn response_word(kind: ResponseKind) -> &'static str {
    match kind {
        ResponseKind::NotReadyYet => "not ready yet",
        ResponseKind::Schedule => "scheduled",
        ResponseKind::ForTherapist => "for the therapist",
        ResponseKind::Answer => "answered",
        ResponseKind::Park => "set aside",
        ResponseKind::Reopen => "reopened",
    }
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    let mut device = ctx.open()?;
    match action {
        Action::Ask { text, topic } => {
            let id = device.update(|doc, now| doc.ask_question(&text, topic.as_deref(), now))?;
            println!(
                "Question {} written down. Your partner can answer, ask for space first, or schedule it.",
                short(&id)
            );
        }
        Action::Respond { id, response } => {
            let response = Respond::from(response);
            device.update(|doc, now| doc.respond_to_question(&id, response, now))?;
            let questions = device.doc()?.questions();
            let q = questions
                .iter()
                .find(|q| q.id.starts_with(id.trim()))
                .context("the question just answered is missing")?;
            let mut line = format!("Question {} is now {}", short(&q.id), status(q));
            if q.for_therapist {
                line.push_str(", kept for the therapist");
            }
            println!("{line}.");
        }
        Action::List { json } => {
            let questions = device.doc()?.questions();
            if json {
                return render::print_json(&questions);
            }
            let names = Names::of(&device);
            let lines = questions.iter().flat_map(|q| lines(q, &names)).collect();
            render::print_lines(lines, "(no questions yet)");
        }
    }
    Ok(())
}

fn lines(q: &Question, names: &Names) -> Vec<String> {
    let mut head = format!("{}  [{}]", short(&q.id), status(q));
    if q.for_therapist {
        head.push_str(" [for the therapist]");
    }
    head.push_str(&format!(" “{}”", q.text));
    if let Some(topic) = &q.topic {
        head.push_str(&format!(" (topic: {topic})"));
    }
    head.push_str(&format!(" — asked by {}", names.get(&q.asker)));
    let mut out = vec![head];
    for r in &q.responses {
        let mut line = format!(
            "    {}  {}: {}",
            when(r.at),
            names.get(&r.by),
            response_word(r.kind)
        );
        if let Some(day) = &r.window {
            line.push_str(&format!(" for {day}"));
        }
        if let Some(text) = &r.text {
            line.push_str(&format!(" — “{text}”"));
        }
        out.push(line);
    }
    out
}
