//! Records the compiler that builds the benchmarks, for the machine header
//! of their reports (`src/bench/machine.rs`).

use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(&rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "rustc (version unknown)".into());
    println!("cargo:rustc-env=KINTSUGI_BENCH_RUSTC={version}");
    // A new compiler rebuilds and reruns this script anyway.
    println!("cargo:rerun-if-changed=build.rs");
}
