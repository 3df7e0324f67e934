//! Requests: small, specific behaviours one partner asks for; the other
//! answers (yes, let's talk first, not now), logs each time they did what
//! they said yes to, and the asker says whether it landed.

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use kintsugi_core::{Request, RequestAnswerKind};

use super::{Ctx, full_id};
use crate::render::{self, Names, note_suffix, short, when};

#[derive(Subcommand)]
pub enum Action {
    /// Ask for something small and specific.
    Make { text: String },
    /// Reword your own request; the earlier wording stays in its history.
    Reword { id: String, text: String },
    /// Retire your own request when it is no longer needed.
    Retire { id: String },
    /// Answer your partner's request: yes, talk-first or not-now (a request
    /// is asked, never imposed); retire-yes takes back an earlier yes.
    Answer {
        id: String,
        answer: AnswerArg,
        #[arg(long)]
        note: Option<String>,
    },
    /// Log that you did what your partner asked (and you said yes to).
    Done {
        id: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Answer one thing your partner did for your request.
    Ack {
        /// The request.
        id: String,
        /// The done entry (its id or first characters, shown by `request list`).
        entry: String,
        #[command(flatten)]
        landed: Landed,
        #[arg(long)]
        note: Option<String>,
    },
    /// List requests, what was done and how it landed.
    List {
        /// Print as JSON (the core's records, pretty-printed).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum AnswerArg {
    /// Yes.
    Yes,
    /// Let's talk about it first.
    TalkFirst,
    /// Not now.
    NotNow,
    /// Take back an earlier yes.
    RetireYes,
}

impl From<AnswerArg> for RequestAnswerKind {
    fn from(a: AnswerArg) -> Self {
        match a {
            AnswerArg::Yes => RequestAnswerKind::Yes,
            AnswerArg::TalkFirst => RequestAnswerKind::TalkFirst,
            AnswerArg::NotNow => RequestAnswerKind::NotNow,
            AnswerArg::RetireYes => RequestAnswerKind::YesRetired,
        }
    }
}

/// `--landed` or `--did-not-land`, exactly one.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Landed {
    /// It landed.
    #[arg(long)]
    landed: bool,
    /// Thank you, but it did not land.
    #[arg(long)]
    did_not_land: bool,
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    let mut device = ctx.open()?;
    let request_id = |device: &kintsugi_core::Device, prefix: &str| -> Result<String> {
        let requests = device.doc()?.requests();
        Ok(full_id(prefix, requests.iter().map(|r| r.id.as_str())))
    };
    match action {
        Action::Make { text } => {
            let id = device.update(|doc, now| doc.make_request(&text, now))?;
            println!(
                "Request {} made. Your partner answers it: yes, let's talk first, or not now.",
                short(&id)
            );
        }
        Action::Reword { id, text } => {
            device.update(|doc, now| doc.reword_request(&id, &text, now))?;
            println!(
                "Reworded request {}; the earlier wording stays in its history.",
                short(&request_id(&device, &id)?)
            );
        }
        Action::Retire { id } => {
            device.update(|doc, now| doc.retire_request(&id, now))?;
            println!(
                "Retired request {}. It stays visible in the history.",
                short(&request_id(&device, &id)?)
            );
        }
        Action::Answer { id, answer, note } => {
            let kind = RequestAnswerKind::from(answer);
            device.update(|doc, now| doc.answer_request(&id, kind, note.as_deref(), now))?;
            println!(
                "Answered request {}: {}.",
                short(&request_id(&device, &id)?),
                kind.words()
            );
        }
        Action::Done { id, note } => {
            let entry =
                device.update(|doc, now| doc.log_request_done(&id, note.as_deref(), now))?;
            println!(
                "Logged that you did it (request {}, entry {}). Your partner can say how it landed.",
                short(&request_id(&device, &id)?),
                short(&entry)
            );
        }
        Action::Ack {
            id,
            entry,
            landed,
            note,
        } => {
            let landed = landed.landed;
            device.update(|doc, now| {
                doc.acknowledge_done(&id, &entry, landed, note.as_deref(), now)
            })?;
            if landed {
                println!("Noted: it landed.");
            } else {
                println!("Noted: thank you, but it did not land.");
            }
        }
        Action::List { json } => {
            let requests = device.doc()?.requests();
            if json {
                return render::print_json(&requests);
            }
            let names = Names::of(&device);
            let lines = requests.iter().flat_map(|r| lines(r, &names)).collect();
            render::print_lines(lines, "(no requests yet)");
        }
    }
    Ok(())
}

fn lines(r: &Request, names: &Names) -> Vec<String> {
    let mut head = format!(
        "{}  “{}” — asked by {}",
        short(&r.id),
        r.text,
        names.get(&r.asker)
    );
    if let Some(at) = r.retired_at {
        head.push_str(&format!(" · retired {}", when(at)));
    }
    if !r.revisions.is_empty() {
        head.push_str(&format!(" · reworded {}×", r.revisions.len()));
    }
    if let Some(a) = r.answers.last() {
        head.push_str(&format!(
            " · {} said: {}{}",
            names.get(&a.by),
            a.kind.words(),
            note_suffix(a.note.as_deref())
        ));
    }
    let mut out = vec![head];
    for d in &r.done {
        let answer = match &d.acknowledgement {
            Some(a) if a.landed => format!("landed{}", note_suffix(a.note.as_deref())),
            Some(a) => format!(
                "thank you, but it did not land{}",
                note_suffix(a.note.as_deref())
            ),
            None => String::new(),
        };
        let answer = if answer.is_empty() {
            answer
        } else {
            format!(" · {answer}")
        };
        out.push(format!(
            "    {}  {}  done by {}{}{answer}",
            short(&d.id),
            when(d.at),
            names.get(&d.by),
            note_suffix(d.note.as_deref())
        ));
    }
    out
}
