//! TS 102 225 response packets (`sim::secured::ResponsePacketView`,
//! `ResponsePacket`) and the OTA PoR SMS: arbitrary octets never make
//! parsing or opening panic, under every PoR security; and a response built
//! from the input seals and opens back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::sim::ids::{Kvn, Tar};
use simgate::sim::keys::{AesKey, KeySet};
use simgate::sim::ota;
use simgate::sim::secured::{
    ChecksumKind, Counter, Kic, Kid, PorSecurity, ResponsePacket, ResponsePacketView, ResponseStatus,
};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let kvn = Kvn::new(2).expect("2 is a key version");
    let keys = KeySet {
        kvn,
        kic: AesKey::new(&[pick; 16]).ok(),
        kid: AesKey::new(&[pick ^ 0x33; 32]).expect("32 octets"),
    };
    let security = PorSecurity {
        checksum: if pick & 1 == 0 { ChecksumKind::None } else { ChecksumKind::Cryptographic },
        ciphered: pick & 2 != 0,
        kic: Kic::aes_cbc(kvn),
        kid: Kid::aes_cmac(kvn),
    };
    if pick & 0x80 == 0 {
        if let Ok(view) = ResponsePacketView::parse(rest) {
            assert!(3 + 10 + view.checksum_len() <= rest.len());
            let _ = view.open(&security, &keys, &ota::RESPONSE_AAD);
        }
        let keys = keys.clone().into();
        let _ = ota::parse_por_sms(rest, &security, &keys);
        // The same octets cut anywhere as the parts of a concatenated PoR.
        let (a, b) = rest.split_at(usize::from(pick & 0x3F).min(rest.len()));
        if let Ok(joined) = ota::join_por_sms(&[b, a]) {
            let _ = ota::parse_por_sms(&ota::joined_por_sms(&joined), &security, &keys);
        }
        return;
    }
    let [t0, t1, t2, c0, c1, c2, c3, c4, status, tail @ ..] = rest else {
        return;
    };
    let response = ResponsePacket {
        tar: Tar([*t0, *t1, *t2]),
        counter: Counter::from_octets([*c0, *c1, *c2, *c3, *c4]),
        status: ResponseStatus::from_octet(*status),
        data: tail.to_vec(),
    };
    let wire = response.seal(&security, &keys, b"x").expect("AES keys are there");
    let view = ResponsePacketView::parse(&wire).expect("sealed packets parse");
    assert_eq!(view.open(&security, &keys, b"x"), Ok(response));
});
