//! Rough timing, run by hand: `cargo test --release --lib speed -- --ignored --nocapture`.

use std::hint::black_box;
use std::time::Instant;

use super::*;

#[test]
#[ignore]
fn speed() {
    let only = std::env::var("SPEED_ONLY").ok();
    for pdu in super::samples::samples().iter().filter(|p| {
        matches!(
            p.command_id(),
            CommandId::SubmitSm | CommandId::DeliverSm | CommandId::SubmitSmResp | CommandId::EnquireLink
        ) && only.as_deref().is_none_or(|o| o == p.command_id().name())
    }) {
        let bytes = pdu.to_vec().unwrap();
        let n: u32 = std::env::var("SPEED_N").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000_000);
        let t = Instant::now();
        for _ in 0..n {
            black_box(decode(black_box(&bytes)).unwrap());
        }
        let dec = t.elapsed().as_nanos() as f64 / f64::from(n);
        if std::env::var("SPEED_DECODE_ONLY").is_ok() {
            continue;
        }
        let mut buf = bytes::BytesMut::with_capacity(bytes.len() * 2);
        let t = Instant::now();
        for _ in 0..n {
            buf.clear();
            black_box(pdu).encode(&mut buf).unwrap();
            black_box(&buf);
        }
        let enc = t.elapsed().as_nanos() as f64 / f64::from(n);
        println!(
            "{:>16} {:>4} octets {:>2} tlvs: decode {dec:6.1} ns, encode {enc:6.1} ns",
            pdu.command_id().name(),
            bytes.len(),
            pdu.tlvs.len()
        );
    }
}

#[test]
#[ignore]
fn sizes() {
    println!(
        "Pdu {} Body {} SmFields {} SubmitMulti {} Tlvs {} Tlv {} DecodeError {}",
        size_of::<Pdu<'_>>(),
        size_of::<Body<'_>>(),
        size_of::<SmFields<'_>>(),
        size_of::<SubmitMulti<'_>>(),
        size_of::<Tlvs<'_>>(),
        size_of::<Tlv<'_>>(),
        size_of::<DecodeError>()
    );
}
