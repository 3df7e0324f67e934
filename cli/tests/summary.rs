//! `kintsugi summary`: the report a partner brings to a therapist, written
//! by the real binary on a data directory filled through the core with the
//! times things happened.

mod common;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use common::{bounded_output, fails, key_file, kintsugi, ok};
use kintsugi_core::{CheckInInput, Device, Millis, Unlock};

/// Noon UTC of a day.
fn noon(day: &str) -> Millis {
    let date: jiff::civil::Date = day.parse().unwrap();
    date.at(12, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_millisecond()
}

struct Setup {
    _root: tempfile::TempDir,
    ana: PathBuf,
    out: PathBuf,
    journal_kept: String,
}

/// Ana, paired with Ben through the core: check-ins in August, September
/// and October, a request Ben said yes to in September, two private
/// journal entries.
fn setup() -> Setup {
    let root = tempfile::tempdir().unwrap();
    let ana = root.path().join("ana");
    let unlock = |dir: &Path| {
        let text = std::fs::read_to_string(key_file(dir)).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .unwrap()
            .to_owned();
        Unlock::host_key(&line).unwrap()
    };
    let mut a = Device::init(&ana, "Ana", &unlock(&ana)).unwrap();
    a.start_couple().unwrap();
    let ben_dir = root.path().join("ben");
    let mut b = Device::init(&ben_dir, "Ben", &unlock(&ben_dir)).unwrap();
    let roster = kintsugi_core::Roster::new(kintsugi_core::RosterMember::new(b.member_id()))
        .with_partner(kintsugi_core::RosterMember::new(a.member_id()));
    let request = a
        .update(|doc, _| doc.make_request("Call me at lunch", noon("2026-09-03")))
        .unwrap();
    b.join_couple(&a.export_automerge().unwrap(), &roster)
        .unwrap();
    // Ben says yes: only a request the asked partner agreed to is brought.
    b.update(|doc, _| {
        doc.answer_request(
            &request,
            kintsugi_core::RequestAnswerKind::Yes,
            None,
            noon("2026-09-03") + 60_000,
        )
    })
    .unwrap();
    let bytes = b.export_automerge().unwrap();
    a.update(|doc, _| doc.merge_bytes(&bytes)).unwrap();
    for (day, note) in [
        ("2026-08-31", "august evening"),
        ("2026-09-02", "september evening"),
        ("2026-10-01", "october evening"),
    ] {
        let input = CheckInInput {
            day: Some(day.into()),
            safety: 4,
            trust: 3,
            connection: 5,
            moods: vec!["hopeful".into()],
            note: Some(note.into()),
            ..Default::default()
        };
        a.update(|doc, _| doc.record_checkin(&input, noon(day)))
            .unwrap();
    }
    let journal_kept = a
        .update_private(|p, _| p.write_journal("the entry I chose", noon("2026-09-04")))
        .unwrap();
    a.update_private(|p, _| p.write_journal("the entry that stays home", noon("2026-09-05")))
        .unwrap();
    drop(a);
    Setup {
        out: root.path().join("report"),
        _root: root,
        ana,
        journal_kept,
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn summary(s: &Setup, extra: &[&str]) -> std::process::Command {
    let mut cmd = kintsugi(&s.ana);
    cmd.args(["summary", "--from", "2026-09-01", "--until", "2026-09-30"])
        .args(extra);
    cmd
}

#[test]
fn writes_markdown_and_a_standalone_page_with_only_what_was_chosen() {
    let s = setup();
    let out = s.out.to_str().unwrap();
    let printed = ok(&mut summary(&s, &["--kinds", "checkins", "--out", out]));
    assert!(
        printed.contains("Tue 1 Sep 2026 to Wed 30 Sep 2026"),
        "{printed}"
    );
    assert!(printed.contains("summary.html"), "{printed}");
    let md = read(&s.out.join("summary.md"));
    let html = read(&s.out.join("summary.html"));
    for text in [&md, &html] {
        assert!(text.contains("september evening"));
        assert!(!text.contains("august evening"), "before the period");
        assert!(!text.contains("october evening"), "after the period");
        assert!(
            !text.contains("Call me at lunch"),
            "requests were not chosen"
        );
        assert!(!text.contains("the entry"), "nothing private was added");
        assert!(text.contains("Prepared by Ana"));
    }
    let lower = html.to_lowercase();
    assert!(!lower.contains("http:") && !lower.contains("https:") && !lower.contains("<script"));
    assert!(html.contains("<svg"));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(s.out.join("summary.html"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o077, 0, "readable by its owner only");

    // Other kinds, another file pair; an existing file is never overwritten.
    let md2 = s.out.join("requests.md");
    let printed = ok(&mut summary(
        &s,
        &["--kinds", "requests", "--markdown", md2.to_str().unwrap()],
    ));
    assert!(!printed.contains("summary.html"));
    let text = read(&md2);
    assert!(text.contains("Call me at lunch"));
    assert!(!text.contains("september evening"));
    let err = fails(&mut summary(&s, &["--kinds", "checkins", "--out", out]));
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn private_entries_come_only_by_id() {
    let s = setup();
    let page = s.out.join("page.html");
    ok(&mut summary(
        &s,
        &[
            "--kinds",
            "all",
            "--private-entry",
            &s.journal_kept[..12],
            "--html",
            page.to_str().unwrap(),
        ],
    ));
    let html = read(&page);
    assert!(html.contains("the entry I chose"));
    assert!(!html.contains("the entry that stays home"));

    let err = fails(&mut summary(
        &s,
        &[
            "--kinds",
            "all",
            "--private-entry",
            "ffffffffffff",
            "--html",
            s.out.join("other.html").to_str().unwrap(),
        ],
    ));
    assert!(err.contains("ffffffffffff"), "{err}");
    assert!(!s.out.join("other.html").exists());
}

#[test]
fn sealed_to_the_therapist_nothing_readable_is_written() {
    let s = setup();
    let therapist = age::x25519::Identity::generate();
    let recipient = therapist.to_public().to_string();
    let printed = ok(&mut summary(
        &s,
        &[
            "--kinds",
            "checkins,requests",
            "--to",
            &recipient,
            "--out",
            s.out.to_str().unwrap(),
        ],
    ));
    assert!(printed.contains("Sealed with age"), "{printed}");
    let mut names: Vec<String> = std::fs::read_dir(&s.out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["summary.html.age", "summary.md.age"]);
    let sealed = std::fs::read(s.out.join("summary.html.age")).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1\n"));
    assert!(!sealed.windows(9).any(|w| w == b"september"));
    let html = String::from_utf8(age::decrypt(&therapist, &sealed).unwrap()).unwrap();
    assert!(html.contains("september evening"));
    let kept = age::x25519::Identity::from_str(therapist.to_string().expose_secret()).unwrap();
    let md = age::decrypt(&kept, &std::fs::read(s.out.join("summary.md.age")).unwrap()).unwrap();
    assert!(String::from_utf8(md).unwrap().contains("Call me at lunch"));
    let stranger = age::x25519::Identity::generate();
    assert!(age::decrypt(&stranger, &sealed).is_err());
}

#[test]
fn refuses_a_bad_recipient_or_period_plainly_and_writes_nothing() {
    let s = setup();
    let out = s.out.to_str().unwrap();
    let err = fails(&mut summary(
        &s,
        &["--kinds", "all", "--to", "age1notarecipient", "--out", out],
    ));
    assert!(err.contains("not an age recipient"), "{err}");
    assert!(err.contains("age1notarecipient"), "{err}");

    let err = fails(&mut summary(
        &s,
        &["--kinds", "all", "--to", "2026-09-30", "--out", out],
    ));
    assert!(
        err.contains("the last day of the period is --until"),
        "{err}"
    );

    let mut inverted = kintsugi(&s.ana);
    inverted.args([
        "summary",
        "--from",
        "2026-11-30",
        "--until",
        "2026-09-01",
        "--kinds",
        "all",
        "--out",
        out,
    ]);
    let err = fails(&mut inverted);
    assert!(
        err.contains("the period ends on 2026-09-01, before it starts on 2026-11-30"),
        "{err}"
    );

    let mut bad_day = kintsugi(&s.ana);
    bad_day.args([
        "summary",
        "--from",
        "1/9/2026",
        "--until",
        "2026-09-30",
        "--kinds",
        "all",
        "--out",
        out,
    ]);
    assert!(fails(&mut bad_day).contains("--from must be a day like"));

    // Without --kinds nothing is assumed.
    let missing = bounded_output(summary(&s, &["--out", out]).env("KINTSUGI_LOG", "off"));
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--kinds"));
    assert!(!s.out.exists(), "nothing was written");
}
