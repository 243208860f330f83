//! 7-bit packing of GSM septets into octets (3GPP TS 23.038 6.1.2.1) and
//! back, with the fill bits that align the first septet after a user data
//! header (TS 23.040 9.2.3.24).
//!
//! Septets fill each octet from the least significant bit; fill bits are
//! zero and sit in the low bits of the first octet after the UDH.
//!
//! Trailing padding (TS 23.038 6.1.2.1.1): when the last octet would have
//! 7 spare bits, simgate writes CR (0x0D) there, so a receiver that derives
//! the septet count from the octet count sees a harmless CR instead of an
//! '@'. When decoding without a known septet count, a final septet that
//! exactly fills the last 7 bits and is CR or 0x00 ('@') is taken as padding
//! and dropped: the decoder never invents a trailing '@'. The cost is that a
//! real trailing '@' in a message of 8n septets is lost when the count is
//! unknown; callers that know TP-UDL should pass it to [`unpack_septets`].
//!
//! The same clause asks a sender whose text ends in CR exactly on an octet
//! boundary to add a second CR. simgate's packer does not: a full
//! concatenated part (153 septets after a 6-octet UDH) ends exactly on the
//! 140th octet, and an extra CR would push it over. SMS receivers get the
//! septet count in TP-UDL and do not need it.

use super::error::DecodeError;
use super::gsm7::CR;

/// Largest number of fill bits: a UDH ends on an octet boundary and the next
/// septet boundary is at most 6 bits further (TS 23.040 9.2.3.24).
pub const MAX_FILL_BITS: u8 = 6;

/// Fill bits needed after a UDH of `udh_octets` octets (UDHL included) so the
/// first septet of the text starts on a septet boundary (TS 23.040
/// 9.2.3.24): 1 after a 6-octet UDH, 0 after a 7-octet one.
pub const fn fill_bits_after_udh(udh_octets: usize) -> u8 {
    // (8 * n) mod 7 == n mod 7, without the overflow of 8 * n.
    ((7 - udh_octets % 7) % 7) as u8
}

/// Octets that `septets` septets take after `fill_bits` fill bits.
pub const fn packed_len(septets: usize, fill_bits: u8) -> usize {
    septets.saturating_mul(7).saturating_add(fill_bits as usize).div_ceil(8)
}

/// Packs `septets` (high bits ignored) after `fill_bits` zero fill bits and
/// appends the octets to `out`, padding 7 spare bits with CR (TS 23.038
/// 6.1.2.1.1).
pub fn pack_septets_into(septets: &[u8], fill_bits: u8, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    if fill_bits > MAX_FILL_BITS {
        return Err(DecodeError::InvalidFillBits { fill_bits });
    }
    if septets.is_empty() {
        return Ok(());
    }
    out.reserve(packed_len(septets.len(), fill_bits));
    let mut acc: u32 = 0;
    let mut nbits: u32 = u32::from(fill_bits);
    for &s in septets {
        acc |= u32::from(s & 0x7F) << nbits;
        nbits += 7;
        while nbits >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            nbits -= 8;
        }
    }
    if nbits > 0 {
        if nbits == 1 {
            // 7 spare bits: TS 23.038 6.1.2.1.1 CR padding.
            acc |= u32::from(CR) << 1;
        }
        out.push(acc as u8);
    }
    Ok(())
}

/// Packs `septets` after `fill_bits` fill bits.
pub fn pack_septets(septets: &[u8], fill_bits: u8) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    pack_septets_into(septets, fill_bits, &mut out)?;
    Ok(out)
}

/// Unpacks exactly `septet_count` septets (TP-UDL minus the UDH, when
/// known) from `octets` after `fill_bits` fill bits. Octets beyond the
/// last septet are ignored.
pub fn unpack_septets(octets: &[u8], fill_bits: u8, septet_count: usize) -> Result<Vec<u8>, DecodeError> {
    if fill_bits > MAX_FILL_BITS {
        return Err(DecodeError::InvalidFillBits { fill_bits });
    }
    // Fill bits only precede text; no septets need no bits at all.
    let needed_bits = match septet_count {
        0 => Some(0),
        n => n.checked_mul(7).and_then(|b| b.checked_add(usize::from(fill_bits))),
    };
    let available_bits = octets.len().checked_mul(8);
    match (needed_bits, available_bits) {
        (Some(need), Some(have)) if need <= have => {}
        _ => {
            return Err(DecodeError::PackedTooShort {
                septets: septet_count,
                octets: octets.len(),
                fill_bits,
            });
        }
    }
    let mut out = Vec::with_capacity(septet_count);
    let mut acc: u32 = 0;
    let mut nbits: u32 = 0;
    let mut skip = u32::from(fill_bits);
    for &b in octets {
        if out.len() >= septet_count {
            break;
        }
        acc |= u32::from(b) << nbits;
        nbits += 8;
        if skip > 0 {
            acc >>= skip;
            nbits -= skip;
            skip = 0;
        }
        while nbits >= 7 && out.len() < septet_count {
            out.push((acc & 0x7F) as u8);
            acc >>= 7;
            nbits -= 7;
        }
    }
    Ok(out)
}

