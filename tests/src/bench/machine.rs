//! The machine a run was measured on, so that figures from two machines,
//! or from a busy and a quiet one, are never compared unknowingly.

use std::fs;
use std::process::Command;

/// The machine, read at the start of a run.
#[derive(Debug, Clone)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub ram: String,
    pub kernel: String,
    pub rustc: String,
    pub build: &'static str,
    pub commit: String,
    pub load_at_start: String,
}

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let ram = fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
            .unwrap_or_else(|| "unknown".into());
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|k| k.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            ram,
            kernel,
            // The compiler that built this binary (tests/build.rs).
            rustc: env!("KINTSUGI_BENCH_RUSTC").to_owned(),
            build: if cfg!(debug_assertions) {
                "debug (NOT an optimised build: figures are meaningless)"
            } else {
                "release"
            },
            commit: commit(),
            load_at_start: loadavg(),
        }
    }

    /// The header printed above the table, with the load now as the end.
    pub fn render(&self) -> String {
        format!(
            "- machine: {} ({} cores), {} RAM, Linux {}\n\
             - build: {}, {}, commit {}\n\
             - load average (1, 5, 15 min) at start: {}; at end: {}\n",
            self.cpu,
            self.cores,
            self.ram,
            self.kernel,
            self.build,
            self.rustc,
            self.commit,
            self.load_at_start,
            loadavg()
        )
    }
}

/// The first three fields of /proc/loadavg: "0.31 0.55 1.02".
pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// The commit of the work tree, marked when it has uncommitted changes.
fn commit() -> String {
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short=10", "HEAD"]) {
        Some(head) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{head} (with uncommitted changes)")
            } else {
                head
            }
        }
        None => "unknown".into(),
    }
}
