//! Splitting a message into SMPP short messages: UDH concatenation with an
//! 8-bit or 16-bit reference (TS 23.040 9.2.3.24.1, 9.2.3.24.8), SAR TLVs
//! (SMPP v3.4 5.3.2.22-24), or one message_payload (SMPP v3.4 5.3.2.32).
//!
//! A message that fits one short message (160 septets, 140 octets, 70
//! UCS-2 units: TS 23.040 9.2.3.16, TP-UDL of 140 octets) is sent as one
//! part without any concatenation header, whatever the mode.
//!
//! Part boundaries never split a GSM escape pair (TS 23.038 6.2.1.1) or a
//! UTF-16 surrogate pair, so every part decodes on its own.
//!
//! SAR capacity: SMPP does not say how much text a SAR segment carries;
//! the short_message field allows 254 octets. But each segment becomes one
//! air-interface SM, and the SMSC must add the concatenation IE to it
//! (TS 23.040 9.2.3.24.1), inside the same 140 octets. sar_msg_ref_num is
//! 16 bits, so the one mapping that never loses the reference is the 16-bit
//! IE, which leaves 152 septets / 133 octets / 66 UCS-2 units. That is
//! simgate's default ([`PartCapacity::UDH16`]); [`PartCapacity::UDH8`]
//! (153/134/67) suits SMSCs known to use the 8-bit IE, and
//! [`PartCapacity::SINGLE`] (160/140/70) only SMSCs that re-segment.
//!
//! References are supplied by the caller; nothing here is random.

use std::ops::Range;

use super::encoding::Encoding;
use super::error::{EncodeError, SplitError};
use super::gsm7::ESC;
use super::gsm7_pack::{fill_bits_after_udh, pack_septets_into};
use super::ucs2;
use super::udh::{CONCAT_16_UDH_LEN, concat8_udh, concat16_udh};

/// How the parts of a long message are tied together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concatenation {
    /// UDH IEI 0x00, `05 00 03 ref total seq` (TS 23.040 9.2.3.24.1). The
    /// caller sets UDHI (esm_class 0x40) on parts with a UDH.
    Udh8 {
        /// The caller's reference for this message.
        reference: u8,
    },
    /// UDH IEI 0x08, `06 08 04 ref_hi ref_lo total seq` (TS 23.040 9.2.3.24.8).
    Udh16 {
        /// The caller's reference for this message.
        reference: u16,
    },
    /// sar_msg_ref_num, sar_total_segments and sar_segment_seqnum TLVs,
    /// never combined with a UDH (SMPP v3.4 5.3.2.22-24).
    Sar {
        /// The caller's sar_msg_ref_num.
        reference: u16,
    },
    /// No split: one part for the message_payload TLV (SMPP v3.4 5.3.2.32).
    Payload,
}

/// How GSM 7-bit parts are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Gsm7Form {
    /// One septet per octet, the SMPP norm for data_coding 0.
    #[default]
    Unpacked,
    /// Packed 7-bit (TS 23.038 6.1.2.1), with fill bits after a UDH.
    Packed,
}

/// Text one part carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartCapacity {
    /// GSM 7-bit septets.
    pub gsm7_septets: usize,
    /// Octets of 8-bit, Latin-1 or IA5 data; UCS-2 carries half as many
    /// 16-bit units.
    pub octets: usize,
}

impl PartCapacity {
    /// No UDH: 140 octets of TP-UD (TS 23.040 9.2.3.16).
    pub const SINGLE: Self = Self { gsm7_septets: 160, octets: 140 };
    /// After the 6-octet 8-bit concatenation UDH (and 1 fill bit).
    pub const UDH8: Self = Self { gsm7_septets: 153, octets: 134 };
    /// After the 7-octet 16-bit concatenation UDH: 56 bits are exactly 8
    /// septets, so 152 remain. (The text of TS 23.040 9.2.3.24.8 says
    /// "151 (160 - 9)"; the arithmetic of 9.2.3.24 gives 152, which is
    /// what handsets accept.)
    pub const UDH16: Self = Self { gsm7_septets: 152, octets: 133 };

    /// Capacity in the encoding's own unit: septets, octets or UCS-2 units.
    pub const fn units(self, encoding: Encoding) -> usize {
        match encoding {
            Encoding::Gsm7 => self.gsm7_septets,
            Encoding::Ucs2 => self.octets / 2,
            Encoding::Ia5 | Encoding::Latin1 | Encoding::Binary => self.octets,
        }
    }

