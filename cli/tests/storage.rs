//! The data directory as a user meets it: passphrases and key files,
//! export and import, sizes on disk, damaged files, wiping. Real processes
//! on real files; a passphrase costs about a second of scrypt per process,
//! so only the first test uses one.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use kintsugi_core::automerge::{AutoCommit, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value};

const NOTE: &str = "we walked by the river";
const WRONG_KEY: &str = "the passphrase or key does not unlock this device";
/// Strong enough for a new device (zxcvbn score 3 or more).
const PASSPHRASE: &str = "river stones";

/// `pair invite` makes the device's shared space before it shows its code;
/// stopping it then leaves a device with a space of its own and no partner.
fn start_space(mut invite: Command) {
    let mut invite = KillOnDrop(
        invite
            .args(["pair", "invite"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    read_until(&mut invite.0, |l| l.starts_with("kintsugi:"));
}

/// A device set up through the CLI (unlocked by its test key file) with a
/// shared space and one check-in holding [`NOTE`].
fn device_with_checkin(dir: &Path, name: &str) {
    run(dir, &["init", "--name", name]);
    start_space(kintsugi(dir));
    run(dir, &checkin(NOTE));
}

fn checkin(note: &str) -> [&str; 9] {
    [
        "checkin",
        "--safety",
        "6",
        "--trust",
        "5",
        "--connection",
        "7",
        "--note",
        note,
    ]
}

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    out
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every string in an Automerge document, found by walking it.
fn strings(doc: &AutoCommit, obj: &ObjId, out: &mut Vec<String>) {
    let props: Vec<Prop> = match doc.object_type(obj).unwrap() {
        ObjType::Map | ObjType::Table => doc.keys(obj).map(Prop::Map).collect(),
        ObjType::List => (0..doc.length(obj)).map(Prop::Seq).collect(),
        ObjType::Text => {
            out.push(doc.text(obj).unwrap());
            return;
        }
    };
    for prop in props {
        match doc.get(obj, prop).unwrap() {
            Some((Value::Object(_), id)) => strings(doc, &id, out),
            Some((Value::Scalar(s), _)) => {
                if let ScalarValue::Str(text) = s.as_ref() {
                    out.push(text.to_string());
                }
            }
            None => {}
        }
    }
}

#[test]
fn a_passphrase_unlocks_a_wrong_one_changes_nothing_and_a_key_file_replaces_it() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ana");
    let with = |passphrase: &str| {
        let mut cmd = kintsugi_bare(&dir);
        cmd.env("KINTSUGI_PASSPHRASE", passphrase);
        cmd
    };
    let set_up = ok(with(PASSPHRASE).args(["init", "--name", "Ana"]));
    assert!(set_up.contains("unlocks with your passphrase"), "{set_up}");
    start_space(with(PASSPHRASE));
    ok(with(PASSPHRASE).args(checkin(NOTE)));

    let before = files(&dir);
    assert!(!before.is_empty());
    let err = fails(with("river pebbles").args(checkin("never written")));
    assert!(err.contains(WRONG_KEY), "{err}");
    assert!(err.contains("KINTSUGI_PASSPHRASE"), "{err}");
    assert_eq!(files(&dir), before, "a wrong passphrase changed a file");

    // From the passphrase to a key file: the passphrase stops working.
    let key = root.path().join("ana-new.key");
    ok(kintsugi_bare(&dir).args(["key", "new"]).arg(&key));
    let changed = ok(with(PASSPHRASE)
        .args(["key", "change", "--new-key-file"])
        .arg(&key));
    assert!(
        changed.contains("now unlocks with the key file"),
        "{changed}"
    );
    let err = fails(with(PASSPHRASE).arg("checkins"));
    assert!(err.contains(WRONG_KEY), "{err}");
    let list = ok(kintsugi_bare(&dir)
        .arg("--key-file")
        .arg(&key)
        .args(["checkins", "--json"]));
    assert!(list.contains(NOTE), "{list}");
}

#[test]
fn a_weak_new_passphrase_is_refused_with_the_reason_and_nothing_is_written() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ana");
    let with = |passphrase: &str| {
        let mut cmd = kintsugi_bare(&dir);
        cmd.env("KINTSUGI_PASSPHRASE", passphrase);
        cmd
    };
    // A new device: refused, with zxcvbn's reason and time to guess it.
    for weak in ["password1", "ana2024", "kintsugi1", "qwerty123"] {
        let err = fails(with(weak).args(["init", "--name", "Ana"]));
        assert!(err.contains("too easy to guess"), "{weak}: {err}");
        assert!(err.contains("KINTSUGI_PASSPHRASE"), "{weak}: {err}");
        assert!(err.contains("could find it in"), "{weak}: {err}");
        assert!(err.contains("Nothing was written"), "{weak}: {err}");
        assert!(
            !err.contains(weak),
            "the error repeats the passphrase: {err}"
        );
        assert!(!dir.exists(), "{weak}: the data directory was made");
    }
    let err = fails(with("password1").args(["init", "--name", "Ana"]));
    assert!(err.contains("common"), "{err}");

    // A weak passphrase that already locks a device (set up without the
    // CLI) still opens it: only a new one is judged.
    kintsugi_core::Device::init(&dir, "Ana", &kintsugi_core::Unlock::passphrase("ana2024"))
        .unwrap();
    ok(with("ana2024").args(["init", "--name", "Ana"]));
    ok(with("ana2024").arg("status"));

    // Moving to a weak passphrase is refused, and key.age stays as it was.
    let before = files(&dir);
    let err = fails(
        with("ana2024")
            .env("KINTSUGI_NEW_PASSPHRASE", "qwerty123")
            .args(["key", "change"]),
    );
    assert!(err.contains("too easy to guess"), "{err}");
    assert!(err.contains("KINTSUGI_NEW_PASSPHRASE"), "{err}");
    assert_eq!(files(&dir), before, "a refused passphrase changed a file");
    ok(with("ana2024")
        .env("KINTSUGI_NEW_PASSPHRASE", PASSPHRASE)
        .args(["key", "change"]));
    ok(with(PASSPHRASE).arg("status"));
}

#[cfg(unix)]
#[test]
fn without_a_terminal_or_a_variable_the_error_says_what_to_set() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("sam");
    run(&dir, &["init", "--name", "Sam"]);
    for args in [&["checkins"][..], &["key", "change"][..]] {
        let err = fails(without_terminal(kintsugi_bare(&dir)).args(args));
        assert!(err.contains("no terminal"), "{args:?}: {err}");
        assert!(err.contains("KINTSUGI_PASSPHRASE"), "{args:?}: {err}");
        assert!(err.contains("--key-file"), "{args:?}: {err}");
    }
    // The new passphrase of `key change` has its own variable.
    let err = fails(
        without_terminal(kintsugi(&dir))
            .env_remove("KINTSUGI_NEW_PASSPHRASE")
            .args(["key", "change"]),
    );
    assert!(err.contains("KINTSUGI_NEW_PASSPHRASE"), "{err}");

    // Setting up a new device, nothing is created.
    let fresh = root.path().join("new");
    let err = fails(without_terminal(kintsugi_bare(&fresh)).args(["init", "--name", "Kim"]));
    assert!(err.contains("KINTSUGI_PASSPHRASE"), "{err}");
    assert!(!fresh.exists());
}

