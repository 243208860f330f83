//! What stops a load run before or while it runs.

use std::path::PathBuf;

/// A load run that could not start or could not go on.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Arguments that contradict each other or are out of range (exit 64).
    #[error("{0}")]
    Usage(String),
    /// A file named on the command line could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A fixture or CSV whose content is not in a known format.
    #[error("{path}:{line}: {problem}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0: the file as a whole).
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// The target refused or did not answer the connection.
    #[error("cannot connect to {target}: {source}")]
    Connect {
        /// The target as given.
        target: String,
        /// Why.
        source: std::io::Error,
    },
    /// The target answered the bind with an error status.
    #[error("bind refused by {target}: {status}")]
    BindRefused {
        /// The target as given.
        target: String,
        /// The command_status name and value.
        status: String,
    },
    /// The target broke the protocol or closed the connection.
    #[error("{target}: {problem}")]
    Protocol {
        /// The target as given.
        target: String,
        /// What happened.
        problem: String,
    },
    /// The results could not be written.
    #[error("cannot write {path}: {problem}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: String,
    },
}

impl LoadError {
    /// The process exit status for this error: 64 (`EX_USAGE`) for bad
    /// arguments and unreadable input, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Read { .. } | Self::Format { .. } => 64,
            _ => 1,
        }
    }
}
