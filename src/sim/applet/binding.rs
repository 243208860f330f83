//! What ties an applet channel message to its SIM, its session and its
//! direction, and the two payloads that are not secured messages: the
//! opening frame's clear ICCID, and the plain close.
//!
//! Opening frame payload: the ICCID as 10 octets coded like EF_ICCID (ETSI
//! TS 102 221 13.2: BCD, the first digit in the low nibble of the first
//! octet, a 19-digit ICCID padded with 'F'), then a command packet whose
//! secured data is the applet's hello.
//!
//! Associated data under every checksum of the channel (16 octets, never
//! sent): direction (01 applet to gateway, 02 gateway to applet), the 10
//! ICCID octets, and the session counter, the CNTR of the applet's opening
//! hello. The ICCID sent in the clear is thus authenticated; a message
//! cannot be reflected back to its sender; and a gateway message from an
//! earlier session fails the checksum in a later one, since each opening
//! needs a counter higher than the last accepted. So the gateway's own
//! counter can start again at 1 in every session without being stored.
//!
//! Plain close payload: `00 00 reason`. A command packet's CPL is never 0,
//! so it cannot be mistaken for one. It is the only unsecured message and
//! is valid only before the session is open (the gateway cannot secure a
//! close to a SIM it has not authenticated).

use super::close::CloseReason;
use crate::sim::ids::Iccid;
use crate::sim::secured::Counter;

/// Octets of an ICCID in the opening frame.
pub const ICCID_LEN: usize = 10;
/// Octets of the associated data.
pub const AAD_LEN: usize = 16;

/// Which way a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the applet to the gateway.
    AppletToGateway,
    /// From the gateway to the applet.
    GatewayToApplet,
}

impl Direction {
    const fn octet(self) -> u8 {
        match self {
            Direction::AppletToGateway => 0x01,
            Direction::GatewayToApplet => 0x02,
        }
    }
}

/// Why an opening frame or a plain close did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    /// Fewer than 10 octets before the packet.
    #[error("opening frame too short for an ICCID")]
    Short,
    /// Not BCD digits with an optional final 'F', or not a valid ICCID.
    #[error("opening frame ICCID is not a valid ICCID")]
    Iccid,
}

/// The ICCID's 10 octets, EF_ICCID coding.
pub fn iccid_octets(iccid: &Iccid) -> [u8; ICCID_LEN] {
    let mut out = [0xFF; ICCID_LEN];
    for (i, d) in iccid.as_str().bytes().enumerate() {
        let digit = d - b'0';
        let octet = &mut out[i / 2];
        *octet = if i % 2 == 0 { (*octet & 0xF0) | digit } else { (*octet & 0x0F) | digit << 4 };
    }
    out
}

/// The ICCID from its 10 octets.
pub fn iccid_from_octets(octets: &[u8; ICCID_LEN]) -> Result<Iccid, BindingError> {
    let mut digits = String::with_capacity(20);
    let mut ended = false;
    for &o in octets {
        for nibble in [o & 0x0F, o >> 4] {
            match nibble {
                0..=9 if !ended => digits.push(char::from(b'0' + nibble)),
                0x0F => ended = true,
                _ => return Err(BindingError::Iccid),
            }
        }
    }
    Iccid::new(&digits).map_err(|_| BindingError::Iccid)
}

/// Splits an opening frame's payload into the ICCID and the packet.
pub fn split_opening(payload: &[u8]) -> Result<(Iccid, &[u8]), BindingError> {
    let (octets, packet) = payload.split_first_chunk::<ICCID_LEN>().ok_or(BindingError::Short)?;
    Ok((iccid_from_octets(octets)?, packet))
}

/// The associated data of a message.
pub fn aad(direction: Direction, iccid: &[u8; ICCID_LEN], session: Counter) -> [u8; AAD_LEN] {
    let mut out = [0; AAD_LEN];
    out[0] = direction.octet();
    out[1..11].copy_from_slice(iccid);
    out[11..].copy_from_slice(&session.to_octets());
    out
}

/// The plain close payload.
pub const fn plain_close(reason: CloseReason) -> [u8; 3] {
    [0, 0, reason.octet()]
}

/// The reason of a plain close, if `payload` is one.
pub fn parse_plain_close(payload: &[u8]) -> Option<CloseReason> {
    match *payload {
        [0, 0, r] => Some(CloseReason::from_octet(r)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iccid(body: &str) -> Iccid {
        let check = Iccid::check_digit(body).unwrap();
        Iccid::new(&format!("{body}{check}")).unwrap()
    }

    #[test]
    fn iccid_octets_are_ef_iccid_coded() {
        // 89 44 ... : the first octet holds 8 low, 9 high.
        let i19 = iccid("894400000000001234");
        let o = iccid_octets(&i19);
        assert_eq!(o[0], 0x98);
        assert_eq!(o[1], 0x44);
        assert_eq!(o[9] & 0xF0, 0xF0, "19 digits end with an F filler");
        assert_eq!(iccid_from_octets(&o), Ok(i19));
        let i20 = iccid("8944000000000012345");
        assert_eq!(iccid_from_octets(&iccid_octets(&i20)), Ok(i20));
    }

    #[test]
    fn bad_iccid_octets_are_refused() {
        let mut o = iccid_octets(&iccid("894400000000001234"));
        o[3] = 0xA0;
        assert_eq!(iccid_from_octets(&o), Err(BindingError::Iccid));
        assert_eq!(iccid_from_octets(&[0xFF; 10]), Err(BindingError::Iccid));
        // A filler in the middle, then digits.
        let mut mid = iccid_octets(&iccid("894400000000001234"));
        mid[4] = 0x0F;
        assert_eq!(iccid_from_octets(&mid), Err(BindingError::Iccid));
        assert_eq!(split_opening(&[0x98; 9]).err(), Some(BindingError::Short));
    }

    #[test]
    fn aad_and_plain_close() {
        let o = iccid_octets(&iccid("894400000000001234"));
        let a = aad(Direction::GatewayToApplet, &o, Counter::new(0x0102).unwrap());
        assert_eq!(a[0], 2);
        assert_eq!(&a[1..11], &o);
        assert_eq!(&a[11..], &[0, 0, 0, 1, 2]);
        assert_ne!(a, aad(Direction::AppletToGateway, &o, Counter::new(0x0102).unwrap()));
        assert_eq!(parse_plain_close(&plain_close(CloseReason::BadChecksum)), Some(CloseReason::BadChecksum));
        assert_eq!(parse_plain_close(&[0, 1, 1]), None);
    }
}