/// Unpacks septets when the count is not known (SMPP gives octets only):
/// every whole septet after `fill_bits`, less trailing padding as the module
/// doc describes.
pub fn unpack_septets_inferred(octets: &[u8], fill_bits: u8) -> Result<Vec<u8>, DecodeError> {
    if fill_bits > MAX_FILL_BITS {
        return Err(DecodeError::InvalidFillBits { fill_bits });
    }
    let bits = octets.len().saturating_mul(8).saturating_sub(usize::from(fill_bits));
    let count = bits / 7;
    let mut septets = unpack_septets(octets, fill_bits, count)?;
    // The last septet exactly fills the last 7 bits: padding if CR or '@'.
    if count > 0 && bits % 7 == 0 && matches!(septets.last(), Some(&0x00) | Some(&CR)) {
        septets.pop();
    }
    Ok(septets)
}

#[cfg(test)]
mod tests {
    use super::super::gsm7::{decode_unpacked, encode_unpacked};
    use super::*;

    fn pack_text(text: &str, fill: u8) -> Vec<u8> {
        pack_septets(&encode_unpacked(text).unwrap(), fill).unwrap()
    }

    fn unpack_text(octets: &[u8], fill: u8) -> String {
        decode_unpacked(&unpack_septets_inferred(octets, fill).unwrap()).unwrap()
    }

    #[test]
    fn hello_packs_to_the_textbook_vector() {
        assert_eq!(pack_text("hello", 0), [0xE8, 0x32, 0x9B, 0xFD, 0x06]);
        assert_eq!(unpack_text(&[0xE8, 0x32, 0x9B, 0xFD, 0x06], 0), "hello");
    }

    #[test]
    fn seven_characters_get_cr_padding_not_an_at_sign() {
        // 7 septets = 49 bits: 7 octets with 7 spare bits, padded with CR.
        let packed = pack_text("1234567", 0);
        assert_eq!(packed, [0x31, 0xD9, 0x8C, 0x56, 0xB3, 0xDD, 0x1A]);
        assert_eq!(packed.last().map(|b| b >> 1), Some(CR));
        assert_eq!(unpack_text(&packed, 0), "1234567");
        // A sender that pads with zero bits: still no invented '@'.
        let mut zero_padded = packed.clone();
        if let Some(last) = zero_padded.last_mut() {
            *last &= 0x01;
        }
        assert_eq!(unpack_text(&zero_padded, 0), "1234567");
    }

    #[test]
    fn eight_characters_fill_seven_octets_exactly() {
        let packed = pack_text("12345678", 0);
        assert_eq!(packed, [0x31, 0xD9, 0x8C, 0x56, 0xB3, 0xDD, 0x70]);
        assert_eq!(unpack_text(&packed, 0), "12345678");
        // With a known count a real trailing '@' survives.
        let at = pack_text("1234567@", 0);
        assert_eq!(decode_unpacked(&unpack_septets(&at, 0, 8).unwrap()).unwrap(), "1234567@");
    }

    #[test]
    fn fill_bits_after_udh() {
        assert_eq!(super::fill_bits_after_udh(6), 1);
        assert_eq!(super::fill_bits_after_udh(7), 0);
        assert_eq!(super::fill_bits_after_udh(0), 0);
        assert_eq!(super::fill_bits_after_udh(3), 4);
        assert!(super::fill_bits_after_udh(usize::MAX) <= MAX_FILL_BITS);
        assert_eq!(packed_len(usize::MAX, 6), usize::MAX.div_ceil(8));
        // "hello" after a 6-octet UDH: everything shifts up by one bit.
        let packed = pack_text("hello", 1);
        assert_eq!(packed, [0xD0, 0x65, 0x36, 0xFB, 0x0D]);
        assert_eq!(unpack_text(&packed, 1), "hello");
        assert_eq!(packed_len(153, 1), 134);
        assert_eq!(packed_len(152, 0), 133);
        assert_eq!(packed_len(160, 0), 140);
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        assert_eq!(pack_septets(&[1], 7).unwrap_err(), DecodeError::InvalidFillBits { fill_bits: 7 });
        assert!(unpack_septets(&[0xFF], 0, 2).is_err());
        assert!(unpack_septets(&[0xFF], 0, usize::MAX).is_err());
        assert_eq!(unpack_septets_inferred(&[], 3).unwrap(), Vec::<u8>::new());
        assert_eq!(unpack_septets(&[], 0, 0).unwrap(), Vec::<u8>::new());
        assert!(pack_septets(&[], 1).unwrap().is_empty());
    }
}
