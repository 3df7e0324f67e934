//! The report's charts as plain SVG built with `format!`: no fonts, no
//! scripts, nothing external. Each chart is a complete `<svg>` element with
//! its own `xmlns`, so it is well-formed XML on its own and inline in HTML.
//!
//! Weeks (or windows) run left to right on one shared axis; a week without
//! data is a gap, never a zero.

use std::fmt::Write;

use super::TherapistSummary;
use crate::views::days::parse_day;
use crate::views::trends::{Band, WeeklyBand};

/// Chart width in user units (the page scales it down on narrow screens).
const WIDTH: f64 = 860.0;
const LEFT: f64 = 96.0;
const RIGHT: f64 = 16.0;
const FONT: &str = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\"";

/// The two partners' colours (the preparing partner first): a blue and an
/// orange-brown that stay apart for the common colour-vision differences and
/// in greyscale print.
pub(super) const PARTNER_COLOURS: [&str; 2] = ["#2b6c99", "#b4572a"];
const LANDED: &str = "#3d8a5a";
const NOT_LANDED: &str = "#d9a13b";
const UNANSWERED: &str = "#b8b8b8";
const INK: &str = "#333333";
const GRID: &str = "#dddddd";

pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "7 Sep" for a `YYYY-MM-DD` day.
fn short_day(day: &str) -> String {
    parse_day(day)
        .map(|d| d.strftime("%-d %b").to_string())
        .unwrap_or_else(|| day.to_owned())
}

fn open(height: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" role=\"img\" {FONT} font-size=\"12\">\
         <title>{}</title>",
        escape(title)
    )
}

/// X positions of `n` slots across the plot: (centre of slot i, slot width).
fn slots(n: usize) -> (impl Fn(usize) -> f64, f64) {
    let step = (WIDTH - LEFT - RIGHT) / n.max(1) as f64;
    (move |i: usize| LEFT + (i as f64 + 0.5) * step, step)
}

/// Date labels under the plot, thinned so they never overlap.
fn x_labels(out: &mut String, labels: &[String], y: f64) {
    let (x, step) = slots(labels.len());
    let every = (64.0 / step).ceil().max(1.0) as usize;
    let last = labels.len().saturating_sub(1);
    for (i, label) in labels.iter().enumerate() {
        // Every `every`th label from the right end, so the latest is named.
        if !(last - i).is_multiple_of(every) {
            continue;
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"middle\" fill=\"{INK}\">{}</text>",
            x(i),
            escape(label)
        );
    }
}

/// Which score of a week a panel draws.
type Pick = fn(&WeeklyBand) -> &Band;

/// A partner's weekly bands: three panels (safety, trust, connection), 0–10.
pub(super) fn trend_chart(s: &TherapistSummary, member: &str, colour: &str) -> String {
    const PANEL: f64 = 110.0;
    const GAP: f64 = 36.0;
    const TOP: f64 = 14.0;
    let weeks = &s.charts.weeks;
    let bands: Vec<Option<&WeeklyBand>> = weeks
        .iter()
        .map(|w| {
            s.charts
                .trends
                .iter()
                .find(|b| b.member == member && b.week == w.week)
        })
        .collect();
    let height = TOP + 3.0 * PANEL + 2.0 * GAP + 34.0;
    let name = s.name_of(member);
    let mut out = open(
        height,
        &format!("{name}: weekly safety, trust and connection, 0 to 10"),
    );
    let (x, step) = slots(weeks.len());
    let half = (step * 0.32).min(14.0);
    let measures: [(&str, Pick); 3] = [
        ("Safety", |b| &b.safety),
        ("Trust", |b| &b.trust),
        ("Connection", |b| &b.connection),
    ];
    for (p, (label, pick)) in measures.iter().enumerate() {
        let top = TOP + p as f64 * (PANEL + GAP);
        let y = |v: f64| top + (10.0 - v) / 10.0 * PANEL;
        let _ = write!(
            out,
            "<text x=\"4\" y=\"{:.1}\" font-weight=\"600\" fill=\"{INK}\">{label}</text>",
            y(5.0) + 4.0
        );
        for v in [0.0, 5.0, 10.0] {
            gridline(&mut out, y(v), &v.to_string());
        }
        // Runs of consecutive weeks with data: one band each.
        let mut runs: Vec<Vec<(usize, &Band)>> = Vec::new();
        for (i, b) in bands.iter().enumerate() {
            if let Some(b) = b {
                match runs.last_mut() {
                    Some(run) if run.last().is_some_and(|(j, _)| *j + 1 == i) => {
                        run.push((i, pick(b)))
                    }
                    _ => runs.push(vec![(i, pick(b))]),
                }
            }
        }
        for run in &runs {
            let area = |lo: fn(&Band) -> f64, hi: fn(&Band) -> f64| {
                let mut pts: Vec<String> = Vec::new();
                for (i, b) in run {
                    pts.push(format!("{:.1},{:.1}", x(*i) - half, y(hi(b))));
                    pts.push(format!("{:.1},{:.1}", x(*i) + half, y(hi(b))));
                }
                for (i, b) in run.iter().rev() {
                    pts.push(format!("{:.1},{:.1}", x(*i) + half, y(lo(b))));
                    pts.push(format!("{:.1},{:.1}", x(*i) - half, y(lo(b))));
                }
                pts.join(" ")
            };
            let _ = write!(
                out,
                "<polygon points=\"{}\" fill=\"{colour}\" fill-opacity=\"0.16\"/>\
                 <polygon points=\"{}\" fill=\"{colour}\" fill-opacity=\"0.34\"/>",
                area(|b| f64::from(b.low), |b| f64::from(b.high)),
                area(|b| f64::from(b.q1), |b| f64::from(b.q3)),
            );
            let line: Vec<String> = run
                .iter()
                .map(|(i, b)| format!("{:.1},{:.1}", x(*i), y(f64::from(b.median))))
                .collect();
            if line.len() > 1 {
                let _ = write!(
                    out,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
                    line.join(" ")
                );
            }
            for (i, b) in run {
                let _ = write!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"/>",
                    x(*i),
                    y(f64::from(b.median))
                );
            }
        }
    }
    let labels: Vec<String> = weeks.iter().map(|w| short_day(&w.week_start)).collect();
    x_labels(&mut out, &labels, height - 14.0);
    out.push_str("</svg>");
    out
}

