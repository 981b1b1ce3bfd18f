//! Keys, HMACs and the DSS checksum on arbitrary values.
//!
//! Input layout (big-endian numbers, as `seed_corpus.py` writes it):
//!
//! | offset | bytes | field |
//! |--------|-------|-------|
//! | 0      | 1     | bit 0: v1 (else v0); bit 1: port present; bit 2: IPv6; bits 5..7: a bit to flip |
//! | 1      | 8, 8  | key A, key B |
//! | 17     | 4, 4  | nonce A, nonce B |
//! | 25     | 1     | address ID |
//! | 26     | 16    | address (IPv4: first 4 bytes) |
//! | 42     | 2     | port |
//! | 44     | 8,4,2 | DSN, SSN, data-level length |
//! | 58     | 2, 2  | two split points (little-endian, taken modulo what is left of the payload + 1) |
//! | 62     | 8     | a claimed truncated HMAC (its low 16 bits: a claimed DSS checksum) |
//! | 70     | ...   | payload |
//!
//! Shorter inputs are padded with zeros.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mptcp_parse::crypto::{
    add_addr_hmac, dss_checksum, join_hmac, key_derived, verify_add_addr_hmac, verify_join_ack,
    verify_join_syn_ack, AddAddrHmacCheck, DssChecksum, LegacyAddAddrHmac, Version,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const HEADER: usize = 70;

fn be<const N: usize>(h: &[u8; HEADER], at: usize) -> [u8; N] {
    h[at..at + N].try_into().unwrap()
}

