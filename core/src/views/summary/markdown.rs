//! The report as Markdown: the same header, the charts' numbers as tables,
//! and the chosen records as lists (check-ins as a table).

use std::fmt::Write;

use super::{SummaryItem, SummarySection, TherapistSummary};
use crate::views::timeline::RecordKind;
use crate::views::trends::Band;

/// Escapes what Markdown would read as markup, so the partners' words stay
/// words; a line break inside a text continues the same list item.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push_str("  \n    "),
            c => out.push(c),
        }
    }
    out
}

/// A table cell: escaped, on one line.
fn cell(text: &str) -> String {
    esc(&text.replace(['\n', '\r'], " "))
}

fn band(b: &Band) -> String {
    let median = if b.median.fract() == 0.0 {
        format!("{:.0}", b.median)
    } else {
        format!("{:.1}", b.median)
    };
    if b.low == b.high {
        median
    } else {
        format!("{median} ({}–{})", b.low, b.high)
    }
}

pub(super) fn render(s: &TherapistSummary) -> String {
    let mut out = String::new();
    let h = s.header();
    let _ = writeln!(out, "# Summary for the therapist\n");
    let _ = writeln!(out, "{}  \n{}\n", esc(&h.prepared), esc(&h.period));
    let _ = writeln!(out, "> {}\n", esc(&h.selection));
    for line in [&h.brought, &h.left_out, &h.private] {
        let _ = writeln!(out, "- {}", esc(line));
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "How each describes their place in what happened, in their own words in the app: {}\n",
        esc(&h.people.join(" "))
    );

    charts(&mut out, s);

    for section in &s.sections {
        write_section(&mut out, section);
    }

    if !s.private_entries.is_empty() {
        let _ = writeln!(
            out,
            "## From {}’s private journal and notes\n",
            esc(&s.prepared_by.name)
        );
        let _ = writeln!(
            out,
            "Entries {} chose one by one from the private space on their own phone; the rest of it stays there.\n",
            esc(&s.prepared_by.name)
        );
        for item in &s.private_entries {
            write_item(&mut out, item);
        }
        out.push('\n');
    }
    out
}

fn charts(out: &mut String, s: &TherapistSummary) {
    let c = &s.charts;
    if !s.included.contains(&RecordKind::CheckIn) && !s.included.contains(&RecordKind::Request) {
        return;
    }
    let _ = writeln!(out, "## At a glance\n");
    let members = s.chart_members();
    if s.included.contains(&RecordKind::CheckIn) {
        let _ = writeln!(out, "### Check-ins per week\n");
        if c.checkin_frequency.is_empty() {
            let _ = writeln!(out, "No check-ins in this period.\n");
        } else {
            let _ = write!(out, "| Week of |");
            for (id, _) in &members {
                let _ = write!(out, " {} |", cell(&s.name_of(id)));
            }
            let _ = write!(out, "\n| --- |");
            for _ in &members {
                out.push_str(" ---: |");
            }
            out.push('\n');
            for w in &c.weeks {
                let _ = write!(out, "| {} |", w.week_start);
                for (id, _) in &members {
                    let n = c
                        .checkin_frequency
                        .iter()
                        .find(|f| &f.member == id && f.week == w.week)
                        .map(|f| f.checkins.to_string())
                        .unwrap_or_else(|| "–".into());
                    let _ = write!(out, " {n} |");
                }
                out.push('\n');
            }
            out.push('\n');
        }
        for (id, _) in &members {
            let bands: Vec<_> = c.trends.iter().filter(|b| &b.member == id).collect();
            if bands.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "### {}: weekly bands\n\nEach week's middle score (median) and, in brackets, its lowest and highest; 0 to 10.\n",
                cell(&s.name_of(id))
            );
            let _ = writeln!(
                out,
                "| Week of | Check-ins | Safety | Trust | Connection | Felt heard |\n| --- | ---: | --- | --- | --- | --- |"
            );
            for b in bands {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    b.week_start,
                    b.checkins,
                    band(&b.safety),
                    band(&b.trust),
                    band(&b.connection),
                    b.heard.as_ref().map(band).unwrap_or_else(|| "–".into())
                );
            }
            out.push('\n');
        }
    }
    if s.included.contains(&RecordKind::Request) {
        let _ = writeln!(out, "### Requests over four weeks\n");
        let flows = s.request_flows();
        if flows.is_empty() {
            let _ = writeln!(
                out,
                "Nothing requested was logged as done in this period.\n"
            );
        }
        for (doer, asker) in flows {
            let _ = writeln!(
                out,
                "What {} did of what {} asked and they said yes to, in the four weeks up to each date:\n",
                cell(&s.name_of(&doer)),
                cell(&s.name_of(&asker))
            );
            let _ = writeln!(
                out,
                "| Four weeks | Done | Landed | Did not land |\n| --- | ---: | ---: | ---: |"
            );
            for w in &c.request_consistency {
                let f = w.flows.iter().find(|f| f.doer == doer && f.asker == asker);
                let (done, landed, not) = f
                    .map(|f| (f.done, f.landed, f.did_not_land))
                    .unwrap_or((0, 0, 0));
                let _ = writeln!(
                    out,
                    "| {} to {} | {done} | {landed} | {not} |",
                    w.start, w.end
                );
            }
            out.push('\n');
        }
    }
}

fn write_section(out: &mut String, section: &SummarySection) {
    let _ = writeln!(
        out,
        "## {}\n\n{}\n",
        esc(&section.title),
        esc(&section.intro)
    );
    if section.items.is_empty() {
        let _ = writeln!(out, "Nothing in this period.\n");
        return;
    }
    if section.kind == RecordKind::CheckIn {
        let _ = writeln!(
            out,
            "| Day | Who | Safety | Trust | Connection | Heard | Words | Note |\n\
             | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"
        );
        for it in &section.items {
            let score = |v: Option<u8>| v.map(|v| v.to_string()).unwrap_or_else(|| "–".into());
            let sc = it.scores;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&it.date),
                cell(it.by.as_deref().unwrap_or("")),
                score(sc.map(|s| s.safety)),
                score(sc.map(|s| s.trust)),
                score(sc.map(|s| s.connection)),
                score(sc.and_then(|s| s.heard)),
                cell(&it.details.join(", ")),
                it.quote
                    .as_deref()
                    .map(|q| format!("“{}”", cell(q)))
                    .unwrap_or_default()
            );
        }
        out.push('\n');
        return;
    }
    for it in &section.items {
        write_item(out, it);
    }
    out.push('\n');
}

fn write_item(out: &mut String, it: &SummaryItem) {
    let who = it
        .by
        .as_deref()
        .map(|b| format!(" · {}", esc(b)))
        .unwrap_or_default();
    let _ = writeln!(out, "- **{}{who}** — {}", esc(&it.date), esc(&it.text));
    if let Some(q) = &it.quote {
        let _ = writeln!(out, "    - “{}”", esc(q));
    }
    for d in &it.details {
        let _ = writeln!(out, "    - {}", esc(d));
    }
}