    fn validate(self) -> Result<Self, SplitError> {
        if (2..=254).contains(&self.gsm7_septets) && (4..=254).contains(&self.octets) {
            Ok(self)
        } else {
            Err(SplitError::InvalidCapacity { septets: self.gsm7_septets, octets: self.octets })
        }
    }
}

/// Splitter settings that do not change per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitConfig {
    /// Unpacked (default) or packed GSM 7-bit parts.
    pub gsm7_form: Gsm7Form,
    /// Per-part capacity in SAR mode; see the module doc for the default.
    pub sar_capacity: PartCapacity,
    /// Largest input accepted, in octets (UTF-8 for text), checked before
    /// any work. Default 65 536, the message_payload ceiling.
    pub max_input_octets: usize,
    /// Most parts per message; 255 is the protocol ceiling (one-octet
    /// total, TS 23.040 9.2.3.24.1 and SMPP v3.4 5.3.2.23).
    pub max_parts: u8,
}

impl Default for SplitConfig {
    fn default() -> Self {
        Self {
            gsm7_form: Gsm7Form::Unpacked,
            sar_capacity: PartCapacity::UDH16,
            max_input_octets: 64 * 1024,
            max_parts: u8::MAX,
        }
    }
}

/// The SAR TLV values of one part (SMPP v3.4 5.3.2.22-24).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SarSegment {
    /// sar_msg_ref_num.
    pub msg_ref_num: u16,
    /// sar_total_segments.
    pub total_segments: u8,
    /// sar_segment_seqnum, 1-based.
    pub segment_seqnum: u8,
}

/// One short message of a split message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The short_message (or message_payload) octets: the UDH first when
    /// `udh_len > 0`, then the encoded text.
    pub user_data: Vec<u8>,
    /// Octets of UDH at the start of `user_data`; when non-zero the caller
    /// sets UDHI (0x40) in esm_class.
    pub udh_len: usize,
    /// SAR TLV values, in SAR mode with more than one part.
    pub sar: Option<SarSegment>,
    /// Text carried, in the encoding's unit (septets, octets, UCS-2 units).
    pub units: usize,
}

impl Part {
    /// True when the caller must set UDHI (esm_class 0x40).
    pub const fn udhi(&self) -> bool {
        self.udh_len > 0
    }
}

/// What a boundary must not fall after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Unpacked septets: not after an ESC.
    Septets,
    /// Octets: anywhere.
    Octets,
    /// Big-endian UTF-16: not after a high surrogate.
    Utf16,
}

impl Body {
    const fn unit_octets(self) -> usize {
        match self {
            Body::Utf16 => 2,
            Body::Septets | Body::Octets => 1,
        }
    }
}

fn encode_body(text: &str, encoding: Encoding, out: &mut Vec<u8>) -> Result<Body, EncodeError> {
    encoding.encode_into(text, out)?;
    Ok(match encoding {
        Encoding::Gsm7 => Body::Septets,
        Encoding::Ucs2 => Body::Utf16,
        Encoding::Ia5 | Encoding::Latin1 | Encoding::Binary => Body::Octets,
    })
}

/// Part ranges of `body`, in octets of the body.
fn plan(
    body: &[u8],
    kind: Body,
    encoding: Encoding,
    concat: Concatenation,
    config: &SplitConfig,
) -> Result<Vec<Range<usize>>, SplitError> {
    let unit = kind.unit_octets();
    let single = PartCapacity::SINGLE.units(encoding) * unit;
    if body.len() <= single || concat == Concatenation::Payload {
        return Ok(std::iter::once(0..body.len()).collect());
    }
    let capacity = match concat {
        Concatenation::Udh8 { .. } => PartCapacity::UDH8,
        Concatenation::Udh16 { .. } => PartCapacity::UDH16,
        Concatenation::Sar { .. } | Concatenation::Payload => config.sar_capacity.validate()?,
    };
    let per_part = capacity.units(encoding) * unit;
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < body.len() {
        if ranges.len() >= usize::from(config.max_parts) {
            return Err(SplitError::TooManyParts { max: config.max_parts });
        }
        let mut end = start.saturating_add(per_part).min(body.len());
        if end < body.len() {
            end = match kind {
                // TS 23.038 6.2.1.1: ESC and its code stay together.
                Body::Septets if body.get(end.saturating_sub(1)) == Some(&ESC) => end - 1,
                Body::Utf16 => match body.get(end.saturating_sub(2)..end) {
                    Some(&[hi, lo]) if ucs2::is_high_surrogate(u16::from_be_bytes([hi, lo])) => end - 2,
                    _ => end,
                },
                _ => end,
            };
        }
        if end <= start {
            return Err(SplitError::InvalidCapacity {
                septets: capacity.gsm7_septets,
                octets: capacity.octets,
            });
        }
        ranges.push(start..end);
        start = end;
    }
    Ok(ranges)
}