/// RFC 1071 over the RFC 8684 pseudo-header and payload, written the slow obvious way.
fn reference_checksum(dsn: u64, ssn: u32, data_len: u16, payload: &[u8]) -> u16 {
    let mut bytes = Vec::with_capacity(16 + payload.len() + 1);
    bytes.extend_from_slice(&dsn.to_be_bytes());
    bytes.extend_from_slice(&ssn.to_be_bytes());
    bytes.extend_from_slice(&data_len.to_be_bytes());
    bytes.extend_from_slice(&[0, 0]);
    bytes.extend_from_slice(payload);
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    let mut sum: u64 = bytes
        .chunks(2)
        .map(|w| u64::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fuzz_target!(|data: &[u8]| {
    let mut h = [0u8; HEADER];
    let n = data.len().min(HEADER);
    h[..n].copy_from_slice(&data[..n]);
    let payload = data.get(HEADER..).unwrap_or(&[]);

    let version = if h[0] & 1 != 0 {
        Version::V1
    } else {
        Version::V0
    };
    let port = (h[0] & 2 != 0).then(|| u16::from_be_bytes(be(&h, 42)));
    let address = if h[0] & 4 != 0 {
        IpAddr::V6(Ipv6Addr::from(be::<16>(&h, 26)))
    } else {
        IpAddr::V4(Ipv4Addr::from(be::<4>(&h, 26)))
    };
    let key_a = u64::from_be_bytes(be(&h, 1));
    let key_b = u64::from_be_bytes(be(&h, 9));
    let nonce_a = u32::from_be_bytes(be(&h, 17));
    let nonce_b = u32::from_be_bytes(be(&h, 21));
    let address_id = h[25];
    let dsn = u64::from_be_bytes(be(&h, 44));
    let ssn = u32::from_be_bytes(be(&h, 52));
    let data_len = u16::from_be_bytes(be(&h, 56));
    let split1 = u16::from_le_bytes(be(&h, 58)) as usize;
    let split2 = u16::from_le_bytes(be(&h, 60)) as usize;
    let claimed = u64::from_be_bytes(be(&h, 62));

    // Tokens and IDSNs: deterministic, and the version matters.
    let d = key_derived(version, key_a);
    assert_eq!(d, key_derived(version, key_a));

    // MP_JOIN: what join_hmac computes verifies; a claimed value verifies iff it is that value.
    let hmac_b = join_hmac(version, key_b, key_a, nonce_b, nonce_a);
    assert_eq!(
        hmac_b.as_bytes().len(),
        if version == Version::V1 { 32 } else { 20 }
    );
    assert!(verify_join_syn_ack(
        version,
        key_b,
        key_a,
        nonce_b,
        nonce_a,
        hmac_b.leftmost_64()
    ));
    assert_eq!(
        verify_join_syn_ack(version, key_b, key_a, nonce_b, nonce_a, claimed),
        claimed == hmac_b.leftmost_64()
    );
    let hmac_a = join_hmac(version, key_a, key_b, nonce_a, nonce_b);
    assert!(verify_join_ack(
        version,
        key_a,
        key_b,
        nonce_a,
        nonce_b,
        &hmac_a.leftmost_160()
    ));
    let mut other = hmac_a.leftmost_160();
    other[(h[25] % 20) as usize] ^= 1u8 << (h[0] >> 5);
    assert!(!verify_join_ack(
        version, key_a, key_b, nonce_a, nonce_b, &other
    ));

    // ADD_ADDR: the RFC form is Valid, the legacy forms are recognised, anything else is
    // Invalid with the RFC value as the expectation.
    let full = add_addr_hmac(key_a, key_b, address_id, address, port);
    let b = full.as_bytes();
    assert_eq!(b.len(), 32);
    let at = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().unwrap());
    let rfc = at(24);
    assert_eq!(
        verify_add_addr_hmac(key_a, key_b, address_id, address, port, rfc),
        AddAddrHmacCheck::Valid
    );
    let expect = if claimed == rfc {
        AddAddrHmacCheck::Valid
    } else if claimed == at(0) {
        AddAddrHmacCheck::Legacy(LegacyAddAddrHmac::Leftmost64)
    } else if claimed == at(12) {
        AddAddrHmacCheck::Legacy(LegacyAddAddrHmac::RightmostOf160)
    } else {
        AddAddrHmacCheck::Invalid { expected: rfc }
    };
    assert_eq!(
        verify_add_addr_hmac(key_a, key_b, address_id, address, port, claimed),
        expect
    );

    // DSS checksum: fed in three pieces at arbitrary (also odd) split points, it equals the
    // one-shot value and the RFC 1071 reference; it verifies itself and nothing else.
    let one_shot = dss_checksum(dsn, ssn, data_len, payload);
    assert_eq!(
        one_shot,
        reference_checksum(dsn, ssn, data_len, payload),
        "reference"
    );
    let s1 = split1 % (payload.len() + 1);
    let s2 = s1 + split2 % (payload.len() - s1 + 1);
    let mut c = DssChecksum::new(dsn, ssn, data_len);
    c.update(&payload[..s1]);
    c.update(&payload[s1..s2]);
    c.update(&[]);
    c.update(&payload[s2..]);
    assert_eq!(c.fed(), payload.len());
    assert_eq!(
        c.value(),
        one_shot,
        "splits at {s1} and {s2} of {}",
        payload.len()
    );
    // Byte by byte, the worst case for the odd-byte carry.
    if payload.len() <= 64 {
        let mut c1 = DssChecksum::new(dsn, ssn, data_len);
        payload
            .iter()
            .for_each(|byte| c1.update(core::slice::from_ref(byte)));
        assert_eq!(c1.value(), one_shot);
    }
    assert!(c.verify(one_shot));
    let claimed16 = claimed as u16;
    // One's complement has two zeros: when the value is 0x0000, 0xffff verifies as well
    // (when it is 0xffff, the all-zero sum, 0x0000 does not).
    let accepted = claimed16 == one_shot || (claimed16 == 0xffff && one_shot == 0);
    assert_eq!(
        c.verify(claimed16),
        accepted,
        "verify({claimed16:#06x}) with value {one_shot:#06x}"
    );
});