/// Check-ins per week, one bar per partner.
pub(super) fn frequency_chart(s: &TherapistSummary, members: &[(String, &str)]) -> String {
    const TOP: f64 = 36.0;
    const PLOT: f64 = 120.0;
    let height = TOP + PLOT + 34.0;
    let weeks = &s.charts.weeks;
    let mut out = open(height, "Check-ins per week, each partner");
    let (x, step) = slots(weeks.len());
    let y = |v: f64| TOP + (7.0 - v) / 7.0 * PLOT;
    legend(
        &mut out,
        &members
            .iter()
            .map(|(id, c)| (s.name_of(id), *c))
            .collect::<Vec<_>>(),
    );
    for v in [0.0, 7.0] {
        gridline(&mut out, y(v), if v == 0.0 { "0" } else { "7 days" });
    }
    let n = members.len().max(1) as f64;
    let bar = (step * 0.8 / n).min(18.0);
    for (w, week) in weeks.iter().enumerate() {
        for (m, (id, colour)) in members.iter().enumerate() {
            let count = s
                .charts
                .checkin_frequency
                .iter()
                .find(|c| &c.member == id && c.week == week.week)
                .map(|c| c.checkins)
                .unwrap_or(0);
            if count == 0 {
                continue;
            }
            let left = x(w) - bar * n / 2.0 + bar * m as f64;
            let top = y(f64::from(count.min(7)));
            let _ = write!(
                out,
                "<rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>",
                (bar - 1.5).max(1.0),
                y(0.0) - top
            );
        }
    }
    let labels: Vec<String> = weeks.iter().map(|w| short_day(&w.week_start)).collect();
    x_labels(&mut out, &labels, height - 14.0);
    out.push_str("</svg>");
    out
}

/// One flow of requests (what `doer` did of what `asker` asked), stacked per
/// four-week window: landed, did not land, and done (no word on it yet,
/// which is nobody's failure, so it is drawn as plain "done").
pub(super) fn request_chart(s: &TherapistSummary, doer: &str, asker: &str) -> String {
    const TOP: f64 = 36.0;
    const PLOT: f64 = 120.0;
    let height = TOP + PLOT + 34.0;
    let windows = &s.charts.request_consistency;
    let counts: Vec<(u32, u32, u32)> = windows
        .iter()
        .map(|w| {
            w.flows
                .iter()
                .find(|f| f.doer == doer && f.asker == asker)
                .map(|f| (f.landed, f.did_not_land, f.done - f.acknowledged))
                .unwrap_or((0, 0, 0))
        })
        .collect();
    let max = counts
        .iter()
        .map(|(a, b, c)| a + b + c)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut out = open(
        height,
        &format!(
            "Things {} asked for that {} did, per four weeks",
            s.name_of(asker),
            s.name_of(doer)
        ),
    );
    legend(
        &mut out,
        &[
            (format!("landed for {}", s.name_of(asker)), LANDED),
            ("did not land".to_owned(), NOT_LANDED),
            ("done".to_owned(), UNANSWERED),
        ],
    );
    let (x, step) = slots(windows.len());
    let y = |v: f64| TOP + (f64::from(max) - v) / f64::from(max) * PLOT;
    for v in [0, max] {
        gridline(&mut out, y(f64::from(v)), &v.to_string());
    }
    let bar = (step * 0.6).min(40.0);
    for (i, (landed, not_landed, unanswered)) in counts.iter().enumerate() {
        let mut base = 0.0;
        for (value, colour) in [
            (*landed, LANDED),
            (*not_landed, NOT_LANDED),
            (*unanswered, UNANSWERED),
        ] {
            if value == 0 {
                continue;
            }
            let top = y(base + f64::from(value));
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{top:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>",
                x(i) - bar / 2.0,
                y(base) - top
            );
            base += f64::from(value);
        }
        let total = landed + not_landed + unanswered;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{INK}\" font-size=\"10\">{total}</text>",
            x(i),
            y(f64::from(total)) - 4.0
        );
    }
    let labels: Vec<String> = windows
        .iter()
        .map(|w| format!("to {}", short_day(&w.end)))
        .collect();
    x_labels(&mut out, &labels, height - 14.0);
    out.push_str("</svg>");
    out
}

/// A horizontal grid line across the plot at `y`, labelled on the left.
fn gridline(out: &mut String, y: f64, label: &str) {
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{GRID}\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#777\" font-size=\"10\">{label}</text>",
        WIDTH - RIGHT,
        LEFT - 6.0,
        y + 3.5,
    );
}

fn legend(out: &mut String, entries: &[(String, &str)]) {
    let mut x = LEFT;
    for (label, colour) in entries {
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"8\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\
             <text x=\"{:.1}\" y=\"18\" fill=\"{INK}\">{}</text>",
            x + 17.0,
            escape(label)
        );
        // About 6.5 units a character at font-size 12, plus room to breathe.
        x += 17.0 + label.chars().count() as f64 * 6.8 + 22.0;
    }
}
