//! How the CLI unlocks a device's data directory, in one place.
//!
//! In this order: a key file (`--key-file FILE` or `KINTSUGI_KEY_FILE`, an
//! age identity readable only by its owner), a passphrase in
//! `KINTSUGI_PASSPHRASE` (for scripts), or a passphrase typed at the
//! terminal without echo. A new device asks for a typed passphrase twice.
//!
//! A passphrase that will lock a device from now on (a new device, `key
//! change`) must be hard to guess: zxcvbn scores it, and below 3 of 4 it is
//! refused with the reason, before anything is written. Opening a device
//! never judges the passphrase it already has.
//!
//! Passphrases and key file text are held in types that wipe their memory
//! when dropped.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

use age::secrecy::{ExposeSecret, SecretString};
use anyhow::{Context, Result, anyhow, bail};
use kintsugi_core::Unlock;
use kintsugi_core::storage::secret_string;
use zeroize::Zeroizing;

pub const KEY_FILE_ENV: &str = "KINTSUGI_KEY_FILE";
pub const PASSPHRASE_ENV: &str = "KINTSUGI_PASSPHRASE";
pub const NEW_PASSPHRASE_ENV: &str = "KINTSUGI_NEW_PASSPHRASE";
/// The private lock's passphrase, for scripts and tests. Kept in a shell
/// profile it would undo the lock: it guards against the person at an
/// unlocked terminal.
pub const PRIVATE_PASSPHRASE_ENV: &str = "KINTSUGI_PRIVATE_PASSPHRASE";

/// Where an unlock came from, to name it when it does not fit.
#[derive(Debug, Clone)]
pub enum Source {
    KeyFile(PathBuf),
    Env(&'static str),
    Typed,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::KeyFile(path) => write!(f, "the key file {}", path.display()),
            Source::Env(name) => write!(f, "the passphrase in {name}"),
            Source::Typed => f.write_str("the passphrase you typed"),
        }
    }
}

/// The unlocking the command line asked for (`--key-file`), resolved only
/// when a command needs the data.
pub struct Unlocker {
    key_file: Option<PathBuf>,
}

impl Unlocker {
    pub fn new(key_file: Option<PathBuf>) -> Self {
        Unlocker { key_file }
    }

    /// The key file or passphrase given without a prompt, if any.
    fn given(&self) -> Option<Result<(Unlock, Source)>> {
        if let Some(path) = &self.key_file {
            return Some(read_key_file(path).map(|u| (u, Source::KeyFile(path.clone()))));
        }
        env_passphrase(PASSPHRASE_ENV)
            .map(|text| Ok((Unlock::Passphrase(text), Source::Env(PASSPHRASE_ENV))))
    }

    /// What unlocks a device that was set up before.
    pub fn existing(&self, dir: &Path) -> Result<(Unlock, Source)> {
        if let Some(given) = self.given() {
            return given;
        }
        let no_terminal = format!(
            "there is no terminal to ask for the passphrase of {}: set {PASSPHRASE_ENV} \
             (for scripts) or pass --key-file FILE (or set {KEY_FILE_ENV})",
            dir.display()
        );
        let text = ask(&format!("Passphrase for {}: ", dir.display()), &no_terminal)?;
        Ok((Unlock::Passphrase(text), Source::Typed))
    }

    /// What will unlock a device being set up now: a typed passphrase is
    /// asked twice. A passphrase (typed or in `KINTSUGI_PASSPHRASE`) that is
    /// easy to guess is refused; `hints` are words it should not lean on
    /// (the person's name).
    pub fn new_device(&self, dir: &Path, hints: &[&str]) -> Result<(Unlock, Source)> {
        if let Some(given) = self.given() {
            let (unlock, source) = given?;
            if let Unlock::Passphrase(text) = &unlock {
                check_strength(text, hints, &source)?;
            }
            return Ok((unlock, source));
        }
        let no_terminal = format!(
            "there is no terminal to ask for a passphrase for the new device in {}: set \
             {PASSPHRASE_ENV} (for scripts) or pass --key-file FILE (or set {KEY_FILE_ENV}; \
             `kintsugi key new FILE` makes one)",
            dir.display()
        );
        let text = ask_twice(
            "Choose a passphrase for this device: ",
            "Type it again: ",
            &no_terminal,
            hints,
        )?;
        Ok((Unlock::Passphrase(text), Source::Typed))
    }
}

/// What `key change` moves the device to: a key file, or a new passphrase
/// (`KINTSUGI_NEW_PASSPHRASE`, or typed twice), refused if easy to guess.
pub fn replacement(new_key_file: Option<&Path>) -> Result<(Unlock, Source)> {
    if let Some(path) = new_key_file {
        return Ok((read_key_file(path)?, Source::KeyFile(path.to_owned())));
    }
    if let Some(text) = env_passphrase(NEW_PASSPHRASE_ENV) {
        let source = Source::Env(NEW_PASSPHRASE_ENV);
        check_strength(&text, &[], &source)?;
        return Ok((Unlock::Passphrase(text), source));
    }
    let no_terminal = format!(
        "there is no terminal to ask for the new passphrase: set {NEW_PASSPHRASE_ENV} \
         or pass --new-key-file FILE"
    );
    let text = ask_twice("New passphrase: ", "Type it again: ", &no_terminal, &[])?;
    Ok((Unlock::Passphrase(text), Source::Typed))
}

/// The private lock's passphrase, to open it: `KINTSUGI_PRIVATE_PASSPHRASE`
/// or typed. Never the device's unlock (key file, `KINTSUGI_PASSPHRASE`):
/// an unlocked terminal already has that.
pub fn private_passphrase() -> Result<SecretString> {
    if let Some(text) = env_passphrase(PRIVATE_PASSPHRASE_ENV) {
        return Ok(text);
    }
    let no_terminal = format!(
        "the private space is locked, and there is no terminal to ask for its passphrase: \
         set {PRIVATE_PASSPHRASE_ENV} (for scripts)"
    );
    ask("Private lock passphrase: ", &no_terminal)
}

