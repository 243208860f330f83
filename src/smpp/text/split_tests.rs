//! Unit tests of the splitter: capacities, boundaries and header bytes.

use super::*;
use crate::smpp::text::gsm7::decode_unpacked;
use crate::smpp::text::gsm7_pack::unpack_septets;
use crate::smpp::text::ucs2::decode_ucs2;
use crate::smpp::text::udh::parse_udh;

const U8: Concatenation = Concatenation::Udh8 { reference: 0x2A };
const U16: Concatenation = Concatenation::Udh16 { reference: 0xBEEF };
const SAR: Concatenation = Concatenation::Sar { reference: 0x0102 };

fn cfg() -> SplitConfig {
    SplitConfig::default()
}

fn units(parts: &[Part]) -> Vec<usize> {
    parts.iter().map(|p| p.units).collect()
}

#[test]
fn gsm7_160_is_one_part_161_is_two() {
    let text = "a".repeat(160);
    let parts = split_text(&text, Encoding::Gsm7, U8, &cfg()).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].udh_len, 0);
    assert!(!parts[0].udhi());
    assert_eq!(parts[0].sar, None);
    assert_eq!(parts[0].user_data, vec![0x61; 160]);

    let text = "a".repeat(161);
    let parts = split_text(&text, Encoding::Gsm7, U8, &cfg()).unwrap();
    assert_eq!(units(&parts), [153, 8]);
    assert_eq!(parts[0].user_data[..6], [0x05, 0x00, 0x03, 0x2A, 0x02, 0x01]);
    assert_eq!(parts[1].user_data[..6], [0x05, 0x00, 0x03, 0x2A, 0x02, 0x02]);
    assert_eq!(parts[0].user_data.len(), 6 + 153);
    assert_eq!(parts[1].user_data.len(), 6 + 8);
    assert!(parts.iter().all(|p| p.udhi() && p.udh_len == 6 && p.sar.is_none()));
}

#[test]
fn escape_pair_at_the_boundary_moves_to_the_next_part() {
    // 152 septets, then '€' = ESC 0x65 whose ESC is septet 153.
    let text = format!("{}€{}", "a".repeat(152), "b".repeat(20));
    let parts = split_text(&text, Encoding::Gsm7, U8, &cfg()).unwrap();
    assert_eq!(units(&parts), [152, 22]);
    assert_eq!(parts[1].user_data[6..8], [0x1B, 0x65]);
    // One septet earlier it fits exactly.
    let text = format!("{}€{}", "a".repeat(151), "b".repeat(20));
    let parts = split_text(&text, Encoding::Gsm7, U8, &cfg()).unwrap();
    assert_eq!(units(&parts), [153, 20]);
    let joined: String = parts.iter().map(|p| decode_unpacked(&p.user_data[p.udh_len..]).unwrap()).collect();
    assert_eq!(joined, text);
}

#[test]
fn ucs2_70_is_one_part_71_is_two() {
    let text = "ж".repeat(70);
    let parts = split_text(&text, Encoding::Ucs2, U8, &cfg()).unwrap();
    assert_eq!(units(&parts), [70]);
    assert_eq!(parts[0].user_data.len(), 140);
    let text = "ж".repeat(71);
    let parts = split_text(&text, Encoding::Ucs2, U8, &cfg()).unwrap();
    assert_eq!(units(&parts), [67, 4]);
    assert_eq!(parts[0].user_data.len(), 6 + 134);
}

#[test]
fn surrogate_pair_at_the_boundary_moves_to_the_next_part() {
    // 66 units, then an emoji whose high half is unit 67.
    let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(10));
    let parts = split_text(&text, Encoding::Ucs2, U8, &cfg()).unwrap();
    assert_eq!(units(&parts), [66, 12]);
    let texts: Vec<String> = parts.iter().map(|p| decode_ucs2(&p.user_data[p.udh_len..]).unwrap()).collect();
    assert_eq!(texts[1].chars().next(), Some('😀'));
    assert_eq!(texts.concat(), text);
}

#[test]
fn sixteen_bit_reference_capacities_and_header() {
    let parts = split_text(&"a".repeat(161), Encoding::Gsm7, U16, &cfg()).unwrap();
    assert_eq!(units(&parts), [152, 9]);
    assert_eq!(parts[0].user_data[..7], [0x06, 0x08, 0x04, 0xBE, 0xEF, 0x02, 0x01]);
    assert_eq!(parts[1].user_data[..7], [0x06, 0x08, 0x04, 0xBE, 0xEF, 0x02, 0x02]);
    let parts = split_text(&"é".repeat(141), Encoding::Latin1, U16, &cfg()).unwrap();
    assert_eq!(units(&parts), [133, 8]);
    let parts = split_binary(&[0xAB; 141], U16, &cfg()).unwrap();
    assert_eq!(units(&parts), [133, 8]);
    assert_eq!(parts[0].user_data.len(), 140);
    let parts = split_text(&"ж".repeat(71), Encoding::Ucs2, U16, &cfg()).unwrap();
    assert_eq!(units(&parts), [66, 5]);
    assert_eq!(parts[0].user_data.len(), 7 + 132);
}

