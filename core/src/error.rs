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
