//! SMPP codec benchmark: simgate against rusmpp and smpp34, on identical
//! bytes, in one run.
//!
//! Three PDUs (see [`frames`]):
//! - `submit_sm`: a 160-character GSM 7-bit text (unpacked septets,
//!   data_coding 0, 160 octets), a relative validity period, and the
//!   user_message_reference, source_port and destination_port TLVs;
//! - `deliver_sm`: an SMSC delivery receipt (esm_class 0x04) with the
//!   Appendix B text and the receipted_message_id, message_state and
//!   network_error_code TLVs;
//! - `submit_sm_resp`: a 16-character message_id.
//!
//! The frames are encoded once by simgate. Before anything is timed, every
//! library decodes each frame and re-encodes its decoded value, and the
//! output must equal the frame byte for byte; a mismatch aborts the run.
//!
//! Criterion groups are named `<pdu>-<decode|encode>`; functions within a
//! group are the libraries and their variants:
//!
//! decode (one complete frame in, the library's PDU value out, dropped
//! inside the timed loop):
//! - `simgate`: `simgate::smpp::pdu::decode`, borrowing from the frame;
//! - `simgate+tlvs`: the same, then every TLV visited (simgate keeps the
//!   validated TLV octets and parses them again on iteration, so this is
//!   what a caller pays to read them);
//! - `rusmpp`: `rusmpp_core::command::borrowed::Command` (borrowing, TLVs
//!   in a `heapless::Vec` of capacity [`N`]) through its `DecodeWithLength`,
//!   as rusmpp's own framing codec calls it;
//! - `rusmpp_owned`: `rusmpp::Command` through the owned `DecodeWithLength`
//!   from a `BytesMut` holding the frame after command_length; the
//!   `BytesMut` is filled outside the timed region;
//! - `smpp34`: `CommandHeader::decode` then `submit_sm::decode` (etc.), into
//!   owned `String`s and `Vec`s.
//!
//! encode (the library's already-built PDU value in, the frame out; the
//! peers encode the value they decoded from the frame, the same structure
//! their constructors build):
//! - `simgate`: a PDU built by the application (TLVs as a `Vec` of typed
//!   values) into a `Vec<u8>` whose capacity is reused (cleared each time);
//! - `simgate_decoded`: the decoded PDU, whose TLVs are still the octets it
//!   was read from, so they are copied in one piece (a relay's path);
//! - `simgate_to_vec`: `Pdu::to_vec`, one exact-size allocation per PDU,
//!   for comparison with smpp34, whose API can only allocate;
//! - `simgate_slice`: into a reused `[u8]` (a `&mut [u8]` as the
//!   `BufMut`), the output rusmpp's borrowed encoder writes, for a
//!   like-for-like comparison with `rusmpp`;
//! - `simgate_bytes`: into a reused `BytesMut` (cleared each time), as the
//!   gateway's SMPP session writes and as `rusmpp_owned` does;
//! - `rusmpp`: the borrowed `Command`: `Length::length`, then
//!   command_length and `Encode::encode` into a reused `[u8]` buffer, as
//!   rusmpp's own framing encoder does;
//! - `rusmpp_owned`: `rusmpp::Command` into a reused `BytesMut`, as
//!   rusmpp's tokio encoder does (reserve, command_length, encode);
//! - `smpp34`: `encode(self) -> Vec<u8>`; it consumes the value, so a clone
//!   is made outside the timed region; the returned `Vec` is dropped inside.
//!
//! Every case is timed the same way: criterion's `iter_batched_ref` in
//! batches of 64 (inputs made outside the timed region, the routine's own
//! results dropped inside it). The same binary also runs one case in a loop
//! for an instruction count under callgrind (see [`main`]).
//!
//! Run it through `scripts/bench-codec.sh`, which also prints the table.

use std::hint::black_box;

use bytes::{BufMut, BytesMut};
use criterion::{BatchSize, Criterion};