fn build(
    body: &[u8],
    kind: Body,
    ranges: Vec<Range<usize>>,
    concat: Concatenation,
    config: &SplitConfig,
) -> Result<Vec<Part>, SplitError> {
    let max = config.max_parts;
    let total = u8::try_from(ranges.len()).map_err(|_| SplitError::TooManyParts { max })?;
    let mut parts = Vec::with_capacity(ranges.len());
    for (seq, range) in (1..=total).zip(ranges) {
        let slice = body.get(range).unwrap_or_default();
        let mut user_data = Vec::with_capacity(slice.len() + CONCAT_16_UDH_LEN);
        let mut sar = None;
        if total > 1 {
            match concat {
                Concatenation::Udh8 { reference } => {
                    user_data.extend_from_slice(&concat8_udh(reference, total, seq));
                }
                Concatenation::Udh16 { reference } => {
                    user_data.extend_from_slice(&concat16_udh(reference, total, seq));
                }
                Concatenation::Sar { reference } => {
                    sar = Some(SarSegment {
                        msg_ref_num: reference,
                        total_segments: total,
                        segment_seqnum: seq,
                    });
                }
                Concatenation::Payload => {}
            }
        }
        let udh_len = user_data.len();
        if kind == Body::Septets && config.gsm7_form == Gsm7Form::Packed {
            // fill_bits_after_udh is at most 6, so packing cannot fail.
            let _ = pack_septets_into(slice, fill_bits_after_udh(udh_len), &mut user_data);
        } else {
            user_data.extend_from_slice(slice);
        }
        parts.push(Part { user_data, udh_len, sar, units: slice.len() / kind.unit_octets() });
    }
    Ok(parts)
}

/// Splits `text`, written in `encoding`, into parts.
///
/// Errors: the text is longer than `config.max_input_octets`, a character
/// does not exist in `encoding` (or `encoding` is binary), or more than
/// `config.max_parts` parts would be needed.
pub fn split_text(
    text: &str,
    encoding: Encoding,
    concat: Concatenation,
    config: &SplitConfig,
) -> Result<Vec<Part>, SplitError> {
    if text.len() > config.max_input_octets {
        return Err(SplitError::TooLong { len: text.len(), max: config.max_input_octets });
    }
    let mut body = Vec::with_capacity(text.len().saturating_mul(2));
    let kind = encode_body(text, encoding, &mut body)?;
    let ranges = plan(&body, kind, encoding, concat, config)?;
    build(&body, kind, ranges, concat, config)
}

/// Splits 8-bit binary data (data_coding 2/4) into parts at any octet.
pub fn split_binary(
    data: &[u8],
    concat: Concatenation,
    config: &SplitConfig,
) -> Result<Vec<Part>, SplitError> {
    if data.len() > config.max_input_octets {
        return Err(SplitError::TooLong { len: data.len(), max: config.max_input_octets });
    }
    let ranges = plan(data, Body::Octets, Encoding::Binary, concat, config)?;
    build(data, Body::Octets, ranges, concat, config)
}

/// How many parts `text` needs, without building them.
pub fn count_parts(
    text: &str,
    encoding: Encoding,
    concat: Concatenation,
    config: &SplitConfig,
) -> Result<usize, SplitError> {
    if text.len() > config.max_input_octets {
        return Err(SplitError::TooLong { len: text.len(), max: config.max_input_octets });
    }
    let mut body = Vec::new();
    let kind = encode_body(text, encoding, &mut body)?;
    Ok(plan(&body, kind, encoding, concat, config)?.len())
}

#[cfg(test)]
#[path = "split_tests.rs"]
mod tests;