#[cfg(unix)]
#[test]
fn key_new_writes_a_private_key_file_and_never_overwrites_one() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("sam");
    let key = root.path().join("sam.age");
    let made = ok(kintsugi_bare(&dir).args(["key", "new"]).arg(&key));
    assert!(made.contains("Wrote a new key"), "{made}");
    assert_eq!(mode(&key), 0o600);
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(text.starts_with("# created by kintsugi"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("AGE-SECRET-KEY-1")));
    assert!(!dir.exists(), "key new touched the data directory");

    let err = fails(kintsugi_bare(&dir).args(["key", "new"]).arg(&key));
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), text);

    // The key unlocks a device; a copy others can read is refused.
    let with_key = || {
        let mut cmd = kintsugi_bare(&dir);
        cmd.arg("--key-file").arg(&key);
        cmd
    };
    let set_up = ok(with_key().args(["init", "--name", "Sam"]));
    assert!(set_up.contains("unlocks with the key file"), "{set_up}");
    ok(with_key().args(["storage"]));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let err = fails(with_key().args(["storage"]));
    assert!(err.contains("chmod 600"), "{err}");

    // Another device's key does not fit, and says so.
    let err = fails(kintsugi(&dir).args(["storage"]));
    assert!(err.contains(WRONG_KEY), "{err}");
    // Nor does a file that is no key at all.
    let junk = root.path().join("junk");
    std::fs::write(&junk, "hunter2\n").unwrap();
    std::fs::set_permissions(&junk, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = fails(
        kintsugi_bare(&dir)
            .arg("--key-file")
            .arg(&junk)
            .arg("storage"),
    );
    assert!(err.contains("not a key file"), "{err}");
}