use simgate::smpp::pdu::tlv::{MessageState, NetworkErrorCode};
use simgate::smpp::pdu::{
    Body, COctetString, CommandStatus, Pdu, ShortMessage, SmFields, SmppTime, SubmitSmResp, Tlv, Tlvs,
};

/// Capacity of rusmpp's borrowed TLV vector: enough for the PDUs here.
const N: usize = 8;

/// rusmpp's borrowed command with room for [`N`] TLVs.
type RusmppCommand<'a> = rusmpp_core::command::borrowed::Command<'a, N>;

/// The 160 characters of the submit_sm: GSM 03.38 default alphabet, so one
/// octet per character when unpacked (data_coding 0).
const TEXT_160: &[u8; 160] = b"simgate benchmark text: exactly one hundred and sixty characters of \
GSM 7-bit default alphabet, sent unpacked as 160 octets in short message. Enjoy, 100% & ok?!";

/// The Appendix B receipt text carried by the deliver_sm.
const RECEIPT_TEXT: &[u8] = b"id:7f3a9c21e4b05d68 sub:001 dlvrd:001 submit date:2611220630 \
done date:2611220631 stat:DELIVRD err:000 text:simgate benchmark te";

/// The message_id in the receipt and the submit_sm_resp.
const MESSAGE_ID: &str = "7f3a9c21e4b05d68";

fn cs<const MAX: usize>(s: &str) -> COctetString<'_, MAX> {
    COctetString::new(s.as_bytes()).expect("fits the field")
}

/// The PDUs as an application builds them with simgate's types.
fn built_pdus() -> [(&'static str, Pdu<'static>); 3] {
    assert_eq!(TEXT_160.len(), 160);
    let submit = SmFields {
        service_type: COctetString::EMPTY,
        source_addr_ton: 5,
        source_addr_npi: 0,
        source_addr: cs("simgate"),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: cs("447700900123"),
        esm_class: 0,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: SmppTime::NULL,
        validity_period: SmppTime::new(b"000001000000000R").expect("relative time"),
        registered_delivery: 1,
        replace_if_present_flag: 0,
        data_coding: 0,
        sm_default_msg_id: 0,
        short_message: ShortMessage::new(TEXT_160).expect("160 octets"),
    };
    let submit = Pdu {
        command_status: CommandStatus::ESME_ROK,
        sequence_number: 0x0001_0203,
        body: Body::SubmitSm(submit),
        tlvs: Tlvs::from_items(vec![
            Tlv::UserMessageReference(0x2A17),
            Tlv::SourcePort(0x23F4),
            Tlv::DestinationPort(0x23F4),
        ]),
    };

    let receipt = SmFields {
        service_type: COctetString::EMPTY,
        source_addr_ton: 1,
        source_addr_npi: 1,
        source_addr: cs("447700900123"),
        dest_addr_ton: 5,
        dest_addr_npi: 0,
        destination_addr: cs("simgate"),
        esm_class: 0x04,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: SmppTime::NULL,
        validity_period: SmppTime::NULL,
        registered_delivery: 0,
        replace_if_present_flag: 0,
        data_coding: 0,
        sm_default_msg_id: 0,
        short_message: ShortMessage::new(RECEIPT_TEXT).expect("fits"),
    };
    let deliver = Pdu {
        command_status: CommandStatus::ESME_ROK,
        sequence_number: 0x0000_4E21,
        body: Body::DeliverSm(receipt),
        tlvs: Tlvs::from_items(vec![
            Tlv::ReceiptedMessageId(cs(MESSAGE_ID)),
            Tlv::MessageState(MessageState::DELIVERED),
            Tlv::NetworkErrorCode(NetworkErrorCode { network_type: 3, error_code: 0 }),
        ]),
    };

    let resp = Pdu::new(
        CommandStatus::ESME_ROK,
        0x0001_0203,
        Body::SubmitSmResp(SubmitSmResp { message_id: cs(MESSAGE_ID) }),
    );

    [("submit_sm", submit), ("deliver_sm", deliver), ("submit_sm_resp", resp)]
}

