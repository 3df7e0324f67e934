//! Helpers shared by the CLI tests: every process is bounded in time and
//! runs on its own data directory with loopback networking.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const STEP: Duration = Duration::from_secs(60);

/// The binary on `dir`, unlocked by the key file beside it (`<dir>.key`,
/// made on first use): a passphrase costs about a second of scrypt per
/// process, too slow for every command of every test.
pub fn kintsugi(dir: &Path) -> Command {
    let mut cmd = kintsugi_bare(dir);
    cmd.env("KINTSUGI_KEY_FILE", key_file(dir));
    cmd
}

/// The binary on `dir` with no way to unlock set up (no key file, no
/// passphrase in the environment, nothing on stdin): tests add their own.
pub fn kintsugi_bare(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kintsugi"));
    cmd.arg("--data-dir")
        .arg(dir)
        .arg("--network")
        .arg("loopback")
        // Whatever the developer's shell has set must not leak in.
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .env_remove("KINTSUGI_KEY_FILE")
        .env_remove("KINTSUGI_PASSPHRASE")
        .env_remove("KINTSUGI_NEW_PASSPHRASE")
        .env_remove("KINTSUGI_PRIVATE_PASSPHRASE")
        .env_remove("KINTSUGI_DATA_DIR")
        .env_remove("KINTSUGI_RELAY")
        .stdin(Stdio::null())
        // The views read "today" in local time and bucket instants by UTC
        // day; one zone keeps the tests independent of the machine's.
        .env("TZ", "UTC");
    cmd
}

/// The key file that unlocks `dir` in these tests: `<dir>.key`, mode 0600,
/// written whole (temporary file, then rename) the first time it is asked for.
pub fn key_file(dir: &Path) -> PathBuf {
    use age::secrecy::ExposeSecret;
    let path = PathBuf::from(format!("{}.key", dir.display()));
    if !path.exists() {
        let parent = path.parent().expect("a data directory has a parent");
        std::fs::create_dir_all(parent).unwrap();
        let key = kintsugi_core::Unlock::generate_host_key();
        // tempfile creates its files readable by the owner only.
        let mut tmp = tempfile::NamedTempFile::new_in(parent).unwrap();
        std::io::Write::write_all(
            &mut tmp,
            format!("# test key\n{}\n", key.expose_secret()).as_bytes(),
        )
        .unwrap();
        // Another thread may have made it meanwhile: theirs stays.
        let _ = tmp.persist_noclobber(&path);
    }
    path
}

/// The command with no controlling terminal (a new session), as under a
/// service manager or CI, even when the tests run in a terminal.
#[cfg(unix)]
pub fn without_terminal(mut cmd: Command) -> Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

/// Runs a command that must succeed; returns its stdout.
pub fn run(dir: &Path, args: &[&str]) -> String {
    let out = bounded_output(kintsugi(dir).args(args));
    assert!(
        out.status.success(),
        "kintsugi {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail; returns its stderr.
pub fn run_err(dir: &Path, args: &[&str]) -> String {
    let out = bounded_output(kintsugi(dir).args(args));
    assert!(
        !out.status.success(),
        "kintsugi {args:?} should have failed but printed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// Runs a prepared command that must succeed; returns its stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = bounded_output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a prepared command that must fail; returns its stderr.
pub fn fails(cmd: &mut Command) -> String {
    let out = bounded_output(cmd);
    assert!(
        !out.status.success(),
        "{cmd:?} should have failed but printed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// Runs a command with `--json` output and parses it.
pub fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = run(dir, args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {out}"))
}

pub fn bounded_output(cmd: &mut Command) -> Output {
    bounded_output_with_input(cmd, None)
}

/// Like [`bounded_output`], typing `input` on the command's stdin first.
pub fn bounded_output_with_input(cmd: &mut Command, input: Option<&str>) -> Output {
    if input.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = input {
        let mut stdin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, input.as_bytes()).unwrap();
    }
    let (tx, rx) = mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(STEP) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("command did not finish within {STEP:?}");
        }
    }
}

/// Waits for the first line of the child's stdout that satisfies `pred`.
pub fn read_until(child: &mut Child, pred: impl Fn(&str) -> bool + Send + 'static) -> String {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Keep draining after the match so the child never writes into a closed pipe.
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if pred(&line) {
                let _ = tx.send(line);
            }
        }
    });
    rx.recv_timeout(STEP)
        .expect("expected output did not appear in time")
}

