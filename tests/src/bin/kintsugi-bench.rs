//! Kintsugi measured on a generated couple, every figure beside its
//! baseline from the same run and the target it must reach, in one table:
//!
//!   cargo run --release -p kintsugi-tests --bin kintsugi-bench -- [YEARS]
//!
//! YEARS defaults to ten, the reference workload. The couple is generated
//! once into target/kintsugi-bench/ (minutes for ten years); later runs
//! take a few minutes. See docs/performance.md.

use std::time::Instant;

use anyhow::Result;
use kintsugi_tests::bench::couple::Couple;
use kintsugi_tests::bench::machine::Machine;
use kintsugi_tests::bench::report::Report;
use kintsugi_tests::bench::{cdylib, child_role, doors, storage, sync, views, years_from_args};
use kintsugi_tests::counting::Counting;

/// Counts allocations per thread, for the doors' peak-memory rows.
#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() -> Result<()> {
    if let Some(child) = child_role() {
        return child;
    }
    let years = years_from_args()?;
    let machine = Machine::read();
    let runtime = tokio::runtime::Runtime::new()?;
    let started = Instant::now();
    let couple = runtime.block_on(Couple::get(years))?;
    let generated = started.elapsed();
    let started = Instant::now();
    let mut report = Report::default();
    storage::run(&couple, &mut report)?;
    views::run(&couple, &mut report)?;
    runtime.block_on(sync::run(&couple, &mut report))?;
    doors::run(&couple, &mut report)?;
    cdylib::run(&mut report)?;
    report.note(couple.describe());
    println!("# Kintsugi benchmark: a {years}-year couple\n");
    print!("{}", machine.render());
    println!(
        "- measured in {:.0} s{}\n",
        started.elapsed().as_secs_f64(),
        if generated.as_secs() >= 1 {
            format!(
                " (after {:.0} s generating the couple)",
                generated.as_secs_f64()
            )
        } else {
            String::new()
        }
    );
    print!("{}", report.render());
    println!("\n{} of the targets missed in this run.", report.misses());
    Ok(())
}