/// The frames every library is measured on: name, simgate's PDU, bytes.
fn frames() -> Vec<(&'static str, Pdu<'static>, Vec<u8>)> {
    built_pdus()
        .into_iter()
        .map(|(name, pdu)| {
            let bytes = pdu.to_vec().expect("encodes");
            assert_eq!(bytes.len(), pdu.encoded_len());
            (name, pdu, bytes)
        })
        .collect()
}

/// simgate into the front of `dst`, as [`rusmpp_encode`] writes; the length.
fn simgate_encode_slice(pdu: &Pdu<'_>, dst: &mut [u8]) -> usize {
    let room = dst.len();
    let mut rest = &mut dst[..];
    pdu.encode(&mut rest).expect("encodes");
    room - rest.len()
}

// ---- rusmpp ---------------------------------------------------------------

fn rusmpp_decode(frame: &[u8]) -> RusmppCommand<'_> {
    use rusmpp_core::decode::borrowed::DecodeWithLength;
    let (command, size) =
        RusmppCommand::decode(&frame[4..], frame.len() - 4).expect("rusmpp decodes the frame");
    debug_assert_eq!(size, frame.len() - 4);
    command
}

/// command_length, then the command, into the front of `dst`; the length.
fn rusmpp_encode(command: &RusmppCommand<'_>, dst: &mut [u8]) -> usize {
    use rusmpp_core::encode::{Encode, Length};
    let len = 4 + command.length();
    dst[..4].copy_from_slice(&(len as u32).to_be_bytes());
    command.encode(&mut dst[4..len]);
    len
}

fn rusmpp_owned_decode(body: &mut BytesMut) -> rusmpp::Command {
    use rusmpp::decode::DecodeWithLength;
    let len = body.len();
    rusmpp::Command::decode(body, len).expect("rusmpp decodes the frame").0
}

fn rusmpp_owned_encode(command: &rusmpp::Command, dst: &mut BytesMut) {
    use rusmpp::encode::{Length, owned::Encode};
    let len = 4 + command.length();
    dst.reserve(len);
    dst.put_u32(len as u32);
    command.encode(dst);
}

fn rusmpp_owned_input(frame: &[u8]) -> BytesMut {
    BytesMut::from(&frame[4..])
}

// ---- smpp34 ---------------------------------------------------------------

/// smpp34 has one type per PDU and no common one.
#[derive(Clone)]
enum Smpp34Pdu {
    SubmitSm(smpp34::submit_sm),
    DeliverSm(smpp34::deliver_sm),
    SubmitSmResp(smpp34::submit_sm_resp),
}

/// smpp34's decoders take the frame and its decoded header; the command_id
/// is known per benchmark, as smpp34's own dispatch would have read it.
fn smpp34_decode(name: &str, frame: &[u8]) -> Smpp34Pdu {
    let header = smpp34::CommandHeader::decode(frame).expect("smpp34 reads the header");
    match name {
        "submit_sm" => Smpp34Pdu::SubmitSm(smpp34::submit_sm::decode(header, frame).expect("decodes")),
        "deliver_sm" => Smpp34Pdu::DeliverSm(smpp34::deliver_sm::decode(header, frame).expect("decodes")),
        "submit_sm_resp" => {
            Smpp34Pdu::SubmitSmResp(smpp34::submit_sm_resp::decode(header, frame).expect("decodes"))
        }
        other => unreachable!("no smpp34 decoder for {other}"),
    }
}

fn smpp34_encode(pdu: Smpp34Pdu) -> Vec<u8> {
    match pdu {
        Smpp34Pdu::SubmitSm(p) => p.encode(),
        Smpp34Pdu::DeliverSm(p) => p.encode(),
        Smpp34Pdu::SubmitSmResp(p) => p.encode(),
    }
}

// ---- checks ---------------------------------------------------------------

