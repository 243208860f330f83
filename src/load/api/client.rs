//! One keep-alive HTTP/1.1 connection to the gateway (hyper's client
//! connection over a tokio `TcpStream`), reconnected after an error.
//! A run owns a fixed number of them; each carries one request at a time.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use std::time::Duration;
use tokio::net::TcpStream;

/// Largest response body read; the API's answers are far smaller.
const MAX_BODY: usize = 64 * 1024;

/// Why a request got no HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The TCP connection could not be made.
    #[error("connect: {0}")]
    Connect(std::io::Error),
    /// The HTTP exchange failed (reset, malformed answer, body too large).
    #[error("http: {0}")]
    Http(String),
    /// No answer within the request timeout.
    #[error("timeout")]
    Timeout,
}

impl RequestError {
    /// The outcome name counted in reports.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Connect(_) => "connect_error",
            Self::Http(_) => "http_error",
            Self::Timeout => "timeout",
        }
    }
}

/// A connection slot: connected on first use and after errors.
#[derive(Debug)]
pub struct ApiConnection {
    authority: String,
    bearer: header::HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
    timeout: Duration,
}

impl ApiConnection {
    /// A slot for `authority` that sends `Authorization: Bearer <key>`.
    pub fn new(authority: String, bearer: header::HeaderValue, timeout: Duration) -> Self {
        Self { authority, bearer, sender: None, timeout }
    }

    async fn connect(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, RequestError> {
        if self.sender.as_ref().is_some_and(SendRequest::is_closed) {
            self.sender = None;
        }
        if self.sender.is_none() {
            let stream = tokio::time::timeout(self.timeout, TcpStream::connect(&self.authority))
                .await
                .map_err(|_| RequestError::Timeout)?
                .map_err(RequestError::Connect)?;
            let _ = stream.set_nodelay(true);
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| RequestError::Http(e.to_string()))?;
            tokio::spawn(async move {
                if let Err(err) = conn.await {
                    tracing::debug!(%err, "load api connection closed");
                }
            });
            self.sender = Some(sender);
        }
        self.sender.as_mut().ok_or_else(|| RequestError::Http("no connection".into()))
    }

    /// Sends one request and reads the whole answer.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<(StatusCode, Bytes), RequestError> {
        let timeout = self.timeout;
        let result = tokio::time::timeout(timeout, self.exchange(method, path, body)).await;
        let result = result.unwrap_or(Err(RequestError::Timeout));
        if result.is_err() {
            // The connection may hold half an exchange: start afresh.
            self.sender = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<(StatusCode, Bytes), RequestError> {
        let authority = self.authority.clone();
        let bearer = self.bearer.clone();
        let sender = self.connect().await?;
        sender.ready().await.map_err(|e| RequestError::Http(e.to_string()))?;
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, authority)
            .header(header::AUTHORIZATION, bearer);
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        let request = builder
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| RequestError::Http(e.to_string()))?;
        let response = sender.send_request(request).await.map_err(|e| RequestError::Http(e.to_string()))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| RequestError::Http(e.to_string()))?
            .to_bytes();
        Ok((status, body))
    }
}
