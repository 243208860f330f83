//! The smpp34 crate's client in the SMPP comparison, through its public
//! API only: `SmppClient` connects and binds, the listener's
//! `on_smsc_bound` hands over the session (`SMSC`), and
//! `SMSC::submit_sm().send()` sends one submit_sm and waits for its
//! response. The window is `window` tasks per bind, each awaiting one
//! submit at a time (and the client's own `window_size` set to the same).

use async_trait::async_trait;
use simgate_bench_peers::{
    BindRun, DESTINATION_ADDR, DriverArgs, DriverError, SOURCE_ADDR, Tally, exit_on_error, run_binds,
};
use smpp34::client::{BIND_TYPE, SMSC, SmppClient, SmppClientListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Barrier, mpsc};

/// Waits this long for the bind to complete.
const BIND_TIMEOUT: Duration = Duration::from_secs(10);

/// Hands the bound session to the driver.
struct Bound {
    sessions: mpsc::Sender<SMSC>,
}

#[async_trait]
impl SmppClientListener for Bound {
    async fn on_smsc_bound(&self, smsc: SMSC, _session_id: &String) {
        // A full channel means the driver has its session already.
        let _ = self.sessions.try_send(smsc);
    }
}

#[tokio::main]
async fn main() {
    exit_on_error(run().await);
}

async fn run() -> Result<(), DriverError> {
    run_binds("smpp34", |args, share, barrier| async move { one_bind(&args, share, &barrier).await }).await
}

async fn one_bind(args: &DriverArgs, share: u64, barrier: &Barrier) -> Result<BindRun, DriverError> {
    let (host, port) = args.host_port()?;
    let (tx, mut rx) = mpsc::channel(1);
    let mut client = SmppClient::new(
        host,
        port,
        false,
        BIND_TYPE::TX,
        args.system_id.clone(),
        args.password.clone(),
        String::new(),
        0,
        0,
        String::new(),
        Arc::new(Bound { sessions: tx }),
        args.window,
    );
    client.start().await;
    let smsc = tokio::time::timeout(BIND_TIMEOUT, rx.recv())
        .await
        .ok()
        .flatten()
        .ok_or_else(|| DriverError::Bind(format!("no bound session from {}", args.target)))?;
    let smsc = Arc::new(smsc);
    barrier.wait().await;
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.window {
        let (smsc, next, text) = (smsc.clone(), next.clone(), args.text.clone().into_bytes());
        workers.spawn(async move {
            let mut tally = Tally::default();
            while next.fetch_add(1, Ordering::Relaxed) < share {
                let sent = Instant::now();
                let answer = smsc
                    .submit_sm()
                    .source_addr_ton(5)
                    .source_addr(SOURCE_ADDR)
                    .dest_addr_ton(1)
                    .dest_addr_npi(1)
                    .destination_addr(DESTINATION_ADDR)
                    .short_message(text.clone())
                    .send()
                    .await;
                tally.answered(sent, answer.is_ok_and(|r| r.is_success()));
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
    let _ = tokio::time::timeout(BIND_TIMEOUT, smsc.send_unbind()).await;
    client.stop().await;
    Ok(BindRun { tally, started, finished })
}
