//! Safety by design: nothing the apps or the command line show can be used
//! to watch the other partner (Freed et al., CHI 2018: the abuser who uses
//! the app exactly as designed). Beyond what a partner wrote, no field may
//! tell when they were last seen or online, whether they read or opened
//! something, how long they spent, where they are, or their network
//! addresses.
//!
//! Two sweeps: every record, enum and method of the mobile facade (from the
//! golden API file, which `mobile/scripts/check-api.sh` keeps equal to the
//! generated bindings), and every `--json` output of the real `kintsugi`
//! binary on a paired couple after a week of ordinary use. Each failure
//! names the field and where it is.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

/// Words that, in a field's name, tell of the other partner's presence,
/// attention, time or place.
const WATCHING: &[&str] = &[
    // presence and attention
    "seen",
    "online",
    "offline",
    "presence",
    "typing",
    "read",
    "unread",
    "opened",
    "viewed",
    "active",
    "heartbeat",
    // time spent
    "duration",
    "spent",
    "screen",
    // place
    "location",
    "latitude",
    "longitude",
    "lat",
    "lon",
    "lng",
    "geo",
    "gps",
    "city",
    // network
    "ip",
    "ips",
    "addr",
    "addrs",
    "address",
    "addresses",
    "ssid",
    "wifi",
    "reachable",
    "unreachable",
    "synced",
    "connected",
];

/// After "last", words that make a presence trail ("lastSync", "lastLogin");
/// "last" alone is a day ("lastDay") or a call ("noticesSinceLastCall").
const AFTER_LAST: &[&str] = &[
    "sync", "seen", "online", "login", "visit", "visited", "contact", "activity", "reached",
    "open", "use", "used",
];

/// Names that match a word above but watch nobody, each with why. Keep it
/// short: a new entry needs a reason a reviewer agrees with.
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "SyncStateKind",
        "UNREACHABLE",
        "the sync indicator's state, with no time attached: inherent to \
         syncing phone to phone (docs/threat-model.md, a coercive partner)",
    ),
    (
        "BundleOpened",
        "alreadyOpened",
        "whether THIS device had already opened the bundle file it was given",
    ),
    (
        "BundleDirReport",
        "opened",
        "what THIS device took in from the bundle it opened in the shared folder",
    ),
    (
        "TransparencyOffer",
        "active",
        "whether the offer is still in force: its owner's offer, not their activity",
    ),
];

/// A name's lowercase words: `lastSyncedAtMs`, `last_synced_at`,
/// `LAST_SYNCED` all give `last synced …`.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The watching word in `name`, if any.
fn watching(name: &str) -> Option<String> {
    let words = words(name);
    if let Some(w) = words.iter().find(|w| WATCHING.contains(&w.as_str())) {
        return Some(w.clone());
    }
    words
        .windows(2)
        .find(|pair| pair[0] == "last" && AFTER_LAST.contains(&pair[1].as_str()))
        .map(|pair| pair.join(" "))
}

fn allowed(owner: &str, name: &str) -> bool {
    ALLOWED.iter().any(|(o, n, _)| *o == owner && *n == name)
}

/// Every named member of the facade's API: (where, name). Records' fields,
/// enum cases and variants with their fields, and interface methods.
fn facade_names(api: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut owner = String::new();
    for line in api.lines() {
        let indented = line.starts_with("    ");
        let text = line.trim();
        let head = |prefix: &str| {
            text.strip_prefix(prefix)
                .map(|rest| rest.split([' ', '(', ':']).next().unwrap_or("").to_owned())
        };
        if !indented {
            for prefix in ["sealed class ", "enum class ", "interface ", "data class "] {
                if let Some(name) = head(prefix) {
                    owner = name;
                }
            }
            if text.starts_with("data class ") {
                out.extend(fields(text).into_iter().map(|f| (owner.clone(), f)));
            }
            continue;
        }
        if let Some(variant) = head("data class ").or_else(|| head("object ")) {
            out.push((owner.clone(), variant.clone()));
            let at = format!("{owner}.{variant}");
            out.extend(fields(text).into_iter().map(|f| (at.clone(), f)));
        } else if let Some(pos) = text.find("fun ") {
            let name = text[pos + 4..].split('(').next().unwrap_or("").to_owned();
            out.push((owner.clone(), name));
        } else if text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        {
            out.push((owner.clone(), text.to_owned()));
        }
    }
    out
}

