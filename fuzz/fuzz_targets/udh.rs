//! `smpp::text::udh::parse_udh` and `IncomingPart::from_user_data` on
//! arbitrary user data (TS 23.040 9.2.3.24): never panic, the header ends
//! where UDHL says, `Udh::write` gives back exactly the header octets (every
//! IE is kept as received), and a concatenation IE has 1 <= seq <= total.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::smpp::text::{IncomingPart, UdhError, parse_udh};

fuzz_target!(|user_data: &[u8]| {
    let parsed = parse_udh(user_data);
    let part = IncomingPart::from_user_data(user_data);
    let (udh, rest) = match parsed {
        Ok(ok) => ok,
        Err(err) => {
            let _ = err.to_string();
            assert_eq!(part.err(), Some(err));
            if user_data.is_empty() {
                assert_eq!(err, UdhError::Empty);
            }
            return;
        }
    };
    let header_len = 1 + usize::from(user_data[0]);
    assert_eq!(rest, &user_data[header_len..]);
    let mut written = Vec::new();
    udh.write(&mut written).unwrap_or_else(|e| panic!("{udh:?} does not write: {e}"));
    assert_eq!(written, &user_data[..header_len], "{udh:?} written differently");

    let concat = udh.concat();
    if let Some(info) = concat {
        assert!(1 <= info.seq && info.seq <= info.total, "{info:?}");
    }
    let _ = udh.ports();
    let part = part.expect("parse_udh succeeded");
    assert_eq!(part.is_some(), concat.is_some());
    if let (Some(part), Some(info)) = (part, concat) {
        assert_eq!((part.reference, part.total, part.seq), (info.reference, info.total, info.seq));
        assert_eq!(part.payload, rest);
    }
});
