//! Every vector of the "Verified vectors" table in `shared/spec/mptcp-wire.md`, each recomputed
//! from a real packet or from Linux's own crypto test.

use mptcp_parse::crypto::{
    dss_checksum, key_derived, AddAddrHmacCheck, AddAddrKeys, DssChecksum, JoinHandshake, JoinHost,
    Key, LegacyAddAddrHmac, Nonce, Version,
};
use std::net::{IpAddr, Ipv4Addr};

#[test]
fn v1_token_and_idsn_from_mptcp_v1_frame_7() {
    let d = key_derived(Version::V1, Key(0x29a6c86981ad933c));
    assert_eq!(d.token, 0xa35d6d82);
    assert_eq!(d.idsn, 11713449205243392241);
    // First DSN on the wire is IDSN + 1.
    assert_eq!(d.idsn + 1, 11713449205243392242);
}

#[test]
fn v1_token_and_idsn_from_mptcp_v1_frame_5() {
    let d = key_derived(Version::V1, Key(0x1fdb5df328bc3def));
    assert_eq!(d.token, 0x239fbdb0);
    assert_eq!(d.idsn, 14413541604287230029);
}

#[test]
fn v0_token_and_dsn_from_mptcp_fclose_frame_6() {
    let d = key_derived(Version::V0, Key(0x9b59be3d695e66a7));
    assert_eq!(d.token, 0xd3dcec4f);
    assert_eq!((d.idsn + 1) as u32, 2976985014);
}

#[test]
fn v0_join_token_from_mptcp_v0_frame_8() {
    assert_eq!(
        key_derived(Version::V0, Key(0x967d2770b6960552)).token,
        0xe47f0142
    );
}

// mptcp-v0.pcap: A (client) key 0x9c9eabd1e46a33b2, B (server) key 0x967d2770b6960552.
const V0_KEY_A: u64 = 0x9c9eabd1e46a33b2;
const V0_KEY_B: u64 = 0x967d2770b6960552;
const V0_R_A: u32 = 0x1b665a18;
const V0_R_B: u32 = 0x33abe9d5;

/// The join of mptcp-v0.pcap frames 8 to 10: A joins B.
const V0_JOIN: JoinHandshake = JoinHandshake {
    joiner: JoinHost::new(Key(V0_KEY_A), Nonce(V0_R_A)),
    listener: JoinHost::new(Key(V0_KEY_B), Nonce(V0_R_B)),
};

#[test]
fn v0_join_syn_ack_hmac_from_mptcp_v0_frame_9() {
    assert_eq!(
        V0_JOIN.syn_ack_hmac(Version::V0).leftmost_64(),
        0x5ab680c7884af03d
    );
    assert!(V0_JOIN.verify_syn_ack(Version::V0, 0x5ab680c7884af03d));
    // Keys swapped: the other host's HMAC, which must not verify.
    let keys_swapped = JoinHandshake {
        joiner: JoinHost::new(Key(V0_KEY_B), Nonce(V0_R_A)),
        listener: JoinHost::new(Key(V0_KEY_A), Nonce(V0_R_B)),
    };
    assert!(!keys_swapped.verify_syn_ack(Version::V0, 0x5ab680c7884af03d));
    // Roles swapped: HMAC-A is not HMAC-B.
    assert_ne!(
        V0_JOIN.ack_hmac(Version::V0).leftmost_64(),
        0x5ab680c7884af03d
    );
}

#[test]
fn v0_join_ack_hmac_from_mptcp_v0_frame_10() {
    let expected: [u8; 20] = [
        0xcb, 0x7b, 0x87, 0xf5, 0xe5, 0xf0, 0x50, 0x2f, 0x43, 0xb5, 0x35, 0xfb, 0x70, 0xef, 0x66,
        0x07, 0xdf, 0x2e, 0x6c, 0x7a,
    ];
    let full = V0_JOIN.ack_hmac(Version::V0);
    assert_eq!(full.as_bytes(), expected);
    assert!(V0_JOIN.verify_ack(Version::V0, &expected));
    let mut forged = expected;
    forged[19] ^= 1;
    assert!(!V0_JOIN.verify_ack(Version::V0, &forged));
}

#[test]
fn dss_checksums_from_mptcp_fclose_frames_6_and_8() {
    assert_eq!(dss_checksum(7512766147283988406, 1, 1, &[0x63]), 0x9e91);
    assert_eq!(dss_checksum(8158535551756803169, 1, 1, &[0x63]), 0x54ab);
}

#[test]
fn dss_checksum_is_the_same_however_the_payload_is_split() {
    let payload: Vec<u8> = (0..1001u32).map(|i| (i * 7 + 3) as u8).collect();
    let whole = dss_checksum(0x0102_0304_0506_0708, 77, 1001, &payload);
    for split in [0, 1, 2, 3, 7, 8, 9, 500, 999, 1000, 1001] {
        for second in [split, (split + 1).min(1001), (split + 13).min(1001)] {
            let mut c = DssChecksum::new(0x0102_0304_0506_0708, 77, 1001);
            c.update(&payload[..split]);
            c.update(&payload[split..second]);
            c.update(&payload[second..]);
            assert_eq!(c.value(), whole, "split at {split} and {second}");
            assert!(c.verify(whole));
            assert!(!c.verify(whole ^ 0x0100));
        }
    }
}

