//! The GSM 03.38 decoders (3GPP TS 23.038): unpacked septets to text, and
//! 7-bit unpacking with UDH fill bits, with and without a known septet
//! count. Never panics; decoding fails only on an octet above 0x7F or more
//! than 6 fill bits; decoded text encodes and decodes to itself; packing
//! then unpacking gives the septets back (less a trailing CR or '@' that
//! fills the last 7 bits, when the count is inferred).
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::smpp::text::gsm7::{CR, decode_unpacked, encode_unpacked};
use simgate::smpp::text::gsm7_pack::{
    MAX_FILL_BITS, pack_septets, packed_len, unpack_septets, unpack_septets_inferred,
};

fuzz_target!(|input: &[u8]| {
    let [fill, count, data @ ..] = input else { return };
    // 0..=7: 7 exercises the refusal of too many fill bits.
    let fill = fill & 7;
    let count = usize::from(*count);

    // Unpacked septets to text.
    match decode_unpacked(data) {
        Ok(text) => {
            assert!(data.iter().all(|&s| s <= 0x7F));
            assert!(text.chars().count() <= data.len());
            let septets = encode_unpacked(&text).unwrap_or_else(|e| panic!("{text:?} decoded but: {e}"));
            assert_eq!(decode_unpacked(&septets).as_deref(), Ok(text.as_str()));
        }
        Err(_) => assert!(data.iter().any(|&s| s > 0x7F)),
    }

    // Packed octets with fill bits, septet count known.
    match unpack_septets(data, fill, count) {
        Ok(septets) => {
            assert!(fill <= MAX_FILL_BITS);
            assert_eq!(septets.len(), count);
            assert!(septets.iter().all(|&s| s <= 0x7F));
            let packed = pack_septets(&septets, fill).expect("valid fill bits");
            assert_eq!(packed.len(), if count == 0 { 0 } else { packed_len(count, fill) });
            assert_eq!(unpack_septets(&packed, fill, count).as_deref(), Ok(&septets[..]));
        }
        // No septets need no bits, even after fill bits.
        Err(_) => {
            assert!(fill > MAX_FILL_BITS || (count > 0 && count * 7 + usize::from(fill) > data.len() * 8))
        }
    }

    // Septet count inferred from the octets.
    match unpack_septets_inferred(data, fill) {
        Ok(septets) => {
            assert!(fill <= MAX_FILL_BITS);
            // Fill bits only precede septets.
            assert!(septets.is_empty() || septets.len() * 7 + usize::from(fill) <= data.len() * 8);
            assert!(septets.iter().all(|&s| s <= 0x7F));
        }
        Err(_) => assert!(fill > MAX_FILL_BITS),
    }

    // Arbitrary septets packed, then unpacked both ways.
    if let Ok(packed) = pack_septets(data, fill) {
        let septets: Vec<u8> = data.iter().map(|s| s & 0x7F).collect();
        assert_eq!(unpack_septets(&packed, fill, septets.len()).as_deref(), Ok(&septets[..]));
        let inferred = unpack_septets_inferred(&packed, fill).expect("valid fill bits");
        let padding_dropped = inferred.len() + 1 == septets.len()
            && septets.last().is_some_and(|&s| s == 0 || s == CR)
            && septets.starts_with(&inferred);
        assert!(inferred == septets || padding_dropped, "{septets:?} came back as {inferred:?}");
    }
});
