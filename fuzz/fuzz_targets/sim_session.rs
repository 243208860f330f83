//! `sim::session::AppletSession` driven by arbitrary input: octets in
//! pieces, clock steps and timeouts, keys for any ICCID (or none), commands
//! and closes, from the fuzzer's script. Never panics; every frame it writes
//! is one whole frame within the maximum; a closed session asks for no
//! timer; the events never report a session opened for a SIM whose keys
//! were not given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::sim::applet::{CloseReason, CommandId, CommandType};
use simgate::sim::frame::next_frame;
use simgate::sim::ids::{Kvn, Tar};
use simgate::sim::keys::{AesKey, KeySet};
use simgate::sim::secured::Counter;
use simgate::sim::session::{AppletSession, ServerConfig, SessionEvent, SimCredentials};
use std::sync::Arc;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let mut config = ServerConfig::new(AesKey::new(&[0xD0; 16]).expect("16 octets"));
    config.max_frame = 256;
    config.max_pending_frames = 4;
    let config = Arc::new(config);
    let mut now = Instant::now();
    let mut session = AppletSession::new(config, now);
    let mut known = false;
    let mut ops = data;
    while let [op, arg, rest @ ..] = ops {
        ops = rest;
        match op % 6 {
            0 | 1 => {
                let n = usize::from(*arg).min(ops.len());
                let (bytes, tail) = ops.split_at(n);
                session.handle_bytes(now, bytes);
                ops = tail;
            }
            2 => {
                now += Duration::from_secs(u64::from(*arg));
                if session.poll_timeout().is_some_and(|t| t <= now) {
                    session.handle_timeout(now);
                }
            }
            3 => {
                let id = CommandId([*arg; 16]);
                let kind = CommandType::new("k").expect("valid");
                let _ = session.send_command(now, id, kind, vec![*arg; usize::from(*arg)]);
            }
            4 => session.begin_close(CloseReason::from_octet(*arg)),
            _ => {}
        }
        while let Some(event) = session.poll_event() {
            match event {
                SessionEvent::NeedKeys { kvn, .. } => {
                    known = arg & 1 == 1;
                    let credentials = known.then(|| SimCredentials {
                        tar: Tar([0xC0, 0, 1]),
                        key_sets: vec![KeySet {
                            kvn: Kvn::new(kvn.get()).expect("from the session"),
                            kic: AesKey::new(&[1; 16]).ok(),
                            kid: AesKey::new(&[2; 16]).expect("16 octets"),
                        }],
                        last_counter: Counter::ZERO,
                    });
                    session.provide_keys(now, credentials);
                }
                SessionEvent::Opened { .. } => assert!(known, "opened without keys"),
                _ => {}
            }
        }
        while let Some(frame) = session.poll_transmit() {
            assert_eq!(next_frame(&frame, 256).ok().flatten().map(|(_, end)| end), Some(frame.len()));
        }
        if session.is_closed() {
            assert_eq!(session.poll_timeout(), None);
        }
    }
});
