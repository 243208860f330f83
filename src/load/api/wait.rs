//! `--wait-final`: after sending, poll `GET /v1/messages/{id}` with a
//! bounded number of connections until every accepted message is final
//! (delivered, failed, expired) or the wait ends.

use super::client::ApiConnection;
use super::target::ApiTarget;
use crate::load::report::FinalStates;
use crate::load::stats::Latency;
use hyper::{Method, header};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Pause between polls of the same message.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// A message the gateway accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Its id.
    pub id: String,
    /// When the 202 arrived.
    pub at: Instant,
}

/// The `message_id` of a 202 answer.
pub(crate) fn message_id(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("message_id")?.as_str().map(str::to_owned)
}

fn state(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("state")?.as_str().map(str::to_owned)
}

fn is_final(state: &str) -> bool {
    matches!(state, "delivered" | "failed" | "expired")
}

struct Tracked {
    msg: Accepted,
    state: String,
    done: bool,
}

/// Polls until all are final or `within` passes.
pub(crate) async fn wait_final(
    target: &ApiTarget,
    authority: &str,
    bearer: header::HeaderValue,
    accepted: Vec<Accepted>,
    within: Duration,
    concurrency: usize,
    timeout: Duration,
) -> FinalStates {
    let deadline = Instant::now() + within;
    let concurrency = concurrency.max(1);
    let mut tracked: Vec<Tracked> =
        accepted.into_iter().map(|msg| Tracked { msg, state: "accepted".into(), done: false }).collect();
    let mut to_final = Latency::new(3);
    let chunk = tracked.len().div_ceil(concurrency).max(1);
    let mut conns: Vec<ApiConnection> =
        (0..concurrency).map(|_| ApiConnection::new(authority.to_owned(), bearer.clone(), timeout)).collect();
    while Instant::now() < deadline && tracked.iter().any(|t| !t.done) {
        let round = Instant::now();
        // Each connection polls its own share of the messages in turn.
        let mut tasks = tokio::task::JoinSet::new();
        let shares: Vec<Vec<Tracked>> = {
            let mut shares = Vec::new();
            let mut rest = std::mem::take(&mut tracked);
            while !rest.is_empty() {
                let tail = rest.split_off(chunk.min(rest.len()));
                shares.push(std::mem::replace(&mut rest, tail));
            }
            shares
        };
        for (share, mut conn) in shares.into_iter().zip(std::mem::take(&mut conns)) {
            let target = target.clone();
            tasks.spawn(async move {
                let mut share = share;
                let mut lat = Vec::new();
                for t in share.iter_mut().filter(|t| !t.done) {
                    if Instant::now() >= deadline {
                        break;
                    }
                    if let Ok((status, body)) =
                        conn.request(Method::GET, &target.message(&t.msg.id), None).await
                        && status.is_success()
                        && let Some(s) = state(&body)
                    {
                        if is_final(&s) {
                            t.done = true;
                            lat.push(t.msg.at.elapsed());
                        }
                        t.state = s;
                    }
                }
                (share, conn, lat)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            if let Ok((share, conn, lat)) = joined {
                tracked.extend(share);
                conns.push(conn);
                for l in lat {
                    to_final.record(l);
                }
            }
        }
        while conns.len() < concurrency {
            conns.push(ApiConnection::new(authority.to_owned(), bearer.clone(), timeout));
        }
        if tracked.iter().all(|t| t.done) {
            break;
        }
        let next = (round + POLL_INTERVAL).min(deadline);
        tokio::time::sleep_until(next.into()).await;
    }
    let mut states = BTreeMap::new();
    for t in &tracked {
        *states.entry(t.state.clone()).or_insert(0) += 1;
    }
    let finished = tracked.iter().filter(|t| t.done).count() as u64;
    FinalStates {
        states,
        finished,
        unfinished: tracked.len() as u64 - finished,
        time_to_final: to_final.percentiles(),
    }
}
