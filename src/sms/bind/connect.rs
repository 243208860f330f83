//! Opening the connection to the SMSC: TCP with a timeout and, when the
//! account asks for it, TLS through rustls (the ring provider, the same one
//! the MongoDB driver uses, so no second crypto library is built). The
//! trust store is the account's CA file when given, else the Mozilla roots
//! compiled into the binary (the image has no system store).

use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// Why the connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// No TCP connection within the connect timeout.
    #[error("connect to {0} timed out")]
    Timeout(String),
    /// TCP or the TLS handshake failed.
    #[error("connect to {addr}: {source}")]
    Io {
        /// The SMSC's address.
        addr: String,
        /// The error.
        source: std::io::Error,
    },
    /// The TLS settings cannot be used (CA file, server name).
    #[error("tls: {0}")]
    Tls(String),
}

/// Builds the TLS client configuration once per account.
pub fn tls_connector(ca_file: Option<&Path>) -> Result<TlsConnector, ConnectError> {
    let mut roots = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| ConnectError::Tls(format!("{}: {e}", path.display())))?;
            for cert in certs {
                let cert = cert.map_err(|e| ConnectError::Tls(format!("{}: {e}", path.display())))?;
                roots.add(cert).map_err(|e| ConnectError::Tls(format!("{}: {e}", path.display())))?;
            }
            if roots.is_empty() {
                return Err(ConnectError::Tls(format!("{}: no certificates", path.display())));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// A plain or TLS connection to the SMSC.
#[derive(Debug)]
pub enum SmscStream {
    /// TCP as it is (in production inside the IPsec tunnel).
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

/// Connects to `host:port` within `timeout`, with TLS when `tls` is given.
pub async fn connect(
    host: &str,
    port: u16,
    timeout: Duration,
    tls: Option<(&TlsConnector, &str)>,
) -> Result<SmscStream, ConnectError> {
    let addr = format!("{host}:{port}");
    let io_err = |source| ConnectError::Io { addr: addr.clone(), source };
    let tcp = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_| ConnectError::Timeout(addr.clone()))?
        .map_err(io_err)?;
    // Small PDUs, each waited for: do not let Nagle hold them back.
    tcp.set_nodelay(true).map_err(io_err)?;
    let Some((connector, server_name)) = tls else { return Ok(SmscStream::Plain(tcp)) };
    let name = ServerName::try_from(server_name.to_owned())
        .map_err(|e| ConnectError::Tls(format!("server name {server_name:?}: {e}")))?;
    let stream = tokio::time::timeout(timeout, connector.connect(name, tcp))
        .await
        .map_err(|_| ConnectError::Timeout(addr.clone()))?
        .map_err(io_err)?;
    Ok(SmscStream::Tls(Box::new(stream)))
}

impl SmscStream {
    /// The SMSC's address.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        match self {
            SmscStream::Plain(s) => s.peer_addr().ok(),
            SmscStream::Tls(s) => s.get_ref().0.peer_addr().ok(),
        }
    }
}

impl AsyncRead for SmscStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            SmscStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            SmscStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for SmscStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            SmscStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            SmscStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            SmscStream::Plain(s) => Pin::new(s).poll_flush(cx),
            SmscStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            SmscStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            SmscStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
