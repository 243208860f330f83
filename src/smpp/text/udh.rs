//! The user data header (3GPP TS 23.040 9.2.3.24): parsing the information
//! elements of received user data when UDHI (esm_class 0x40) is set, and
//! writing the concatenation headers the splitter puts in front of parts.
//!
//! Parsing never panics. A UDHL or IE length running past the data is an
//! error. An IE simgate understands but whose length or values are not as
//! the spec defines is kept as [`InformationElement::Other`], which is how
//! TS 23.040 9.2.3.24.1 asks a receiver to ignore it; unknown IEs are kept
//! the same way so callers can still see them.

use super::error::UdhError;

/// IEI of concatenated short messages, 8-bit reference (TS 23.040 9.2.3.24.1).
pub const IEI_CONCAT_8: u8 = 0x00;
/// IEI of application port addressing, 8-bit ports (TS 23.040 9.2.3.24.3).
pub const IEI_PORT_8: u8 = 0x04;
/// IEI of application port addressing, 16-bit ports (TS 23.040 9.2.3.24.4).
pub const IEI_PORT_16: u8 = 0x05;
/// IEI of concatenated short messages, 16-bit reference (TS 23.040 9.2.3.24.8).
pub const IEI_CONCAT_16: u8 = 0x08;

/// Octets of a whole UDH carrying only the 8-bit concatenation IE:
/// `05 00 03 ref total seq`.
pub const CONCAT_8_UDH_LEN: usize = 6;
/// Octets of a whole UDH carrying only the 16-bit concatenation IE:
/// `06 08 04 ref_hi ref_lo total seq`.
pub const CONCAT_16_UDH_LEN: usize = 7;

/// One information element of a UDH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InformationElement {
    /// Concatenation with an 8-bit reference (TS 23.040 9.2.3.24.1).
    /// Invariant: `1 <= seq <= total`.
    Concat8 {
        /// Reference shared by all parts of one message.
        reference: u8,
        /// Number of parts, 1 to 255.
        total: u8,
        /// Position of this part, 1-based.
        seq: u8,
    },
    /// Concatenation with a 16-bit reference (TS 23.040 9.2.3.24.8).
    /// Invariant: `1 <= seq <= total`.
    Concat16 {
        /// Reference shared by all parts of one message.
        reference: u16,
        /// Number of parts, 1 to 255.
        total: u8,
        /// Position of this part, 1-based.
        seq: u8,
    },
    /// Application port addressing, 8-bit (TS 23.040 9.2.3.24.3).
    Port8 {
        /// Destination port.
        destination: u8,
        /// Originator port.
        source: u8,
    },
    /// Application port addressing, 16-bit (TS 23.040 9.2.3.24.4).
    Port16 {
        /// Destination port.
        destination: u16,
        /// Originator port.
        source: u16,
    },
    /// Any other IE, or a known one that is malformed, kept as received.
    Other {
        /// The IEI.
        iei: u8,
        /// The IE data (IEDL octets).
        data: Vec<u8>,
    },
}

impl InformationElement {
    fn from_wire(iei: u8, data: &[u8]) -> Self {
        match (iei, data) {
            // TS 23.040 9.2.3.24.1: total 0, seq 0 or seq > total: ignore.
            (IEI_CONCAT_8, &[reference, total, seq]) if seq >= 1 && seq <= total => {
                InformationElement::Concat8 { reference, total, seq }
            }
            (IEI_CONCAT_16, &[hi, lo, total, seq]) if seq >= 1 && seq <= total => {
                InformationElement::Concat16 { reference: u16::from_be_bytes([hi, lo]), total, seq }
            }
            (IEI_PORT_8, &[destination, source]) => InformationElement::Port8 { destination, source },
            (IEI_PORT_16, &[d_hi, d_lo, s_hi, s_lo]) => InformationElement::Port16 {
                destination: u16::from_be_bytes([d_hi, d_lo]),
                source: u16::from_be_bytes([s_hi, s_lo]),
            },
            _ => InformationElement::Other { iei, data: data.to_vec() },
        }
    }

