//! Which alphabet a short message uses: the [`Encoding`] enum, its mapping
//! to and from SMPP data_coding (SMPP v3.4 5.2.19, with the TS 23.038
//! section 4 coding groups above 0x0F), and the chooser that picks the
//! cheapest alphabet able to carry a text.

use super::error::{DecodeError, EncodeError};
use super::{gsm7, latin1, ucs2};

/// The alphabet of a short message's user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// GSM 7-bit default alphabet with extension (TS 23.038 6.2.1).
    Gsm7,
    /// IA5 / US-ASCII (SMPP data_coding 1).
    Ia5,
    /// ISO-8859-1 (SMPP data_coding 3).
    Latin1,
    /// UCS-2, as big-endian UTF-16 (data_coding 8).
    Ucs2,
    /// 8-bit data, octets as-is (data_coding 2 or 4).
    Binary,
}

impl Encoding {
    /// The data_coding simgate sends for this encoding (SMPP v3.4 5.2.19):
    /// 0 (SMSC default, GSM 03.38), 1, 3, 8, and 4 for binary.
    pub const fn data_coding(self) -> u8 {
        match self {
            Encoding::Gsm7 => 0x00,
            Encoding::Ia5 => 0x01,
            Encoding::Latin1 => 0x03,
            Encoding::Ucs2 => 0x08,
            Encoding::Binary => 0x04,
        }
    }

    /// Appends `text` in this encoding to `out`: unpacked septets for
    /// GSM 7-bit (the SMPP norm for data_coding 0), big-endian UTF-16 for
    /// UCS-2. Binary is not a text encoding.
    pub fn encode_into(self, text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Encoding::Gsm7 => gsm7::encode_unpacked_into(text, out),
            Encoding::Ia5 => latin1::encode_ia5_into(text, out),
            Encoding::Latin1 => latin1::encode_latin1_into(text, out),
            Encoding::Ucs2 => {
                ucs2::encode_ucs2_into(text, out);
                Ok(())
            }
            Encoding::Binary => Err(EncodeError::NotText),
        }
    }

    /// The text of `data` in this encoding (unpacked septets for GSM
    /// 7-bit; unpack packed data with `gsm7_pack` first). Binary is not
    /// a text encoding.
    pub fn decode(self, data: &[u8]) -> Result<String, DecodeError> {
        match self {
            Encoding::Gsm7 => gsm7::decode_unpacked(data),
            Encoding::Ia5 => latin1::decode_ia5(data),
            Encoding::Latin1 => Ok(latin1::decode_latin1(data)),
            Encoding::Ucs2 => ucs2::decode_ucs2(data),
            Encoding::Binary => Err(DecodeError::NotText),
        }
    }

    /// The encoding of a received data_coding, or `None` for alphabets
    /// simgate does not decode (JIS, Cyrillic, Hebrew, Korean, reserved and
    /// compressed groups).
    ///
    /// - 0x00-0x0F: SMPP v3.4 5.2.19 values.
    /// - 0x10-0x3F: TS 23.038 section 4 general data coding, and 0x40-0x7F
    ///   its automatic-deletion twin: uncompressed only (bit 5 clear); bits
    ///   3-2 give the alphabet. SMPP v3.4 calls these values reserved, but
    ///   SMSCs pass the TS 23.038 DCS through.
    /// - 0x80-0xBF: reserved coding groups.
    /// - 0xC0-0xDF: message waiting groups, GSM 7-bit; 0xE0-0xEF: UCS-2.
    /// - 0xF0-0xFF: data coding/message class; bit 2 gives GSM 7-bit or
    ///   8-bit (0xF6 is 8-bit class 2, SIM data download).
    pub const fn from_data_coding(dc: u8) -> Option<Encoding> {
        match dc {
            0x00 => Some(Encoding::Gsm7),
            0x01 => Some(Encoding::Ia5),
            0x02 | 0x04 => Some(Encoding::Binary),
            0x03 => Some(Encoding::Latin1),
            0x08 => Some(Encoding::Ucs2),
            0x05..=0x07 | 0x09..=0x0F => None,
            0x10..=0x7F => {
                if dc & 0x20 != 0 {
                    return None;
                }
                match (dc >> 2) & 0x03 {
                    0 => Some(Encoding::Gsm7),
                    1 => Some(Encoding::Binary),
                    2 => Some(Encoding::Ucs2),
                    _ => None,
                }
            }
            0xC0..=0xDF => Some(Encoding::Gsm7),
            0xE0..=0xEF => Some(Encoding::Ucs2),
            0xF0..=0xFF => {
                if dc & 0x04 == 0 {
                    Some(Encoding::Gsm7)
                } else {
                    Some(Encoding::Binary)
                }
            }
            _ => None,
        }
    }
}

/// What the chooser may pick besides GSM 7-bit and UCS-2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChooserConfig {
    /// Allow Latin-1 (data_coding 3). Off by default: many SMSCs and
    /// handsets do not carry it end to end.
    pub allow_latin1: bool,
}

/// The chooser's answer, with the length of the text in every encoding
/// that can carry it, so the caller can work out part counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingChoice {
    /// The encoding picked.
    pub encoding: Encoding,
    /// Septets in GSM 7-bit (extension characters count 2), if representable.
    pub gsm7_septets: Option<usize>,
    /// Octets in Latin-1, if representable.
    pub latin1_octets: Option<usize>,
    /// 16-bit units in UCS-2 (always representable).
    pub ucs2_units: usize,
}

impl EncodingChoice {
    /// Length of the text in the picked encoding, in its own unit
    /// (septets, octets or UCS-2 units).
    pub fn units(&self) -> usize {
        match self.encoding {
            Encoding::Gsm7 => self.gsm7_septets.unwrap_or(0),
            Encoding::Latin1 | Encoding::Ia5 | Encoding::Binary => self.latin1_octets.unwrap_or(0),
            Encoding::Ucs2 => self.ucs2_units,
        }
    }
}

