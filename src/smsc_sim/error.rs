//! [`SimError`]: why the simulator could not start.

/// Why [`super::SmscSim::start`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A setting is out of range or unreadable; the text names the key and
    /// never contains a password.
    #[error("invalid smsc-sim configuration: {0}")]
    Config(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
}