/// The `val` names of one Kotlin `data class` line.
fn fields(line: &str) -> Vec<String> {
    line.split("val ")
        .skip(1)
        .filter_map(|rest| rest.split(':').next())
        .map(|name| name.trim().to_owned())
        .collect()
}

#[test]
fn no_facade_record_tells_when_or_where_the_partner_is() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mobile/api/kintsugi.kt.api");
    let api = std::fs::read_to_string(&path).expect("the golden Kotlin API file");
    let names = facade_names(&api);
    assert!(
        names
            .iter()
            .any(|(o, n)| o == "JournalEntry" && n == "text")
            && names
                .iter()
                .any(|(o, n)| o == "SyncStateKind" && n == "UP_TO_DATE")
            && names
                .iter()
                .any(|(o, n)| o == "CompanionInterface" && n == "journal"),
        "the API file was not read as expected: {names:?}"
    );
    let found: Vec<String> = names
        .iter()
        .filter(|(owner, name)| !allowed(owner, name))
        .filter_map(|(owner, name)| watching(name).map(|w| format!("{owner}.{name} (\"{w}\")")))
        .collect();
    assert!(
        found.is_empty(),
        "fields of the mobile facade that could watch the partner (remove them, or add to \
         ALLOWED with the reason they watch nobody):\n  {}",
        found.join("\n  ")
    );
}

/// Every command path of the CLI with a `--json` option, found through
/// `--help` (so a new command is swept without editing this test).
fn json_commands(prefix: &[String], out: &mut Vec<Vec<String>>) {
    let dir = Path::new("/nonexistent-kintsugi-help");
    let mut args = prefix.to_vec();
    args.push("--help".into());
    let help = ok(kintsugi_bare(dir).args(&args));
    let mut subcommands = Vec::new();
    let mut in_commands = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if in_commands {
            if !line.starts_with("  ") {
                in_commands = false;
                continue;
            }
            if let Some(name) = line.split_whitespace().next()
                && !line.starts_with("   ")
                && name != "help"
            {
                subcommands.push(name.to_owned());
            }
        }
    }
    if subcommands.is_empty() {
        // `--json` as a flag that prints JSON (not `export --json <FILE>`).
        let prints_json = help.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("--json") && !l.starts_with("--json <")
        });
        if prints_json {
            out.push(prefix.to_vec());
        }
        return;
    }
    for sub in subcommands {
        let mut path = prefix.to_vec();
        path.push(sub);
        json_commands(&path, out);
    }
}