#[test]
fn exports_are_private_files_and_import_takes_back_only_this_couples_space() {
    let root = tempfile::tempdir().unwrap();
    let ana = root.path().join("ana");
    device_with_checkin(&ana, "Ana");
    run(&ana, &["journal", "write", "only for me"]);

    let am = root.path().join("ana.automerge");
    let out = bounded_output(kintsugi(&ana).arg("export").arg("--automerge").arg(&am));
    assert!(out.status.success(), "{out:?}");
    let warning = String::from_utf8_lossy(&out.stderr);
    assert!(warning.contains("NOT encrypted"), "{warning}");
    #[cfg(unix)]
    assert_eq!(mode(&am), 0o600);
    let bytes = std::fs::read(&am).unwrap();
    let doc = AutoCommit::load(&bytes).expect("a standard Automerge document");
    let mut found = Vec::new();
    strings(&doc, &kintsugi_core::automerge::ROOT, &mut found);
    assert!(found.iter().any(|s| s == NOTE), "{found:?}");
    assert!(!found.iter().any(|s| s == "only for me"));

    // JSON, with and without the private space.
    let shared = root.path().join("shared.json");
    run(&ana, &["export", "--json", shared.to_str().unwrap()]);
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&shared).unwrap()).unwrap();
    assert_eq!(value["shared"]["checkins"][0]["note"], NOTE, "{value}");
    assert!(value.get("private").is_none());
    let everything = root.path().join("everything.json");
    run(
        &ana,
        &[
            "export",
            "--json",
            everything.to_str().unwrap(),
            "--include-private",
        ],
    );
    let text = std::fs::read_to_string(&everything).unwrap();
    assert!(
        text.contains("only for me") && text.contains(NOTE),
        "{text}"
    );

    // Exactly one format; an existing file is never overwritten.
    let err = run_err(&ana, &["export"]);
    assert!(
        err.contains("--automerge") && err.contains("--json"),
        "{err}"
    );
    let err = run_err(
        &ana,
        &[
            "export",
            "--automerge",
            "a",
            "--json",
            root.path().join("b").to_str().unwrap(),
        ],
    );
    assert!(err.contains("cannot be used with"), "{err}");
    let err = run_err(&ana, &["export", "--json", am.to_str().unwrap()]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&am).unwrap(), bytes);

    // Back into the same device: nothing new.
    let imported = run(&ana, &["import", "--automerge", am.to_str().unwrap()]);
    assert!(imported.contains("0 new changes"), "{imported}");

    // Another couple's space is refused, and left as it was.
    let kim = root.path().join("kim");
    device_with_checkin(&kim, "Kim");
    let before = run(&kim, &["checkins", "--json"]);
    let err = run_err(&kim, &["import", "--automerge", am.to_str().unwrap()]);
    assert!(err.contains("another couple"), "{err}");
    assert_eq!(run(&kim, &["checkins", "--json"]), before);
}

