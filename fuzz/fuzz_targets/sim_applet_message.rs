//! Applet channel messages (`sim::applet::AppletMessage`) and the opening
//! frame's clear part: decoding never panics, whatever decodes encodes back
//! to exactly the input, and the ICCID and plain-close parsers take any
//! octets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::sim::applet::AppletMessage;
use simgate::sim::applet::binding;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = AppletMessage::decode(data) {
        assert_eq!(message.to_vec(), data, "{message:?}");
    }
    if let Ok((iccid, packet)) = binding::split_opening(data) {
        assert_eq!(binding::iccid_octets(&iccid)[..], data[..binding::ICCID_LEN]);
        assert_eq!(packet.len(), data.len() - binding::ICCID_LEN);
    }
    if let Some(reason) = binding::parse_plain_close(data) {
        assert_eq!(binding::plain_close(reason)[..], data[..]);
    }
});
