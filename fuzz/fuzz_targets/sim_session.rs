//! `sim::session::AppletSession` and `AppletClient` wired together and
//! driven by the fuzzer's script: raw octets to the gateway, the client's
//! genuine frames delivered in pieces (some with an octet flipped), clock
//! steps and timeouts, keys given or refused, commands, results,
//! heartbeats, the client's misbehaviours, closes. Never panics; every
//! frame the gateway writes is one whole frame within the maximum; it never
//! opens without the SIM's keys, and the client never opens unless the
//! gateway did; a closed session asks for no timer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::sim::applet::{CloseReason, CommandId, CommandType, ResultStatus};
use simgate::sim::frame::next_frame;
use simgate::sim::ids::{Iccid, Kvn, Tar};
use simgate::sim::keys::{AesKey, KeySet};
use simgate::sim::secured::Counter;
use simgate::sim::session::{
    AppletClient, AppletSession, ClientConfig, ClientEvent, Misbehaviour, ServerConfig, SessionEvent,
    SimCredentials,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TAR: Tar = Tar([0xC0, 0, 1]);
const MAX: u16 = 256;

fn keys() -> KeySet {
    KeySet {
        kvn: Kvn::new(1).expect("1 is a key version"),
        kic: AesKey::new(&[1; 16]).ok(),
        kid: AesKey::new(&[2; 16]).expect("16 octets"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&setup, mut ops)) = data.split_first() else {
        return;
    };
    let mut config = ServerConfig::new(AesKey::new(&[0xD0; 16]).expect("16 octets"));
    config.max_frame = MAX;
    config.max_pending_frames = 4;
    let mut now = Instant::now();
    let mut server = AppletSession::new(Arc::new(config), now);
    let iccid = Iccid::new("8944000000000012345").expect("valid ICCID");
    let mut client_config =
        ClientConfig::new(iccid, TAR, keys(), Counter::new(u64::from(setup >> 4)).expect("small"));
    client_config.ciphered = setup & 1 == 1;
    client_config.max_frame = MAX;
    client_config.hello.max_frame = MAX;
    let Ok(mut client) = AppletClient::new(client_config, now) else {
        return;
    };
    let registry_knows = setup & 2 == 2;
    let mut server_opened = false;
    let mut commands = Vec::new();
    while let [op, arg, rest @ ..] = ops {
        ops = rest;
        match op % 7 {
            0 => {
                let n = usize::from(*arg).min(ops.len());
                let (bytes, tail) = ops.split_at(n);
                server.handle_bytes(now, bytes);
                ops = tail;
            }
            1 => {
                let piece = usize::from(arg % 8) + 1;
                while let Some(frame) = client.poll_transmit() {
                    let mut frame = frame.to_vec();
                    if arg & 0x80 != 0 && !frame.is_empty() {
                        let at = usize::from(*arg) % frame.len();
                        frame[at] ^= 0x01;
                    }
                    for chunk in frame.chunks(piece) {
                        server.handle_bytes(now, chunk);
                    }
                }
            }
            2 => {
                now += Duration::from_secs(u64::from(*arg));
                if server.poll_timeout().is_some_and(|t| t <= now) {
                    server.handle_timeout(now);
                }
                if client.poll_timeout().is_some_and(|t| t <= now) {
                    client.handle_timeout(now);
                }
            }
            3 => {
                let kind = CommandType::new("k").expect("valid");
                let _ =
                    server.send_command(now, CommandId([*arg; 16]), kind, vec![*arg; usize::from(arg % 64)]);
            }
            4 => server.begin_close(CloseReason::from_octet(*arg)),
            5 => match arg % 5 {
                0 => client.misbehave(Misbehaviour::ReplayCounter),
                1 => client.misbehave(Misbehaviour::SkipCounter),
                2 => client.misbehave(Misbehaviour::CorruptChecksum),
                3 => {
                    let _ = client.send_heartbeat(now);
                }
                _ => client.begin_close(CloseReason::Normal),
            },
            _ => {
                if let Some(id) = commands.pop() {
                    let _ = client.send_result(
                        now,
                        id,
                        ResultStatus::from_octet(*arg),
                        vec![*arg; usize::from(arg % 32)],
                    );
                }
            }
        }
        while let Some(event) = server.poll_event() {
            match event {
                SessionEvent::NeedKeys { .. } => {
                    let credentials = registry_knows.then(|| SimCredentials {
                        tar: TAR,
                        key_sets: vec![keys()],
                        last_counter: Counter::new(u64::from(setup >> 6)).expect("small"),
                    });
                    server.provide_keys(now, credentials);
                }
                SessionEvent::Opened { .. } => {
                    assert!(registry_knows, "opened without keys");
                    server_opened = true;
                }
                _ => {}
            }
        }
        while let Some(frame) = server.poll_transmit() {
            assert_eq!(next_frame(&frame, MAX).ok().flatten().map(|(_, end)| end), Some(frame.len()));
            client.handle_bytes(now, &frame);
        }
        while let Some(event) = client.poll_event() {
            if let ClientEvent::Command { id, .. } = event {
                commands.push(id);
            }
        }
        if client.is_open() {
            assert!(server_opened, "the client opened but the gateway never did");
        }
        if server.is_closed() {
            assert_eq!(server.poll_timeout(), None);
        }
    }
});
