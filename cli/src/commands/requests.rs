//! Requests: small, specific behaviours one partner asks for; the other logs
//! each time they did it, and the asker says whether it landed.

use anyhow::Result;
use clap::{Args, Subcommand};
use kintsugi_core::Request;

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
    /// Log that you did what your partner asked.
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
                "Request {} made. Your partner can log each time they do it.",
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
    let mut out = vec![head];
    for d in &r.done {
        let answer = match &d.acknowledgement {
            Some(a) if a.landed => format!("landed{}", note_suffix(a.note.as_deref())),
            Some(a) => format!(
                "thank you, but it did not land{}",
                note_suffix(a.note.as_deref())
            ),
            None => "not answered yet".to_owned(),
        };
        out.push(format!(
            "    {}  {}  done by {}{} · {answer}",
            short(&d.id),
            when(d.at),
            names.get(&d.by),
            note_suffix(d.note.as_deref())
        ));
    }
    out
}