    /// Appends IEI, IEDL and data to `out`.
    fn write(&self, out: &mut Vec<u8>) -> Result<(), UdhError> {
        match self {
            InformationElement::Concat8 { reference, total, seq } => {
                out.extend_from_slice(&[IEI_CONCAT_8, 3, *reference, *total, *seq]);
            }
            InformationElement::Concat16 { reference, total, seq } => {
                let [hi, lo] = reference.to_be_bytes();
                out.extend_from_slice(&[IEI_CONCAT_16, 4, hi, lo, *total, *seq]);
            }
            InformationElement::Port8 { destination, source } => {
                out.extend_from_slice(&[IEI_PORT_8, 2, *destination, *source]);
            }
            InformationElement::Port16 { destination, source } => {
                out.extend_from_slice(&[IEI_PORT_16, 4]);
                out.extend_from_slice(&destination.to_be_bytes());
                out.extend_from_slice(&source.to_be_bytes());
            }
            InformationElement::Other { iei, data } => {
                let len = u8::try_from(data.len()).map_err(|_| UdhError::TooLong { len: data.len() })?;
                out.extend_from_slice(&[*iei, len]);
                out.extend_from_slice(data);
            }
        }
        Ok(())
    }
}

/// The concatenation fields of one part, from either concatenation IE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcatInfo {
    /// The reference, tagged with its width.
    pub reference: ConcatRef,
    /// Number of parts.
    pub total: u8,
    /// Position of this part, 1-based.
    pub seq: u8,
}

/// The reference of a concatenated message. The width is part of the
/// identity: an 8-bit 7 and a 16-bit 7 are different messages, and so is a
/// SAR reference (SMPP v3.4 5.3.2.22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConcatRef {
    /// IEI 0x00 reference.
    Udh8(u8),
    /// IEI 0x08 reference.
    Udh16(u16),
    /// sar_msg_ref_num TLV.
    Sar(u16),
}

/// A parsed user data header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Udh {
    /// The IEs in the order received.
    pub elements: Vec<InformationElement>,
}

impl Udh {
    /// The concatenation IE, if any. When repeated, the last occurrence
    /// wins (TS 23.040 9.2.3.24).
    pub fn concat(&self) -> Option<ConcatInfo> {
        self.elements.iter().rev().find_map(|ie| match *ie {
            InformationElement::Concat8 { reference, total, seq } => {
                Some(ConcatInfo { reference: ConcatRef::Udh8(reference), total, seq })
            }
            InformationElement::Concat16 { reference, total, seq } => {
                Some(ConcatInfo { reference: ConcatRef::Udh16(reference), total, seq })
            }
            _ => None,
        })
    }

    /// Destination and source ports, if any (8-bit ports widened). The last
    /// occurrence wins.
    pub fn ports(&self) -> Option<(u16, u16)> {
        self.elements.iter().rev().find_map(|ie| match *ie {
            InformationElement::Port8 { destination, source } => {
                Some((u16::from(destination), u16::from(source)))
            }
            InformationElement::Port16 { destination, source } => Some((destination, source)),
            _ => None,
        })
    }

    /// Appends the header, UDHL octet first, to `out`.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), UdhError> {
        let start = out.len();
        out.push(0);
        for ie in &self.elements {
            ie.write(out)?;
        }
        let len = out.len() - start - 1;
        let udhl = u8::try_from(len).map_err(|_| UdhError::TooLong { len })?;
        if let Some(first) = out.get_mut(start) {
            *first = udhl;
        }
        Ok(())
    }
}

/// Splits user data whose UDHI is set into its header and the rest
/// (TS 23.040 9.2.3.24). The rest starts right after the header; for packed
/// GSM 7-bit data it still holds the fill bits
/// ([`super::gsm7_pack::fill_bits_after_udh`]).
pub fn parse_udh(user_data: &[u8]) -> Result<(Udh, &[u8]), UdhError> {
    let (&udhl, after) = user_data.split_first().ok_or(UdhError::Empty)?;
    let udhl = usize::from(udhl);
    if udhl > after.len() {
        return Err(UdhError::HeaderBeyondData { udhl, available: after.len() });
    }
    let (mut header, rest) = after.split_at(udhl);
    let mut elements = Vec::new();
    while let [iei, iedl, tail @ ..] = header {
        let length = usize::from(*iedl);
        if length > tail.len() {
            return Err(UdhError::ElementBeyondHeader { iei: *iei, length, available: tail.len() });
        }
        let (data, next) = tail.split_at(length);
        elements.push(InformationElement::from_wire(*iei, data));
        header = next;
    }
    if let [iei] = header {
        // An IEI with no IEDL: the header ends inside an element.
        return Err(UdhError::ElementBeyondHeader { iei: *iei, length: 1, available: 0 });
    }
    Ok((Udh { elements }, rest))
}

