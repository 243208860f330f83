//! TS 102 225 command packets (`sim::secured::CommandPacketView`,
//! `CommandPacket`): arbitrary octets never make parsing or opening panic,
//! and what parses honours its length fields; and a packet built from the
//! input (any SPI, counter, TAR, data, ciphered or not, with or without a
//! checksum, under a 16, 24 or 32-octet key) seals, parses and opens back
//! to itself, and fails the checksum under other associated data.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simgate::sim::ids::{Kvn, Tar};
use simgate::sim::keys::{AesKey, KeySet};
use simgate::sim::secured::{
    ChecksumKind, CommandPacket, CommandPacketView, Counter, Kic, Kid, SecuredError, Spi,
};

fn keys(len: usize, seed: u8) -> KeySet {
    KeySet {
        kvn: Kvn::new(1).expect("1 is a key version"),
        kic: AesKey::new(&vec![seed; len]).ok(),
        kid: AesKey::new(&vec![seed ^ 0x55; len]).expect("16, 24 or 32"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let k = keys([16, 24, 32][usize::from(pick % 3)], pick);
    if pick & 0x80 == 0 {
        // Arbitrary octets.
        if let Ok(view) = CommandPacketView::parse(rest) {
            assert_eq!(usize::from(u16::from_be_bytes([rest[0], rest[1]])), rest.len() - 2);
            assert!(3 + 13 + view.checksum_len() <= rest.len());
            let _ = view.key_version();
            if let Ok(p) = view.open(&k, b"") {
                assert!(p.data.len() + 16 <= rest.len());
            }
        }
        return;
    }
    // A packet built from the input.
    let [s0, s1, c0, c1, c2, c3, c4, t0, t1, t2, tail @ ..] = rest else {
        return;
    };
    let Ok(mut spi) = Spi::decode([s0 & 0x1F, s1 & 0x3F]) else {
        return;
    };
    spi.checksum = if s0 & 1 == 0 { ChecksumKind::None } else { ChecksumKind::Cryptographic };
    let packet = CommandPacket {
        spi,
        kic: Kic::aes_cbc(k.kvn),
        kid: Kid::aes_cmac(k.kvn),
        tar: Tar([*t0, *t1, *t2]),
        counter: Counter::from_octets([*c0, *c1, *c2, *c3, *c4]),
        data: tail.to_vec(),
    };
    match packet.seal(&k, &[pick]) {
        Ok(wire) => {
            assert_eq!(CommandPacket::open(&wire, &k, &[pick]), Ok(packet.clone()));
            if spi.checksum == ChecksumKind::Cryptographic {
                assert_eq!(CommandPacket::open(&wire, &k, &[pick ^ 1]), Err(SecuredError::Checksum));
            }
        }
        Err(SecuredError::TooLong { .. }) => assert!(tail.len() > 60_000),
        Err(e) => panic!("sealing failed: {e}"),
    }
});
