//! Text and JSON views of the records, shared by the commands and the demo.

use std::collections::HashMap;

use kintsugi_core::{Agreement, AgreementStatus, CheckIn, Device, Member};
use serde_json::json;

/// Member id -> display name, with "you" for this device.
pub struct Names {
    names: HashMap<String, String>,
    me: String,
}

impl Names {
    pub fn of(device: &Device) -> Names {
        Names::from_members(&device.members().unwrap_or_default(), device.member_id())
    }

    pub fn from_members(members: &[Member], me: &str) -> Names {
        Names {
            names: members
                .iter()
                .map(|m| (m.id.clone(), m.name.clone()))
                .collect(),
            me: me.to_owned(),
        }
    }

    /// The member's name, with "(you)" for this device.
    pub fn get(&self, id: &str) -> String {
        let name = self.plain(id);
        if id == self.me && self.names.contains_key(id) {
            format!("{name} (you)")
        } else {
            name
        }
    }

    /// The member's name alone, for sentences ("Ben did 9 requested things").
    pub fn plain(&self, id: &str) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("{}…", &id[..id.len().min(8)]))
    }
}

pub fn short(id: &str) -> &str {
    match id.char_indices().nth(8) {
        Some((end, _)) => &id[..end],
        None => id,
    }
}

/// Prints any serde value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints lines, or one calm line when there is nothing to show.
pub fn print_lines(lines: Vec<String>, when_empty: &str) {
    if lines.is_empty() {
        println!("{when_empty}");
    }
    for line in lines {
        println!("{line}");
    }
}

/// A number from a view: whole numbers without decimals ("5", "5.5").
pub fn num(value: f32) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// " — note" when there is a note.
pub fn note_suffix(note: Option<&str>) -> String {
    match note.map(str::trim) {
        Some(n) if !n.is_empty() => format!(" — “{n}”"),
        _ => String::new(),
    }
}

/// "1 thing", "2 things".
pub fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn when(ms: i64) -> String {
    // UTC, minute precision: enough to tell entries apart without a tz library.
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// The UTC calendar day of an instant, as `YYYY-MM-DD`.
fn day_of(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(1000).div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a calendar date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub fn agreement_lines(agreements: &[Agreement], names: &Names) -> Vec<String> {
    if agreements.is_empty() {
        return vec!["(no agreements yet)".into()];
    }
    agreements
        .iter()
        .map(|a| {
            let status = agreement_status(a.status());
            format!(
                "{}  [{status}] {}  — {}",
                short(&a.id),
                a.text(),
                names.get(&a.proposed_by)
            )
        })
        .collect()
}

pub fn checkin_lines(checkins: &[CheckIn], names: &Names) -> Vec<String> {
    if checkins.is_empty() {
        return vec!["(no check-ins yet)".into()];
    }
    checkins
        .iter()
        .map(|c| {
            // A check-in made for another day says which.
            let mut who = names.get(&c.author);
            if day_of(c.recorded_at) != c.day {
                who.push_str(&format!(", for {}", c.day));
            }
            let mut line = format!("{}  {who}  {}", when(c.recorded_at), c.summary());
            if let Some(note) = &c.note {
                line.push_str(&format!("  “{note}”"));
            }
            line
        })
        .collect()
}

pub fn agreements_json(agreements: &[Agreement]) -> serde_json::Value {
    json!(agreements.iter().map(agreement_json).collect::<Vec<_>>())
}

/// The core's agreement with its derived status beside it.
pub fn agreement_json(agreement: &Agreement) -> serde_json::Value {
    let mut v = serde_json::to_value(agreement).expect("serialises");
    v["status"] = serde_json::to_value(agreement.status()).expect("serialises");
    v
}

pub fn agreement_status(status: AgreementStatus) -> &'static str {
    match status {
        AgreementStatus::InForce => "in force",
        AgreementStatus::Proposed => "proposed",
        AgreementStatus::RevisionPending => "revision pending",
        AgreementStatus::Withdrawn => "withdrawn",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_and_numbers() {
        assert_eq!(short("0123456789abcdef"), "01234567");
        assert_eq!(short("abc"), "abc");
        assert_eq!(num(5.0), "5");
        assert_eq!(num(5.5), "5.5");
        assert_eq!(plural(1, "thing", "things"), "1 thing");
        assert_eq!(plural(9, "thing", "things"), "9 things");
    }

    #[test]
    fn dates_render_in_utc() {
        assert_eq!(when(0), "1970-01-01 00:00Z");
        assert_eq!(when(1_700_000_000_000), "2023-11-14 22:13Z");
        assert_eq!(when(951_782_400_000), "2000-02-29 00:00Z");
    }
}