#[test]
fn storage_shows_sizes_on_disk_and_compact_folds_the_chunks() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ana");
    device_with_checkin(&dir, "Ana");
    run(&dir, &checkin("and talked after"));
    run(&dir, &["journal", "write", "a quiet evening"]);

    // Without --private the journal's size is not shown, nor counted in the total.
    let stats = json(&dir, &["storage", "--json"]);
    let shared = &stats["shared"];
    assert_eq!(shared["snapshots"], 1, "{stats}");
    assert!(shared["chunks"].as_u64().unwrap() >= 1, "{stats}");
    assert!(shared["chunk_bytes"].as_u64().unwrap() > 0, "{stats}");
    assert!(stats.get("private").is_none(), "{stats}");
    assert_eq!(stats["total_bytes"], shared["total_bytes"], "{stats}");
    let text = run(&dir, &["storage"]);
    assert!(
        text.contains("shared space") && text.contains("1 snapshot") && text.contains("chunk"),
        "{text}"
    );
    assert!(!text.contains("private"), "{text}");
    let full = json(&dir, &["storage", "--json", "--private"]);
    assert_eq!(
        full["total_bytes"].as_u64().unwrap(),
        full["shared"]["total_bytes"].as_u64().unwrap()
            + full["private"]["total_bytes"].as_u64().unwrap()
    );
    assert!(full["private"]["total_bytes"].as_u64().unwrap() > 0);
    assert!(run(&dir, &["storage", "--private"]).contains("private space"));

    let compacted = run(&dir, &["compact"]);
    assert!(
        compacted.contains("shared space") && compacted.contains('→'),
        "{compacted}"
    );
    assert!(compacted.contains("0 chunks"), "{compacted}");
    assert!(!compacted.contains("private"), "{compacted}");
    let after = json(&dir, &["storage", "--json"]);
    assert_eq!(after["shared"]["snapshots"], 1, "{after}");
    assert_eq!(after["shared"]["chunks"], 0, "{after}");
    // Nothing was lost on the way.
    let list = run(&dir, &["checkins", "--json"]);
    assert!(list.contains("and talked after"), "{list}");
}

#[test]
fn a_damaged_file_is_moved_aside_and_reported() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ana");
    device_with_checkin(&dir, "Ana");
    run(&dir, &["journal", "write", "a quiet evening"]);
    let chunk = std::fs::read_dir(dir.join("couple"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("chunk-")
        })
        .expect("the check-in's chunk");
    let mut bytes = std::fs::read(&chunk).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&chunk, bytes).unwrap();

    let out = bounded_output(kintsugi(&dir).args(["role"]));
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is damaged"), "{err}");
    assert!(err.contains("moved aside to"), "{err}");
    assert!(
        err.contains("the next sync asks your partner for what was lost"),
        "{err}"
    );
    assert!(!chunk.exists());
    assert_eq!(std::fs::read_dir(dir.join("damaged")).unwrap().count(), 1);

    // Private data has no partner copy, and the warning says so.
    let private = std::fs::read_dir(dir.join("private"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "age"))
        .expect("the journal's file");
    std::fs::write(&private, b"not what was written").unwrap();
    let err = run_stderr(&dir, &["journal", "list"]);
    assert!(err.contains("is damaged"), "{err}");
    assert!(err.contains("never leave this device"), "{err}");
}

fn run_stderr(dir: &Path, args: &[&str]) -> String {
    let out = bounded_output(kintsugi(dir).args(args));
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn wipe_asks_first_needs_no_key_and_leaves_what_is_not_kintsugis() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("ana");
    device_with_checkin(&dir, "Ana");

    // No answer, or no: nothing goes.
    let out = bounded_output_with_input(kintsugi_bare(&dir).arg("wipe"), Some("n\n"));
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Nothing was wiped"));
    let err = fails(kintsugi_bare(&dir).arg("wipe"));
    assert!(err.contains("--yes"), "{err}");
    assert!(dir.join("key.age").exists());

    // Yes, typed; no key or passphrase is needed.
    let out = bounded_output_with_input(kintsugi_bare(&dir).arg("wipe"), Some("y\n"));
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Wiped") && said.contains("directory is gone"),
        "{said}"
    );
    assert!(!dir.exists());

    // --yes, beside a file of someone else's.
    device_with_checkin(&dir, "Ana");
    std::fs::write(dir.join("holiday.jpg"), b"not ours").unwrap();
    let said = ok(kintsugi_bare(&dir).args(["wipe", "--yes"]));
    assert!(said.contains("holiday.jpg"), "{said}");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1);
    let err = fails(kintsugi_bare(&dir).args(["wipe", "--yes"]));
    assert!(err.contains("holds no Kintsugi device"), "{err}");
}