/// RFC 1071 as written: 16-bit big-endian words of the pseudo-header and the payload (odd
/// byte padded with zero), summed with end-around carry, complemented.
fn rfc1071_dss_checksum(dsn: u64, ssn: u32, data_len: u16, payload: &[u8]) -> u16 {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&dsn.to_be_bytes());
    bytes.extend_from_slice(&ssn.to_be_bytes());
    bytes.extend_from_slice(&data_len.to_be_bytes());
    bytes.extend_from_slice(&[0, 0]);
    bytes.extend_from_slice(payload);
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    let mut sum: u32 = 0;
    for w in bytes.chunks_exact(2) {
        sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[test]
fn dss_checksum_equals_a_plain_rfc1071_sum() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut random = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    };
    let mut payloads: Vec<Vec<u8>> = (0..=70).map(&mut random).collect();
    payloads.extend([
        random(1400),
        random(65535),
        vec![0xff; 1400],
        vec![0; 1400],
        vec![0xff; 17],
        vec![0; 9],
    ]);
    for (dsn, ssn, len) in [
        (0, 0, 0),
        (u64::MAX, u32::MAX, u16::MAX),
        (0x0102_0304_0506_0708, 77, 1001),
    ] {
        for payload in &payloads {
            let expected = rfc1071_dss_checksum(dsn, ssn, len, payload);
            assert_eq!(
                dss_checksum(dsn, ssn, len, payload),
                expected,
                "{} bytes",
                payload.len()
            );
            // Fed in three pieces at odd places, too.
            let (a, b) = ((payload.len() / 3) | 1, (payload.len() * 2 / 3) | 1);
            if b <= payload.len() {
                let mut c = DssChecksum::new(dsn, ssn, len);
                c.update(&payload[..a.min(b)]);
                c.update(&payload[a.min(b)..b]);
                c.update(&payload[b..]);
                assert_eq!(
                    c.value(),
                    expected,
                    "{} bytes split at {a} and {b}",
                    payload.len()
                );
            }
        }
    }
}

/// mptcp-aa-v1.pcap frame 13: the keys of the ADD_ADDR's sender and of its receiver.
const AA_KEYS: AddAddrKeys = AddAddrKeys {
    sender: Key(0x73bb150358a0aecb),
    receiver: Key(0x8f0c7c64a6a32ac1),
};
const AA_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 136, 225));

#[test]
fn add_addr_hmac_legacy_form_from_mptcp_aa_v1_frame_13() {
    let full = AA_KEYS.hmac(1, AA_ADDRESS, None);
    assert_eq!(full.leftmost_64(), 0x669928744366716c);
    assert_eq!(
        AA_KEYS.verify(1, AA_ADDRESS, None, 0x669928744366716c),
        AddAddrHmacCheck::Legacy(LegacyAddAddrHmac::Leftmost64)
    );
}

#[test]
fn add_addr_hmac_current_form_is_the_rightmost_64_bits() {
    assert_eq!(
        AA_KEYS.verify(1, AA_ADDRESS, None, 0xe0e054c3444e4c25),
        AddAddrHmacCheck::Valid
    );
    assert_eq!(
        AA_KEYS.verify(1, AA_ADDRESS, None, 0x1234),
        AddAddrHmacCheck::Invalid {
            expected: 0xe0e054c3444e4c25
        }
    );
    // The port is part of the message: port 0 and no port are the same, another port is not.
    assert_eq!(
        AA_KEYS.verify(1, AA_ADDRESS, Some(0), 0xe0e054c3444e4c25),
        AddAddrHmacCheck::Valid
    );
    assert!(matches!(
        AA_KEYS.verify(1, AA_ADDRESS, Some(80), 0xe0e054c3444e4c25),
        AddAddrHmacCheck::Invalid { .. }
    ));
}

include!("support/kunit.rs");

#[test]
fn hmac_sha256_matches_linux_kunit_vectors() {
    for (key, msg, expected) in KUNIT {
        let word = |b: &[u8]| u64::from_be_bytes(b.try_into().unwrap());
        let nonce = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
        // key1 and nonce1 are the HMAC's sender's: HMAC-A, the joiner's; and, read the other
        // way round, HMAC-B, the listener's.
        let (first, second) = (
            JoinHost::new(Key(word(&key[..8])), Nonce(nonce(&msg[..4]))),
            JoinHost::new(Key(word(&key[8..])), Nonce(nonce(&msg[4..]))),
        );
        let hex = |full: mptcp_parse::crypto::FullHmac| -> String {
            full.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
        };
        let as_joiner = JoinHandshake {
            joiner: first,
            listener: second,
        };
        let as_listener = JoinHandshake {
            joiner: second,
            listener: first,
        };
        assert_eq!(hex(as_joiner.ack_hmac(Version::V1)), expected);
        assert_eq!(hex(as_listener.syn_ack_hmac(Version::V1)), expected);
    }
}
