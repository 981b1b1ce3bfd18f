//! Keys, tokens, HMACs and the DSS checksum (RFC 8684 sections 3.1 to 3.4), with RustCrypto.
//!
//! Keys are 64-bit numbers used big-endian. Version 1 hashes with SHA-256, version 0 with SHA-1.

use core::net::IpAddr;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use sha2::Sha256;

/// MPTCP protocol version, which picks the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// RFC 6824: SHA-1.
    V0,
    /// RFC 8684: SHA-256.
    V1,
}

impl Version {
    /// From the MP_CAPABLE version nibble (`None` for unknown versions).
    pub const fn from_nibble(version: u8) -> Option<Version> {
        match version {
            0 => Some(Version::V0),
            1 => Some(Version::V1),
            _ => None,
        }
    }
}

/// Token and initial data sequence number of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyDerived {
    /// The most significant 32 bits of the key's hash: names the connection in MP_JOIN.
    pub token: u32,
    /// The least significant 64 bits of the hash: the first data byte has DSN `idsn + 1`.
    pub idsn: u64,
}

/// Token and IDSN of `key` (the hash of the key's 8 big-endian bytes).
///
/// ```
/// use mptcp_parse::crypto::{key_derived, Version};
/// let d = key_derived(Version::V1, 0x29a6c86981ad933c);
/// assert_eq!(d.token, 0xa35d6d82);
/// assert_eq!(d.idsn, 11713449205243392241);
/// ```
pub fn key_derived(version: Version, key: u64) -> KeyDerived {
    let bytes = key.to_be_bytes();
    let (head, tail): ([u8; 4], [u8; 8]) = match version {
        Version::V1 => {
            let h = Sha256::digest(bytes);
            (
                h[..4].try_into().unwrap_or_default(),
                h[24..32].try_into().unwrap_or_default(),
            )
        }
        Version::V0 => {
            let h = Sha1::digest(bytes);
            (
                h[..4].try_into().unwrap_or_default(),
                h[12..20].try_into().unwrap_or_default(),
            )
        }
    };
    KeyDerived {
        token: u32::from_be_bytes(head),
        idsn: u64::from_be_bytes(tail),
    }
}

/// A full HMAC: 20 bytes (v0, SHA-1) or 32 bytes (v1, SHA-256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FullHmac {
    bytes: [u8; 32],
    len: usize,
}

impl FullHmac {
    /// The HMAC's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The leftmost 64 bits (what MP_JOIN SYN/ACK carries).
    pub fn leftmost_64(&self) -> u64 {
        u64::from_be_bytes(self.first_bytes::<8>())
    }

    /// The leftmost 160 bits (what MP_JOIN's third ACK carries).
    pub fn leftmost_160(&self) -> [u8; 20] {
        self.first_bytes::<20>()
    }

    fn first_bytes<const N: usize>(&self) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[..N]);
        out
    }
}

fn hmac(version: Version, key: &[u8; 16], msg: &[&[u8]]) -> FullHmac {
    let mut bytes = [0u8; 32];
    let len = match version {
        Version::V1 => {
            let mut mac =
                <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
            msg.iter().for_each(|m| mac.update(m));
            bytes.copy_from_slice(&mac.finalize().into_bytes());
            32
        }
        Version::V0 => {
            let mut mac =
                <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
            msg.iter().for_each(|m| mac.update(m));
            bytes[..20].copy_from_slice(&mac.finalize().into_bytes());
            20
        }
    };
    FullHmac { bytes, len }
}

fn key_pair(first: u64, second: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&first.to_be_bytes());
    k[8..].copy_from_slice(&second.to_be_bytes());
    k
}

/// The MP_JOIN HMAC a host computes: key = own key ‖ peer's key, message = own random ‖
/// peer's random.
///
/// With A the host sending the SYN and B the listener, HMAC-B (SYN/ACK) is
/// `join_hmac(v, key_b, key_a, r_b, r_a)` and HMAC-A (third ACK) is
/// `join_hmac(v, key_a, key_b, r_a, r_b)`.
pub fn join_hmac(
    version: Version,
    own_key: u64,
    peer_key: u64,
    own_nonce: u32,
    peer_nonce: u32,
) -> FullHmac {
    let mut msg = [0u8; 8];
    msg[..4].copy_from_slice(&own_nonce.to_be_bytes());
    msg[4..].copy_from_slice(&peer_nonce.to_be_bytes());
    hmac(version, &key_pair(own_key, peer_key), &[&msg])
}

/// Checks the truncated HMAC of an MP_JOIN SYN/ACK, sent by the listener B.
pub fn verify_join_syn_ack(
    version: Version,
    key_b: u64,
    key_a: u64,
    nonce_b: u32,
    nonce_a: u32,
    truncated_hmac: u64,
) -> bool {
    join_hmac(version, key_b, key_a, nonce_b, nonce_a).leftmost_64() == truncated_hmac
}

/// Checks the HMAC of an MP_JOIN third ACK, sent by the joining host A.
pub fn verify_join_ack(
    version: Version,
    key_a: u64,
    key_b: u64,
    nonce_a: u32,
    nonce_b: u32,
    hmac: &[u8; 20],
) -> bool {
    join_hmac(version, key_a, key_b, nonce_a, nonce_b).leftmost_160() == *hmac
}

/// The full HMAC-SHA256 of an ADD_ADDR: key = sender's key ‖ receiver's key, message =
/// address ID ‖ address ‖ port (0 when absent).
pub fn add_addr_hmac(
    sender_key: u64,
    receiver_key: u64,
    address_id: u8,
    address: IpAddr,
    port: Option<u16>,
) -> FullHmac {
    let port = port.unwrap_or(0).to_be_bytes();
    let key = key_pair(sender_key, receiver_key);
    match address {
        IpAddr::V4(a) => hmac(Version::V1, &key, &[&[address_id], &a.octets(), &port]),
        IpAddr::V6(a) => hmac(Version::V1, &key, &[&[address_id], &a.octets(), &port]),
    }
}