/// Every library decodes `frame` and re-encodes it to the same octets.
fn check_round_trips(name: &str, built: &Pdu<'_>, frame: &[u8]) {
    let decoded = simgate::smpp::pdu::decode(frame).expect("simgate decodes the frame");
    assert_eq!(&decoded, built, "{name}: simgate decodes what it built");
    assert_eq!(decoded.to_vec().expect("encodes"), frame, "{name}: simgate re-encodes");
    let mut out = [0u8; 1024];
    let len = simgate_encode_slice(&decoded, &mut out);
    assert_eq!(&out[..len], frame, "{name}: simgate re-encodes into a slice");
    let mut out = BytesMut::new();
    decoded.encode(&mut out).expect("encodes");
    assert_eq!(&out[..], frame, "{name}: simgate re-encodes into a BytesMut");
    assert!(decoded.tlvs.iter().count() == built.tlvs.len(), "{name}: TLV count");

    let command = rusmpp_decode(frame);
    let mut out = [0u8; 1024];
    let len = rusmpp_encode(&command, &mut out);
    assert_eq!(&out[..len], frame, "{name}: rusmpp (borrowed) re-encodes identically");

    let command = rusmpp_owned_decode(&mut rusmpp_owned_input(frame));
    let mut out = BytesMut::new();
    rusmpp_owned_encode(&command, &mut out);
    assert_eq!(&out[..], frame, "{name}: rusmpp (owned) re-encodes identically");

    let pdu = smpp34_decode(name, frame);
    assert_eq!(smpp34_encode(pdu), frame, "{name}: smpp34 re-encodes identically");
}

/// Visit every TLV of a simgate PDU (they are parsed on iteration).
fn walk_tlvs(pdu: &Pdu<'_>) {
    for tlv in pdu.tlvs.iter() {
        black_box(tlv);
    }
}

// ---- running -------------------------------------------------------------

/// Where the cases go: criterion, or an instruction count under callgrind.
enum Runner<'c> {
    /// Time every case with criterion.
    Criterion(&'c mut Criterion),
    /// Print every case's `group/function` name.
    List,
    /// Run one case `iters` times, each call inside [`counted_op`].
    Count { case: String, iters: u64 },
}

/// One measured call. Not inlined, so that
/// `valgrind --tool=callgrind --toggle-collect='*counted_op*'` counts the
/// routine and nothing else (the setup and the loop stay outside).
#[inline(never)]
fn counted_op<I, O>(routine: &mut impl FnMut(&mut I) -> O, input: &mut I) {
    black_box(routine(black_box(input)));
}

impl Runner<'_> {
    /// A case without per-iteration input: criterion's `iter`.
    fn plain<O>(&mut self, group: &str, function: &str, mut routine: impl FnMut() -> O) {
        self.batched(group, function, None::<fn()>, move |_: &mut ()| routine());
    }

    /// A case whose routine consumes or changes its input, made by `setup`
    /// outside the measurement (criterion's `iter_batched_ref`, in batches
    /// small enough to stay in cache).
    fn batched<I, O>(
        &mut self,
        group: &str,
        function: &str,
        setup: Option<impl FnMut() -> I>,
        mut routine: impl FnMut(&mut I) -> O,
    ) where
        I: Default,
    {
        let name = format!("{group}/{function}");
        let mut setup = setup.map(|s| Box::new(s) as Box<dyn FnMut() -> I>);
        let mut make = move || setup.as_mut().map_or_else(I::default, |s| s());
        match self {
            Runner::Criterion(c) => {
                let mut g = c.benchmark_group(group);
                g.bench_function(function, |b| {
                    b.iter_batched_ref(&mut make, &mut routine, BatchSize::NumIterations(64))
                });
                g.finish();
            }
            Runner::List => println!("{name}"),
            Runner::Count { case, iters } if *case == name => {
                for _ in 0..*iters {
                    let mut input = make();
                    counted_op(&mut routine, &mut input);
                }
            }
            Runner::Count { .. } => {}
        }
    }
}

