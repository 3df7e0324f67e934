//! `kintsugi role`: each partner says only how they describe themselves.

use anyhow::Result;
use clap::{Args, ValueEnum};
use kintsugi_core::{Member, Role};

use super::Ctx;
use crate::render;

#[derive(Args)]
pub struct RoleArgs {
    /// Your own role; leave it out to see both partners' roles.
    role: Option<RoleArg>,
    /// Print as JSON (the core's records, pretty-printed).
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    /// "I was hurt."
    Hurt,
    /// "I broke the trust."
    BrokeTrust,
    /// Both.
    Both,
    /// Prefer not to say.
    Unsaid,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Hurt => Role::Hurt,
            RoleArg::BrokeTrust => Role::BrokeTrust,
            RoleArg::Both => Role::Both,
            RoleArg::Unsaid => Role::Unsaid,
        }
    }
}

pub fn describe(role: Role) -> &'static str {
    match role {
        Role::Hurt => "I was hurt",
        Role::BrokeTrust => "I broke the trust",
        Role::Both => "both",
        Role::Unsaid => "prefers not to say",
    }
}

pub fn run(ctx: &Ctx, args: RoleArgs) -> Result<()> {
    if let Some(role) = args.role {
        let mut device = ctx.open()?;
        let role = Role::from(role);
        device.update(|doc, now| doc.set_my_role(role, now))?;
        if args.json {
            return render::print_json(&role);
        }
        println!(
            "Your role is now: {}. Your partner sees it at the next sync.",
            describe(role)
        );
        return Ok(());
    }
    let (_, snapshot, names) = ctx.read()?;
    if args.json {
        return render::print_json(&snapshot.members);
    }
    let lines = snapshot
        .members
        .iter()
        .map(|m: &Member| format!("{}: {}", names.get(&m.id), describe(m.role)))
        .collect();
    render::print_lines(lines, "(nobody has joined yet)");
    Ok(())
}
