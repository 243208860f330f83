//! The smpp34 crate's server as the reverse target of the SMPP comparison:
//! an SMSC that accepts every bind and answers every submit_sm at once
//! with submit_sm_resp ESME_ROK and a counter as the message id, as
//! `simgate smsc-sim` does with receipts off and no latency. Public API
//! only: `SmppServer` with an `SmppServerListener`.
//!
//! `smpp34-smsc --listen 127.0.0.1:PORT [--duration SECS]` prints
//! `listening on ADDR` once it accepts, and exits after `--duration`
//! (default 600 s) or on SIGTERM/SIGINT.

use async_trait::async_trait;
use smpp34::{
    SmppConnectionInformation, SmppServer, SmppServerListener, bind_receiver, bind_receiver_resp,
    bind_transceiver, bind_transceiver_resp, bind_transmitter, bind_transmitter_resp, submit_sm,
    submit_sm_resp,
};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// SMPP v3.4 as sc_interface_version (v3.4 5.3.2.25).
const INTERFACE_VERSION: u8 = 0x34;

/// Accepts every bind, answers every submit.
#[derive(Default)]
struct Smsc {
    next_id: AtomicU64,
}

#[async_trait]
impl SmppServerListener for Smsc {
    async fn on_bind_transmitter(
        &self,
        bind: bind_transmitter,
        _: &SmppConnectionInformation,
        _: &String,
    ) -> bind_transmitter_resp {
        bind.accept("smpp34".into(), Some(INTERFACE_VERSION))
    }

    async fn on_bind_receiver(
        &self,
        bind: bind_receiver,
        _: &SmppConnectionInformation,
        _: &String,
    ) -> bind_receiver_resp {
        bind.accept("smpp34".into(), Some(INTERFACE_VERSION))
    }

    async fn on_bind_transceiver(
        &self,
        bind: bind_transceiver,
        _: &SmppConnectionInformation,
        _: &String,
    ) -> bind_transceiver_resp {
        bind.accept("smpp34".into(), Some(INTERFACE_VERSION))
    }

    async fn on_submit_sm(
        &self,
        submit: submit_sm,
        _: &SmppConnectionInformation,
        _: &String,
    ) -> submit_sm_resp {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        submit.accept(format!("{id:x}"))
    }
}

fn parse() -> Result<(SocketAddr, Duration), String> {
    let mut listen = None;
    let mut duration = Duration::from_secs(600);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => {
                listen = Some(value.parse().map_err(|_| format!("--listen {value:?}: not IP:PORT"))?)
            }
            "--duration" => {
                duration = Duration::from_secs(value.parse().map_err(|_| format!("--duration {value:?}"))?)
            }
            _ => return Err(format!("unknown flag {flag}; --listen IP:PORT [--duration SECS]")),
        }
    }
    Ok((listen.ok_or("--listen IP:PORT is required")?, duration))
}

#[tokio::main]
async fn main() {
    let (listen, duration) = match parse() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: usage: {e}");
            std::process::exit(64);
        }
    };
    let mut server = SmppServer::new(listen.ip(), listen.port(), Arc::new(Smsc::default()));
    server.start().await;
    if !server.is_alive() {
        eprintln!("error: could not listen on {listen}");
        std::process::exit(1);
    }
    println!("listening on {listen}");
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: signal handler: {e}");
            std::process::exit(1);
        }
    };
    tokio::select! {
        _ = tokio::time::sleep(duration) => {}
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    server.stop().await;
}
