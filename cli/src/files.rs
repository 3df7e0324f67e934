//! Files the CLI writes outside the data directory (key files, exports):
//! created new, readable by their owner only.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::Path;

use anyhow::{Result, anyhow, bail};

/// Creates `path` (never overwriting anything) readable by its owner only,
/// and writes `bytes` durably; on failure nothing is left behind.
pub fn write_new_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == ErrorKind::AlreadyExists {
            anyhow!(
                "{} already exists; nothing was overwritten (choose another name, or remove it first)",
                path.display()
            )
        } else {
            anyhow!(e).context(format!("creating {}", path.display()))
        }
    })?;
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(anyhow!(e).context(format!("writing {}", path.display())));
    }
    Ok(())
}

/// Refuses early, before any work, a file that a later create would refuse.
pub fn refuse_existing(path: &Path) -> Result<()> {
    if path.exists() {
        bail!(
            "{} already exists; nothing was overwritten (choose another name, or remove it first)",
            path.display()
        );
    }
    Ok(())
}
