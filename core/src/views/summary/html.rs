//! The report as one standalone HTML page: inline CSS, inline SVG charts, no
//! scripts, no fonts or images from anywhere. It prints on paper as it reads
//! on screen.

use std::fmt::Write;

use super::svg::{self, escape as esc};
use super::{SummaryItem, SummarySection, TherapistSummary};
use crate::views::timeline::RecordKind;

const STYLE: &str = "\
:root{color-scheme:light}\
body{margin:0;background:#f6f4ef;color:#222;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\
main{max-width:920px;margin:0 auto;padding:32px 28px 48px;background:#fff}\
h1{font-size:28px;margin:0 0 8px;font-weight:650}\
h2{font-size:21px;margin:36px 0 6px;padding-top:12px;border-top:2px solid #c9a227;font-weight:650}\
h3{font-size:17px;margin:22px 0 4px;font-weight:600}\
p{margin:6px 0}\
.meta{color:#444}\
.selection{background:#f8f3e1;border-left:4px solid #c9a227;padding:10px 14px;margin:14px 0}\
.choice{margin:8px 0 0;padding-left:20px}\
.intro{color:#555;margin-bottom:10px}\
.empty{color:#666;font-style:italic}\
figure{margin:10px 0 18px}\
figure svg{max-width:100%;height:auto;display:block}\
figcaption{color:#555;font-size:14px;margin-top:4px}\
ul.items{list-style:none;padding:0;margin:0}\
ul.items>li{padding:9px 0;border-bottom:1px solid #eee;break-inside:avoid}\
.when{color:#555;font-size:14px}\
.who{font-weight:600}\
.text{display:block;margin-top:2px;white-space:pre-line}\
blockquote{margin:4px 0 2px;padding:2px 10px;border-left:3px solid #ccc;color:#333;font-style:italic;white-space:pre-line}\
ul.details{margin:4px 0 0;padding-left:20px;color:#333;font-size:15px}\
table{border-collapse:collapse;width:100%;font-size:14px}\
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #e4e4e4}\
th{background:#f3f1ea;font-weight:600}\
td.day{white-space:nowrap}th.n,td.n{text-align:right;width:1%;white-space:nowrap}\
.swatch{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:baseline}\
footer{margin-top:36px;color:#666;font-size:13px}\
@media print{body{background:#fff}main{padding:0;max-width:none}h2{break-after:avoid}}";

pub(super) fn render(s: &TherapistSummary) -> String {
    let h = s.header();
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Summary for the therapist: {}, {}</title><style>{STYLE}</style></head>\n<body><main>\n",
        esc(&s.prepared_by.name),
        esc(&s.period)
    );
    let _ = write!(
        out,
        "<h1>Summary for the therapist</h1>\n<p class=\"meta\">{}<br>{}</p>\n\
         <div class=\"selection\"><p>{}</p><ul class=\"choice\"><li>{}</li><li>{}</li><li>{}</li></ul></div>\n\
         <p class=\"meta\">How each describes their place in what happened, in their own words in the app: {}</p>\n",
        esc(&h.prepared),
        esc(&h.period),
        esc(&h.selection),
        esc(&h.brought),
        esc(&h.left_out),
        esc(&h.private),
        esc(&h.people.join(" "))
    );
    charts(&mut out, s);
    for section in &s.sections {
        write_section(&mut out, section);
    }
    if !s.private_entries.is_empty() {
        let _ = write!(
            out,
            "<h2>From {}’s private journal and notes</h2>\n<p class=\"intro\">Entries {} chose one by one \
             from the private space on their own phone; the rest of it stays there.</p>\n<ul class=\"items\">",
            esc(&s.prepared_by.name),
            esc(&s.prepared_by.name)
        );
        for it in &s.private_entries {
            write_item(&mut out, it);
        }
        out.push_str("</ul>\n");
    }
    let _ = write!(
        out,
        "<footer>Made by Kintsugi on {} for {}. Scores are each partner’s own 0–10 \
         self-report.</footer>\n</main></body></html>\n",
        esc(&s.prepared_on),
        esc(&s.prepared_by.name)
    );
    out
}

