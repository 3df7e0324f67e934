//! This device's own settings. They live in the private document: the
//! partner never sees or changes them, and they never sync.

use anyhow::Result;
use clap::Subcommand;
use kintsugi_core::notice_gate::{MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES};

use super::Ctx;

#[derive(Subcommand)]
pub enum Action {
    /// How often, at most, the phone app may show a notification of your
    /// partner's changes (its text never says what they did). Without
    /// --interval, shows the setting.
    Notices {
        /// Minutes between two notifications, 1 to 1440 (15 unless you choose).
        #[arg(long, value_name = "MIN")]
        interval: Option<u32>,
    },
}

pub fn run(ctx: &Ctx, action: Action) -> Result<()> {
    match action {
        Action::Notices { interval } => {
            let mut device = ctx.open()?;
            if let Some(minutes) = interval {
                device.update_private(|p, now| p.set_notice_interval(minutes, now))?;
            }
            let minutes = device.notice_interval().get();
            println!(
                "Notifications of your partner's changes: at most one every {minutes} minute(s) \
                 ({MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES}). This setting stays on this \
                 device; your partner never sees it."
            );
            Ok(())
        }
    }
}
