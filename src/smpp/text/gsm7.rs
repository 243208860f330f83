//! The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038
//! 6.2.1 and 6.2.1.1), between `&str` and unpacked septets: one septet per
//! octet, the form SMPP carries for data_coding 0. Packing into 7-bit octet
//! streams lives in `gsm7_pack`.
//!
//! Both directions use const lookup tables built at compile time from the
//! one character table below, so encode and decode cannot disagree.
//!
//! Decoding never fails on a valid septet value:
//! - ESC followed by a code the extension table does not define shows the
//!   default-alphabet character of that code (TS 23.038 6.2.1.1).
//! - ESC ESC, reserved for a further extension table, shows a space
//!   (TS 23.038 6.2.1.1, note on 0x1B).
//! - A lone ESC at the end shows a space (TS 23.038 6.2.1, note on 0x1B: an
//!   entity that does not understand the escape shows a space).

use super::encoding::Encoding;
use super::error::{DecodeError, EncodeError};

/// The escape septet to the extension table (TS 23.038 6.2.1, code 0x1B).
pub const ESC: u8 = 0x1B;

/// Carriage return, also the padding septet of TS 23.038 6.1.2.1.1.
pub const CR: u8 = 0x0D;

/// The default alphabet, indexed by septet (TS 23.038 6.2.1). Code 0x1B is
/// the escape; it decodes to a space when nothing valid follows. Code 0x09
/// is the capital Ç, as in the spec's table; the small ç has no code.
const BASIC: [char; 128] = [
    // 0x00
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', // 0x10
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É', // 0x20
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', // 0x30
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', // 0x40
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', // 0x50
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', // 0x60
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', // 0x70
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
];

/// The extension table (TS 23.038 6.2.1.1): code after ESC, character.
/// 0x0A is the page break, mapped to U+000C FORM FEED.
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{000C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// Extension decode table indexed by the code after ESC.
const EXT_DECODE: [Option<char>; 128] = build_ext_decode();

const fn build_ext_decode() -> [Option<char>; 128] {
    let mut t = [None; 128];
    let mut i = 0;
    while i < EXTENSION.len() {
        let (code, ch) = EXTENSION[i];
        t[code as usize] = Some(ch);
        i += 1;
    }
    t
}

/// No GSM code for this character.
const NO_CODE: u16 = 0xFFFF;
/// Set on reverse-table entries that need ESC first.
const EXT_FLAG: u16 = 0x0100;
/// Every default-alphabet and extension character except '€' is below this.
const REVERSE_LIMIT: usize = 0x0400;

/// Character to septet for U+0000..U+03FF; '€' (U+20AC) is handled apart.
const REVERSE: [u16; REVERSE_LIMIT] = build_reverse();

const fn build_reverse() -> [u16; REVERSE_LIMIT] {
    let mut t = [NO_CODE; REVERSE_LIMIT];
    let mut i = 0;
    while i < BASIC.len() {
        let c = BASIC[i] as usize;
        // 0x1B is the escape, not a second code for the space.
        if i != ESC as usize && c < REVERSE_LIMIT {
            t[c] = i as u16;
        }
        i += 1;
    }
    let mut j = 0;
    while j < EXTENSION.len() {
        let (code, ch) = EXTENSION[j];
        let c = ch as usize;
        if c < REVERSE_LIMIT {
            t[c] = EXT_FLAG | code as u16;
        }
        j += 1;
    }
    t
}

/// How one character is written in GSM 7-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gsm7Char {
    /// One septet of the default alphabet (TS 23.038 6.2.1).
    Basic(u8),
    /// ESC then this code of the extension table (TS 23.038 6.2.1.1): two
    /// septets, never split across message parts.
    Extended(u8),
}

impl Gsm7Char {
    /// Septets this character takes: 1 or 2.
    pub const fn septets(self) -> usize {
        match self {
            Gsm7Char::Basic(_) => 1,
            Gsm7Char::Extended(_) => 2,
        }
    }
}

/// The GSM code of `c`, or `None` when it is in neither table.
#[inline]
pub fn lookup(c: char) -> Option<Gsm7Char> {
    let entry = match REVERSE.get(c as usize) {
        Some(&e) => e,
        None if c == '€' => return Some(Gsm7Char::Extended(0x65)),
        None => return None,
    };
    if entry == NO_CODE {
        None
    } else if entry & EXT_FLAG != 0 {
        Some(Gsm7Char::Extended((entry & 0x7F) as u8))
    } else {
        Some(Gsm7Char::Basic((entry & 0x7F) as u8))
    }
}

/// Septets needed for `text`, extension characters counting 2, or `None`
/// when some character cannot be written in GSM 7-bit.
pub fn septet_len(text: &str) -> Option<usize> {
    text.chars().try_fold(0usize, |n, c| lookup(c).map(|g| n + g.septets()))
}

/// Appends the unpacked septets of `text` to `out`.
pub fn encode_unpacked_into(text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.reserve(text.len());
    for (at, ch) in text.char_indices() {
        match lookup(ch) {
            Some(Gsm7Char::Basic(s)) => out.push(s),
            Some(Gsm7Char::Extended(s)) => out.extend_from_slice(&[ESC, s]),
            None => return Err(EncodeError::Unrepresentable { encoding: Encoding::Gsm7, ch, at }),
        }
    }
    Ok(())
}

