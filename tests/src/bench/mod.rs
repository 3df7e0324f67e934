//! Kintsugi's benchmark of a generated couple, each figure beside a
//! baseline measured in the same run and the target it must reach:
//!
//! ```text
//! cargo run --release -p kintsugi-tests --bin kintsugi-bench -- [YEARS]
//! ```
//!
//! `storage-bench` and `sync-report` run the storage and the sync parts
//! alone. The couple (two real devices, paired on loopback, with YEARS of
//! the fixture and a first sync behind them) is generated once and kept
//! under `target/kintsugi-bench/` ([`couple`]); each run works on a copy.

pub mod cdylib;
pub mod couple;
pub mod doors;
pub mod machine;
pub mod net;
pub mod report;
pub mod storage;
pub mod sync;
pub mod views;

use anyhow::Result;
use kintsugi_core::Millis;

/// 2016-01-04, a Monday: the fixture's first day.
pub const START: Millis = 1_451_865_600_000;

/// The days in `years` of the fixture (a leap day every four years).
pub fn days_in(years: u32) -> u32 {
    years * 365 + years / 4
}

/// The years to generate: the first argument, or ten.
pub fn years_from_args() -> Result<u32> {
    Ok(std::env::args()
        .nth(1)
        .map(|y| y.parse())
        .transpose()?
        .unwrap_or(10))
}

/// Every bench binary calls this first: the cold-open figures come from
/// fresh child processes of the same binary, started with a role as the
/// first argument. `Some` when this process is such a child.
pub fn child_role() -> Option<Result<()>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    storage::child(&args)
}