// ---- benchmarks -----------------------------------------------------------

fn codec(runner: &mut Runner<'_>) {
    for (name, built, frame) in frames() {
        check_round_trips(name, &built, &frame);
        let frame = frame.as_slice();
        let has_tlvs = !built.tlvs.is_empty();

        let group = format!("{name}-decode");
        runner.plain(&group, "simgate", || {
            let pdu = simgate::smpp::pdu::decode(black_box(frame)).expect("decodes");
            black_box(&pdu);
        });
        if has_tlvs {
            runner.plain(&group, "simgate+tlvs", || {
                let pdu = simgate::smpp::pdu::decode(black_box(frame)).expect("decodes");
                walk_tlvs(&pdu);
                black_box(&pdu);
            });
        }
        runner.plain(&group, "rusmpp", || {
            let command = rusmpp_decode(black_box(frame));
            black_box(&command);
        });
        runner.batched(&group, "rusmpp_owned", Some(|| rusmpp_owned_input(frame)), |body| {
            let command = rusmpp_owned_decode(black_box(body));
            black_box(&command);
        });
        runner.plain(&group, "smpp34", || {
            let pdu = smpp34_decode(name, black_box(frame));
            black_box(&pdu);
        });

        let decoded = simgate::smpp::pdu::decode(frame).expect("decodes");
        let rusmpp_value = rusmpp_decode(frame);
        let rusmpp_owned_value = rusmpp_owned_decode(&mut rusmpp_owned_input(frame));
        let smpp34_value = smpp34_decode(name, frame);

        let group = format!("{name}-encode");
        let mut buf: Vec<u8> = Vec::with_capacity(1024);
        runner.plain(&group, "simgate", || {
            buf.clear();
            black_box(&built).encode(&mut buf).expect("encodes");
            black_box(&buf);
        });
        runner.plain(&group, "simgate_decoded", || {
            buf.clear();
            black_box(&decoded).encode(&mut buf).expect("encodes");
            black_box(&buf);
        });
        runner.plain(&group, "simgate_to_vec", || {
            let out = black_box(&built).to_vec().expect("encodes");
            black_box(&out);
        });
        let mut out = [0u8; 1024];
        runner.plain(&group, "simgate_slice", || {
            let len = simgate_encode_slice(black_box(&built), &mut out);
            black_box(&out[..len]);
        });
        runner.plain(&group, "rusmpp", || {
            let len = rusmpp_encode(black_box(&rusmpp_value), &mut out);
            black_box(&out[..len]);
        });
        let mut bytes = BytesMut::with_capacity(1024);
        runner.plain(&group, "simgate_bytes", || {
            bytes.clear();
            black_box(&built).encode(&mut bytes).expect("encodes");
            black_box(&bytes);
        });
        runner.plain(&group, "rusmpp_owned", || {
            bytes.clear();
            rusmpp_owned_encode(black_box(&rusmpp_owned_value), &mut bytes);
            black_box(&bytes);
        });
        runner.batched(&group, "smpp34", Some(|| Some(smpp34_value.clone())), |pdu| {
            let out = smpp34_encode(pdu.take().expect("one value per call"));
            black_box(&out);
        });
    }
}

/// Criterion by default; with `CODEC_COUNT=list` the case names; with
/// `CODEC_COUNT=<group>/<function>` (and `CODEC_ITERS`, default 10000)
/// one case in a loop, for `scripts/bench-codec.sh --callgrind`.
fn main() {
    match std::env::var("CODEC_COUNT") {
        Ok(case) if case == "list" => codec(&mut Runner::List),
        Ok(case) => {
            let iters = std::env::var("CODEC_ITERS").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000);
            codec(&mut Runner::Count { case, iters });
        }
        Err(_) => {
            let mut criterion = Criterion::default().configure_from_args();
            codec(&mut Runner::Criterion(&mut criterion));
            criterion.final_summary();
        }
    }
}
