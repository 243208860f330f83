//! UCS-2 (data_coding 8), written as SMSCs and handsets really use it:
//! big-endian UTF-16, so characters outside the Basic Multilingual Plane
//! travel as surrogate pairs (TS 23.038 section 5 names UCS-2). The
//! splitter never puts the two halves of a pair in different parts, so each
//! part decodes on its own.
//!
//! Decoding is lenient where the text is concerned: an unpaired surrogate
//! becomes U+FFFD. An odd number of octets is an error, since it means the
//! data is not UCS-2 at all.

use super::error::DecodeError;

/// True for the first (high) half of a UTF-16 surrogate pair.
pub const fn is_high_surrogate(unit: u16) -> bool {
    matches!(unit, 0xD800..=0xDBFF)
}

/// 16-bit code units `text` needs: 1 per BMP character, 2 per surrogate pair.
pub fn ucs2_units(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Appends the big-endian UTF-16 of `text` to `out`.
pub fn encode_ucs2_into(text: &str, out: &mut Vec<u8>) {
    out.reserve(text.len() * 2);
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
}

/// The big-endian UTF-16 of `text`.
pub fn encode_ucs2(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    encode_ucs2_into(text, &mut out);
    out
}

/// Appends the text of big-endian UTF-16 `octets` to `out`; unpaired
/// surrogates become U+FFFD.
pub fn decode_ucs2_into(octets: &[u8], out: &mut String) -> Result<(), DecodeError> {
    if octets.len() % 2 != 0 {
        return Err(DecodeError::OddUcs2Length { len: octets.len() });
    }
    out.reserve(octets.len());
    let units = octets.chunks_exact(2).map(|pair| match *pair {
        [hi, lo] => u16::from_be_bytes([hi, lo]),
        _ => 0xFFFD,
    });
    out.extend(char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)));
    Ok(())
}

/// The text of big-endian UTF-16 `octets`.
pub fn decode_ucs2(octets: &[u8]) -> Result<String, DecodeError> {
    let mut out = String::new();
    decode_ucs2_into(octets, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmp_and_emoji_round_trip() {
        let text = "Привет 😀 ok";
        let bytes = encode_ucs2(text);
        assert_eq!(bytes.len(), ucs2_units(text) * 2);
        assert_eq!(ucs2_units("😀"), 2);
        assert_eq!(encode_ucs2("😀"), [0xD8, 0x3D, 0xDE, 0x00]);
        assert_eq!(encode_ucs2("A€"), [0x00, 0x41, 0x20, 0xAC]);
        assert_eq!(decode_ucs2(&bytes).unwrap(), text);
        assert!(is_high_surrogate(0xD83D));
        assert!(!is_high_surrogate(0xDE00));
    }

    #[test]
    fn malformed_input_never_panics() {
        assert_eq!(decode_ucs2(&[0x00]).unwrap_err(), DecodeError::OddUcs2Length { len: 1 });
        // A lone high surrogate, then a lone low one.
        assert_eq!(decode_ucs2(&[0xD8, 0x3D, 0x00, 0x41]).unwrap(), "\u{FFFD}A");
        assert_eq!(decode_ucs2(&[0xDE, 0x00]).unwrap(), "\u{FFFD}");
        assert_eq!(decode_ucs2(&[]).unwrap(), "");
    }
}
