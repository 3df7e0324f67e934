//! Text and JSON views of the records, shared by the commands and the demo.

use std::collections::HashMap;

use kintsugi_core::{Agreement, AgreementStatus, CheckIn, Device, Member};
use serde_json::json;

/// Member id -> display name, with "you" for this device.
pub struct Names(HashMap<String, String>);

impl Names {
    pub fn of(device: &Device) -> Names {
        let members: Vec<Member> = device.members().unwrap_or_default();
        let mut map: HashMap<String, String> =
            members.into_iter().map(|m| (m.id, m.name)).collect();
        if let Some(me) = map.get_mut(device.member_id()) {
            *me = format!("{me} (you)");
        }
        Names(map)
    }

    pub fn get(&self, id: &str) -> String {
        self.0
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("{}…", &id[..id.len().min(8)]))
    }
}

pub fn short(id: &str) -> &str {
    &id[..id.len().min(8)]
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
            let status = match a.status() {
                AgreementStatus::InForce => "in force",
                AgreementStatus::Proposed => "proposed",
                AgreementStatus::RevisionPending => "revision pending",
                AgreementStatus::Withdrawn => "withdrawn",
            };
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
            let mut line = format!(
                "{}  {}  safety {} · trust {} · connection {}",
                when(c.recorded_at),
                names.get(&c.author),
                c.safety,
                c.trust,
                c.connection
            );
            if !c.moods.is_empty() {
                line.push_str(&format!("  ({})", c.moods.join(", ")));
            }
            if let Some(note) = &c.note {
                line.push_str(&format!("  “{note}”"));
            }
            line
        })
        .collect()
}

pub fn agreements_json(agreements: &[Agreement]) -> serde_json::Value {
    json!(
        agreements
            .iter()
            .map(|a| {
                let mut v = serde_json::to_value(a).expect("serialises");
                v["status"] = serde_json::to_value(a.status()).expect("serialises");
                v
            })
            .collect::<Vec<_>>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_render_in_utc() {
        assert_eq!(when(0), "1970-01-01 00:00Z");
        assert_eq!(when(1_700_000_000_000), "2023-11-14 22:13Z");
        assert_eq!(when(951_782_400_000), "2000-02-29 00:00Z");
    }
}