/// The cheapest encoding for `text`: GSM 7-bit when every character is in
/// the default alphabet or extension table (TS 23.038 6.2.1, 6.2.1.1);
/// else Latin-1 when allowed and possible; else UCS-2.
///
/// With Latin-1 allowed, it also wins over GSM 7-bit when it carries the
/// text in fewer bits per part: a single part holds 160 septets or 140
/// octets, so Latin-1 wins when `septets * 140 > octets * 160`, which only
/// happens with many extension characters.
pub fn choose_encoding(text: &str, config: ChooserConfig) -> EncodingChoice {
    // One pass over the text for every length.
    let mut gsm7_septets = Some(0usize);
    let mut latin1_octets = config.allow_latin1.then_some(0usize);
    let mut ucs2_units = 0usize;
    for c in text.chars() {
        gsm7_septets = gsm7_septets.and_then(|n| gsm7::lookup(c).map(|g| n + g.septets()));
        latin1_octets = latin1_octets.filter(|_| u32::from(c) <= 0xFF).map(|n| n + 1);
        ucs2_units += c.len_utf16();
    }
    let encoding = match (gsm7_septets, latin1_octets) {
        (Some(s), Some(o)) if s.saturating_mul(140) > o.saturating_mul(160) => Encoding::Latin1,
        (Some(_), _) => Encoding::Gsm7,
        (None, Some(_)) => Encoding::Latin1,
        (None, None) => Encoding::Ucs2,
    };
    EncodingChoice { encoding, gsm7_septets, latin1_octets, ucs2_units }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LATIN1: ChooserConfig = ChooserConfig { allow_latin1: true };

    #[test]
    fn gsm_text_stays_gsm7() {
        let c = choose_encoding("Hello {world} €5", ChooserConfig::default());
        assert_eq!(c.encoding, Encoding::Gsm7);
        assert_eq!(c.gsm7_septets, Some(19));
        assert_eq!(c.ucs2_units, 16);
        assert_eq!(c.units(), 19);
        assert_eq!(choose_encoding("", ChooserConfig::default()).encoding, Encoding::Gsm7);
    }

    #[test]
    fn non_gsm_text_goes_ucs2_or_latin1() {
        let c = choose_encoding("naïve", ChooserConfig::default());
        assert_eq!(c.encoding, Encoding::Ucs2);
        assert_eq!(c.gsm7_septets, None);
        assert_eq!(c.latin1_octets, None);
        let c = choose_encoding("naïve", LATIN1);
        assert_eq!(c.encoding, Encoding::Latin1);
        assert_eq!(c.latin1_octets, Some(5));
        let c = choose_encoding("naïve 😀", LATIN1);
        assert_eq!(c.encoding, Encoding::Ucs2);
        assert_eq!(c.ucs2_units, 8);
    }

    #[test]
    fn latin1_wins_over_gsm7_only_with_many_extension_characters() {
        assert_eq!(choose_encoding("plain text", LATIN1).encoding, Encoding::Gsm7);
        let braces = "{}".repeat(70);
        assert_eq!(choose_encoding(&braces, LATIN1).encoding, Encoding::Latin1);
        assert_eq!(choose_encoding(&braces, ChooserConfig::default()).encoding, Encoding::Gsm7);
    }

    #[test]
    fn encode_and_decode_by_encoding() {
        for (e, text) in [
            (Encoding::Gsm7, "a{€}"),
            (Encoding::Ia5, "plain"),
            (Encoding::Latin1, "café"),
            (Encoding::Ucs2, "Привет 😀"),
        ] {
            let mut out = Vec::new();
            e.encode_into(text, &mut out).unwrap();
            assert_eq!(e.decode(&out).unwrap(), text, "{e:?}");
        }
        assert_eq!(Encoding::Binary.encode_into("x", &mut Vec::new()), Err(EncodeError::NotText));
        assert_eq!(Encoding::Binary.decode(b"x"), Err(DecodeError::NotText));
    }

    #[test]
    fn data_coding_mapping() {
        for e in [Encoding::Gsm7, Encoding::Ia5, Encoding::Latin1, Encoding::Ucs2, Encoding::Binary] {
            assert_eq!(Encoding::from_data_coding(e.data_coding()), Some(e));
        }
        assert_eq!(Encoding::from_data_coding(0x02), Some(Encoding::Binary));
        assert_eq!(Encoding::from_data_coding(0xF6), Some(Encoding::Binary));
        assert_eq!(Encoding::from_data_coding(0xF0), Some(Encoding::Gsm7));
        assert_eq!(Encoding::from_data_coding(0x16), Some(Encoding::Binary));
        assert_eq!(Encoding::from_data_coding(0x18), Some(Encoding::Ucs2));
        assert_eq!(Encoding::from_data_coding(0x11), Some(Encoding::Gsm7));
        assert_eq!(Encoding::from_data_coding(0x30), None, "compressed");
        assert_eq!(Encoding::from_data_coding(0x06), None, "Cyrillic");
        assert_eq!(Encoding::from_data_coding(0x80), None, "reserved");
        assert_eq!(Encoding::from_data_coding(0x48), Some(Encoding::Ucs2), "automatic deletion group");
        assert_eq!(Encoding::from_data_coding(0xC8), Some(Encoding::Gsm7), "message waiting, store");
        assert_eq!(Encoding::from_data_coding(0xE8), Some(Encoding::Ucs2), "message waiting, UCS-2");
        for dc in 0..=255u8 {
            let _ = Encoding::from_data_coding(dc);
        }
    }
}
