//! `applet_listener`: simgate's applet listener alone in one process, with
//! the SIMs of a SIM set file in `MemoryCredentials`, for
//! `scripts/bench-applet.sh` (idle sessions held, resident memory per
//! session, handshakes per second). No backend, no HTTP: what the process
//! holds is the listener and its sessions.
//!
//! ```sh
//! cargo run --release --no-default-features --features server \
//!     --example applet_listener -- --sims sims.csv --listen 127.0.0.1:9506
//! ```
//!
//! It prints `listening ADDR pid PID sims N` once bound, then
//! `open N` each second the count of open sessions changed, and stops on
//! SIGINT or SIGTERM (draining like the gateway: port first, then the
//! sessions). Exit status 64 on bad arguments or an unreadable SIM file.

use simgate::applet_sim::simset;
use simgate::sim::listener::{AppletEvent, AppletListener, AppletMetrics, ListenerConfig, MemoryCredentials};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

struct Args {
    sims: std::path::PathBuf,
    listen: SocketAddr,
    max_sessions: usize,
    idle_timeout: Duration,
    heartbeat: Duration,
    threads: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        sims: std::path::PathBuf::new(),
        listen: SocketAddr::from(([127, 0, 0, 1], 9506)),
        max_sessions: 100_000,
        idle_timeout: Duration::from_secs(150),
        heartbeat: Duration::from_secs(60),
        threads: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let secs = |v: String| v.parse::<u64>().map(Duration::from_secs).map_err(|e| format!("{v}: {e}"));
        match flag.as_str() {
            "--sims" => args.sims = value()?.into(),
            "--listen" => args.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--max-sessions" => {
                args.max_sessions = value()?.parse().map_err(|e| format!("--max-sessions: {e}"))?
            }
            "--idle-timeout" => args.idle_timeout = secs(value()?)?,
            "--heartbeat" => args.heartbeat = secs(value()?)?,
            "--threads" => args.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.sims.as_os_str().is_empty() {
        return Err("give --sims FILE (simgate applet-sim generate writes one)".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("applet_listener: {e}");
            return ExitCode::from(64);
        }
    };
    let sims = match simset::read_file(&args.sims) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("applet_listener: {}: {e}", args.sims.display());
            return ExitCode::from(64);
        }
    };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads.max(1)).enable_all().build();
    let Ok(runtime) = runtime else {
        eprintln!("applet_listener: cannot start the runtime");
        return ExitCode::FAILURE;
    };
    runtime.block_on(serve(args, sims))
}

async fn serve(args: Args, sims: Vec<simset::SimRecord>) -> ExitCode {
    let credentials = Arc::new(MemoryCredentials::new());
    for sim in &sims {
        credentials.insert(sim.iccid.clone(), sim.credentials());
    }
    let config = ListenerConfig {
        listen: args.listen,
        max_sessions: args.max_sessions,
        idle_timeout: args.idle_timeout,
        heartbeat_interval: args.heartbeat,
        ..ListenerConfig::default()
    };
    let (tx, mut events) = mpsc::channel::<AppletEvent>(1024);
    // Nobody sends commands here: the events are only drained.
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    let shutdown = CancellationToken::new();
    let listener = match AppletListener::start(
        config,
        credentials,
        tx,
        AppletMetrics::default(),
        shutdown.clone(),
    )
    .await
    {
        Ok(l) => l,
        Err(e) => {
            eprintln!("applet_listener: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening {} pid {} sims {}", listener.local_addr(), std::process::id(), sims.len());
    drop(sims);
    let sessions = listener.sessions();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last = usize::MAX;
    let (Ok(mut term), Ok(mut int)) = (
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()),
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()),
    ) else {
        eprintln!("applet_listener: cannot watch signals");
        return ExitCode::FAILURE;
    };
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = tick.tick() => {
                let open = sessions.len();
                if open != last {
                    println!("open {open}");
                    last = open;
                }
            }
        }
    }
    shutdown.cancel();
    listener.join().await;
    ExitCode::SUCCESS
}
