//! The byte-exact fixtures of the applet protocol in proto-fixtures/applet/
//! (the worked example of docs/applet-protocol.md comes from them): a real
//! gateway session and applet client, with the test keys of the README,
//! produce every frame exactly; every fixture parses, verifies under those
//! keys, decodes to the message its README line names, and seals again to
//! the very same octets.
//!
//! `SIMGATE_BLESS=1 cargo test --no-default-features --test applet_fixtures`
//! rewrites the files after a deliberate change of the protocol.
#![allow(clippy::unwrap_used)]

use simgate::sim::applet::binding::{self, Direction};
use simgate::sim::applet::{AppletMessage, CloseReason, CommandId, CommandType, Hello, ResultStatus};
use simgate::sim::ids::{Iccid, Kvn, Tar};
use simgate::sim::keys::{AesKey, KeySet};
use simgate::sim::ota;
use simgate::sim::secured::{CommandPacket, Counter, PorSecurity, ResponsePacket, ResponseStatus};
use simgate::sim::session::{
    AppletClient, AppletSession, ClientConfig, ClientEvent, ServerConfig, SessionEvent, SimCredentials,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

const TAR: Tar = Tar([0xC0, 0x00, 0x01]);

fn iccid() -> Iccid {
    Iccid::new("8944000000000012345").unwrap()
}

fn keys() -> KeySet {
    KeySet {
        kvn: Kvn::new(1).unwrap(),
        kic: Some(AesKey::from_hex("000102030405060708090A0B0C0D0E0F").unwrap()),
        kid: AesKey::from_hex("101112131415161718191A1B1C1D1E1F").unwrap(),
    }
}

fn credentials() -> SimCredentials {
    SimCredentials { tar: TAR, key_sets: vec![keys()], last_counter: Counter::new(0x29).unwrap() }
}

const COMMAND: CommandId =
    CommandId([0x01, 0x93, 0x5A, 0x3C, 0x00, 0x00, 0x70, 0x00, 0x80, 0x00, 0, 0, 0, 0, 0, 0x2A]);

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|o| format!("{o:02x}")).collect()
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("proto-fixtures/applet")
}

/// Runs the worked example and returns every frame it writes, named.
fn produce(ciphered: bool) -> Vec<(&'static str, Vec<u8>)> {
    let now = Instant::now();
    let mut config = ClientConfig::new(iccid(), TAR, keys(), Counter::new(0x29).unwrap());
    config.ciphered = ciphered;
    let mut client = AppletClient::new(config, now).unwrap();
    let server_config = ServerConfig::new(AesKey::new(&[0xD0; 16]).unwrap());
    let mut server = AppletSession::new(Arc::new(server_config), now);
    let mut out = Vec::new();

    let opening = client.poll_transmit().unwrap().to_vec();
    server.handle_bytes(now, &opening);
    assert!(matches!(server.poll_event(), Some(SessionEvent::NeedKeys { .. })));
    server.provide_keys(now, Some(credentials()));
    let server_hello = server.poll_transmit().unwrap().to_vec();
    client.handle_bytes(now, &server_hello);
    assert!(matches!(client.poll_event(), Some(ClientEvent::Opened { .. })));
    out.push(("opening", opening));
    out.push(("server-hello", server_hello));
    if ciphered {
        return out;
    }
    server.send_command(now, COMMAND, CommandType::new("read.imei").unwrap(), vec![]).unwrap();
    let command = server.poll_transmit().unwrap().to_vec();
    client.handle_bytes(now, &command);
    let por = client.poll_transmit().unwrap().to_vec();
    server.handle_bytes(now, &por);
    client.send_result(now, COMMAND, ResultStatus::Ok, b"352099001761481".to_vec()).unwrap();
    let result = client.poll_transmit().unwrap().to_vec();
    server.handle_bytes(now, &result);
    let result_por = server.poll_transmit().unwrap().to_vec();
    client.handle_bytes(now, &result_por);
    client.send_heartbeat(now).unwrap();
    let heartbeat = client.poll_transmit().unwrap().to_vec();
    server.handle_bytes(now, &heartbeat);
    server.begin_close(CloseReason::ServerDraining);
    let close = server.poll_transmit().unwrap().to_vec();
    client.handle_bytes(now, &close);
    assert!(client.is_closed() && server.is_closed());
    out.extend([
        ("command", command),
        ("command-por", por),
        ("result", result),
        ("result-por", result_por),
        ("heartbeat", heartbeat),
        ("close-draining", close),
    ]);
    out
}

/// Every fixture: name, octets, and what it must decode to.
fn expected() -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> =
        produce(false).into_iter().map(|(n, b)| (format!("{n}.hex"), b)).collect();
    all.extend(produce(true).into_iter().map(|(n, b)| (format!("ciphered-{n}.hex"), b)));
    all.push(("plain-close-bad-checksum.hex".to_owned(), vec![0, 3, 0, 0, 1]));
    let wake = ota::wake_up_packet(&keys().into(), TAR, Counter::new(7).unwrap());
    let parts = ota::command_sms(&wake, &keys().into(), 0).unwrap();
    assert_eq!(parts.len(), 1);
    all.push(("ota-wake-up-sms.hex".to_owned(), parts[0].clone()));
    let security = PorSecurity::for_command(wake.spi, wake.kic, wake.kid);
    let por = ResponsePacket { tar: TAR, counter: wake.counter, status: ResponseStatus::PorOk, data: vec![] };
    all.push(("ota-por-sms.hex".to_owned(), ota::por_sms(&por, &security, &keys().into()).unwrap()));
    all
}

