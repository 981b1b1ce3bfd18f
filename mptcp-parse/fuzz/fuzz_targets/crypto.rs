//! Keys, HMACs and the DSS checksum on arbitrary values, against an independent oracle.
//!
//! The oracle (`mod rfc` below) computes every value from the definitions of RFC 8684
//! sections 3.1, 3.2 and 3.4.1 and of RFC 2104 (HMAC), with the hash crates alone: it shares no
//! code with `mptcp_parse::crypto` (which uses the `hmac` crate, fixed offsets into the digest
//! and its own ordering of the inputs), so a wrong byte order, a swapped key or nonce, a wrong
//! slice of the digest or a wrong legacy form shows as a difference. Before the first input the
//! oracle itself is checked against vectors from real packets and Linux's KUnit test
//! (`tests/vectors.rs` has the same ones).
//!
//! Input layout (big-endian numbers, as `seed_corpus.py` writes it):
//!
//! | offset | bytes | field |
//! |--------|-------|-------|
//! | 0      | 1     | bit 0: v1 (else v0); bit 1: port present; bit 2: IPv6; bits 3..4: what the claimed HMAC is relative to (below); bits 5..7: a bit to flip |
//! | 1      | 8, 8  | key A (joiner, ADD_ADDR sender), key B (listener, ADD_ADDR receiver) |
//! | 17     | 4, 4  | nonce A, nonce B |
//! | 25     | 1     | address ID |
//! | 26     | 16    | address (IPv4: first 4 bytes) |
//! | 42     | 2     | port |
//! | 44     | 8,4,2 | DSN, SSN, data-level length |
//! | 58     | 2, 2  | two split points (little-endian, taken modulo what is left of the payload + 1) |
//! | 62     | 8     | a claimed truncated HMAC (its low 16 bits: a claimed DSS checksum) |
//! | 70     | ...   | payload |
//!
//! Bits 3..4 of byte 0: 0, the claimed value is tried as it is; 1, 2, 3: it is XORed with the
//! oracle's ADD_ADDR HMAC in the RFC form, the leftmost-64 legacy form and the
//! rightmost-of-160 legacy form (and, for MP_JOIN, with the SYN/ACK's truncated HMAC-B), so
//! that a claimed value of 0 is the right one and small values are near misses.
//!
//! Shorter inputs are padded with zeros.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mptcp_parse::crypto::{
    dss_checksum, key_derived, AddAddrHmacCheck, AddAddrKeys, DssChecksum, JoinHandshake, JoinHost,
    Key, LegacyAddAddrHmac, Nonce, Version,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Once;

const HEADER: usize = 70;

fn be<const N: usize>(h: &[u8; HEADER], at: usize) -> [u8; N] {
    h[at..at + N].try_into().unwrap()
}

/// RFC 8684 (and RFC 6824 for version 0) written out from the text, on plain integers and
/// byte strings: `v1` picks SHA-256, else SHA-1.
mod rfc {
    use sha1::{Digest, Sha1};
    use sha2::Sha256;

    /// H(part ‖ part ‖ ...).
    fn hash(v1: bool, parts: &[&[u8]]) -> Vec<u8> {
        if v1 {
            let mut h = Sha256::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        } else {
            let mut h = Sha1::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
    }

    /// RFC 2104: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ text)), K zero-padded to the hash's 64-byte
    /// block (MPTCP's keys are 16 bytes, never longer than a block).
    pub fn hmac(v1: bool, key: &[u8], text: &[u8]) -> Vec<u8> {
        assert!(key.len() <= 64);
        let mut k = [0u8; 64];
        k[..key.len()].copy_from_slice(key);
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = hash(v1, &[&ipad, text]);
        hash(v1, &[&opad, &inner])
    }

    /// The number `bytes` spell (big-endian), reduced to its least significant 64 bits: of a
    /// whole digest, its rightmost 64 bits; of a digest's first n bytes, its leftmost n * 8.
    pub fn low_64(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0, |n, &b| n << 8 | u64::from(b))
    }

    /// Section 3.1: the token is the most significant 32 bits of the hash of the key, the
    /// IDSN its least significant 64 bits.
    pub fn token_idsn(v1: bool, key: u64) -> (u32, u64) {
        let h = hash(v1, &[&key.to_be_bytes()]);
        (low_64(&h[..4]) as u32, low_64(&h))
    }

    /// Section 3.2: HMAC-A = HMAC(Key=(Key-A + Key-B), Msg=(R-A + R-B)), which A, the host
    /// that sent the SYN, puts in its third ACK (leftmost 160 bits).
    pub fn hmac_a(v1: bool, key_a: u64, key_b: u64, r_a: u32, r_b: u32) -> Vec<u8> {
        let key = [key_a.to_be_bytes(), key_b.to_be_bytes()].concat();
        hmac(v1, &key, &[r_a.to_be_bytes(), r_b.to_be_bytes()].concat())
    }