/// A new passphrase for the private lock: `KINTSUGI_PRIVATE_PASSPHRASE`, or
/// typed twice; refused if easy to guess, as a device passphrase is.
pub fn new_private_passphrase(hints: &[&str]) -> Result<SecretString> {
    if let Some(text) = env_passphrase(PRIVATE_PASSPHRASE_ENV) {
        check_strength(&text, hints, &Source::Env(PRIVATE_PASSPHRASE_ENV))?;
        return Ok(text);
    }
    let no_terminal = format!(
        "there is no terminal to ask for the private lock's passphrase: set \
         {PRIVATE_PASSPHRASE_ENV} (for scripts)"
    );
    ask_twice(
        "Choose a passphrase for the private lock: ",
        "Type it again: ",
        &no_terminal,
        hints,
    )
}

/// The lowest zxcvbn score (0 to 4) a new passphrase may have: 3 takes
/// about 10^10 guesses or more.
pub const MIN_PASSPHRASE_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Refuses a passphrase that is easy to guess, saying why and how to do
/// better, and how long someone holding a copy of the files would take.
pub fn check_strength(passphrase: &SecretString, hints: &[&str], source: &Source) -> Result<()> {
    let mut inputs = vec!["kintsugi"];
    inputs.extend(hints.iter().filter(|h| !h.is_empty()));
    let entropy = zxcvbn::zxcvbn(passphrase.expose_secret(), &inputs);
    if entropy.score() >= MIN_PASSPHRASE_SCORE {
        return Ok(());
    }
    // The passphrase is stretched with scrypt: zxcvbn's "slow hash" case,
    // 10,000 guesses a second.
    let time = entropy
        .crack_times()
        .offline_slow_hashing_1e4_per_second()
        .to_string();
    let mut reason = format!(
        "{source} is too easy to guess: someone holding a copy of this device's files could \
         find it in {time}."
    );
    if let Some(feedback) = entropy.feedback() {
        if let Some(warning) = feedback.warning() {
            reason.push_str(&format!(" {warning}"));
        }
        for suggestion in feedback.suggestions() {
            reason.push_str(&format!(" {suggestion}"));
        }
    }
    bail!("{reason} Nothing was written.")
}

/// Whether a new passphrase must still be typed (so the current one is
/// checked first, and nobody types a new one twice for nothing).
pub fn replacement_is_typed(new_key_file: Option<&Path>) -> bool {
    new_key_file.is_none() && env_passphrase(NEW_PASSPHRASE_ENV).is_none()
}

/// Reads a key file: it must be readable by its owner only, and hold an age
/// identity (`AGE-SECRET-KEY-1…`; `#` comment lines are ignored).
pub fn read_key_file(path: &Path) -> Result<Unlock> {
    let mut file =
        File::open(path).with_context(|| format!("opening the key file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .with_context(|| format!("reading the key file {}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            bail!(
                "the key file {} is open to other users (mode {:03o}); it must be readable \
                 by you only: run chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    // Room for any key file up front: growing the buffer would leave copies.
    let mut text = Zeroizing::new(String::with_capacity(4096));
    file.read_to_string(&mut text)
        .with_context(|| format!("reading the key file {}", path.display()))?;
    Unlock::host_key(&text).map_err(|_| {
        anyhow!(
            "{} is not a key file: it holds no age identity (AGE-SECRET-KEY-1…); \
             `kintsugi key new FILE` makes one",
            path.display()
        )
    })
}

/// Writes a fresh host key to a new file readable by its owner only.
pub fn write_new_key_file(path: &Path) -> Result<()> {
    let key = Unlock::generate_host_key();
    let text = Zeroizing::new(format!(
        "# created by kintsugi {} on {}: unlocks a Kintsugi data directory; keep it private\n{}\n",
        env!("CARGO_PKG_VERSION"),
        jiff::Zoned::now().date(),
        key.expose_secret()
    ));
    crate::files::write_new_private_file(path, text.as_bytes())
}

/// A passphrase from the environment; an empty variable counts as unset.
fn env_passphrase(name: &str) -> Option<SecretString> {
    std::env::var(name)
        .ok()
        .map(secret_string)
        .filter(|v| !v.expose_secret().is_empty())
}

/// Asks on the terminal without echo.
fn ask(prompt: &str, no_terminal: &str) -> Result<SecretString> {
    if !has_terminal() {
        bail!("{no_terminal}");
    }
    let text = secret_string(rpassword::prompt_password(prompt).context("reading the passphrase")?);
    if text.expose_secret().is_empty() {
        bail!("the passphrase must not be empty");
    }
    Ok(text)
}

/// Asks for a new passphrase, refuses it if easy to guess, then asks again.
fn ask_twice(prompt: &str, again: &str, no_terminal: &str, hints: &[&str]) -> Result<SecretString> {
    let first = ask(prompt, no_terminal)?;
    check_strength(&first, hints, &Source::Typed)?;
    let second = ask(again, no_terminal)?;
    if first.expose_secret() != second.expose_secret() {
        bail!("the two passphrases differ; nothing was written");
    }
    Ok(first)
}

/// Whether there is a terminal to ask on (rpassword reads `/dev/tty` on
/// unix, so this holds even when stdin is a pipe).
fn has_terminal() -> bool {
    #[cfg(unix)]
    {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .is_ok()
    }
    #[cfg(not(unix))]
    {
        use std::io::IsTerminal;
        std::io::stdin().is_terminal()
    }
}
