//! Text and JSON views of the records, shared by the commands and the demo.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
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

/// An instant in this machine's time zone (`TZ`, else the system's), to the
/// minute: "2026-11-14 23:13".
pub fn when(ms: i64) -> String {
    when_in(ms, &TimeZone::system())
}

fn when_in(ms: i64, tz: &TimeZone) -> String {
    zoned(ms, tz).map_or_else(
        || ms.to_string(),
        |z| z.strftime("%Y-%m-%d %H:%M").to_string(),
    )
}

/// The calendar day of an instant in this machine's time zone.
fn day_of(ms: i64) -> String {
    day_in(ms, &TimeZone::system())
}

fn day_in(ms: i64, tz: &TimeZone) -> String {
    zoned(ms, tz).map_or_else(String::new, |z| z.date().to_string())
}

fn zoned(ms: i64, tz: &TimeZone) -> Option<jiff::Zoned> {
    Some(Timestamp::from_millisecond(ms).ok()?.to_zoned(tz.clone()))
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
    fn times_and_days_are_the_readers_own() {
        let zone = |name: &str| TimeZone::get(name).unwrap();
        // 2023-11-14 22:13 UTC.
        let at = 1_700_000_000_000;
        assert_eq!(when_in(at, &zone("UTC")), "2023-11-14 22:13");
        assert_eq!(when_in(at, &zone("Pacific/Auckland")), "2023-11-15 11:13");
        assert_eq!(
            when_in(at, &zone("America/Los_Angeles")),
            "2023-11-14 14:13"
        );
        assert_eq!(when_in(at, &zone("Europe/Berlin")), "2023-11-14 23:13");
        assert_eq!(day_in(at, &zone("Pacific/Auckland")), "2023-11-15");
        assert_eq!(day_in(at, &zone("America/Los_Angeles")), "2023-11-14");
        // Across Berlin's change to summer time (2024-03-31, 02:00 -> 03:00):
        // an hour apart in UTC, two hours apart on the clock.
        let before = 1_711_843_200_000; // 00:00 UTC, 01:00 in Berlin
        assert_eq!(when_in(before, &zone("Europe/Berlin")), "2024-03-31 01:00");
        assert_eq!(
            when_in(before + 3_600_000, &zone("Europe/Berlin")),
            "2024-03-31 03:00"
        );
        assert_eq!(when_in(951_782_400_000, &zone("UTC")), "2000-02-29 00:00");
    }
}
