//! The storage part of `kintsugi-bench` alone (size on disk, cold open,
//! memory, appends, compaction):
//!
//!   cargo run --release -p kintsugi-tests --bin storage-bench -- [YEARS]

use anyhow::Result;
use kintsugi_tests::bench::couple::Couple;
use kintsugi_tests::bench::machine::Machine;
use kintsugi_tests::bench::report::Report;
use kintsugi_tests::bench::{child_role, storage, years_from_args};

fn main() -> Result<()> {
    if let Some(child) = child_role() {
        return child;
    }
    let years = years_from_args()?;
    let machine = Machine::read();
    let couple = Couple::get_blocking(years)?;
    let mut report = Report::default();
    storage::run(&couple, &mut report)?;
    report.note(couple.describe());
    println!("# Storage, {years}-year couple\n");
    print!("{}\n{}", machine.render(), report.render());
    Ok(())
}
