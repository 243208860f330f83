//! Property tests of the applet protocol's decoders: arbitrary octets never
//! make them panic, and what they accept they give back exactly.
#![allow(clippy::unwrap_used)]

use super::applet::{AppletMessage, binding};
use super::frame::{FrameReader, next_frame, write_frame};
use super::ids::Kvn;
use super::keys::{AesKey, KeySet};
use super::ota;
use super::secured::{ChecksumKind, CommandPacketView, Kic, Kid, PorSecurity, ResponsePacketView};
use super::session::{AppletSession, ServerConfig, SessionEvent};
use proptest::prelude::*;
use std::sync::Arc;
use std::time::Instant;

fn keys() -> KeySet {
    KeySet {
        kvn: Kvn::new(1).unwrap(),
        kic: Some(AesKey::new(&[1; 16]).unwrap()),
        kid: AesKey::new(&[2; 16]).unwrap(),
    }
}

proptest! {
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), max in any::<u16>()) {
        let _ = next_frame(&bytes, max);
        let mut reader = FrameReader::new(max);
        let _ = reader.push(&bytes);
        if let Ok(view) = CommandPacketView::parse(&bytes) {
            let _ = view.key_version();
            let _ = view.open(&keys(), b"");
        }
        let security = PorSecurity { checksum: ChecksumKind::Cryptographic, ciphered: max & 1 == 1, kic: Kic(0x12), kid: Kid(0x12) };
        if let Ok(view) = ResponsePacketView::parse(&bytes) {
            let _ = view.open(&security, &keys(), b"");
        }
        let _ = ota::parse_por_sms(&bytes, &security, &keys().into());
        let (a, b) = bytes.split_at(usize::from(max) % (bytes.len() + 1));
        let _ = ota::join_por_sms(&[b, a]);
        let _ = ota::open_command_sms(&[&bytes], &keys().into());
        let des = crate::sim::RegistryKeys::new(crate::sim::KeyAlgorithm::TripleDes2Key, keys().kvn, Some(&[7; 16]), &[8; 16]).unwrap();
        let des_security = PorSecurity { kic: des.kic(), kid: des.kid(), ..security };
        let _ = ota::parse_por_sms(&bytes, &des_security, &des);
        let _ = ota::open_command_sms(&[&bytes], &des);
        let _ = binding::split_opening(&bytes);
        if let Ok(m) = AppletMessage::decode(&bytes) {
            prop_assert_eq!(m.to_vec(), bytes.clone());
        }
    }

    #[test]
    fn frames_round_trip(payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..300), 1..5), piece in 1usize..40) {
        let mut wire = Vec::new();
        for p in &payloads {
            write_frame(p, 1024, &mut wire).unwrap();
        }
        let mut reader = FrameReader::new(1024);
        let mut got = Vec::new();
        for chunk in wire.chunks(piece) {
            let mut rest = chunk;
            while !rest.is_empty() {
                let (n, frame) = reader.push(rest).unwrap();
                got.extend(frame);
                rest = &rest[n..];
            }
        }
        prop_assert_eq!(got, payloads);
    }

    #[test]
    fn the_server_session_survives_any_stream(bytes in proptest::collection::vec(any::<u8>(), 0..600), piece in 1usize..64) {
        let now = Instant::now();
        let mut session = AppletSession::new(Arc::new(ServerConfig::new(AesKey::new(&[9; 16]).unwrap())), now);
        for chunk in bytes.chunks(piece) {
            session.handle_bytes(now, chunk);
            while let Some(event) = session.poll_event() {
                let opened = matches!(event, SessionEvent::Opened { .. });
                prop_assert!(!opened, "opened with no keys");
                if let SessionEvent::NeedKeys { .. } = event {
                    session.provide_keys(now, None);
                }
            }
        }
        while let Some(frame) = session.poll_transmit() {
            prop_assert!(next_frame(&frame, 1024).unwrap().is_some());
        }
    }
}