/// Every line the child prints, as it prints them (drained by a thread so
/// the child never blocks on a full pipe).
pub struct Lines(mpsc::Receiver<String>);

impl Lines {
    pub fn of(child: &mut Child) -> Lines {
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        Lines(rx)
    }

    /// The next line matching `pred`, within the test step bound.
    pub fn until(&self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self
                .0
                .recv_timeout(left)
                .expect("expected output did not appear in time");
            if pred(&line) {
                return line;
            }
        }
    }
}

pub struct KillOnDrop(pub Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn wait_bounded(child: &mut Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + STEP;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "process did not exit in time"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Ana and Ben, set up and paired through the CLI, each in a temporary data directory.
pub struct Couple {
    _root: tempfile::TempDir,
    pub ana: PathBuf,
    pub ben: PathBuf,
}

impl Couple {
    pub fn paired() -> Couple {
        let root = tempfile::tempdir().unwrap();
        let (ana, ben) = (root.path().join("ana"), root.path().join("ben"));
        run(&ana, &["init", "--name", "Ana"]);
        run(&ben, &["init", "--name", "Ben"]);
        let mut invite = KillOnDrop(
            kintsugi(&ana)
                .args(["pair", "invite", "--yes"])
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap(),
        );
        let payload = read_until(&mut invite.0, |l| l.starts_with("kintsugi:"));
        let joined = run(&ben, &["pair", "join", "--yes", &payload]);
        assert!(joined.contains("Paired with Ana"), "{joined}");
        let status = wait_bounded(&mut invite.0);
        assert!(status.success(), "pair invite exited with {status}");
        let couple = Couple {
            _root: root,
            ana,
            ben,
        };
        // Pairing hands Ben the document, but Ana learns Ben's member entry
        // only at the first sync (until then she cannot appreciate him).
        couple.sync();
        couple
    }

    /// Ana says she was hurt, Ben that he broke the trust; both know it after a sync.
    pub fn with_roles() -> Couple {
        let couple = Couple::paired();
        run(&couple.ana, &["role", "hurt"]);
        run(&couple.ben, &["role", "broke-trust"]);
        couple.sync();
        couple
    }

    /// `server` stays reachable while `client` syncs; afterwards both hold
    /// each other's changes. Returns what `sync` printed.
    pub fn sync_between(&self, server: &Path, client: &Path) -> String {
        self.sync_between_with(server, client, &["sync"])
    }

    /// [`Self::sync_between`], the client running `args` (ending in `sync`).
    pub fn sync_between_with(&self, server: &Path, client: &Path, args: &[&str]) -> String {
        let mut serve = KillOnDrop(
            kintsugi(server)
                .arg("serve")
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap(),
        );
        read_until(&mut serve.0, |l| l.starts_with("Reachable"));
        let out = run(client, args);
        assert!(out.contains("Up to date"), "{out}");
        out
    }

    /// Ben serves, Ana syncs.
    pub fn sync(&self) -> String {
        self.sync_between(&self.ben, &self.ana)
    }
}

/// The `id` of the only (or first) item of a JSON list.
pub fn first_id(list: &serde_json::Value) -> String {
    list[0]["id"].as_str().expect("an id").to_owned()
}

/// Asserts that acting on the other partner's record is refused plainly.
pub fn assert_not_allowed(dir: &Path, args: &[&str]) {
    let err = run_err(dir, args);
    assert!(err.contains("not allowed"), "{args:?}: {err}");
}

/// A member's id, read through `role --json`.
pub fn member_id(dir: &Path, name: &str) -> String {
    let members = json(dir, &["role", "--json"]);
    members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .and_then(|m| m["id"].as_str())
        .unwrap_or_else(|| panic!("no member {name} in {members}"))
        .to_owned()
}
