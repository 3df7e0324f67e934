//! The one table every bench binary prints, and the statistics in it.

use std::fmt::Write as _;
use std::time::Duration;

/// A target from the issue, and whether this run met it.
#[derive(Debug, Clone)]
pub struct Target {
    pub text: String,
    pub met: bool,
}

impl Target {
    pub fn new(text: impl Into<String>, met: bool) -> Self {
        Target {
            text: text.into(),
            met,
        }
    }

    /// `ours ≤ limit × baseline`.
    pub fn ratio(ours: f64, baseline: f64, limit: f64) -> Self {
        Target::new(format!("≤ {limit}×"), ours <= limit * baseline)
    }
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub measure: String,
    pub ours: String,
    pub baseline: String,
    pub ratio: String,
    pub target: Option<Target>,
}

#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    /// Lines printed under the table: what the figures were measured on.
    pub notes: Vec<String>,
}

impl Report {
    pub fn row(
        &mut self,
        measure: impl Into<String>,
        ours: impl Into<String>,
        baseline: impl Into<String>,
        ratio: impl Into<String>,
        target: Option<Target>,
    ) {
        self.rows.push(Row {
            measure: measure.into(),
            ours: ours.into(),
            baseline: baseline.into(),
            ratio: ratio.into(),
            target,
        });
    }

    pub fn note(&mut self, line: impl Into<String>) {
        self.notes.push(line.into());
    }

    /// The table (Markdown) and the notes.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("| measure | Kintsugi | baseline, same run | ratio | target | |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for r in &self.rows {
            let (target, mark) = match &r.target {
                Some(t) => (t.text.as_str(), if t.met { "pass" } else { "MISS" }),
                None => ("", ""),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                r.measure, r.ours, r.baseline, r.ratio, target, mark
            );
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for n in &self.notes {
                let _ = writeln!(out, "- {n}");
            }
        }
        out
    }

    /// How many targets this run missed.
    pub fn misses(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.target.as_ref().is_some_and(|t| !t.met))
            .count()
    }
}

/// Timings of repeated runs.
#[derive(Debug, Clone, Default)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn new() -> Self {
        Samples(Vec::new())
    }

    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `q` quantile (nearest rank). Panics when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
    }

    pub fn median(&self) -> Duration {
        self.quantile(0.5)
    }

    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }

    pub fn max(&self) -> Duration {
        self.quantile(1.0)
    }

    /// "p50 1.2ms, p99 3.4ms".
    pub fn p50_p99(&self) -> String {
        format!("p50 {}, p99 {}", ms(self.median()), ms(self.p99()))
    }
}

impl FromIterator<Duration> for Samples {
    fn from_iter<I: IntoIterator<Item = Duration>>(iter: I) -> Self {
        Samples(iter.into_iter().collect())
    }
}

/// A duration in milliseconds, with the precision that suits its size.
pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// Bytes with thousands separators: "641,178 B".
pub fn bytes(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out + " B"
}

/// KiB as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// "1.052×".
pub fn times(ours: f64, baseline: f64) -> String {
    format!("{:.3}×", ours / baseline)
}

/// Runs `f` `runs` times after one warm-up run, timing each.
pub fn time_runs<T>(runs: usize, mut f: impl FnMut() -> T) -> Samples {
    std::hint::black_box(f());
    (0..runs)
        .map(|_| {
            let t = std::time::Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_written() {
        assert_eq!(bytes(641_178), "641,178 B");
        assert_eq!(bytes(17), "17 B");
        assert_eq!(bytes(1_000), "1,000 B");
        assert_eq!(ms(Duration::from_micros(1_234)), "1.23 ms");
        assert_eq!(ms(Duration::from_micros(164_400)), "164 ms");
        let s: Samples = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(s.median(), Duration::from_millis(51));
        assert_eq!(s.p99(), Duration::from_millis(99));
        assert_eq!(s.max(), Duration::from_millis(100));
    }

    #[test]
    fn a_missed_target_is_marked() {
        let mut r = Report::default();
        r.row("a", "1", "1", "1.0×", Some(Target::ratio(1.0, 1.0, 1.1)));
        r.row("b", "2", "1", "2.0×", Some(Target::ratio(2.0, 1.0, 1.1)));
        r.row("c", "3", "", "", None);
        let text = r.render();
        assert!(text.contains("| a | 1 | 1 | 1.0× | ≤ 1.1× | pass |"));
        assert!(text.contains("| b | 2 | 1 | 2.0× | ≤ 1.1× | MISS |"));
        assert_eq!(r.misses(), 1);
    }
}
