//! Keys, tokens, HMACs and the DSS checksum (RFC 8684 sections 3.1 to 3.4), with RustCrypto.
//!
//! Keys are 64-bit numbers used big-endian. Version 1 hashes with SHA-256, version 0 with SHA-1.
//!
//! Keys and MP_JOIN random numbers have their own types ([`Key`], [`Nonce`]), and the HMACs
//! take their inputs by role ([`JoinHandshake`]: joiner and listener; [`AddAddrKeys`]: sender
//! and receiver), so that a key passed as a nonce, or the two hosts' keys in the wrong order,
//! does not compile or reads wrong at the call site.

use core::net::IpAddr;
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use sha2::Sha256;

/// MPTCP protocol version, which picks the hash.
///
/// Non-exhaustive: a later protocol version (the MP_CAPABLE version nibble has room for 16)
/// would be a new variant with its own hash, and code outside this crate must not assume the
/// two it knows today are all there will be. [`Version::from_nibble`] already answers `None`
/// for the versions this crate cannot verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

/// A connection key: the 64-bit number a host gives in its MP_CAPABLE, used big-endian.
///
/// Its own type, so that a key cannot be passed where a nonce, a token or a sequence number
/// is expected, nor one of those where a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key(pub u64);

impl Key {
    /// The key's 8 bytes as they are hashed (and as MP_CAPABLE carries them).
    pub const fn to_be_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }
}

/// The 32-bit random number a host sends in its MP_JOIN SYN or SYN/ACK (R-A and R-B in
/// RFC 8684 section 3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nonce(pub u32);

impl Nonce {
    /// The nonce's 4 bytes as they are hashed (and as MP_JOIN carries them).
    pub const fn to_be_bytes(self) -> [u8; 4] {
        self.0.to_be_bytes()
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
/// use mptcp_parse::crypto::{key_derived, Key, Version};
/// let d = key_derived(Version::V1, Key(0x29a6c86981ad933c));
/// assert_eq!(d.token, 0xa35d6d82);
/// assert_eq!(d.idsn, 11713449205243392241);
/// ```
pub fn key_derived(version: Version, key: Key) -> KeyDerived {
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

/// The HMAC key of a host: its own key first, then the peer's.
fn key_pair(first: Key, second: Key) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&first.to_be_bytes());
    k[8..].copy_from_slice(&second.to_be_bytes());
    k
}

/// One host's part of an MP_JOIN handshake: the key it gave in its MP_CAPABLE and the random
/// number it sent in its MP_JOIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JoinHost {
    /// The host's connection key.
    pub key: Key,
    /// The random number of the host's MP_JOIN SYN (joiner) or SYN/ACK (listener).
    pub nonce: Nonce,
}

impl JoinHost {
    /// A host's key and nonce.
    pub const fn new(key: Key, nonce: Nonce) -> JoinHost {
        JoinHost { key, nonce }
    }
}

/// The two hosts of an MP_JOIN handshake, by role, and the HMACs they exchange (RFC 8684
/// section 3.2).
///
/// Host A, the joiner, sends the SYN; host B, the listener, answers with the SYN/ACK. Each
/// HMAC is keyed with its sender's key followed by the other host's key, over its sender's
/// random number followed by the other host's; naming the roles here leaves that order to this
/// type rather than to the caller.
///
/// ```
/// use mptcp_parse::crypto::{JoinHandshake, JoinHost, Key, Nonce, Version};
/// // tcpdump's mptcp-v0.pcap, frames 8 to 10.
/// let join = JoinHandshake {
///     joiner: JoinHost::new(Key(0x9c9eabd1e46a33b2), Nonce(0x1b665a18)),
///     listener: JoinHost::new(Key(0x967d2770b6960552), Nonce(0x33abe9d5)),
/// };
/// assert!(join.verify_syn_ack(Version::V0, 0x5ab680c7884af03d));
/// assert_eq!(join.ack_hmac(Version::V0).as_bytes()[..4], [0xcb, 0x7b, 0x87, 0xf5]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JoinHandshake {
    /// Host A, which sent the MP_JOIN SYN.
    pub joiner: JoinHost,
    /// Host B, which answered with the MP_JOIN SYN/ACK.
    pub listener: JoinHost,
}