/// The 6-octet UDH `05 00 03 ref total seq` (TS 23.040 9.2.3.24.1).
pub const fn concat8_udh(reference: u8, total: u8, seq: u8) -> [u8; CONCAT_8_UDH_LEN] {
    [5, IEI_CONCAT_8, 3, reference, total, seq]
}

/// The 7-octet UDH `06 08 04 ref_hi ref_lo total seq` (TS 23.040 9.2.3.24.8).
pub const fn concat16_udh(reference: u16, total: u8, seq: u8) -> [u8; CONCAT_16_UDH_LEN] {
    let [hi, lo] = reference.to_be_bytes();
    [6, IEI_CONCAT_16, 4, hi, lo, total, seq]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_concat_and_ports_and_keeps_unknown() {
        let ud = [
            0x10, // UDHL 16
            0x00, 0x03, 0x2A, 0x03, 0x02, // concat 8: ref 42, 2 of 3
            0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, // ports 2948 <- 9200
            0x70, 0x00, // IEI 0x70, empty (OTA command packet)
            0x24, 0x01, 0x01, // national language single shift
            b'h', b'i',
        ];
        let (udh, rest) = parse_udh(&ud).unwrap();
        assert_eq!(rest, b"hi");
        assert_eq!(udh.elements.len(), 4);
        assert_eq!(udh.concat(), Some(ConcatInfo { reference: ConcatRef::Udh8(42), total: 3, seq: 2 }));
        assert_eq!(udh.ports(), Some((2948, 9200)));
        assert_eq!(udh.elements[2], InformationElement::Other { iei: 0x70, data: vec![] });
        let mut again = Vec::new();
        udh.write(&mut again).unwrap();
        assert_eq!(again, ud[..17]);
    }

    #[test]
    fn concat16_and_port8() {
        let ud = [0x0A, 0x08, 0x04, 0x12, 0x34, 0x05, 0x05, 0x04, 0x02, 0x10, 0x20, 0xAA];
        let (udh, rest) = parse_udh(&ud).unwrap();
        assert_eq!(rest, [0xAA]);
        assert_eq!(udh.concat(), Some(ConcatInfo { reference: ConcatRef::Udh16(0x1234), total: 5, seq: 5 }));
        assert_eq!(udh.ports(), Some((0x10, 0x20)));
    }

    #[test]
    fn invalid_concat_values_are_ignored_as_other() {
        for bad in [[0u8, 0], [1, 0], [2, 3]] {
            let ud = [0x05, 0x00, 0x03, 0x01, bad[0], bad[1]];
            let (udh, _) = parse_udh(&ud).unwrap();
            assert_eq!(udh.concat(), None, "total {} seq {}", bad[0], bad[1]);
        }
        // Wrong IEDL for concat 8.
        let (udh, _) = parse_udh(&[0x04, 0x00, 0x02, 0x01, 0x01]).unwrap();
        assert_eq!(udh.concat(), None);
    }

    #[test]
    fn malformed_headers_are_errors() {
        assert_eq!(parse_udh(&[]).unwrap_err(), UdhError::Empty);
        assert_eq!(
            parse_udh(&[0x05, 0x00]).unwrap_err(),
            UdhError::HeaderBeyondData { udhl: 5, available: 1 }
        );
        assert_eq!(
            parse_udh(&[0x03, 0x00, 0x03, 0x01]).unwrap_err(),
            UdhError::ElementBeyondHeader { iei: 0, length: 3, available: 1 }
        );
        assert!(parse_udh(&[0x01, 0x00]).is_err());
        assert_eq!(parse_udh(&[0x00, 0x41]).unwrap(), (Udh::default(), &[0x41u8][..]));
        for len in 0..=255usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let _ = parse_udh(&data);
        }
    }

    #[test]
    fn concat_headers_are_byte_exact() {
        assert_eq!(concat8_udh(0xAB, 3, 1), [0x05, 0x00, 0x03, 0xAB, 0x03, 0x01]);
        assert_eq!(concat16_udh(0xBEEF, 2, 2), [0x06, 0x08, 0x04, 0xBE, 0xEF, 0x02, 0x02]);
    }
}
