//! ISO-8859-1 (SMPP data_coding 3) and IA5 / US-ASCII (data_coding 1),
//! SMPP v3.4 5.2.19. Latin-1 maps each octet to the code point of the same
//! value, so decoding cannot fail; IA5 is the 7-bit subset.

use super::encoding::Encoding;
use super::error::{DecodeError, EncodeError};

/// True when every character of `text` is in ISO-8859-1.
pub fn is_latin1(text: &str) -> bool {
    text.chars().all(|c| u32::from(c) <= 0xFF)
}

/// Appends the Latin-1 octets of `text` to `out`.
pub fn encode_latin1_into(text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.reserve(text.len());
    for (at, ch) in text.char_indices() {
        match u8::try_from(u32::from(ch)) {
            Ok(b) => out.push(b),
            Err(_) => return Err(EncodeError::Unrepresentable { encoding: Encoding::Latin1, ch, at }),
        }
    }
    Ok(())
}

/// The Latin-1 octets of `text`.
pub fn encode_latin1(text: &str) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_latin1_into(text, &mut out)?;
    Ok(out)
}

/// The text of Latin-1 octets.
pub fn decode_latin1(octets: &[u8]) -> String {
    octets.iter().map(|&b| char::from(b)).collect()
}

/// Appends the IA5 octets of `text` to `out`.
pub fn encode_ia5_into(text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if let Some((at, ch)) = text.char_indices().find(|(_, c)| !c.is_ascii()) {
        return Err(EncodeError::Unrepresentable { encoding: Encoding::Ia5, ch, at });
    }
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// The IA5 octets of `text`.
pub fn encode_ia5(text: &str) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_ia5_into(text, &mut out)?;
    Ok(out)
}

/// The text of IA5 octets; an octet above 0x7F is an error.
pub fn decode_ia5(octets: &[u8]) -> Result<String, DecodeError> {
    match octets.iter().position(|b| !b.is_ascii()) {
        Some(at) => Err(DecodeError::NotIa5 { value: octets.get(at).copied().unwrap_or(0), at }),
        None => Ok(octets.iter().map(|&b| char::from(b)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_round_trips_every_octet() {
        let all: Vec<u8> = (0..=255).collect();
        let text = decode_latin1(&all);
        assert_eq!(text.chars().count(), 256);
        assert_eq!(encode_latin1(&text).unwrap(), all);
        assert!(is_latin1("café ÿ"));
        assert_eq!(
            encode_latin1("a€").unwrap_err(),
            EncodeError::Unrepresentable { encoding: Encoding::Latin1, ch: '€', at: 1 }
        );
    }

    #[test]
    fn ia5_is_seven_bit_ascii() {
        assert_eq!(encode_ia5("Hi {x}").unwrap(), b"Hi {x}");
        assert_eq!(decode_ia5(b"Hi").unwrap(), "Hi");
        assert_eq!(decode_ia5(&[0x41, 0xC3]).unwrap_err(), DecodeError::NotIa5 { value: 0xC3, at: 1 });
        assert!(encode_ia5("é").is_err());
    }
}
