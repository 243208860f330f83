//! The sending phase of `load api`.

use super::client::ApiConnection;
use super::target::ApiTarget;
use super::wait::{Accepted, wait_final};
use crate::load::progress::{Progress, spawn_ticker};
use crate::load::stats::lock;
use crate::load::{Bounds, Destinations, LoadError, Pace, Recorder, Report};
use crate::settings::Secret;
use bytes::Bytes;
use hyper::{Method, header};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Most accepted message ids kept for `--wait-final`; later ones are sent
/// but not followed.
pub const MAX_TRACKED: usize = 1_000_000;

/// One `load api` run.
#[derive(Debug, Clone)]
pub struct ApiLoad {
    /// The gateway.
    pub target: ApiTarget,
    /// Sent as `Authorization: Bearer`; never printed.
    pub api_key: Secret,
    /// Open or closed loop.
    pub pace: Pace,
    /// When sending stops.
    pub bounds: Bounds,
    /// Destination numbers, taken in turn.
    pub destinations: Destinations,
    /// The sender (`source`).
    pub source: String,
    /// The message text (already sized for the parts asked for).
    pub text: String,
    /// Ask for delivery receipts.
    pub registered_delivery: bool,
    /// Poll for final states this long after sending (None: don't).
    pub wait_final: Option<Duration>,
    /// Concurrent polls while waiting.
    pub poll_concurrency: usize,
    /// Per-request timeout.
    pub request_timeout: Duration,
}

/// A GSM-7 text of `text` repeated or cut so that it takes exactly `parts`
/// SMS parts: up to 160 characters for one part, 153 per part when
/// concatenated (3GPP TS 23.040 9.2.3.24.1: the 6-octet UDH costs 7 septets).
pub fn message_text(text: &str, parts: Option<u16>) -> String {
    let Some(parts) = parts.filter(|&p| p > 0) else {
        return text.to_owned();
    };
    let len = if parts == 1 { text.chars().count().clamp(1, 160) } else { 153 * usize::from(parts) };
    let seed = if text.is_empty() { "simgate load " } else { text };
    seed.chars().cycle().take(len).collect()
}

/// Runs the load and returns its report.
pub async fn run(load: ApiLoad) -> Result<Report, LoadError> {
    let authority = load.target.authority.clone();
    // Fail fast, with one clear line, when nothing listens there.
    tokio::time::timeout(load.request_timeout, tokio::net::TcpStream::connect(&authority))
        .await
        .map_err(|_| LoadError::Connect {
            target: load.target.url(),
            source: std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"),
        })?
        .map_err(|source| LoadError::Connect { target: load.target.url(), source })?;
    let mut bearer = header::HeaderValue::from_str(&format!("Bearer {}", load.api_key.expose()))
        .map_err(|_| LoadError::Usage("the API key has characters a header cannot carry".into()))?;
    bearer.set_sensitive(true);

    let slots = load.pace.max_in_flight();
    let (free_tx, mut free_rx) = mpsc::channel::<ApiConnection>(slots);
    for _ in 0..slots {
        let conn = ApiConnection::new(authority.clone(), bearer.clone(), load.request_timeout);
        free_tx.try_send(conn).map_err(|_| LoadError::Usage("connection pool".into()))?;
    }

    let start = Instant::now();
    let rec = Arc::new(Mutex::new(Recorder::new(start)));
    let accepted: Arc<Mutex<Vec<Accepted>>> = Arc::new(Mutex::new(Vec::new()));
    let progress = Progress::new(load.bounds.count);
    let ticker = spawn_ticker(rec.clone(), progress.clone());
    let path = load.target.messages();

    let mut index: u64 = 0;
    loop {
        let due = load.pace.due(start, index);
        if !load.bounds.allows(index, start, due.unwrap_or_else(Instant::now)) {
            break;
        }
        if let Some(due) = due {
            tokio::time::sleep_until(due.into()).await;
        }
        let mut conn = match free_rx.try_recv() {
            Ok(c) => c,
            Err(_) => {
                if matches!(load.pace, Pace::Rate { .. }) {
                    lock(&rec).saturated += 1;
                }
                match free_rx.recv().await {
                    Some(c) => c,
                    None => break,
                }
            }
        };
        if due.is_none() && !load.bounds.allows(index, start, Instant::now()) {
            let _ = free_tx.try_send(conn);
            break;
        }
        let body = request_body(&load, index);
        let (rec, accepted, free_tx, path) = (rec.clone(), accepted.clone(), free_tx.clone(), path.clone());
        tokio::spawn(async move {
            let sent_at = Instant::now();
            // Open loop measures from the due instant: time spent waiting
            // for a free connection is the target's latency too.
            let from = due.unwrap_or(sent_at);
            lock(&rec).sent(sent_at);
            let result = conn.request(Method::POST, &path, Some(body)).await;
            let done = Instant::now();
            match result {
                Ok((status, body)) => {
                    let ok = status.is_success();
                    lock(&rec).answered(done, status.as_str(), ok, Some(done - from));
                    if ok && let Some(id) = super::wait::message_id(&body) {
                        let mut list = accepted.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        if list.len() < MAX_TRACKED {
                            list.push(Accepted { id, at: done });
                        }
                    }
                }
                Err(err) => {
                    tracing::debug!(%err, "load api request failed");
                    lock(&rec).answered(done, err.outcome(), false, None);
                }
            }
            let _ = free_tx.send(conn).await;
        });
        index += 1;
    }
    let sending = start.elapsed();
    // Every request gives its connection back when done: holding all of
    // them again means nothing is in flight.
    let drain = load.request_timeout + Duration::from_secs(1);
    let _ = tokio::time::timeout(drain, async {
        for _ in 0..slots {
            if free_rx.recv().await.is_none() {
                break;
            }
        }
    })
    .await;
    let elapsed = start.elapsed();
    ticker.abort();
    progress.finish();

    let mut report = {
        let rec = lock(&rec);
        Report::from_recorder("api", load.target.url(), pace_label(&load.pace), &rec, sending, elapsed)
    };
    if let Some(within) = load.wait_final {
        let list = std::mem::take(&mut *accepted.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        report.final_states = Some(
            wait_final(
                &load.target,
                &authority,
                bearer,
                list,
                within,
                load.poll_concurrency,
                load.request_timeout,
            )
            .await,
        );
    }
    Ok(report)
}

/// `rate N/s (in-flight <= M)` or `window W`.
pub fn pace_label(pace: &Pace) -> String {
    match pace {
        Pace::Rate { per_second, max_in_flight } => {
            format!("rate {per_second}/s, in-flight <= {max_in_flight}")
        }
        Pace::Window(w) => format!("window {w}"),
    }
}

fn request_body(load: &ApiLoad, index: u64) -> Bytes {
    let body = serde_json::json!({
        "destination": load.destinations.get(index),
        "source": load.source,
        "text": load.text,
        "registered_delivery": load.registered_delivery,
    });
    Bytes::from(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::message_text;

    #[test]
    fn text_is_sized_for_its_parts() {
        assert_eq!(message_text("hi", None), "hi");
        assert_eq!(message_text("hi", Some(1)), "hi");
        assert_eq!(message_text("abc", Some(2)).chars().count(), 306);
        assert_eq!(message_text("", Some(3)).chars().count(), 459);
    }
}