#[test]
fn the_worked_example_produces_every_fixture_byte_exact() {
    let bless = std::env::var_os("SIMGATE_BLESS").is_some();
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    for (name, bytes) in expected() {
        let path = dir().join(&name);
        if bless {
            std::fs::write(&path, format!("{}\n", to_hex(&bytes))).unwrap();
        }
        let stored = hex(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}")));
        assert_eq!(to_hex(&stored), to_hex(&bytes), "{name}");
        assert!(readme.contains(&format!("`{name}`")), "{name} is not listed in the README");
    }
    let on_disk = std::fs::read_dir(dir())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "hex"))
        .count();
    assert_eq!(on_disk, expected().len(), "a fixture file nobody produces");
}

fn stored(name: &str) -> Vec<u8> {
    hex(&std::fs::read_to_string(dir().join(name)).unwrap())
}

/// Takes a frame apart, opens its packet with the direction's binding, and
/// checks the message and that sealing it again gives the same octets.
fn open_frame(
    name: &str,
    direction: Direction,
    opening: bool,
    session: Counter,
) -> (CommandPacket, AppletMessage) {
    let frame = stored(name);
    let len = usize::from(u16::from_be_bytes([frame[0], frame[1]]));
    assert_eq!(len, frame.len() - 2, "{name}: length prefix");
    let mut payload = &frame[2..];
    if opening {
        let (i, packet) = binding::split_opening(payload).unwrap();
        assert_eq!(i, iccid());
        payload = packet;
    }
    let octets = binding::iccid_octets(&iccid());
    let aad = binding::aad(direction, &octets, session);
    let packet = CommandPacket::open(payload, &keys(), &aad).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(packet.tar, TAR);
    assert_eq!(packet.seal(&keys(), &aad).unwrap(), payload, "{name} re-seals byte-exact");
    let message = AppletMessage::decode(&packet.data).unwrap();
    (packet, message)
}

#[test]
fn every_fixture_decodes_to_its_message() {
    let session = Counter::new(0x2A).unwrap();
    let (p, m) = open_frame("opening.hex", Direction::AppletToGateway, true, Counter::ZERO);
    assert_eq!(p.counter, session);
    assert!(matches!(m, AppletMessage::Hello(Hello { protocol: 1, version: 1, max_frame: 1024, .. })));
    let (p, m) = open_frame("ciphered-opening.hex", Direction::AppletToGateway, true, Counter::ZERO);
    assert!(p.spi.ciphered && matches!(m, AppletMessage::Hello(_)));
    let (p, m) = open_frame("server-hello.hex", Direction::GatewayToApplet, false, session);
    assert_eq!(p.counter, Counter::new(1).unwrap());
    assert!(matches!(m, AppletMessage::Hello(_)));
    let (p, _) = open_frame("ciphered-server-hello.hex", Direction::GatewayToApplet, false, session);
    assert!(p.spi.ciphered);
    let (p, m) = open_frame("command.hex", Direction::GatewayToApplet, false, session);
    assert_eq!(p.counter, Counter::new(2).unwrap());
    assert_eq!(
        m,
        AppletMessage::Command { id: COMMAND, kind: CommandType::new("read.imei").unwrap(), payload: vec![] }
    );
    let (_, m) = open_frame("command-por.hex", Direction::AppletToGateway, false, session);
    assert_eq!(
        m,
        AppletMessage::ProofOfReceipt { counter: Counter::new(2).unwrap(), status: ResponseStatus::PorOk }
    );
    let (p, m) = open_frame("result.hex", Direction::AppletToGateway, false, session);
    assert_eq!(
        m,
        AppletMessage::Result { id: COMMAND, status: ResultStatus::Ok, payload: b"352099001761481".to_vec() }
    );
    let (_, por) = open_frame("result-por.hex", Direction::GatewayToApplet, false, session);
    assert_eq!(por, AppletMessage::ProofOfReceipt { counter: p.counter, status: ResponseStatus::PorOk });
    assert_eq!(
        open_frame("heartbeat.hex", Direction::AppletToGateway, false, session).1,
        AppletMessage::Heartbeat
    );
    let (_, m) = open_frame("close-draining.hex", Direction::GatewayToApplet, false, session);
    assert_eq!(m, AppletMessage::Close(CloseReason::ServerDraining));
    assert_eq!(
        binding::parse_plain_close(&stored("plain-close-bad-checksum.hex")[2..]),
        Some(CloseReason::BadChecksum)
    );

    let wake = ota::open_command_sms(&[&stored("ota-wake-up-sms.hex")], &keys().into()).unwrap();
    assert_eq!((wake.tar, wake.counter), (TAR, Counter::new(7).unwrap()));
    assert_eq!(AppletMessage::decode(&wake.data), Ok(AppletMessage::WakeUp));
    let security = PorSecurity::for_command(wake.spi, wake.kic, wake.kid);
    let por = ota::parse_por_sms(&stored("ota-por-sms.hex"), &security, &keys().into()).unwrap();
    assert_eq!((por.counter, por.status), (wake.counter, ResponseStatus::PorOk));
}

#[test]
fn the_same_frames_with_a_wrong_key_fail() {
    let mut wrong = keys();
    wrong.kid = AesKey::from_hex("101112131415161718191A1B1C1D1E10").unwrap();
    let frame = stored("command.hex");
    let aad = binding::aad(
        Direction::GatewayToApplet,
        &binding::iccid_octets(&iccid()),
        Counter::new(0x2A).unwrap(),
    );
    assert!(CommandPacket::open(&frame[2..], &wrong, &aad).is_err());
    assert!(CommandPacket::open(&frame[2..], &keys(), &aad).is_ok());
    assert!(hex("00").len() == 1);
}
