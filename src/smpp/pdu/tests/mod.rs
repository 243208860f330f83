//! Tests of the PDU codec: round trips over a list holding every PDU type,
//! byte-exact vectors, negative tests for every limit, and proptests.

mod negative;
mod props;
mod samples;
mod vectors;

use super::*;

/// A C-octet string for tests.
pub(super) fn cs<const MAX: usize>(s: &str) -> COctetString<'_, MAX> {
    COctetString::new(s.as_bytes()).unwrap()
}

/// A time for tests.
pub(super) fn time(s: &str) -> SmppTime<'_> {
    SmppTime::new(s.as_bytes()).unwrap()
}

/// A short message for tests.
pub(super) fn sm(octets: &[u8]) -> ShortMessage<'_> {
    ShortMessage::new(octets).unwrap()
}

/// encode -> decode gives the same value, the declared length is the real
/// one, and the decoded value re-encodes to the same octets.
pub(super) fn assert_round_trip(pdu: &Pdu<'_>) -> Vec<u8> {
    let bytes = pdu.to_vec().unwrap();
    assert_eq!(bytes.len(), pdu.encoded_len());
    let decoded = decode(&bytes).unwrap_or_else(|e| panic!("{e:?} decoding {pdu:?}"));
    assert_eq!(&decoded, pdu);
    assert_eq!(decoded.to_vec().unwrap(), bytes);
    bytes
}

/// Decode, then check the encoding of the result is `frame` again.
pub(super) fn assert_decodes_exact(frame: &[u8]) -> Pdu<'_> {
    let pdu = decode(frame).unwrap();
    assert_eq!(pdu.to_vec().unwrap(), frame);
    pdu
}
