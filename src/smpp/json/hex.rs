//! Hex text to octets and back, as operators paste it: upper or lower
//! case, optional `0x`, spaces, tabs and colons between digits ignored.

use super::error::HexError;

/// Lower-case hex of `octets`, no separators.
pub fn to_hex(octets: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(octets.len() * 2);
    for &b in octets {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    out
}

/// The octets of `text`: hex digit pairs, optionally after `0x`, with
/// spaces, tabs and colons allowed anywhere between digits.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let trimmed = text.trim();
    let body = trimmed.strip_prefix("0x").or_else(|| trimmed.strip_prefix("0X")).unwrap_or(trimmed);
    let offset = text.len() - text.trim_start().len() + (trimmed.len() - body.len());
    let mut out = Vec::with_capacity(body.len() / 2);
    let mut high: Option<u8> = None;
    for (i, c) in body.char_indices() {
        if matches!(c, ' ' | '\t' | ':') {
            continue;
        }
        let digit = c.to_digit(16).ok_or(HexError::BadDigit { ch: c, at: offset + i })?;
        // to_digit(16) is below 16, so it fits an octet.
        let digit = u8::try_from(digit).unwrap_or(0);
        match high.take() {
            Some(h) => out.push(h << 4 | digit),
            None => high = Some(digit),
        }
    }
    if high.is_some() {
        return Err(HexError::OddDigits);
    }
    if out.is_empty() {
        return Err(HexError::Empty);
    }
    Ok(out)
}

/// Like [`parse_hex`], but an empty string is no octets.
pub fn parse_hex_or_empty(text: &str) -> Result<Vec<u8>, HexError> {
    match parse_hex(text) {
        Err(HexError::Empty) => Ok(Vec::new()),
        other => other,
    }
}
