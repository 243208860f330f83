//! Property tests of the text layer: round trips through every encoding,
//! split-then-reassemble, and decoders that must not panic on any input.

use std::time::Duration;

use proptest::prelude::*;

use super::encoding::Encoding;
use super::gsm7::{self, decode_unpacked, encode_unpacked};
use super::gsm7_pack::{pack_septets, unpack_septets, unpack_septets_inferred};
use super::reassembly::{IncomingPart, Reassembler, ReassemblyLimits};
use super::split::{Concatenation, Gsm7Form, Part, SplitConfig, split_binary, split_text};
use super::ucs2::{decode_ucs2, encode_ucs2};
use super::udh::{ConcatRef, parse_udh};
use super::{latin1, ucs2};

fn gsm_text(max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = gsm7::alphabet().collect();
    prop::collection::vec(prop::sample::select(chars), 0..max).prop_map(|v| v.into_iter().collect())
}

fn concatenation() -> impl Strategy<Value = Concatenation> {
    prop_oneof![
        any::<u8>().prop_map(|reference| Concatenation::Udh8 { reference }),
        any::<u16>().prop_map(|reference| Concatenation::Udh16 { reference }),
        any::<u16>().prop_map(|reference| Concatenation::Sar { reference }),
    ]
}

/// Feeds parts to a reassembler in the given order, as a receiver would.
fn reassemble(parts: &[Part], order: &[usize]) -> Vec<u8> {
    if let [only] = parts {
        return only.user_data.clone();
    }
    let mut r = Reassembler::new(ReassemblyLimits::default());
    let mut out = None;
    for &i in order {
        let p = &parts[i % parts.len()];
        let incoming = match p.sar {
            Some(s) => {
                IncomingPart::from_sar(s.msg_ref_num, s.total_segments, s.segment_seqnum, p.user_data.clone())
            }
            None => IncomingPart::from_user_data(&p.user_data).unwrap().unwrap(),
        };
        if let Some(done) = r.offer("peer", incoming, Duration::ZERO).unwrap().complete {
            out = Some(done.payload);
        }
    }
    // Every part again in order, in case the shuffled order missed some.
    for p in parts {
        if out.is_some() {
            break;
        }
        let incoming = match p.sar {
            Some(s) => {
                IncomingPart::from_sar(s.msg_ref_num, s.total_segments, s.segment_seqnum, p.user_data.clone())
            }
            None => IncomingPart::from_user_data(&p.user_data).unwrap().unwrap(),
        };
        if let Some(done) = r.offer("peer", incoming, Duration::ZERO).unwrap().complete {
            out = Some(done.payload);
        }
    }
    out.unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn gsm_split_then_reassemble_gives_the_text(
        text in gsm_text(700),
        concat in concatenation(),
        order in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let parts = split_text(&text, Encoding::Gsm7, concat, &SplitConfig::default()).unwrap();
        for p in &parts {
            // A part never ends on an ESC whose code went to the next part.
            prop_assert!(p.user_data.len() - p.udh_len <= 160);
            prop_assert_ne!(p.user_data.last(), Some(&gsm7::ESC));
        }
        let payload = reassemble(&parts, &order);
        prop_assert_eq!(decode_unpacked(&payload).unwrap(), text);
    }

    #[test]
    fn ucs2_split_then_reassemble_gives_the_text(
        text in "\\PC{0,300}",
        concat in concatenation(),
        order in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let parts = split_text(&text, Encoding::Ucs2, concat, &SplitConfig::default()).unwrap();
        for p in &parts {
            // Each part decodes on its own: no surrogate pair is split.
            let alone = decode_ucs2(&p.user_data[p.udh_len..]).unwrap();
            let bad = char::REPLACEMENT_CHARACTER;
            prop_assert!(!alone.contains(bad) || text.contains(bad));
        }
        let payload = reassemble(&parts, &order);
        prop_assert_eq!(decode_ucs2(&payload).unwrap(), text);
    }

    #[test]
    fn binary_split_then_reassemble_gives_the_data(
        data in prop::collection::vec(any::<u8>(), 0..1200),
        concat in concatenation(),
        order in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let parts = split_binary(&data, concat, &SplitConfig::default()).unwrap();
        for p in &parts {
            prop_assert!(p.user_data.len() <= 140);
        }
        prop_assert_eq!(reassemble(&parts, &order), data);
    }

    #[test]
    fn ucs2_round_trips_any_string(text in any::<String>()) {
        let bytes = encode_ucs2(&text);
        prop_assert_eq!(bytes.len(), ucs2::ucs2_units(&text) * 2);
        prop_assert_eq!(decode_ucs2(&bytes).unwrap(), text);
    }

    #[test]
    fn gsm_unpacked_and_packed_round_trip(text in gsm_text(400), fill in 0u8..=6) {
        let septets = encode_unpacked(&text).unwrap();
        prop_assert_eq!(Some(septets.len()), gsm7::septet_len(&text));
        prop_assert_eq!(decode_unpacked(&septets).unwrap(), text.clone());
        let packed = pack_septets(&septets, fill).unwrap();
        let back = unpack_septets(&packed, fill, septets.len()).unwrap();
        prop_assert_eq!(&back, &septets);
        // Without the count: equal unless the text ends in a padding-like
        // septet that exactly fills the last octet (see gsm7_pack).
        let inferred = unpack_septets_inferred(&packed, fill).unwrap();
        let exact = (septets.len() * 7 + usize::from(fill)) % 8 == 0;
        if !(exact && matches!(septets.last(), Some(&0x00) | Some(&0x0D))) {
            prop_assert_eq!(inferred, septets);
        }
    }

    #[test]
    fn packed_gsm_split_decodes_per_part(text in gsm_text(500), concat in concatenation()) {
        let config = SplitConfig { gsm7_form: Gsm7Form::Packed, ..SplitConfig::default() };
        let parts = split_text(&text, Encoding::Gsm7, concat, &config).unwrap();
        let mut joined = String::new();
        for p in &parts {
            prop_assert!(p.user_data.len() <= 140);
            let fill = super::gsm7_pack::fill_bits_after_udh(p.udh_len);
            let septets = unpack_septets(&p.user_data[p.udh_len..], fill, p.units).unwrap();
            joined.push_str(&decode_unpacked(&septets).unwrap());
        }
        prop_assert_eq!(joined, text);
    }

    #[test]
    fn latin1_round_trips(text in "[\\u{0}-\\u{ff}]{0,200}") {
        let bytes = latin1::encode_latin1(&text).unwrap();
        prop_assert_eq!(latin1::decode_latin1(&bytes), text);
    }

    #[test]
    fn decoders_never_panic(data in prop::collection::vec(any::<u8>(), 0..300), fill in 0u8..=9) {
        let _ = parse_udh(&data);
        let _ = IncomingPart::from_user_data(&data);
        let _ = decode_unpacked(&data);
        let _ = unpack_septets_inferred(&data, fill);
        let _ = unpack_septets(&data, fill, data.len());
        let _ = decode_ucs2(&data);
        let _ = latin1::decode_ia5(&data);
        let _ = Encoding::from_data_coding(data.first().copied().unwrap_or(0));
    }

    #[test]
    fn reassembler_stays_within_its_bounds(
        offers in prop::collection::vec((0u8..4, 0u8..4, 0u8..5, 0u8..5, 0usize..40, 0u64..200), 0..200),
    ) {
        let limits = ReassemblyLimits {
            max_messages: 3,
            max_parts: 4,
            max_total_octets: 64,
            timeout: Duration::from_secs(50),
        };
        let mut r = Reassembler::new(limits);
        let mut now: u64 = 0;
        for (peer, reference, total, seq, len, step) in offers {
            // Mostly forward, sometimes backwards: never a panic.
            now = if step % 7 == 0 { now.saturating_sub(step) } else { now + step };
            let part = IncomingPart {
                reference: ConcatRef::Udh8(reference),
                total,
                seq,
                payload: vec![seq; len],
            };
            let _ = r.offer(peer, part, Duration::from_secs(now));
            prop_assert!(r.len() <= 3);
            prop_assert!(r.buffered_octets() <= 64);
            if now % 3 == 0 {
                let _ = r.expire(Duration::from_secs(now));
            }
        }
    }
}
