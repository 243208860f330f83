//! Whatever `smpp::pdu::decode` accepts, `Pdu::to_vec` encodes back to the
//! very same octets (the codec's promise, src/smpp/pdu/tlv/mod.rs and the
//! fixture test), and those octets decode to an equal `Pdu`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::smpp::pdu;

fuzz_target!(|frame: &[u8]| {
    let Ok(decoded) = pdu::decode(frame) else { return };
    let encoded = decoded.to_vec().unwrap_or_else(|e| panic!("decoded {decoded:?} does not encode: {e}"));
    assert_eq!(encoded, frame, "decode then encode is not byte-exact for {decoded:?}");
    let again = pdu::decode(&encoded).unwrap_or_else(|e| panic!("own encoding does not decode: {e}"));
    assert_eq!(again, decoded);
    assert_eq!(again.to_vec().ok().as_deref(), Some(frame));
});