/// The unpacked septets of `text`.
pub fn encode_unpacked(text: &str) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_unpacked_into(text, &mut out)?;
    Ok(out)
}

/// The character of a default-alphabet septet; the escape code gives a space.
#[inline]
fn basic_char(septet: u8) -> char {
    BASIC[(septet & 0x7F) as usize]
}

/// Appends the text of unpacked septets to `out`. Fails only on an octet
/// above 0x7F; escape handling follows the module doc.
pub fn decode_unpacked_into(septets: &[u8], out: &mut String) -> Result<(), DecodeError> {
    out.reserve(septets.len());
    let mut iter = septets.iter().copied().enumerate();
    while let Some((at, s)) = iter.next() {
        if s > 0x7F {
            return Err(DecodeError::SeptetOutOfRange { value: s, at });
        }
        if s != ESC {
            out.push(basic_char(s));
            continue;
        }
        match iter.next() {
            // TS 23.038 6.2.1: a trailing escape shows as a space.
            None => out.push(' '),
            Some((at, next)) if next > 0x7F => {
                return Err(DecodeError::SeptetOutOfRange { value: next, at });
            }
            // TS 23.038 6.2.1.1: ESC ESC is reserved; show a space.
            Some((_, ESC)) => out.push(' '),
            // TS 23.038 6.2.1.1: an undefined extension code shows the
            // default-alphabet character of that code.
            Some((_, next)) => out.push(EXT_DECODE[(next & 0x7F) as usize].unwrap_or(basic_char(next))),
        }
    }
    Ok(())
}

/// The text of unpacked septets.
pub fn decode_unpacked(septets: &[u8]) -> Result<String, DecodeError> {
    let mut out = String::new();
    decode_unpacked_into(septets, &mut out)?;
    Ok(out)
}

/// Every character GSM 7-bit can write: the default alphabet (less the
/// escape) and the extension table. For tests.
#[cfg(test)]
pub(super) fn alphabet() -> impl Iterator<Item = char> {
    (0u8..128).filter(|&c| c != ESC).map(basic_char).chain(EXTENSION.iter().map(|&(_, ch)| ch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_default_alphabet_round_trips() {
        for code in 0u8..128 {
            if code == ESC {
                continue;
            }
            let ch = basic_char(code);
            assert_eq!(lookup(ch), Some(Gsm7Char::Basic(code)), "code {code:#04x} {ch:?}");
            let s = ch.to_string();
            assert_eq!(encode_unpacked(&s).unwrap(), vec![code]);
            assert_eq!(decode_unpacked(&[code]).unwrap(), s);
        }
    }

    #[test]
    fn whole_extension_table_round_trips() {
        for (code, ch) in EXTENSION {
            let s = ch.to_string();
            assert_eq!(encode_unpacked(&s).unwrap(), vec![ESC, code], "{ch:?}");
            assert_eq!(decode_unpacked(&[ESC, code]).unwrap(), s);
            assert_eq!(septet_len(&s), Some(2));
        }
        assert_eq!(encode_unpacked("€").unwrap(), vec![0x1B, 0x65]);
        assert_eq!(encode_unpacked("\u{000C}").unwrap(), vec![0x1B, 0x0A]);
    }

    #[test]
    fn every_character_in_one_string() {
        let mut all = String::new();
        for code in 0u8..128 {
            if code != ESC {
                all.push(basic_char(code));
            }
        }
        for (_, ch) in EXTENSION {
            all.push(ch);
        }
        assert_eq!(septet_len(&all), Some(127 + 20));
        let septets = encode_unpacked(&all).unwrap();
        assert_eq!(decode_unpacked(&septets).unwrap(), all);
    }

    #[test]
    fn unsupported_characters_are_errors() {
        let err = encode_unpacked("ab✓").unwrap_err();
        assert_eq!(err, EncodeError::Unrepresentable { encoding: Encoding::Gsm7, ch: '✓', at: 2 });
        assert!(lookup('ç').is_none(), "only the capital Ç is in the default alphabet");
        assert!(lookup('`').is_none());
        assert_eq!(septet_len("a😀"), None);
    }

    #[test]
    fn escape_fallbacks_follow_the_spec() {
        // Undefined extension code 0x41 shows the default 'A'.
        assert_eq!(decode_unpacked(&[ESC, 0x41]).unwrap(), "A");
        // ESC ESC is reserved: a space, then the next code decodes normally.
        assert_eq!(decode_unpacked(&[ESC, ESC, 0x41]).unwrap(), " A");
        // A lone trailing escape.
        assert_eq!(decode_unpacked(&[0x41, ESC]).unwrap(), "A ");
        assert_eq!(
            decode_unpacked(&[0x41, 0x80]).unwrap_err(),
            DecodeError::SeptetOutOfRange { value: 0x80, at: 1 }
        );
        assert_eq!(
            decode_unpacked(&[ESC, 0xFF]).unwrap_err(),
            DecodeError::SeptetOutOfRange { value: 0xFF, at: 1 }
        );
    }
}