/// How an ADD_ADDR's truncated HMAC compares with the one computed from the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddAddrHmacCheck {
    /// Equals the rightmost 64 bits of HMAC-SHA256, as RFC 8684 and current Linux send it.
    Valid,
    /// Equals a form early Linux sent before the RFC's intent was settled (2020).
    Legacy(LegacyAddAddrHmac),
    /// Matches no known form.
    Invalid {
        /// The value RFC 8684 calls for.
        expected: u64,
    },
}

/// Pre-RFC forms of the ADD_ADDR truncated HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegacyAddAddrHmac {
    /// The leftmost 64 bits (Linux 5.6 and 5.7).
    Leftmost64,
    /// The rightmost 64 of the leftmost 160 bits (Linux briefly in 2020).
    RightmostOf160,
}

/// Checks an ADD_ADDR truncated HMAC against the keys, telling the current form from legacy ones.
pub fn verify_add_addr_hmac(
    sender_key: u64,
    receiver_key: u64,
    address_id: u8,
    address: IpAddr,
    port: Option<u16>,
    truncated_hmac: u64,
) -> AddAddrHmacCheck {
    let full = add_addr_hmac(sender_key, receiver_key, address_id, address, port);
    let b = full.as_bytes();
    let at = |i: usize| u64::from_be_bytes(b[i..i + 8].try_into().unwrap_or_default());
    let expected = at(24);
    if truncated_hmac == expected {
        AddAddrHmacCheck::Valid
    } else if truncated_hmac == at(0) {
        AddAddrHmacCheck::Legacy(LegacyAddAddrHmac::Leftmost64)
    } else if truncated_hmac == at(12) {
        AddAddrHmacCheck::Legacy(LegacyAddAddrHmac::RightmostOf160)
    } else {
        AddAddrHmacCheck::Invalid { expected }
    }
}

/// The DSS checksum, computed incrementally over a mapping's payload.
///
/// A mapping may span several TCP segments: feed each segment's bytes in order with
/// [`update`](Self::update); odd-length pieces are handled. Nothing is buffered.
///
/// ```
/// use mptcp_parse::crypto::DssChecksum;
/// let mut c = DssChecksum::new(7512766147283988406, 1, 1);
/// c.update(&[0x63]);
/// assert_eq!(c.value(), 0x9e91);
/// assert!(c.verify(0x9e91));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DssChecksum {
    sum: u64,
    odd: bool,
    fed: usize,
}

impl DssChecksum {
    /// Starts with the pseudo-header: DSN (always 64 bits), relative SSN, data-level length,
    /// and a zero checksum field.
    pub fn new(dsn: u64, ssn: u32, data_len: u16) -> DssChecksum {
        let sum = (dsn >> 48)
            + ((dsn >> 32) & 0xffff)
            + ((dsn >> 16) & 0xffff)
            + (dsn & 0xffff)
            + u64::from(ssn >> 16)
            + u64::from(ssn & 0xffff)
            + u64::from(data_len);
        DssChecksum {
            sum,
            odd: false,
            fed: 0,
        }
    }

    /// Adds payload bytes that follow the ones already fed.
    pub fn update(&mut self, mut data: &[u8]) {
        self.fed += data.len();
        if self.odd {
            if let Some((first, rest)) = data.split_first() {
                self.sum += u64::from(*first);
                data = rest;
                self.odd = false;
            }
        }
        // The ones' complement sum does not depend on byte order (RFC 1071 section 2 B): the
        // 16-bit words summed as they lie in a little-endian 64-bit load give the big-endian
        // sum with its two bytes swapped. Adding the two 32-bit halves of each load is the
        // same sum again (2^16 is 1 modulo 0xffff), without a byte swap per word, and the
        // compiler vectorizes it. A block of 2^20 loads sums to less than 2^53: no overflow.
        let (words, tail) = data.split_at(data.len() / 8 * 8);
        for block in words.chunks(8 << 20) {
            let mut sum = 0u64;
            for w in block.chunks_exact(8) {
                let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                sum += (w & 0xffff_ffff) + (w >> 32);
            }
            self.sum += u64::from(Self::folded(sum).swap_bytes());
        }
        let mut pairs = tail.chunks_exact(2);
        for p in &mut pairs {
            self.sum += u64::from(u16::from_be_bytes([p[0], p[1]]));
        }
        if let [last] = pairs.remainder() {
            self.sum += u64::from(*last) << 8;
            self.odd = true;
        }
        // Fold now and then so that the sum never overflows, however long the mapping.
        if self.sum >> 60 != 0 {
            self.sum = (self.sum & 0xffff_ffff) + (self.sum >> 32);
        }
    }

    /// Payload bytes fed so far.
    pub fn fed(&self) -> usize {
        self.fed
    }

    fn folded(mut sum: u64) -> u16 {
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    /// The checksum a sender puts in the DSS option for the bytes fed.
    pub fn value(&self) -> u16 {
        !Self::folded(self.sum)
    }

    /// Whether `checksum` (from the DSS option) matches the bytes fed.
    pub fn verify(&self, checksum: u16) -> bool {
        Self::folded(self.sum + u64::from(checksum)) == 0xffff
    }
}

/// The DSS checksum of a whole mapping in one call.
pub fn dss_checksum(dsn: u64, ssn: u32, data_len: u16, payload: &[u8]) -> u16 {
    let mut c = DssChecksum::new(dsn, ssn, data_len);
    c.update(payload);
    c.value()
}
