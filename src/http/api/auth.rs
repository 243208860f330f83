//! Bearer-key authentication of `/v1` (RFC 6750). Keys are kept as SHA-256
//! digests and compared in constant time, so neither a key's content nor
//! which key matched leaks through timing; every key is tried on every
//! request. A missing or wrong key gets the same 401.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;
use ring::digest::{SHA256, digest};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The accepted keys, as digests.
#[derive(Clone)]
pub struct ApiKeys {
    digests: Arc<Vec<[u8; 32]>>,
    failures: Counter,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys").field("keys", &self.digests.len()).finish()
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

impl ApiKeys {
    /// From the configured keys; `failures` counts refused requests.
    pub fn new(keys: &[crate::settings::Secret], failures: Counter) -> Self {
        Self { digests: Arc::new(keys.iter().map(|k| sha256(k.expose().as_bytes())).collect()), failures }
    }

    /// Whether `presented` is one of the keys.
    pub fn accepts(&self, presented: &str) -> bool {
        let candidate = sha256(presented.as_bytes());
        let mut any = subtle::Choice::from(0);
        for d in self.digests.iter() {
            any |= d.ct_eq(&candidate);
        }
        bool::from(any)
    }
}

/// Middleware: passes requests with an accepted bearer key, answers 401
/// otherwise.
pub async fn require_key(State(keys): State<ApiKeys>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match presented {
        Some(key) if keys.accepts(key) => next.run(request).await,
        _ => {
            keys.failures.inc();
            let mut response = (
                StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({ "error": "missing or invalid API key" })),
            )
                .into_response();
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Secret;

    #[test]
    fn only_configured_keys_are_accepted() {
        let keys = ApiKeys::new(
            &[Secret::new("k1-0123456789abcdef"), Secret::new("k2-0123456789abcdef")],
            Counter::default(),
        );
        assert!(keys.accepts("k1-0123456789abcdef"));
        assert!(keys.accepts("k2-0123456789abcdef"));
        assert!(!keys.accepts("k1-0123456789abcde"));
        assert!(!keys.accepts(""));
        let none = ApiKeys::new(&[], Counter::default());
        assert!(!none.accepts(""), "no keys: nobody gets in");
    }
}
