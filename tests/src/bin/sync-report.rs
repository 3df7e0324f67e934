//! The sync part of `kintsugi-bench` alone (pairing, daily and 30-day
//! syncs, propagation latency), over real iroh endpoints on loopback:
//!
//!   cargo run --release -p kintsugi-tests --bin sync-report -- [YEARS]

use anyhow::Result;
use kintsugi_tests::bench::couple::Couple;
use kintsugi_tests::bench::machine::Machine;
use kintsugi_tests::bench::report::Report;
use kintsugi_tests::bench::{sync, years_from_args};

#[tokio::main]
async fn main() -> Result<()> {
    let years = years_from_args()?;
    let machine = Machine::read();
    let couple = Couple::get(years).await?;
    let mut report = Report::default();
    sync::run(&couple, &mut report).await?;
    report.note(couple.describe());
    println!("# Sync on loopback, {years}-year couple\n");
    print!("{}\n{}", machine.render(), report.render());
    Ok(())
}
