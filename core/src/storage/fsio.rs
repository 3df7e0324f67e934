//! The durable file steps everything on disk goes through. Each step is a
//! numbered fault point (see `faults`), so the crash tests can stop the
//! process between any two of them.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::Path;

use super::faults::step;
use crate::error::{CoreError, Result};

/// Prefix of temporary files; nothing starting with it is ever read as data.
pub(crate) const TMP_PREFIX: &str = ".tmp-";

/// Writes `bytes` to `path` so that a crash at any instant leaves either the
/// old file or the complete new one: temporary file, fsync, rename,
/// directory fsync. Returns once the new content is durable.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = parent.join(format!("{TMP_PREFIX}{}-{name}", std::process::id()));
    let result = (|| {
        step("create temporary file").map_err(|e| CoreError::io("create", &tmp, e))?;
        let mut file = private_file(&tmp).map_err(|e| CoreError::io("create", &tmp, e))?;
        // Two writes with a fault point between them: a crash here leaves a
        // torn temporary file, which must never be mistaken for data.
        let half = bytes.len() / 2;
        file.write_all(&bytes[..half])
            .map_err(|e| CoreError::io("write", &tmp, e))?;
        step("write").map_err(|e| CoreError::io("write", &tmp, e))?;
        file.write_all(&bytes[half..])
            .map_err(|e| CoreError::io("write", &tmp, e))?;
        step("fsync file").map_err(|e| CoreError::io("fsync", &tmp, e))?;
        file.sync_all()
            .map_err(|e| CoreError::io("fsync", &tmp, e))?;
        drop(file);
        step("rename").map_err(|e| CoreError::io("rename into place", path, e))?;
        fs::rename(&tmp, path).map_err(|e| CoreError::io("rename into place", path, e))?;
        sync_dir(&parent)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes a file and makes the removal durable; a missing file is fine.
pub(crate) fn remove_durably(path: &Path) -> Result<()> {
    step("delete").map_err(|e| CoreError::io("remove", path, e))?;
    match fs::remove_file(path) {
        Ok(()) => sync_dir(path.parent().unwrap_or(Path::new("."))),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(CoreError::io("remove", path, e)),
    }
}

/// Moves a file within the data directory (a damaged file, aside) durably.
pub(crate) fn move_durably(from: &Path, to: &Path) -> Result<()> {
    let parent = to.parent().unwrap_or(Path::new("."));
    create_private_dir(parent)?;
    step("move aside").map_err(|e| CoreError::io("move aside", from, e))?;
    fs::rename(from, to).map_err(|e| CoreError::io("move aside", from, e))?;
    sync_dir(parent)?;
    sync_dir(from.parent().unwrap_or(Path::new(".")))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    step("fsync directory").map_err(|e| CoreError::io("fsync directory", dir, e))?;
    #[cfg(unix)]
    {
        let handle = File::open(dir).map_err(|e| CoreError::io("open directory", dir, e))?;
        handle
            .sync_all()
            .map_err(|e| CoreError::io("fsync directory", dir, e))?;
    }
    Ok(())
}

pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| CoreError::io("create directory", dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Best effort: a directory we do not own keeps its mode.
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    }
    if let Some(parent) = dir.parent() {
        let _ = sync_dir(parent);
    }
    Ok(())
}

pub(crate) fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Reads a file; `Ok(None)` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CoreError::io("read", path, e)),
    }
}

/// Removes temporary files left by processes that died mid-write. A
/// temporary file of a live process (another CLI command writing right now)
/// is left alone.
pub(crate) fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TMP_PREFIX)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| p != std::process::id() && !process_alive(p)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        // SAFETY: kill with signal 0 only checks whether the process exists.
        let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
        rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// The names of the regular files in `dir` (none if it does not exist).
pub(crate) fn list_files(dir: &Path) -> Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CoreError::io("list", dir, e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| CoreError::io("list", dir, e))?;
        if entry.file_type().is_ok_and(|t| t.is_file())
            && let Some(name) = entry.file_name().to_str()
        {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}
