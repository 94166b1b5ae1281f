//! Errors, sorted by who must act (in the manner of sled's `result.rs`).

use std::fmt;

/// What went wrong, grouped by who has to do something about it.
///
/// - the caller: [`Error::InvalidInput`], [`Error::Conflict`];
/// - the operator: [`Error::Locked`], [`Error::Io`], [`Error::UnknownFormat`],
///   [`Error::Corruption`], [`Error::IncompleteImport`], [`Error::Closed`];
/// - the developers of this crate: [`Error::Bug`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed (bad stream id, empty batch, oversized event…); nothing was
    /// written. Retrying the same request will fail the same way.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// The expected version of a stream did not hold; nothing of the append was written.
    #[error("version conflict on stream {stream}: expected {expected}, actual {actual}")]
    Conflict {
        stream: String,
        expected: crate::ExpectedVersion,
        actual: StreamState,
    },

    /// Another process holds the store's directory (sled locks it for its whole life).
    #[error("the store at {path} is in use by another process")]
    Locked { path: String },

    /// The file system failed (disk full, permissions, …). After an IO error during an append
    /// the writer refuses further appends: the store must be reopened.
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),

    /// Stored bytes are not what was written: a record does not decode, a hash does not match,
    /// or sled itself reports corruption. `at` is the log position when it is known.
    #[error("corruption{}: {detail}", at.map(|p| format!(" at position {p}")).unwrap_or_default())]
    Corruption { at: Option<u64>, detail: String },

    /// The store was written by an unknown or newer format of this crate.
    #[error("unknown store format: {0}")]
    UnknownFormat(String),

    /// An import into this store was interrupted (a crash or a kill during its writing pass):
    /// the store holds only a prefix of the file. Delete the store and import again.
    #[error("an import into this store was interrupted; delete the store and import again")]
    IncompleteImport,

    /// The log was closed (by [`crate::EventLog::close`]) or its writer has stopped.
    #[error("the event log is closed")]
    Closed,

    /// An internal invariant was broken; please report it.
    #[error("bug in eventlog: {0}")]
    Bug(String),
}

/// The state of a stream as seen by the writer when it checked an expected version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamState {
    /// The stream has no event.
    NoStream,
    /// The stream's last event has this version.
    At(u64),
}

impl fmt::Display for StreamState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamState::NoStream => f.write_str("no stream"),
            StreamState::At(version) => write!(f, "version {version}"),
        }
    }
}

impl From<sled::Error> for Error {
    fn from(error: sled::Error) -> Self {
        match error {
            sled::Error::Io(io) => {
                // sled reports a held directory lock as a plain io error; it is the one case
                // an operator must be told apart ("the store is in use"), so it gets its own
                // variant here. The path is not known at this point; `open` fills it in.
                if io.to_string().contains("could not acquire lock") {
                    Error::Locked {
                        path: String::new(),
                    }
                } else {
                    Error::Io(io)
                }
            }
            sled::Error::Corruption { at, .. } => Error::Corruption {
                at: None,
                detail: format!("sled reports corruption in its files (disk pointer {at:?})"),
            },
            sled::Error::CollectionNotFound(name) => {
                Error::Bug(format!("sled tree not found: {name:?}"))
            }
            sled::Error::Unsupported(what) => Error::Bug(format!("sled: unsupported: {what}")),
            sled::Error::ReportableBug(what) => Error::Bug(format!("sled: {what}")),
        }
    }
}

/// A shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