/// Every object key in `value`, with its path.
fn keys(value: &serde_json::Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.push((at.to_owned(), k.clone()));
                keys(v, &format!("{at}.{k}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                keys(v, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Whether `text` holds an IPv4 address (a.b.c.d) or IPv6 loopback: the
/// couple here talks over loopback, so a partner's address would be one.
fn holds_ip(text: &str) -> bool {
    if text.contains("::1") {
        return true;
    }
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .any(|run| {
            let parts: Vec<&str> = run.split('.').collect();
            parts.len() == 4
                && parts.iter().all(|p| {
                    !p.is_empty() && p.len() <= 3 && p.parse::<u16>().is_ok_and(|n| n < 256)
                })
        })
}

/// A week of ordinary use on both phones, then a sync.
fn couple_after_a_week() -> Couple {
    let c = Couple::with_roles();
    run(
        &c.ana,
        &[
            "checkin",
            "--safety",
            "4",
            "--trust",
            "3",
            "--connection",
            "5",
            "--mood",
            "sad",
            "--note",
            "a hard evening",
        ],
    );
    run(
        &c.ben,
        &[
            "checkin",
            "--safety",
            "6",
            "--trust",
            "5",
            "--connection",
            "6",
        ],
    );
    run(&c.ben, &["appreciate", "thank you for the walk"]);
    run(&c.ana, &["agreement", "propose", "No phones at dinner"]);
    run(
        &c.ana,
        &["request", "make", "Text me when you are running late"],
    );
    run(&c.ana, &["question", "ask", "Where were you in May?"]);
    run(
        &c.ana,
        &["trigger", "log", "a song in the car", "--intensity", "6"],
    );
    run(
        &c.ben,
        &[
            "disclose",
            "She messaged me today",
            "--action",
            "I did not answer",
        ],
    );
    run(
        &c.ben,
        &["offer", "make", "My calendar, for a month", "--days", "30"],
    );
    run(&c.ana, &["journal", "write", "only for me"]);
    run(&c.ana, &["note", "add", "For me", "also only for me"]);
    c.sync();
    let request = first_id(&json(&c.ben, &["request", "list", "--json"]));
    run(&c.ben, &["request", "done", &request]);
    let agreement = first_id(&json(&c.ben, &["agreement", "list", "--json"]));
    run(&c.ben, &["agreement", "accept", &agreement]);
    c.sync();
    c
}

#[test]
fn no_json_output_of_the_cli_tells_when_or_where_the_partner_is() {
    let mut commands = Vec::new();
    json_commands(&[], &mut commands);
    assert!(
        commands.iter().any(|c| c == &["status"]) && commands.iter().any(|c| c == &["checkins"]),
        "the --help sweep found too little: {commands:?}"
    );
    let c = couple_after_a_week();
    let mut found = BTreeSet::new();
    let mut swept = Vec::new();
    let tmp = tempfile::tempdir().unwrap();
    for dir in [&c.ana, &c.ben] {
        // The commands that need an argument get one here.
        let agreement = first_id(&json(dir, &["agreement", "list", "--json"]));
        let export = tmp.path().join(format!("{}.json", swept.len()));
        run(
            dir,
            &[
                "export",
                "--json",
                export.to_str().unwrap(),
                "--include-private",
            ],
        );
        let exported: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
        let mut all = Vec::new();
        keys(&exported, "", &mut all);
        for (at, key) in all {
            if let Some(w) = watching(&key) {
                found.insert(format!("`kintsugi export --json`: {at}.{key} (\"{w}\")"));
            }
        }
        for command in &commands {
            let mut args: Vec<&str> = command.iter().map(String::as_str).collect();
            if args == ["agreement", "show"] {
                args.push(&agreement);
            }
            args.push("--json");
            let out = bounded_output(kintsugi(dir).args(&args));
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "`kintsugi {}` failed (a --json command that needs arguments: give it \
                 some here): {stderr}",
                args.join(" ")
            );
            let value: serde_json::Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("`kintsugi {}` printed no JSON ({e})", args.join(" ")));
            let mut all = Vec::new();
            keys(&value, "", &mut all);
            for (at, key) in all {
                if let Some(w) = watching(&key) {
                    found.insert(format!(
                        "`kintsugi {}`: {at}.{key} (\"{w}\")",
                        args.join(" ")
                    ));
                }
            }
            if holds_ip(&stdout) {
                found.insert(format!("`kintsugi {}`: an IP address", args.join(" ")));
            }
            swept.push(args.join(" "));
        }
    }
    assert!(
        found.is_empty(),
        "--json output that could watch the partner:\n  {}",
        found.into_iter().collect::<Vec<_>>().join("\n  ")
    );
    // The plain status says who and since when paired: nothing of when
    // the partner's device was last online.
    let status = run(&c.ana, &["status"]);
    assert!(status.contains("Paired with Ben"), "{status}");
    assert_eq!(status.lines().count(), 1, "{status}");
    assert!(!holds_ip(&status), "{status}");
    assert!(swept.len() >= 2 * 10, "{swept:?}");
}

#[test]
fn the_name_splitter_and_the_ip_finder_catch_what_they_should() {
    assert_eq!(words("lastSyncedAtMs"), ["last", "synced", "at", "ms"]);
    assert_eq!(words("UP_TO_DATE"), ["up", "to", "date"]);
    assert_eq!(words("unreachable_since"), ["unreachable", "since"]);
    assert_eq!(watching("partnerLastSeenMs").as_deref(), Some("seen"));
    assert_eq!(watching("lastSyncAtMs").as_deref(), Some("last sync"));
    assert_eq!(watching("last_synced_at").as_deref(), Some("synced"));
    assert_eq!(
        watching("unreachableSinceMs").as_deref(),
        Some("unreachable")
    );
    assert_eq!(watching("lastDay"), None);
    assert_eq!(watching("noticesSinceLastCall"), None);
    assert_eq!(watching("readAt").as_deref(), Some("read"));
    assert_eq!(watching("readable"), None);
    assert_eq!(watching("directAddresses").as_deref(), Some("addresses"));
    assert_eq!(watching("atMs"), None);
    assert!(holds_ip("dialled 192.168.1.20:4433"));
    assert!(holds_ip("[::1]:9"));
    assert!(!holds_ip("version 0.1.0 on 2026-01-02"));
}
