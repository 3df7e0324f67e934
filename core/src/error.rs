use std::path::PathBuf;

/// Everything that can go wrong in the core. Callers (the sync layer, the CLI,
/// the mobile facade) map these to their own surface; nothing here panics on
/// bad input.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{field} must be between 0 and 10, got {value}")]
    ScoreOutOfRange { field: &'static str, value: i64 },

    #[error("{field} must not be empty")]
    EmptyText { field: &'static str },

    #[error("{field} is too long ({len} characters, at most {max})")]
    TextTooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },

    #[error("invalid mood word {word:?}: {reason}")]
    InvalidMood { word: String, reason: &'static str },

    #[error("{field} must be a date like 2026-11-22, got {value:?}")]
    InvalidDate { field: &'static str, value: String },

    #[error("{field} cannot be {value:?}; expected one of: {expected}")]
    InvalidChoice {
        field: &'static str,
        value: String,
        expected: &'static str,
    },

    #[error("{field}: {reason}")]
    InvalidValue { field: &'static str, reason: String },

    #[error("no {kind} with id {id:?}")]
    UnknownId { kind: &'static str, id: String },

    #[error("id {prefix:?} matches more than one {kind}; type more of it")]
    AmbiguousId { kind: &'static str, prefix: String },

    #[error("not allowed: {0}")]
    NotPermitted(&'static str),

    #[error("no device is set up in {dir}: run init with a name first")]
    NoDevice { dir: PathBuf },

    #[error("the passphrase or key does not unlock this device ({path})")]
    WrongKey { path: PathBuf },

    #[error("cannot encrypt: {0}")]
    Encrypt(String),

    #[error("there is no shared space yet: create an invite or join your partner first")]
    NoCouple,

    #[error(
        "the shared space on this device cannot be read ({reason}); the private space, \
         unpairing, export and wipe still work"
    )]
    SharedUnreadable { reason: String },

    #[error("this device already holds a shared space; it cannot start or join another one")]
    AlreadyInCouple,

    #[error("{dir} already holds a Kintsugi device; restore into an empty directory")]
    AlreadySetUp { dir: PathBuf },

    #[error(
        "the shared document uses schema version {found}; this app understands up to {supported}"
    )]
    SchemaTooNew { found: u64, supported: u64 },

    /// An older space that only its creator's device brings up to date.
    #[error(
        "the shared space was made by an older version of the app; your partner's app brings \
         it up to date the next time they open it, and then this works after a sync"
    )]
    SpaceNeedsUpdate,

    #[error("the shared document is malformed: {0}")]
    Malformed(String),

    /// A received sync message brought changes under this device's own
    /// actor id that it does not hold: the partner would be writing in its name.
    #[error(
        "refused {changes} change(s) claiming to be written by this device (actor {actor}) \
         that it does not hold, and applied nothing: a partner's device cannot write in this \
         device's name. If this device lost data (see its damaged files), importing the \
         partner's export brings its own changes back"
    )]
    ForgedActor { actor: String, changes: usize },

    /// Changes from outside that the door refused: the whole message or
    /// file, and nothing of it was kept (see [`crate::door`]).
    #[error(
        "your partner's device sent changes this app cannot accept ({0}); nothing of them was kept"
    )]
    Refused(#[from] crate::door::Refusal),

    /// A received sync message that Automerge would accept and then fail on
    /// when answering it.
    #[error("your partner's device sent a sync message this device refuses: {0}")]
    InvalidSyncMessage(String),

    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

impl CoreError {
    /// What went wrong, for a log line: the kind of failure and the fixed
    /// words about it, never a name, record text, value typed, reason from
    /// elsewhere, or path (only a file's own name, which holds no
    /// identifier). The full text (`Display`) is for the person at the
    /// screen.
    pub fn redacted(&self) -> String {
        use CoreError as E;
        match self {
            E::ScoreOutOfRange { field, .. } => format!("{field} is out of range"),
            E::EmptyText { field } => format!("{field} is empty"),
            E::TextTooLong { field, max, .. } => format!("{field} is over {max} characters"),
            E::InvalidMood { .. } => "invalid mood word".into(),
            E::InvalidDate { field, .. } => format!("{field} is not a date"),
            E::InvalidChoice {
                field, expected, ..
            } => {
                format!("{field} is not one of: {expected}")
            }
            E::InvalidValue { field, .. } => format!("{field} is invalid"),
            E::UnknownId { kind, .. } => format!("no such {kind}"),
            E::AmbiguousId { kind, .. } => format!("an ambiguous {kind} id"),
            E::NotPermitted(why) => format!("not allowed: {why}"),
            E::NoDevice { .. } => "no device is set up".into(),
            E::WrongKey { .. } => "the passphrase or key does not unlock this device".into(),
            E::Encrypt(_) => "cannot encrypt".into(),
            E::NoCouple | E::AlreadyInCouple | E::SchemaTooNew { .. } | E::SpaceNeedsUpdate => {
                self.to_string()
            }
            E::SharedUnreadable { .. } => "the shared space cannot be read".into(),
            // Record ids, field names and actor prefixes: where, never what.
            E::Refused(refusal) => format!("refused changes from outside: {refusal}"),
            E::AlreadySetUp { .. } => "the directory already holds a device".into(),
            E::Malformed(_) => "the shared document is malformed".into(),
            E::ForgedActor { actor, changes } => format!(
                "refused {changes} change(s) claiming this device's actor id ({})",
                actor.get(..8).unwrap_or(actor)
            ),
            // Fixed words about the message's structure, from this crate.
            E::InvalidSyncMessage(_) => self.to_string(),
            E::Automerge(_) => "automerge error".into(),
            E::Io {
                action,
                path,
                source,
            } => format!("{action} {}: {}", file_name(path), source.kind()),
            E::Corrupt { path, .. } => format!("{} is corrupt", file_name(path)),
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        CoreError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// A path's last part: the data directory's own files are named by fixed
/// words or hashes, while the directories above may hold a person's name.
pub(crate) fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redacted_error_holds_no_value_reason_or_path() {
        let secret = "Rosalind wrote about the lake house";
        let io = std::io::Error::other(secret);
        let dir = PathBuf::from(format!("/home/{secret}/data/couple/chunk-1.age"));
        let errors = [
            CoreError::ScoreOutOfRange {
                field: "safety",
                value: 11,
            },
            CoreError::InvalidMood {
                word: secret.into(),
                reason: "too long",
            },
            CoreError::InvalidDate {
                field: "day",
                value: secret.into(),
            },
            CoreError::InvalidChoice {
                field: "role",
                value: secret.into(),
                expected: "a, b",
            },
            CoreError::InvalidValue {
                field: "name",
                reason: secret.into(),
            },
            CoreError::UnknownId {
                kind: "agreement",
                id: secret.into(),
            },
            CoreError::AmbiguousId {
                kind: "agreement",
                prefix: secret.into(),
            },
            CoreError::NoDevice { dir: dir.clone() },
            CoreError::WrongKey { path: dir.clone() },
            CoreError::Encrypt(secret.into()),
            CoreError::AlreadySetUp { dir: dir.clone() },
            CoreError::Malformed(secret.into()),
            CoreError::io("write", &dir, io),
            CoreError::Corrupt {
                path: dir.clone(),
                reason: secret.into(),
            },
        ];
        for e in &errors {
            let shown = e.redacted();
            assert!(
                !shown.contains("Rosalind") && !shown.contains("lake"),
                "{shown}"
            );
            assert!(!shown.contains("/home"), "{shown}");
            assert!(!shown.contains("11"), "{shown}");
        }
        // A file's own name stays: it holds no identifier.
        assert_eq!(errors[12].redacted(), "write chunk-1.age: other error");
        let forged = CoreError::ForgedActor {
            actor: "0123456789abcdef0123456789abcdef".into(),
            changes: 2,
        };
        assert!(
            !forged.redacted().contains("0123456789"),
            "{}",
            forged.redacted()
        );
    }
}
