//! The rusmppc crate's client in the SMPP comparison, through its public
//! API only: `Client::builder().connect("smpp://HOST:PORT")` spawns the
//! connection, `bind_transmitter` binds, and `submit_sm` sends one
//! submit_sm and waits for its response (an `Err` for any status but
//! ESME_ROK). The client is a cloneable handle, so the window is `window`
//! tasks per bind, each awaiting one submit at a time.

use futures_util::StreamExt;
use rusmpp::pdus::{BindTransmitter, SubmitSm};
use rusmpp::types::{COctetString, OctetString};
use rusmpp::values::{Npi, Ton};
use rusmppc::Client;
use simgate_bench_peers::{
    BindRun, DESTINATION_ADDR, DriverArgs, DriverError, SOURCE_ADDR, Tally, exit_on_error, run_binds,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// How long a submit may wait for its response.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() {
    exit_on_error(run().await);
}

async fn run() -> Result<(), DriverError> {
    run_binds("rusmppc", |args, share, barrier| async move { one_bind(&args, share, &barrier).await }).await
}

fn field<T>(name: &str, value: Result<T, impl std::fmt::Display>) -> Result<T, DriverError> {
    value.map_err(|e| DriverError::Usage(format!("{name}: {e}")))
}

fn submit_sm(text: &[u8]) -> Result<SubmitSm, DriverError> {
    Ok(SubmitSm::builder()
        .source_addr_ton(Ton::Alphanumeric)
        .source_addr_npi(Npi::Unknown)
        .source_addr(field("source_addr", SOURCE_ADDR.parse::<COctetString<1, 21>>())?)
        .dest_addr_ton(Ton::International)
        .dest_addr_npi(Npi::Isdn)
        .destination_addr(field("destination_addr", DESTINATION_ADDR.parse::<COctetString<1, 21>>())?)
        .short_message(field("short_message", OctetString::<0, 255>::from_slice(text))?)
        .build())
}

async fn one_bind(args: &DriverArgs, share: u64, barrier: &Barrier) -> Result<BindRun, DriverError> {
    let submit = submit_sm(args.text.as_bytes())?;
    let (client, mut events) = Client::builder()
        .response_timeout(RESPONSE_TIMEOUT)
        .no_enquire_link_interval()
        .connect(format!("smpp://{}", args.target))
        .await
        .map_err(|e| DriverError::Bind(e.to_string()))?;
    // The event stream must be drained; nothing arrives unasked here.
    let drain = tokio::spawn(async move { while events.next().await.is_some() {} });
    let bind = BindTransmitter::builder()
        .system_id(field("system_id", args.system_id.parse())?)
        .password(field("password", args.password.parse())?)
        .build();
    client.bind_transmitter(bind).await.map_err(|e| DriverError::Bind(e.to_string()))?;
    barrier.wait().await;
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.window {
        let (client, next, submit) = (client.clone(), next.clone(), submit.clone());
        workers.spawn(async move {
            let mut tally = Tally::default();
            while next.fetch_add(1, Ordering::Relaxed) < share {
                let sent = Instant::now();
                let answer = client.submit_sm(submit.clone()).await;
                tally.answered(sent, answer.is_ok());
            }
            tally
        });
    }
    let mut tally = Tally::with_capacity(share);
    while let Some(joined) = workers.join_next().await {
        tally.merge(joined.map_err(|e| DriverError::Io(std::io::Error::other(e)))?);
    }
    let finished = Instant::now();
    // Best effort: the SMSC closes after unbind_resp either way.
    let _ = tokio::time::timeout(RESPONSE_TIMEOUT, client.unbind()).await;
    let _ = tokio::time::timeout(RESPONSE_TIMEOUT, client.close_and_wait()).await;
    drain.abort();
    Ok(BindRun { tally, started, finished })
}