    /// Section 3.2: HMAC-B = HMAC(Key=(Key-B + Key-A), Msg=(R-B + R-A)), whose leftmost 64
    /// bits B puts in its SYN/ACK.
    pub fn hmac_b(v1: bool, key_a: u64, key_b: u64, r_a: u32, r_b: u32) -> Vec<u8> {
        let key = [key_b.to_be_bytes(), key_a.to_be_bytes()].concat();
        hmac(v1, &key, &[r_b.to_be_bytes(), r_a.to_be_bytes()].concat())
    }

    /// Section 3.4.1: HMAC(Key=(Key-A + Key-B), Msg=(Address ID + IP Address + Port)) with
    /// SHA-256, Key-A the sender's; without a port, the message still ends with two zero
    /// bytes. The option carries the rightmost 64 bits.
    pub fn add_addr(
        sender: u64,
        receiver: u64,
        id: u8,
        address: &[u8],
        port: Option<u16>,
    ) -> Vec<u8> {
        let key = [sender.to_be_bytes(), receiver.to_be_bytes()].concat();
        let msg = [&[id][..], address, &port.unwrap_or(0).to_be_bytes()].concat();
        hmac(true, &key, &msg)
    }

    /// RFC 1071 over the section 3.3.1 pseudo-header (DSN 64 bits, SSN, data-level length,
    /// zero checksum) and the payload, written the slow obvious way.
    pub fn dss_checksum(dsn: u64, ssn: u32, data_len: u16, payload: &[u8]) -> u16 {
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
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The oracle against values that neither implementation produced: tcpdump's captures
/// (mptcp-v1, mptcp-v0, mptcp-fclose, mptcp-aa-v1) and net/mptcp/crypto_test.c.
fn check_oracle() {
    assert_eq!(
        rfc::token_idsn(true, 0x29a6c86981ad933c),
        (0xa35d6d82, 11713449205243392241)
    );
    assert_eq!(
        rfc::token_idsn(true, 0x1fdb5df328bc3def),
        (0x239fbdb0, 14413541604287230029)
    );
    let (token, idsn) = rfc::token_idsn(false, 0x9b59be3d695e66a7);
    assert_eq!((token, (idsn + 1) as u32), (0xd3dcec4f, 2976985014));
    assert_eq!(rfc::token_idsn(false, 0x967d2770b6960552).0, 0xe47f0142);
    let (key_a, key_b, r_a, r_b) = (
        0x9c9eabd1e46a33b2,
        0x967d2770b6960552,
        0x1b665a18,
        0x33abe9d5,
    );
    let b = rfc::hmac_b(false, key_a, key_b, r_a, r_b);
    assert_eq!(rfc::low_64(&b[..8]), 0x5ab680c7884af03d);
    assert_eq!(
        hex(&rfc::hmac_a(false, key_a, key_b, r_a, r_b)),
        "cb7b87f5e5f0502f43b535fb70ef6607df2e6c7a"
    );
    for (key, msg, expected) in KUNIT {
        let k = |i: usize| rfc::low_64(&key[i..i + 8]);
        let r = |i: usize| rfc::low_64(&msg[i..i + 4]) as u32;
        assert_eq!(hex(&rfc::hmac_a(true, k(0), k(8), r(0), r(4))), expected);
    }
    let aa = rfc::add_addr(
        0x73bb150358a0aecb,
        0x8f0c7c64a6a32ac1,
        1,
        &[192, 168, 136, 225],
        None,
    );
    assert_eq!(rfc::low_64(&aa[..8]), 0x669928744366716c);
    assert_eq!(rfc::low_64(&aa), 0xe0e054c3444e4c25);
    assert_eq!(
        rfc::dss_checksum(7512766147283988406, 1, 1, &[0x63]),
        0x9e91
    );
    assert_eq!(
        rfc::dss_checksum(8158535551756803169, 1, 1, &[0x63]),
        0x54ab
    );
}

include!("../../tests/support/kunit.rs");

static ORACLE_CHECKED: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    ORACLE_CHECKED.call_once(check_oracle);
    let mut h = [0u8; HEADER];
    let n = data.len().min(HEADER);
    h[..n].copy_from_slice(&data[..n]);
    let payload = data.get(HEADER..).unwrap_or(&[]);

    let v1 = h[0] & 1 != 0;
    let version = if v1 { Version::V1 } else { Version::V0 };
    let port = (h[0] & 2 != 0).then(|| u16::from_be_bytes(be(&h, 42)));
    let address_bytes: &[u8] = if h[0] & 4 != 0 {
        &h[26..42]
    } else {
        &h[26..30]
    };
    let address = if h[0] & 4 != 0 {
        IpAddr::V6(Ipv6Addr::from(be::<16>(&h, 26)))
    } else {
        IpAddr::V4(Ipv4Addr::from(be::<4>(&h, 26)))
    };
    let relative_to = h[0] >> 3 & 3;
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

    // Tokens and IDSNs: those of the RFC, for both keys.
    for key in [key_a, key_b] {
        let d = key_derived(version, Key(key));
        assert_eq!((d.token, d.idsn), rfc::token_idsn(v1, key), "key {key:#x}");
    }

    // MP_JOIN: both HMACs are the RFC's, byte for byte, and naming the roles the other way
    // round exchanges them.
    let join = JoinHandshake {
        joiner: JoinHost::new(Key(key_a), Nonce(nonce_a)),
        listener: JoinHost::new(Key(key_b), Nonce(nonce_b)),
    };
    let reversed = JoinHandshake {
        joiner: join.listener,
        listener: join.joiner,
    };
    let hmac_a = rfc::hmac_a(v1, key_a, key_b, nonce_a, nonce_b);
    let hmac_b = rfc::hmac_b(v1, key_a, key_b, nonce_a, nonce_b);
    assert_eq!(hmac_a.len(), if v1 { 32 } else { 20 });
    assert_eq!(join.ack_hmac(version).as_bytes(), hmac_a, "HMAC-A");
    assert_eq!(join.syn_ack_hmac(version).as_bytes(), hmac_b, "HMAC-B");
    assert_eq!(reversed.syn_ack_hmac(version), join.ack_hmac(version));
    assert_eq!(reversed.ack_hmac(version), join.syn_ack_hmac(version));
    // The SYN/ACK's truncated HMAC verifies iff it is HMAC-B's leftmost 64 bits.
    let syn_ack_truncated = rfc::low_64(&hmac_b[..8]);
    let claimed_join = if relative_to == 0 {
        claimed
    } else {
        claimed ^ syn_ack_truncated
    };
    assert!(join.verify_syn_ack(version, syn_ack_truncated));
    assert_eq!(
        join.verify_syn_ack(version, claimed_join),
        claimed_join == syn_ack_truncated
    );
    // The third ACK's HMAC verifies iff it is HMAC-A's leftmost 160 bits.
    let ack_hmac: [u8; 20] = hmac_a[..20].try_into().unwrap();
    assert!(join.verify_ack(version, &ack_hmac));
    let mut other = ack_hmac;
    other[(h[25] % 20) as usize] ^= 1u8 << (h[0] >> 5);
    assert!(!join.verify_ack(version, &other));
    // HMAC-B's leftmost 160 bits, the listener's, do not pass for the joiner's (unless the
    // two are equal: same keys and nonces on both sides).
    let b160: [u8; 20] = hmac_b[..20].try_into().unwrap();
    assert_eq!(
        join.verify_ack(version, &b160),
        hmac_a[..20] == hmac_b[..20]
    );

    // ADD_ADDR: the HMAC is the RFC's byte for byte; its rightmost 64 bits are Valid, the two
    // legacy forms are recognised, anything else is Invalid with the RFC value expected.
    let keys = AddAddrKeys {
        sender: Key(key_a),
        receiver: Key(key_b),
    };
    let full = rfc::add_addr(key_a, key_b, address_id, address_bytes, port);
    assert_eq!(keys.hmac(address_id, address, port).as_bytes(), full);
    let rfc_form = rfc::low_64(&full);
    let leftmost_64 = rfc::low_64(&full[..8]);
    let rightmost_of_160 = rfc::low_64(&full[..20]);
    let claimed_aa = claimed
        ^ match relative_to {
            0 => 0,
            1 => rfc_form,
            2 => leftmost_64,
            _ => rightmost_of_160,
        };
    assert_eq!(
        keys.verify(address_id, address, port, rfc_form),
        AddAddrHmacCheck::Valid
    );
    let expect = if claimed_aa == rfc_form {
        AddAddrHmacCheck::Valid
    } else if claimed_aa == leftmost_64 {
        AddAddrHmacCheck::Legacy(LegacyAddAddrHmac::Leftmost64)
    } else if claimed_aa == rightmost_of_160 {
        AddAddrHmacCheck::Legacy(LegacyAddAddrHmac::RightmostOf160)
    } else {
        AddAddrHmacCheck::Invalid { expected: rfc_form }
    };
    assert_eq!(
        keys.verify(address_id, address, port, claimed_aa),
        expect,
        "claimed {claimed_aa:#x}"
    );
    // Naming the roles the other way round gives the HMAC the receiver would send.
    let reversed_keys = AddAddrKeys {
        sender: keys.receiver,
        receiver: keys.sender,
    };
    assert_eq!(
        reversed_keys.hmac(address_id, address, port).as_bytes(),
        rfc::add_addr(key_b, key_a, address_id, address_bytes, port)
    );

    // DSS checksum: fed in three pieces at arbitrary (also odd) split points, it equals the
    // one-shot value and the RFC 1071 reference; it verifies itself and nothing else.
    let one_shot = dss_checksum(dsn, ssn, data_len, payload);
    assert_eq!(
        one_shot,
        rfc::dss_checksum(dsn, ssn, data_len, payload),
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
