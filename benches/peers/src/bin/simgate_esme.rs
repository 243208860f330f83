//! simgate's ESME in the SMPP comparison: simgate's sans-IO
//! [`EsmeSession`] (the session the gateway's bind driver runs) with a thin
//! tokio driver per bind, as shared/STYLE.md rule 1 intends a driver to be.
//!
//! The gateway's bind engine (`simgate::sms::bind`) needs the `server`
//! feature, a settings tree and a lease store; what it adds over this loop
//! is routing between binds, not per-PDU work. simgate's own row in the
//! harness's table is `simgate load smpp`, which drives the same session;
//! this program is the second row, "simgate EsmeSession (driver)", the
//! session with nothing else around it.
//!
//! Per bind: connect, bind_transmitter, then keep at most `window`
//! submit_sm outstanding (the session enforces it, SMPP v3.4 2.6), write
//! what the session queued in one write, read what arrived, feed whole
//! frames back, until every submit is answered; then unbind.

use bytes::{Buf, BytesMut};
use simgate::smpp::frame::{DEFAULT_MAX_PDU_LEN, next_frame};
use simgate::smpp::pdu::{Body, COctetString, CommandStatus, ShortMessage, SmFields, SmppTime, Tlvs};
use simgate::smpp::session::{
    BindKind, EsmeSession, Inbound, RequestTag, SessionConfig, SessionEvent, SessionState,
};
use simgate_bench_peers::{
    BindRun, DESTINATION_ADDR, DriverArgs, DriverError, SOURCE_ADDR, Tally, exit_on_error, run_binds,
};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Barrier;

/// How long a submit may wait for its response before it counts as an
/// error.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() {
    exit_on_error(run().await);
}

async fn run() -> Result<(), DriverError> {
    run_binds("simgate", |args, share, barrier| async move { one_bind(&args, share, &barrier).await }).await
}

fn submit_body(text: &[u8]) -> Result<Body<'_>, DriverError> {
    let field = |e: simgate::smpp::pdu::ValueError| DriverError::Usage(format!("submit_sm field: {e}"));
    Ok(Body::SubmitSm(SmFields {
        service_type: COctetString::new(b"").map_err(field)?,
        source_addr_ton: 5,
        source_addr_npi: 0,
        source_addr: COctetString::new(SOURCE_ADDR.as_bytes()).map_err(field)?,
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: COctetString::new(DESTINATION_ADDR.as_bytes()).map_err(field)?,
        esm_class: 0,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: SmppTime::new(b"").map_err(field)?,
        validity_period: SmppTime::new(b"").map_err(field)?,
        registered_delivery: 0,
        replace_if_present_flag: 0,
        data_coding: 0,
        sm_default_msg_id: 0,
        short_message: ShortMessage::new(text).map_err(field)?,
    }))
}

async fn one_bind(args: &DriverArgs, share: u64, barrier: &Barrier) -> Result<BindRun, DriverError> {
    let body = submit_body(args.text.as_bytes())?;
    let mut stream = TcpStream::connect(&args.target).await?;
    stream.set_nodelay(true)?;
    let config = SessionConfig {
        bind_kind: BindKind::Transmitter,
        system_id: args.system_id.clone(),
        password: args.password.clone(),
        window: args.window,
        response_timeout: RESPONSE_TIMEOUT,
        ..SessionConfig::default()
    };
    let mut session = EsmeSession::new(config, Instant::now());
    session.bind(Instant::now()).map_err(|e| DriverError::Bind(e.to_string()))?;
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut sent_at: Vec<Instant> = Vec::with_capacity(usize::try_from(share).unwrap_or(0));
    let mut tally = Tally::with_capacity(share);
    let (mut answered, mut unbinding, mut waited) = (0u64, false, false);
    let mut started = Instant::now();
    let mut finished = started;
    loop {
        while let Some(event) = session.poll_event() {
            match event {
                SessionEvent::Bound { .. } => {}
                SessionEvent::BindRefused { status } => return Err(DriverError::Bind(format!("{status:?}"))),
                SessionEvent::BindTimedOut => return Err(DriverError::Bind("no bind_resp".into())),
                SessionEvent::TimedOut { .. } | SessionEvent::Abandoned { .. } => {
                    tally.errors += 1;
                    answered += 1;
                }
                SessionEvent::LinkDead => return Err(std::io::Error::other("link dead").into()),
                SessionEvent::Closed { .. } => {
                    tally.errors += share.saturating_sub(answered);
                    return Ok(BindRun { tally, started, finished });
                }
                _ => {}
            }
        }
        if session.state() == SessionState::Bound(BindKind::Transmitter) {
            if !waited {
                // Every bind is bound before the clock starts.
                barrier.wait().await;
                waited = true;
                started = Instant::now();
            }
            if answered == share && !unbinding {
                finished = Instant::now();
                session.unbind(finished).map_err(|e| std::io::Error::other(e.to_string()))?;
                unbinding = true;
            }
            while (sent_at.len() as u64) < share && session.can_submit() {
                let now = Instant::now();
                let tag = RequestTag(sent_at.len() as u64);
                session
                    .submit(body.clone(), Tlvs::new(), tag, now)
                    .map_err(|e| DriverError::Usage(format!("submit_sm: {e}")))?;
                sent_at.push(now);
            }
        }
        if let Some(out) = session.take_outgoing() {
            stream.write_all(&out).await?;
        }
        let read = match session.poll_timeout() {
            Some(at) => match tokio::time::timeout_at(at.into(), stream.read_buf(&mut buf)).await {
                Ok(read) => read?,
                Err(_) => {
                    session.handle_timeout(Instant::now());
                    continue;
                }
            },
            None => stream.read_buf(&mut buf).await?,
        };
        if read == 0 {
            if unbinding {
                return Ok(BindRun { tally, started, finished });
            }
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
        loop {
            let len = match next_frame(&buf, DEFAULT_MAX_PDU_LEN) {
                Ok(Some(len)) => len,
                Ok(None) => break,
                Err(e) => return Err(std::io::Error::other(e.to_string()).into()),
            };
            if let Some(Inbound::Response { tag, pdu, .. }) =
                session.handle_frame(&buf[..len], Instant::now())
            {
                let sent = usize::try_from(tag.0).ok().and_then(|i| sent_at.get(i));
                if let Some(sent) = sent {
                    tally.answered(*sent, pdu.command_status == CommandStatus::ESME_ROK);
                    answered += 1;
                }
            }
            buf.advance(len);
        }
    }
}