fn charts(out: &mut String, s: &TherapistSummary) {
    let checkins = s.included.contains(&RecordKind::CheckIn);
    let requests = s.included.contains(&RecordKind::Request);
    if !checkins && !requests {
        return;
    }
    out.push_str("<h2>At a glance</h2>\n");
    let members = s.chart_members();
    if checkins {
        out.push_str("<h3>How each partner felt, week by week</h3>\n");
        if s.charts.trends.is_empty() {
            out.push_str("<p class=\"empty\">No check-ins in this period.</p>\n");
        }
        for (id, colour) in &members {
            if !s.charts.trends.iter().any(|b| &b.member == id) {
                continue;
            }
            let _ = writeln!(
                out,
                "<figure>{}<figcaption><span class=\"swatch\" style=\"background:{colour}\"></span>\
                 <strong>{}</strong>: each week's middle score (line and dots), the middle half of \
                 the week's scores (darker band) and its lowest to highest (lighter band), 0 to 10. \
                 A gap is a week without a check-in.</figcaption></figure>",
                inline(svg::trend_chart(s, id, colour)),
                esc(&s.name_of(id))
            );
        }
        if !s.charts.checkin_frequency.is_empty() {
            let _ = write!(
                out,
                "<h3>Check-ins per week</h3>\n<figure>{}<figcaption>How many days each partner \
                 checked in, week by week (weeks start on Monday; a week cut by the start or end \
                 of the period counts only its days in it). Skipping a day is normal and is not \
                 counted against anyone.</figcaption></figure>\n",
                inline(svg::frequency_chart(s, &members))
            );
        }
    }
    if requests {
        out.push_str("<h3>Requests over four weeks</h3>\n");
        let flows = s.request_flows();
        if flows.is_empty() {
            out.push_str(
                "<p class=\"empty\">Nothing requested was logged as done in this period.</p>\n",
            );
        }
        for (doer, asker) in flows {
            let _ = writeln!(
                out,
                "<figure>{}<figcaption>What {} did of what {} asked for: each bar counts the four \
                 weeks up to the date under it (bars overlap by three weeks, so a change shows \
                 gradually), split by how {} answered.</figcaption></figure>",
                inline(svg::request_chart(s, &doer, &asker)),
                esc(&s.name_of(&doer)),
                esc(&s.name_of(&asker)),
                esc(&s.name_of(&asker))
            );
        }
    }
}

/// A chart inside the page: the HTML parser puts `<svg>` in the SVG
/// namespace by itself, so the page names no URL at all.
fn inline(svg: String) -> String {
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

fn write_section(out: &mut String, section: &SummarySection) {
    let _ = write!(
        out,
        "<h2>{}</h2>\n<p class=\"intro\">{}</p>\n",
        esc(&section.title),
        esc(&section.intro)
    );
    if section.items.is_empty() {
        out.push_str("<p class=\"empty\">Nothing in this period.</p>\n");
        return;
    }
    if section.kind == RecordKind::CheckIn {
        out.push_str(
            "<table><thead><tr><th>Day</th><th>Who</th><th class=\"n\">Safety</th>\
             <th class=\"n\">Trust</th><th class=\"n\">Connection</th><th class=\"n\">Heard</th>\
             <th>Words</th><th>Note</th></tr></thead><tbody>\n",
        );
        for it in &section.items {
            let score = |v: Option<u8>| v.map(|v| v.to_string()).unwrap_or_else(|| "–".into());
            let sc = it.scores;
            let _ = writeln!(
                out,
                "<tr><td class=\"day\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&it.date),
                esc(it.by.as_deref().unwrap_or("")),
                score(sc.map(|s| s.safety)),
                score(sc.map(|s| s.trust)),
                score(sc.map(|s| s.connection)),
                score(sc.and_then(|s| s.heard)),
                esc(&it.details.join(", ")),
                it.quote
                    .as_deref()
                    .map(|q| format!("“{}”", esc(q)))
                    .unwrap_or_default()
            );
        }
        out.push_str("</tbody></table>\n");
        return;
    }
    out.push_str("<ul class=\"items\">");
    for it in &section.items {
        write_item(out, it);
    }
    out.push_str("</ul>\n");
}

fn write_item(out: &mut String, it: &SummaryItem) {
    let who = it
        .by
        .as_deref()
        .map(|b| format!(" · <span class=\"who\">{}</span>", esc(b)))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<li><span class=\"when\">{}</span>{who}<span class=\"text\">{}</span>",
        esc(&it.date),
        esc(&it.text)
    );
    if let Some(q) = &it.quote {
        let _ = write!(out, "<blockquote>“{}”</blockquote>", esc(q));
    }
    if !it.details.is_empty() {
        out.push_str("<ul class=\"details\">");
        for d in &it.details {
            let _ = write!(out, "<li>{}</li>", esc(d));
        }
        out.push_str("</ul>");
    }
    out.push_str("</li>\n");
}
