//! Appreciations: thanks and praise for the partner.

use anyhow::Result;

use super::Ctx;
use crate::render::{self, short, when};

pub fn appreciate(ctx: &Ctx, text: &str) -> Result<()> {
    let mut device = ctx.open()?;
    let id = device.update(|doc, now| doc.appreciate(text, now))?;
    println!(
        "Appreciation {} written. It reaches your partner at the next sync.",
        short(&id)
    );
    Ok(())
}

pub fn list(ctx: &Ctx, json: bool) -> Result<()> {
    let (_, snapshot, names) = ctx.read()?;
    if json {
        return render::print_json(&snapshot.appreciations);
    }
    let lines = snapshot
        .appreciations
        .iter()
        .map(|a| {
            format!(
                "{}  {} → {}: {}",
                when(a.at),
                names.get(&a.author),
                names.get(&a.to),
                a.text
            )
        })
        .collect();
    render::print_lines(lines, "(no appreciations yet)");
    Ok(())
}