impl JoinHandshake {
    /// HMAC-B, the listener's: key = Key-B ‖ Key-A, message = R-B ‖ R-A. The SYN/ACK carries
    /// its leftmost 64 bits.
    pub fn syn_ack_hmac(&self, version: Version) -> FullHmac {
        Self::hmac_of(version, self.listener, self.joiner)
    }

    /// HMAC-A, the joiner's: key = Key-A ‖ Key-B, message = R-A ‖ R-B. The third ACK carries
    /// its leftmost 160 bits.
    pub fn ack_hmac(&self, version: Version) -> FullHmac {
        Self::hmac_of(version, self.joiner, self.listener)
    }

    /// Whether the truncated HMAC of the listener's MP_JOIN SYN/ACK is right.
    pub fn verify_syn_ack(&self, version: Version, truncated_hmac: u64) -> bool {
        self.syn_ack_hmac(version).leftmost_64() == truncated_hmac
    }

    /// Whether the HMAC of the joiner's MP_JOIN third ACK is right.
    pub fn verify_ack(&self, version: Version, hmac: &[u8; 20]) -> bool {
        self.ack_hmac(version).leftmost_160() == *hmac
    }

    fn hmac_of(version: Version, sender: JoinHost, other: JoinHost) -> FullHmac {
        let mut msg = [0u8; 8];
        msg[..4].copy_from_slice(&sender.nonce.to_be_bytes());
        msg[4..].copy_from_slice(&other.nonce.to_be_bytes());
        hmac(version, &key_pair(sender.key, other.key), &[&msg])
    }
}

/// The keys of an ADD_ADDR's HMAC, by role (RFC 8684 section 3.4.1).
///
/// ```
/// use mptcp_parse::crypto::{AddAddrHmacCheck, AddAddrKeys, Key};
/// use std::net::{IpAddr, Ipv4Addr};
/// let keys = AddAddrKeys {
///     sender: Key(0x73bb150358a0aecb),
///     receiver: Key(0x8f0c7c64a6a32ac1),
/// };
/// let address = IpAddr::V4(Ipv4Addr::new(192, 168, 136, 225));
/// assert_eq!(keys.verify(1, address, None, 0xe0e054c3444e4c25), AddAddrHmacCheck::Valid);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddAddrKeys {
    /// The key of the host that sends the ADD_ADDR (Key-A in the RFC).
    pub sender: Key,
    /// The key of the host it is sent to (Key-B).
    pub receiver: Key,
}

impl AddAddrKeys {
    /// The full HMAC-SHA256 of an ADD_ADDR: key = sender's key ‖ receiver's key, message =
    /// address ID ‖ address ‖ port (0 when absent).
    pub fn hmac(&self, address_id: u8, address: IpAddr, port: Option<u16>) -> FullHmac {
        let port = port.unwrap_or(0).to_be_bytes();
        let key = key_pair(self.sender, self.receiver);
        match address {
            IpAddr::V4(a) => hmac(Version::V1, &key, &[&[address_id], &a.octets(), &port]),
            IpAddr::V6(a) => hmac(Version::V1, &key, &[&[address_id], &a.octets(), &port]),
        }
    }

    /// Checks an ADD_ADDR truncated HMAC, telling the current form from legacy ones.
    pub fn verify(
        &self,
        address_id: u8,
        address: IpAddr,
        port: Option<u16>,
        truncated_hmac: u64,
    ) -> AddAddrHmacCheck {
        let full = self.hmac(address_id, address, port);
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
}

/// How an ADD_ADDR's truncated HMAC compares with the one computed from the keys.
///
/// Exhaustive: a value is right, one of the known legacy forms, or wrong. A legacy form found
/// later is a new [`LegacyAddAddrHmac`], not a new outcome here.
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
///
/// Non-exhaustive: captures of other early implementations may show further forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LegacyAddAddrHmac {
    /// The leftmost 64 bits (Linux 5.6 and 5.7).
    Leftmost64,
    /// The rightmost 64 of the leftmost 160 bits (Linux briefly in 2020).
    RightmostOf160,
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