#[test]
fn eight_bit_reference_octet_capacities() {
    let parts = split_binary(&[0x00; 141], U8, &cfg()).unwrap();
    assert_eq!(units(&parts), [134, 7]);
    let parts = split_text(&"x".repeat(300), Encoding::Ia5, U8, &cfg()).unwrap();
    assert_eq!(units(&parts), [134, 134, 32]);
    assert_eq!(parts[2].user_data[..6], [0x05, 0x00, 0x03, 0x2A, 0x03, 0x03]);
}

#[test]
fn sar_mode_sets_tlv_values_and_no_udh() {
    let parts = split_text(&"a".repeat(400), Encoding::Gsm7, SAR, &cfg()).unwrap();
    assert_eq!(units(&parts), [152, 152, 96]);
    for (i, p) in parts.iter().enumerate() {
        assert_eq!(p.udh_len, 0);
        assert!(!p.udhi());
        assert_eq!(p.user_data.len(), p.units);
        assert_eq!(
            p.sar,
            Some(SarSegment { msg_ref_num: 0x0102, total_segments: 3, segment_seqnum: i as u8 + 1 })
        );
    }
    let wide = SplitConfig { sar_capacity: PartCapacity::UDH8, ..cfg() };
    assert_eq!(units(&split_text(&"a".repeat(400), Encoding::Gsm7, SAR, &wide).unwrap()), [153, 153, 94]);
    let full = SplitConfig { sar_capacity: PartCapacity::SINGLE, ..cfg() };
    assert_eq!(units(&split_text(&"ж".repeat(71), Encoding::Ucs2, SAR, &full).unwrap()), [70, 1]);
    // Fits one message: no SAR at all.
    let parts = split_text("hi", Encoding::Gsm7, SAR, &cfg()).unwrap();
    assert_eq!(parts[0].sar, None);
    let bad = SplitConfig { sar_capacity: PartCapacity { gsm7_septets: 1, octets: 140 }, ..cfg() };
    assert_eq!(
        split_text(&"a".repeat(200), Encoding::Gsm7, SAR, &bad).unwrap_err(),
        SplitError::InvalidCapacity { septets: 1, octets: 140 }
    );
}

#[test]
fn payload_mode_never_splits() {
    let text = "a".repeat(1000);
    let parts = split_text(&text, Encoding::Gsm7, Concatenation::Payload, &cfg()).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].udh_len, 0);
    assert_eq!(parts[0].sar, None);
    assert_eq!(parts[0].user_data.len(), 1000);
}

#[test]
fn packed_parts_carry_fill_bits_after_the_udh() {
    let text: String = "abcdefghij".repeat(17);
    let config = SplitConfig { gsm7_form: Gsm7Form::Packed, ..cfg() };
    let parts = split_text(&text, Encoding::Gsm7, U8, &config).unwrap();
    assert_eq!(units(&parts), [153, 17]);
    assert_eq!(parts[0].user_data.len(), 140, "6 octets of UDH and 134 of packed text");
    let mut joined = String::new();
    for p in &parts {
        let (udh, rest) = parse_udh(&p.user_data).unwrap();
        assert!(udh.concat().is_some());
        joined.push_str(&decode_unpacked(&unpack_septets(rest, 1, p.units).unwrap()).unwrap());
    }
    assert_eq!(joined, text);
    // A single packed part has no fill bits.
    let parts = split_text("hello", Encoding::Gsm7, U8, &config).unwrap();
    assert_eq!(parts[0].user_data, [0xE8, 0x32, 0x9B, 0xFD, 0x06]);
}

#[test]
fn limits_are_enforced() {
    assert!(split_binary(&vec![0; 255 * 134], U8, &cfg()).is_ok());
    assert_eq!(
        split_binary(&vec![0; 255 * 134 + 1], U8, &cfg()).unwrap_err(),
        SplitError::TooManyParts { max: 255 }
    );
    let three = SplitConfig { max_parts: 3, ..cfg() };
    assert!(split_text(&"a".repeat(459), Encoding::Gsm7, U8, &three).is_ok());
    assert_eq!(
        split_text(&"a".repeat(460), Encoding::Gsm7, U8, &three).unwrap_err(),
        SplitError::TooManyParts { max: 3 }
    );
    let small = SplitConfig { max_input_octets: 10, ..cfg() };
    assert_eq!(
        split_text(&"a".repeat(11), Encoding::Gsm7, U8, &small).unwrap_err(),
        SplitError::TooLong { len: 11, max: 10 }
    );
    assert!(matches!(
        split_text("✓", Encoding::Gsm7, U8, &cfg()).unwrap_err(),
        SplitError::Encode(EncodeError::Unrepresentable { ch: '✓', .. })
    ));
    assert_eq!(
        split_text("x", Encoding::Binary, U8, &cfg()).unwrap_err(),
        SplitError::Encode(EncodeError::NotText)
    );
    assert_eq!(count_parts(&"a".repeat(161), Encoding::Gsm7, U8, &cfg()), Ok(2));
    assert_eq!(split_text("", Encoding::Gsm7, U8, &cfg()).unwrap().len(), 1);
}
