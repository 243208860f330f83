//! The other short-message text decoders: UCS-2 (big-endian UTF-16, lone
//! surrogates to U+FFFD), Latin-1, IA5, and `Encoding::from_data_coding`
//! with `Encoding::decode` for every data_coding value. Never panics; UCS-2
//! fails only on an odd length and its text encodes and decodes to itself;
//! Latin-1 gives back every octet; IA5 fails exactly on an octet above 0x7F.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::smpp::text::Encoding;
use simgate::smpp::text::latin1::{decode_ia5, decode_latin1, encode_ia5, encode_latin1};
use simgate::smpp::text::ucs2::{decode_ucs2, encode_ucs2, ucs2_units};

fuzz_target!(|input: &[u8]| {
    let Some((&data_coding, data)) = input.split_first() else { return };

    match decode_ucs2(data) {
        Ok(text) => {
            assert!(data.len() % 2 == 0);
            assert!(ucs2_units(&text) == data.len() / 2, "{text:?} from {} octets", data.len());
            assert_eq!(decode_ucs2(&encode_ucs2(&text)).as_deref(), Ok(text.as_str()));
        }
        Err(_) => assert!(data.len() % 2 == 1),
    }

    let latin1 = decode_latin1(data);
    assert_eq!(encode_latin1(&latin1).as_deref(), Ok(data), "Latin-1 maps every octet");

    match decode_ia5(data) {
        Ok(text) => assert_eq!(encode_ia5(&text).as_deref(), Ok(data)),
        Err(_) => assert!(!data.is_ascii()),
    }

    if let Some(encoding) = Encoding::from_data_coding(data_coding) {
        match encoding.decode(data) {
            Ok(text) => {
                let mut out = Vec::new();
                let encoded = encoding.encode_into(&text, &mut out);
                assert!(encoded.is_ok(), "{encoding:?} decoded {text:?} but cannot encode it");
            }
            Err(err) => {
                let _ = err.to_string();
            }
        }
    }
});
