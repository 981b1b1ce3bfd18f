//! The `engine` target's input format and checks, shared with
//! `mptcp-parse/tests/fuzz_regressions.rs` (which includes this file with `#[path]`) so that a
//! saved input replays exactly as the fuzzer ran it. `seed_corpus.py` writes the same format.
//!
//! An input is one config byte, then packet records until the input ends (at most
//! [`MAX_PACKETS`]). Bytes past the end read as zero. Numbers are big-endian.
//!
//! **Config byte**: bit 0 `verify_crypto`; bit 1 differential run (the same packets through a
//! second engine with `verify_crypto` flipped, whose findings must be the first one's minus the
//! crypto checks); bits 2-4 FAULT_ANNOUNCE subtype (0 off, n: 8 + n); bits 5-6 stream numbers
//! (0 none, 1 per 4-tuple as Wireshark's `tcp.stream`, a new one for a SYN after RST/FIN,
//! 2 as 1 unless the record gives one, 3 one per 4-tuple for ever).
//!
//! **Record**:
//!
//! | byte | meaning |
//! |------|---------|
//! | 0 | bit 0 IPv6; bit 1 client address, bit 2 server address (two each, see [`address`]); bits 3-4 client port ([`CLIENT_PORTS`]); bits 5-6 server port ([`SERVER_PORTS`]); bit 7 direction: server to client |
//! | 1 | TCP flags, as they are (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10) |
//! | 2 | bits 0-1 sequence number: 0 next in this direction, 1 next + a signed delta byte, 2 a 4-byte value, 3 the previous segment's again; bits 2-4 time step: 0, 1 µs, 1 ms, 20 ms, 300 ms, 3 s, a 2-byte step in ms, a 4-byte absolute time in seconds; bit 5 skip one frame number (a non-TCP frame between); bit 6 a stream byte follows (0xff: none; used in stream mode 2); bit 7 a byte follows that replaces TCP header byte 12 (data offset) |
//! | 3 | bits 0-2 number of options |
//! | ... | the bytes bits of byte 2 asked for, in that order: delta or sequence number, time, stream, byte 12 |
//! | ... | each option: a selector byte (template in bits 0-3, its variant in bits 4-7), then the template's bytes (see [`OptionSpec`]) |
//! | last | payload: bits 0-4 length ([`PAYLOAD_LENGTHS`]; 31: a 2-byte length follows, at most 2048); bit 5 the payload bytes follow (else a filler pattern); bits 6-7 seed of the filler |
//!
//! Keys, nonces, addresses and ports come from small sets, so that records meet on the same
//! subflows and connections; tokens, HMACs and DSS checksums are computed here from the keys and
//! nonces the record names (correct unless the record asks for a wrong one). Options go into the
//! 40-byte options area while they fit (a raw one is cut to fit), NOP-padded to 4 bytes.
//!
//! The checks, after each packet and at the end, are what the engine documents: no panic; a
//! frame processed again is not analysed again and shows the same findings (and connection, when
//! it has a stream); counts grow by at most one per packet; findings of earlier frames change only
//! by forward links being filled in (a `None` link set once, never changed), and `finish` only
//! appends the end-of-capture findings; frame links point at frames processed (1 ≤ link ≤ last,
//! backward links ≤ their own frame); streams in findings are streams the engine was given or
//! numbered; no key, HMAC or checksum finding without `verify_crypto`; `finish` twice is once.
#![allow(dead_code)]

use mptcp_parse::analysis::{Config, Engine, Finding, Packet};
use mptcp_parse::crypto::{self, Version};
use mptcp_parse::{
    AddAddr, AddAddrVersion, CapableFlags, CapableForm, DataSeq, Dss, FaultAnnounce, FaultCause,
    JoinForm, Mapping, MpCapable, MpFail, MpFastclose, MpJoin, MpPrio, MpTcpRst, MptcpOption,
    RemoveAddr, RstReason, TcpSegment,
};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

/// Records after this many are ignored.
pub const MAX_PACKETS: usize = 128;

/// The keys options name by index.
pub const KEYS: [u64; 4] = [
    0x1111_2222_3333_4444,
    0x5555_6666_7777_8888,
    0x0123_4567_89ab_cdef,
    0xfedc_ba98_7654_3210,
];
/// The nonces options name by index.
pub const NONCES: [u32; 4] = [0xaaaa_0001, 0xbbbb_0002, 0xcccc_0003, 0xdddd_0004];
/// Client ports (two bits).
pub const CLIENT_PORTS: [u16; 4] = [40000, 40001, 40002, 40003];
/// Server ports (two bits).
pub const SERVER_PORTS: [u16; 4] = [80, 8080, 443, 5201];
/// Payload lengths by code (31: explicit).
pub const PAYLOAD_LENGTHS: [u16; 31] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 63, 64, 100, 127, 128, 255,
    256, 512, 536, 1000, 1400,
];
/// Longest payload an explicit length gives.
pub const MAX_PAYLOAD: usize = 2048;
/// Time of the first record (ns): 2020-09-13.
pub const TIME_ORIGIN: i64 = 1_600_000_000_000_000_000;

/// Address `index` (0..8): bit 2 IPv6, bit 1 server side, bit 0 which of the host's two.
pub fn address(index: usize) -> IpAddr {
    let (v6, server, second) = (index & 4 != 0, index & 2 != 0, index & 1 != 0);
    let host = if server { 2 } else { 1 };
    let net = u8::from(second);
    if v6 {
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            u16::from(net),
            0,
            0,
            0,
            0,
            host,
        ))
    } else {
        IpAddr::V4(Ipv4Addr::new(10, 0, net, host as u8))
    }
}

fn derived(version: Version, key: usize) -> crypto::KeyDerived {
    static TABLE: OnceLock<[[crypto::KeyDerived; 4]; 2]> = OnceLock::new();
    let t = TABLE.get_or_init(|| {
        [Version::V0, Version::V1]
            .map(|v| [0, 1, 2, 3].map(|k| crypto::key_derived(v, crypto::Key(KEYS[k]))))
    });
    t[usize::from(version == Version::V1)][key & 3]
}

/// The MP_JOIN handshake of joiner key `a` and nonce `r_a` with listener key `b` and nonce `r_b`.
fn join(a: u64, b: u64, r_a: u32, r_b: u32) -> crypto::JoinHandshake {
    crypto::JoinHandshake {
        joiner: crypto::JoinHost::new(crypto::Key(a), crypto::Nonce(r_a)),
        listener: crypto::JoinHost::new(crypto::Key(b), crypto::Nonce(r_b)),
    }
}

fn version(v1: bool) -> Version {
    if v1 {
        Version::V1
    } else {
        Version::V0
    }
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn done(&self) -> bool {
        self.at >= self.data.len()
    }
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        for b in &mut a {
            *b = self.u8();
        }
        a
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.array())
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.array())
    }
    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.array())
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u8()).collect()
    }
}

/// One option of a record, as read (its bytes are made once the payload is known).
///
/// | template | variant bits (selector bits 4-7) | bytes after the selector |
/// |----------|----------------------------------|--------------------------|
/// | 0 MP_CAPABLE | 0-1 form (bare, sender key, both keys, both keys + data), 2 version 1, 3 flag A (checksums) | 1: bits 0-1 sender key, 2-3 receiver key, 4 flag H, 5 data checksum present, 6 checksum wrong, 7 data length one more than the payload |
/// | 1 MP_JOIN SYN | 0-1 key whose token is named, 2 version 1, 3 a token of no key | 1: bits 0-1 nonce, 2-3 address ID, 4 backup |
/// | 2 MP_JOIN SYN/ACK | 0-1 listener's key (B), 2-3 joiner's key (A) | 1: bit 0 version 1, 1 HMAC wrong, 2-3 listener's nonce, 4-5 joiner's nonce, 6-7 address ID |
/// | 3 MP_JOIN ACK | 0-1 joiner's key (A), 2-3 listener's key (B) | 1: as for the SYN/ACK |
/// | 4 DSS | 0 Data ACK, 1 mapping, 2 8-byte numbers, 3 checksum | 1: bit 0 DATA_FIN, 1 checksum wrong, 2 infinite mapping, 3-4 key of the DSN (DSN = IDSN + relative SSN), 5 version 1, 6-7 extent (0 this payload, 1 100 bytes more, 2 its first half, 3 its second half) |
/// | 5 ADD_ADDR | 0-2 address ([`address`]), 3 port | 2: bits 0-1 address ID, 2 echo, 3 version 0 form, 4-5 sender's key, 6 HMAC wrong, 7 legacy (leftmost 64 bits) HMAC; bits 0-1 receiver's key, 2-3 port (client ports 0-1, server ports 0-1) |
/// | 6 REMOVE_ADDR | 0-1 number of IDs - 1 | 1: the IDs, two bits each |
/// | 7 MP_FASTCLOSE | 0-1 key, 2 a wrong key | - |
/// | 8 MP_FAIL | 0 an 8-byte DSN follows, else the last mapping's DSN + bits 1-3 | 8 when bit 0 |
/// | 9 MP_TCPRST | 0 transient | 1: reason |
/// | 10 FAULT_ANNOUNCE | 0 transient, 1-2 middlebox address (none, IPv4, IPv6, none) | 1: bits 0-1 source ID, 2-3 destination ID, 4-7 cause - 0x0a |
/// | 11 MP_PRIO | 0 backup, 1 address ID present, 2-3 the ID | - |
/// | 12 raw bytes | - | 1: length n, then n bytes |
/// | 13 other TCP option | 0-1 MSS, SACK permitted, timestamps, window scale | - |
/// | 14 NOP | - | - |
/// | 15 EOL | - | - |
#[derive(Debug, Clone)]
pub enum OptionSpec {
    Capable { variant: u8, p: u8 },
    JoinSyn { variant: u8, p: u8 },
    JoinSynAck { variant: u8, p: u8 },
    JoinAck { variant: u8, p: u8 },
    Dss { variant: u8, p: u8 },
    AddAddr { variant: u8, p: u8, q: u8 },
    RemoveAddr { variant: u8, p: u8 },
    Fastclose { variant: u8 },
    Fail { variant: u8, dsn: Option<u64> },
    TcpRst { variant: u8, reason: u8 },
    Fault { variant: u8, p: u8 },
    Prio { variant: u8 },
    Raw(Vec<u8>),
    Tcp { variant: u8 },
    Nop,
    Eol,
}

fn read_option(r: &mut Reader<'_>) -> OptionSpec {
    let sel = r.u8();
    let variant = sel >> 4;
    match sel & 0x0f {
        0 => OptionSpec::Capable { variant, p: r.u8() },
        1 => OptionSpec::JoinSyn { variant, p: r.u8() },
        2 => OptionSpec::JoinSynAck { variant, p: r.u8() },
        3 => OptionSpec::JoinAck { variant, p: r.u8() },
        4 => OptionSpec::Dss { variant, p: r.u8() },
        5 => OptionSpec::AddAddr {
            variant,
            p: r.u8(),
            q: r.u8(),
        },
        6 => OptionSpec::RemoveAddr { variant, p: r.u8() },
        7 => OptionSpec::Fastclose { variant },
        8 => OptionSpec::Fail {
            variant,
            dsn: (variant & 1 != 0).then(|| r.u64()),
        },
        9 => OptionSpec::TcpRst {
            variant,
            reason: r.u8(),
        },
        10 => OptionSpec::Fault { variant, p: r.u8() },
        11 => OptionSpec::Prio { variant },
        12 => {
            let n = r.u8();
            OptionSpec::Raw(r.bytes(usize::from(n)))
        }
        13 => OptionSpec::Tcp { variant },
        14 => OptionSpec::Nop,
        _ => OptionSpec::Eol,
    }
}

type Endpoint = (IpAddr, u16);

/// What the decoder tracks per direction of a 4-tuple, to give sequence numbers.
struct Direction {
    /// Sequence number of the next byte.
    next: u32,
    /// Sequence number of the last segment.
    last: u32,
    /// Sequence number of the last SYN (at first, of the one to come).
    syn: u32,
    /// The ISN as the engine counts it (SYN's sequence number + its payload).
    isn: u32,
}

/// One decoded packet, owning its bytes.
#[derive(Debug, Clone)]
pub struct OwnedPacket {
    pub frame: u32,
    pub time: i64,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub stream: Option<u32>,
    pub tcp: Vec<u8>,
    /// `TcpSegment::parse` accepts it (else the engine ignores it).
    pub parses: bool,
}

impl OwnedPacket {
    pub fn packet(&self) -> Packet<'_> {
        Packet {
            frame: self.frame,
            time: self.time,
            src: self.src,
            dst: self.dst,
            stream: self.stream,
            tcp: &self.tcp,
        }
    }
}

/// A decoded input.
#[derive(Debug, Clone)]
pub struct Input {
    pub config: Config,
    pub differential: bool,
    pub packets: Vec<OwnedPacket>,
    /// Times never go back (no absolute time went backwards).
    pub monotonic: bool,
}

struct Decoder {
    stream_mode: u8,
    fault_subtype: u8,
    dirs: HashMap<(Endpoint, Endpoint), Direction>,
    /// Per unordered 4-tuple: stream and whether a RST or FIN closed it.
    streams: HashMap<(Endpoint, Endpoint), (u32, bool)>,
    next_stream: u32,
    last_dsn: u64,
    frame: u32,
    time: i64,
}

/// Decodes an input (see the module's documentation).
pub fn decode(data: &[u8]) -> Input {
    let mut r = Reader { data, at: 0 };
    let c = r.u8();
    let fault = (c >> 2) & 7;
    let config = Config {
        verify_crypto: c & 1 != 0,
        fault_announce_subtype: (fault != 0).then_some(8 + fault),
    };
    let mut d = Decoder {
        stream_mode: (c >> 5) & 3,
        fault_subtype: 8 + fault.max(1),
        dirs: HashMap::new(),
        streams: HashMap::new(),
        next_stream: 0,
        last_dsn: 0,
        frame: 0,
        time: TIME_ORIGIN,
    };
    let mut input = Input {
        config,
        differential: c & 2 != 0,
        packets: Vec::new(),
        monotonic: true,
    };
    while !r.done() && input.packets.len() < MAX_PACKETS {
        let p = d.record(&mut r, &mut input.monotonic);
        input.packets.push(p);
    }
    input
}

impl Decoder {
    fn record(&mut self, r: &mut Reader<'_>, monotonic: &mut bool) -> OwnedPacket {
        let b0 = r.u8();
        let flags = r.u8();
        let b2 = r.u8();
        let option_count = r.u8() & 7;

        let v6 = usize::from(b0 & 1) * 4;
        let client = (
            address(v6 | usize::from((b0 >> 1) & 1)),
            CLIENT_PORTS[usize::from((b0 >> 3) & 3)],
        );
        let server = (
            address(v6 | 2 | usize::from((b0 >> 2) & 1)),
            SERVER_PORTS[usize::from((b0 >> 5) & 3)],
        );
        let (src, dst) = if b0 & 0x80 != 0 {
            (server, client)
        } else {
            (client, server)
        };
        let (syn, fin, rst) = (flags & 0x02 != 0, flags & 0x01 != 0, flags & 0x04 != 0);

        // Sequence number.
        let seq_mode = b2 & 3;
        let seq_arg = match seq_mode {
            1 => r.u8() as i8 as i32 as u32,
            2 => r.u32(),
            _ => 0,
        };
        // Time.
        let step = match (b2 >> 2) & 7 {
            0 => 0,
            1 => 1_000,
            2 => 1_000_000,
            3 => 20_000_000,
            4 => 300_000_000,
            5 => 3_000_000_000,
            6 => i64::from(r.u16()) * 1_000_000,
            _ => {
                let t = i64::from(r.u32()) * 1_000_000_000;
                *monotonic &= t >= self.time;
                self.time = t;
                0
            }
        };
        self.time += step;
        self.frame += 1 + u32::from(b2 >> 5 & 1);
        let stream_byte = (b2 & 0x40 != 0).then(|| r.u8());
        let byte12 = (b2 & 0x80 != 0).then(|| r.u8());

        let specs: Vec<OptionSpec> = (0..option_count).map(|_| read_option(r)).collect();
        let pl = r.u8();
        let len = match pl & 31 {
            31 => usize::from(r.u16()).min(MAX_PAYLOAD),
            code => usize::from(PAYLOAD_LENGTHS[usize::from(code)]),
        };
        let payload: Vec<u8> = if pl & 0x20 != 0 {
            r.bytes(len)
        } else {
            let seed = usize::from(pl >> 6) + self.frame as usize;
            (0..len)
                .map(|i| (i.wrapping_mul(31).wrapping_add(seed * 7)) as u8)
                .collect()
        };

        // Sequence numbers per direction, starting from a value of the endpoints.
        let initial = {
            let base = (u32::from(src.1) << 16) ^ u32::from(dst.1).wrapping_mul(0x9e37);
            base ^ if src.0.is_ipv4() { 0x1000 } else { 0x2000 } ^ (u32::from(b0 & 6) << 24)
        };
        let dir = self.dirs.entry((src, dst)).or_insert(Direction {
            next: initial.wrapping_add(1),
            last: initial,
            syn: initial,
            isn: initial,
        });
        let seq = match seq_mode {
            // A SYN again: a retransmission, with the same number.
            0 if syn => dir.syn,
            0 => dir.next,
            1 => dir.next.wrapping_add(seq_arg),
            2 => seq_arg,
            _ => dir.last,
        };
        dir.last = seq;
        let plen = payload.len() as u32;
        if syn {
            dir.syn = seq;
            dir.isn = seq.wrapping_add(plen);
            dir.next = seq
                .wrapping_add(1)
                .wrapping_add(plen)
                .wrapping_add(u32::from(fin));
        } else {
            dir.next = seq.wrapping_add(plen).wrapping_add(u32::from(fin));
        }
        let rel = seq.wrapping_sub(dir.isn);
        // The peer's next byte, for the ACK number.
        let ack = self.dirs.get(&(dst, src)).map_or(0, |d| d.next);

        // Options area.
        let mut area: Vec<u8> = Vec::with_capacity(40);
        for spec in &specs {
            let mut buf = [0u8; 64];
            let n = self.option_bytes(spec, &mut buf, &payload, rel);
            if let OptionSpec::Raw(raw) = spec {
                let room = 40 - area.len();
                area.extend_from_slice(&raw[..raw.len().min(room)]);
            } else if area.len() + n <= 40 {
                area.extend_from_slice(&buf[..n]);
            }
        }
        while area.len() % 4 != 0 {
            area.push(1);
        }

        let mut tcp = Vec::with_capacity(20 + area.len() + payload.len());
        tcp.extend_from_slice(&src.1.to_be_bytes());
        tcp.extend_from_slice(&dst.1.to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&ack.to_be_bytes());
        tcp.push(byte12.unwrap_or((((20 + area.len()) / 4) as u8) << 4));
        tcp.push(flags);
        tcp.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        tcp.extend_from_slice(&area);
        tcp.extend_from_slice(&payload);

        // Stream number.
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        let auto = {
            let fresh_syn = syn && flags & 0x10 == 0;
            let split = self.stream_mode != 3;
            let next = &mut self.next_stream;
            let entry = self.streams.entry(key).or_insert_with(|| {
                *next += 1;
                (*next - 1, false)
            });
            if split && fresh_syn && entry.1 {
                *entry = (*next, false);
                *next += 1;
            }
            if rst || fin {
                entry.1 = true;
            }
            entry.0
        };
        let stream = match (self.stream_mode, stream_byte) {
            (0, _) => None,
            (2, Some(0xff)) => None,
            (2, Some(b)) => Some(u32::from(b)),
            _ => Some(auto),
        };

        let parses = TcpSegment::parse(&tcp).is_ok();
        OwnedPacket {
            frame: self.frame,
            time: self.time,
            src: src.0,
            dst: dst.0,
            stream,
            tcp,
            parses,
        }
    }

    /// Writes the option into `buf`; returns its length (0: nothing).
    fn option_bytes(
        &mut self,
        spec: &OptionSpec,
        buf: &mut [u8; 64],
        payload: &[u8],
        rel: u32,
    ) -> usize {
        let option = match *spec {
            OptionSpec::Capable { variant, p } => {
                let v1 = variant & 4 != 0;
                let flags = if variant & 8 != 0 {
                    CapableFlags::CHECKSUM_REQUIRED
                } else {
                    0
                } | (p >> 4 & 1);
                let (sender, receiver) = (usize::from(p & 3), usize::from(p >> 2 & 3));
                let form = match variant & 3 {
                    0 => CapableForm::Bare,
                    1 => CapableForm::SenderKey { key: KEYS[sender] },
                    2 => CapableForm::BothKeys {
                        sender_key: KEYS[sender],
                        receiver_key: KEYS[receiver],
                    },
                    _ => {
                        let data_len = (payload.len() as u16).wrapping_add(u16::from(p >> 7));
                        let checksum = (p & 0x20 != 0).then(|| {
                            let dsn = derived(version(v1), sender).idsn.wrapping_add(1);
                            let bytes = &payload[..payload.len().min(usize::from(data_len))];
                            crypto::dss_checksum(dsn, 1, data_len, bytes)
                                ^ if p & 0x40 != 0 { 0x5a5a } else { 0 }
                        });
                        CapableForm::BothKeysData {
                            sender_key: KEYS[sender],
                            receiver_key: KEYS[receiver],
                            data_len,
                            checksum,
                        }
                    }
                };
                MptcpOption::MpCapable(MpCapable {
                    version: u8::from(v1),
                    flags: CapableFlags(flags),
                    form,
                })
            }
            OptionSpec::JoinSyn { variant, p } => {
                let token = derived(version(variant & 4 != 0), usize::from(variant & 3)).token;
                let receiver_token = if variant & 8 != 0 {
                    token ^ 0x0101_0101
                } else {
                    token
                };
                let form = JoinForm::Syn {
                    address_id: p >> 2 & 3,
                    receiver_token,
                    sender_nonce: NONCES[usize::from(p & 3)],
                };
                MptcpOption::MpJoin(MpJoin {
                    backup: p & 0x10 != 0,
                    reserved: 0,
                    form,
                })
            }
            OptionSpec::JoinSynAck { variant, p } => {
                let (b, a) = (
                    KEYS[usize::from(variant & 3)],
                    KEYS[usize::from(variant >> 2 & 3)],
                );
                let (r_b, r_a) = (
                    NONCES[usize::from(p >> 2 & 3)],
                    NONCES[usize::from(p >> 4 & 3)],
                );
                let hmac = join(a, b, r_a, r_b)
                    .syn_ack_hmac(version(p & 1 != 0))
                    .leftmost_64()
                    ^ u64::from(p >> 1 & 1);
                let form = JoinForm::SynAck {
                    address_id: p >> 6,
                    truncated_hmac: hmac,
                    sender_nonce: r_b,
                };
                MptcpOption::MpJoin(MpJoin {
                    backup: false,
                    reserved: 0,
                    form,
                })
            }
            OptionSpec::JoinAck { variant, p } => {
                let (a, b) = (
                    KEYS[usize::from(variant & 3)],
                    KEYS[usize::from(variant >> 2 & 3)],
                );
                let (r_b, r_a) = (
                    NONCES[usize::from(p >> 2 & 3)],
                    NONCES[usize::from(p >> 4 & 3)],
                );
                let mut hmac = join(a, b, r_a, r_b)
                    .ack_hmac(version(p & 1 != 0))
                    .leftmost_160();
                hmac[0] ^= p >> 1 & 1;
                let form = JoinForm::Ack {
                    reserved: 0,
                    hmac: &hmac,
                };
                return emit(
                    &MptcpOption::MpJoin(MpJoin {
                        backup: false,
                        reserved: 0,
                        form,
                    }),
                    buf,
                );
            }
            OptionSpec::Dss { variant, p } => {
                let wide = variant & 4 != 0;
                let idsn = derived(version(p & 0x20 != 0), usize::from(p >> 3 & 3)).idsn;
                let seq = |v: u64| {
                    if wide {
                        DataSeq::U64(v)
                    } else {
                        DataSeq::U32(v as u32)
                    }
                };
                let data_fin = p & 1 != 0;
                let mapping = (variant & 2 != 0).then(|| {
                    let n = payload.len();
                    let (from, to) = match p >> 6 {
                        0 => (0, n),
                        1 => (0, n + 100),
                        2 => (0, n / 2),
                        _ => (n / 2, n),
                    };
                    let ssn = rel.wrapping_add(from as u32);
                    let dsn = idsn.wrapping_add(u64::from(ssn));
                    let data_len = if p & 4 != 0 {
                        0
                    } else {
                        ((to - from) as u16).wrapping_add(u16::from(data_fin))
                    };
                    self.last_dsn = dsn;
                    let checksum = (variant & 8 != 0).then(|| {
                        let bytes = &payload[from.min(n)..to.min(n)];
                        crypto::dss_checksum(dsn, ssn, data_len, bytes)
                            ^ if p & 2 != 0 { 0x00ff } else { 0 }
                    });
                    Mapping {
                        dsn: seq(dsn),
                        ssn,
                        data_len,
                        checksum,
                    }
                });
                let data_ack = (variant & 1 != 0).then(|| seq(idsn ^ 0x5555));
                MptcpOption::Dss(Dss {
                    data_ack,
                    mapping,
                    data_fin,
                    unused_flags: 0,
                    reserved: 0,
                })
            }
            OptionSpec::AddAddr { variant, p, q } => {
                let addr = address(usize::from(variant & 7));
                let port = (variant & 8 != 0).then(|| {
                    [
                        CLIENT_PORTS[0],
                        CLIENT_PORTS[1],
                        SERVER_PORTS[0],
                        SERVER_PORTS[1],
                    ][usize::from(q >> 2 & 3)]
                });
                let (id, echo, v0) = (p & 3, p & 4 != 0, p & 8 != 0);
                let (sender, receiver) = (KEYS[usize::from(p >> 4 & 3)], KEYS[usize::from(q & 3)]);
                let truncated_hmac = (!echo && !v0).then(|| {
                    let full = crypto::AddAddrKeys {
                        sender: crypto::Key(sender),
                        receiver: crypto::Key(receiver),
                    }
                    .hmac(id, addr, port);
                    let at = if p & 0x80 != 0 { 0 } else { 24 };
                    let b = &full.as_bytes()[at..at + 8];
                    u64::from_be_bytes(b.try_into().unwrap_or_default()) ^ u64::from(p >> 6 & 1)
                });
                let version = if v0 {
                    AddAddrVersion::V0
                } else {
                    AddAddrVersion::V1 { echo, reserved: 0 }
                };
                MptcpOption::AddAddr(AddAddr {
                    version,
                    address_id: id,
                    address: addr,
                    port,
                    truncated_hmac,
                })
            }
            OptionSpec::RemoveAddr { variant, p } => {
                let ids: Vec<u8> = (0..=(variant & 3)).map(|i| p >> (2 * i) & 3).collect();
                return emit(
                    &MptcpOption::RemoveAddr(RemoveAddr {
                        reserved: 0,
                        address_ids: &ids,
                    }),
                    buf,
                );
            }
            OptionSpec::Fastclose { variant } => {
                let key =
                    KEYS[usize::from(variant & 3)] ^ if variant & 4 != 0 { 1 << 63 } else { 0 };
                MptcpOption::MpFastclose(MpFastclose {
                    reserved: 0,
                    receiver_key: key,
                })
            }
            OptionSpec::Fail { variant, dsn } => {
                let dsn = dsn.unwrap_or(self.last_dsn.wrapping_add(u64::from(variant >> 1)));
                MptcpOption::MpFail(MpFail { reserved: 0, dsn })
            }
            OptionSpec::TcpRst { variant, reason } => MptcpOption::MpTcpRst(MpTcpRst {
                reserved: 0,
                transient: variant & 1 != 0,
                reason: RstReason(reason),
            }),
            OptionSpec::Fault { variant, p } => {
                let middlebox = match variant >> 1 & 3 {
                    1 => Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
                    2 => Some(IpAddr::V6(Ipv6Addr::new(
                        0x2001, 0xdb8, 0xff, 0, 0, 0, 0, 1,
                    ))),
                    _ => None,
                };
                MptcpOption::FaultAnnounce(FaultAnnounce {
                    subtype: self.fault_subtype,
                    cause: FaultCause(0x0a + (p >> 4)),
                    dst_addr_id: p >> 2 & 3,
                    src_addr_id: p & 3,
                    middlebox,
                    transient: variant & 1 != 0,
                    reserved: false,
                    padding: &[],
                })
            }
            OptionSpec::Prio { variant } => MptcpOption::MpPrio(MpPrio {
                backup: variant & 1 != 0,
                reserved: 0,
                address_id: (variant & 2 != 0).then_some(variant >> 2),
            }),
            OptionSpec::Raw(_) => return 0,
            OptionSpec::Tcp { variant } => {
                let bytes: &[u8] = match variant & 3 {
                    0 => &[2, 4, 0x05, 0xb4],
                    1 => &[4, 2],
                    2 => &[8, 10, 0, 0, 0, 1, 0, 0, 0, 0],
                    _ => &[3, 3, 7],
                };
                buf[..bytes.len()].copy_from_slice(bytes);
                return bytes.len();
            }
            OptionSpec::Nop => {
                buf[0] = 1;
                return 1;
            }
            OptionSpec::Eol => {
                buf[0] = 0;
                return 1;
            }
        };
        emit(&option, buf)
    }
}

fn emit(option: &MptcpOption<'_>, buf: &mut [u8; 64]) -> usize {
    option.emit(buf).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// The checks.

/// The findings of `frame` now. The one place that names the engine's per-frame accessor.
pub fn findings_of(engine: &Engine, frame: u32) -> std::borrow::Cow<'_, [Finding]> {
    engine.findings(frame)
}

/// Whether the finding exists only because `verify_crypto` is on.
fn is_crypto(f: &Finding) -> bool {
    matches!(
        f,
        Finding::FastcloseKey { .. }
            | Finding::JoinHmac { .. }
            | Finding::AddAddrHmac { .. }
            | Finding::DssChecksum { .. }
    )
}

/// The finding without its forward links.
fn backward_part(f: &Finding) -> Finding {
    let mut f = f.clone();
    match &mut f {
        Finding::FastcloseInitiated {
            answered_in,
            answer_delay,
        } => {
            *answered_in = None;
            *answer_delay = None;
        }
        Finding::DssChecksum { followed_by, .. } => *followed_by = None,
        Finding::FaultAnnounced {
            target: Some(t), ..
        } => {
            t.last_frame = 0;
            t.rst_frame = None;
        }
        _ => {}
    }
    f
}

/// Whether `f`, on `frame`, comes after the frame's other findings: a check that passed, or
/// the verdict of a mapping the frame carried that a later frame completed.
fn is_check_part(f: &Finding, frame: u32) -> bool {
    f.is_passed_check()
        || matches!(f, Finding::DssChecksum { completed_in, .. } if *completed_in != frame)
}

/// The findings of `frame` apart from its checks ([`is_check_part`]), and the checks.
fn split(findings: &[Finding], frame: u32) -> (Vec<Finding>, Vec<Finding>) {
    let at = findings
        .iter()
        .position(|f| is_check_part(f, frame))
        .unwrap_or(findings.len());
    assert!(
        findings[at..].iter().all(|f| is_check_part(f, frame)),
        "frame {frame}: checks before findings: {findings:?}"
    );
    (findings[..at].to_vec(), findings[at..].to_vec())
}

/// `now` is `before` with forward links filled in (and, after `finish`, findings of the end
/// appended), and the checks only grown by verdicts that later frames gave: nothing else
/// changed, and no link that was set changed.
fn check_grown(before: &[Finding], now: &[Finding], frame: u32, finished: bool) {
    let ((before, before_checks), (now, now_checks)) = (split(before, frame), split(now, frame));
    let gained = now_checks.strip_prefix(&before_checks[..]);
    let later_verdict = |f: &Finding| matches!(f, Finding::DssChecksum { completed_in, .. } if *completed_in > frame);
    assert!(
        gained.is_some_and(|g| g.iter().all(later_verdict)),
        "frame {frame}: checks changed\nbefore {before_checks:?}\nnow {now_checks:?}"
    );
    let (now, appended) = now.split_at(if finished {
        before.len().min(now.len())
    } else {
        now.len()
    });
    assert_eq!(
        before.len(),
        now.len(),
        "frame {frame}: findings added or lost\nbefore {before:?}\nnow {now:?}"
    );
    for f in appended {
        assert!(
            matches!(
                f,
                Finding::FastcloseUnanswered { .. } | Finding::FastcloseSubflowsNotReset { .. }
            ),
            "frame {frame}: finish added {f:?}"
        );
    }
    let (before, now) = (&before[..], now);
    for (b, n) in before.iter().zip(now) {
        assert_eq!(
            backward_part(b),
            backward_part(n),
            "frame {frame}: a finding changed"
        );
        match (b, n) {
            (
                Finding::FastcloseInitiated {
                    answered_in: Some(x),
                    answer_delay: dx,
                },
                Finding::FastcloseInitiated {
                    answered_in: y,
                    answer_delay: dy,
                },
            ) => {
                assert_eq!(
                    (Some(*x), dx),
                    (*y, dy),
                    "frame {frame}: an answer link changed"
                );
            }
            (
                Finding::DssChecksum {
                    followed_by: Some(x),
                    ..
                },
                Finding::DssChecksum { followed_by: y, .. },
            ) => {
                assert_eq!(Some(*x), *y, "frame {frame}: a followed-by link changed");
            }
            // The target's last frame and RST are brought up to date by `finish` only.
            (
                Finding::FaultAnnounced { target: tb, .. },
                Finding::FaultAnnounced { target: tn, .. },
            ) if !finished => {
                assert_eq!(
                    tb, tn,
                    "frame {frame}: a fault target changed before finish"
                );
            }
            _ => {}
        }
    }
}

struct Limits<'a> {
    /// The last frame processed.
    last: u32,
    /// Streams given in packets.
    streams: &'a [u32],
    subflows: usize,
    monotonic: bool,
}

impl Limits<'_> {
    fn stream_known(&self, s: u32) -> bool {
        self.streams.contains(&s) || (s as usize) < self.subflows
    }
}

/// Links of the findings of `frame`: to processed frames, backward ones not after `frame`.
fn check_links(findings: &[Finding], frame: u32, l: &Limits<'_>) {
    let back = |x: u32, what: &str| {
        assert!(
            x >= 1 && x <= frame,
            "frame {frame}: {what} {x} not in 1..={frame}"
        )
    };
    let fwd = |x: u32, what: &str| {
        assert!(
            x >= frame && x <= l.last,
            "frame {frame}: {what} {x} not in {frame}..={}",
            l.last
        )
    };
    let any = |x: u32, what: &str| {
        assert!(
            x >= 1 && x <= l.last,
            "frame {frame}: {what} {x} not in 1..={}",
            l.last
        )
    };
    let stream = |s: &u32| {
        assert!(
            l.stream_known(*s),
            "frame {frame}: stream {s} of no subflow"
        )
    };
    for f in findings {
        match f {
            Finding::FastcloseInitiated {
                answered_in,
                answer_delay,
            } => {
                assert_eq!(
                    answered_in.is_some(),
                    answer_delay.is_some(),
                    "frame {frame}: {f:?}"
                );
                if let Some(x) = answered_in {
                    fwd(*x, "answered_in");
                    assert!(*x > frame, "frame {frame}: answered by itself");
                }
                if let (Some(d), true) = (answer_delay, l.monotonic) {
                    assert!(*d >= 0, "frame {frame}: {f:?}");
                }
            }
            Finding::FastcloseRetransmitted {
                number,
                first,
                since_first,
            } => {
                assert!(*number >= 1, "frame {frame}: {f:?}");
                back(*first, "first");
                assert!(*first < frame);
                assert!(!l.monotonic || *since_first >= 0, "frame {frame}: {f:?}");
            }
            Finding::FastcloseAfterPeerRst { peer_rst } => back(*peer_rst, "peer_rst"),
            Finding::FastcloseFinalRst { first, .. } => back(*first, "first"),
            Finding::FastcloseSubflowsNotReset { streams }
            | Finding::AddressRemoved { streams } => streams.iter().for_each(stream),
            Finding::FaultAnnounced {
                target: Some(t), ..
            } => {
                stream(&t.stream);
                any(t.last_frame, "target last_frame");
                if let Some(r) = t.rst_frame {
                    any(r, "target rst_frame");
                }
            }
            Finding::AddAddrRepeated { previous, .. } => {
                back(*previous, "previous");
                assert!(*previous < frame, "frame {frame}: {f:?}");
            }
            Finding::CapableStripped { offered_in, .. } => back(*offered_in, "offered_in"),
            Finding::SynDropped {
                attempts,
                first_syn,
            } => {
                assert!(*attempts >= 2, "frame {frame}: {f:?}");
                back(*first_syn, "first_syn");
            }
            Finding::JoinRefused { syn, .. } => back(*syn, "syn"),
            Finding::DssChecksum {
                mapping_frame,
                completed_in,
                followed_by,
                ..
            } => {
                back(*mapping_frame, "mapping_frame");
                assert!(
                    *completed_in >= frame && *completed_in <= l.last,
                    "frame {frame}: completed_in {completed_in}"
                );
                if let Some(x) = followed_by {
                    fwd(*x, "followed_by");
                }
            }
            Finding::FailReported {
                mapping_frame: Some(m),
                ..
            } => back(*m, "mapping_frame"),
            _ => {}
        }
    }
}

/// What one run of the engine showed: per packet, the report when processed, the findings
/// before and after `finish`, and the counts.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub connections: Vec<Option<u32>>,
    pub at_process: Vec<Vec<Finding>>,
    pub before_finish: Vec<Vec<Finding>>,
    pub after_finish: Vec<Vec<Finding>>,
    pub counts: (usize, usize),
}

/// Runs the packets through an engine with `config`, checking as it goes.
pub fn replay(input: &Input, config: Config) -> Outcome {
    let mut engine = Engine::new(config);
    let packets = &input.packets;
    let mut streams: Vec<u32> = Vec::new();
    let mut connections = Vec::with_capacity(packets.len());
    let mut at_process: Vec<Vec<Finding>> = Vec::with_capacity(packets.len());
    let mut current: Vec<Vec<Finding>> = Vec::with_capacity(packets.len());
    let mut analysed = 0usize;
    let mut with_findings: Vec<usize> = Vec::new();

    for p in packets {
        let before = (engine.connection_count(), engine.subflow_count());
        let (connection, findings) = {
            let r = engine.process(&p.packet());
            (r.connection, r.findings.to_vec())
        };
        let after = (engine.connection_count(), engine.subflow_count());
        if p.parses {
            analysed += 1;
            if let Some(s) = p.stream {
                if !streams.contains(&s) {
                    streams.push(s);
                }
            }
        } else {
            assert_eq!(
                before, after,
                "frame {}: an unparsable segment changed the state",
                p.frame
            );
            assert!(
                connection.is_none() && findings.is_empty(),
                "frame {}: an unparsable segment has a report",
                p.frame
            );
        }
        // Bounded by the packets: at most one subflow and one connection each.
        assert!(
            after.0 <= before.0 + 1 && after.1 <= before.1 + 1,
            "frame {}: counts {before:?} -> {after:?}",
            p.frame
        );
        assert!(
            after.0 <= analysed && after.1 <= analysed,
            "frame {}: counts {after:?} after {analysed} segments",
            p.frame
        );
        if let Some(c) = connection {
            assert!(
                (c as usize) < after.0,
                "frame {}: connection {c} of {}",
                p.frame,
                after.0
            );
        }
        if !config.verify_crypto {
            assert!(
                !findings.iter().any(is_crypto),
                "frame {}: crypto finding without verify_crypto: {findings:?}",
                p.frame
            );
        }
        assert_eq!(
            findings,
            findings_of(&engine, p.frame).to_vec(),
            "frame {}: process and the accessor disagree",
            p.frame
        );

        // Seen again: not analysed again, the same report.
        {
            let again = engine.process(&p.packet());
            assert_eq!(
                again.findings,
                &findings[..],
                "frame {}: findings differ when processed again",
                p.frame
            );
            if p.stream.is_some() && p.parses {
                assert_eq!(
                    again.connection, connection,
                    "frame {}: connection differs when processed again",
                    p.frame
                );
            }
        }
        assert_eq!(
            after,
            (engine.connection_count(), engine.subflow_count()),
            "frame {}: processing again changed the state",
            p.frame
        );

        // Earlier frames with findings: only forward links filled in. (Those without get none
        // before `finish`: checked there.)
        let limits = Limits {
            last: p.frame,
            streams: &streams,
            subflows: after.1,
            monotonic: input.monotonic,
        };
        for &i in &with_findings {
            let (q, old) = (&packets[i], &mut current[i]);
            let now = findings_of(&engine, q.frame);
            let now = &now[..];
            if now != &old[..] {
                check_grown(old, now, q.frame, false);
                check_links(now, q.frame, &limits);
                *old = now.to_vec();
            }
        }
        check_links(&findings, p.frame, &limits);
        if !findings.is_empty() {
            with_findings.push(current.len());
        }
        connections.push(connection);
        at_process.push(findings.clone());
        current.push(findings);
    }

    // The end of the capture: only appended findings, links still in range; twice is once.
    let last = packets.last().map_or(0, |p| p.frame);
    let counts = (engine.connection_count(), engine.subflow_count());
    engine.finish();
    let limits = Limits {
        last,
        streams: &streams,
        subflows: counts.1,
        monotonic: input.monotonic,
    };
    let mut after_finish = Vec::with_capacity(packets.len());
    for (p, old) in packets.iter().zip(&current) {
        let now = findings_of(&engine, p.frame);
        assert!(
            now.len() >= old.len(),
            "frame {}: finish removed findings",
            p.frame
        );
        check_grown(old, &now, p.frame, true);
        check_links(&now, p.frame, &limits);
        if !config.verify_crypto {
            assert!(
                !now.iter().any(is_crypto),
                "frame {}: crypto finding without verify_crypto",
                p.frame
            );
        }
        after_finish.push(now.to_vec());
    }
    engine.finish();
    for (p, once) in packets.iter().zip(&after_finish) {
        assert_eq!(
            &findings_of(&engine, p.frame)[..],
            &once[..],
            "frame {}: finish twice is not finish once",
            p.frame
        );
        let again = engine.process(&p.packet());
        assert_eq!(
            again.findings,
            &once[..],
            "frame {}: processed after finish",
            p.frame
        );
    }
    assert_eq!(
        counts,
        (engine.connection_count(), engine.subflow_count()),
        "finish or processing again changed the counts"
    );
    Outcome {
        connections,
        at_process,
        before_finish: current,
        after_finish,
        counts,
    }
}

/// What an engine without `verify_crypto` must show, from what one with it showed.
fn without_crypto(findings: &[Finding]) -> Vec<Finding> {
    findings
        .iter()
        .filter(|f| !is_crypto(f))
        .map(|f| match f {
            // Failed checksums are what links an MP_FAIL to its mapping.
            Finding::FailReported { dsn, .. } => Finding::FailReported {
                dsn: *dsn,
                mapping_frame: None,
            },
            f => f.clone(),
        })
        .collect()
}

/// Decodes `data` and runs every check: the target's body.
pub fn run(data: &[u8]) {
    let input = decode(data);
    let first = replay(&input, input.config);
    if input.differential {
        let flipped = Config {
            verify_crypto: !input.config.verify_crypto,
            ..input.config
        };
        let second = replay(&input, flipped);
        let (with, without) = if input.config.verify_crypto {
            (&first, &second)
        } else {
            (&second, &first)
        };
        assert_eq!(
            with.connections, without.connections,
            "verify_crypto changed connections"
        );
        assert_eq!(
            with.counts, without.counts,
            "verify_crypto changed the counts"
        );
        for (i, p) in input.packets.iter().enumerate() {
            for (w, wo) in [
                (&with.at_process, &without.at_process),
                (&with.before_finish, &without.before_finish),
                (&with.after_finish, &without.after_finish),
            ] {
                assert_eq!(
                    without_crypto(&w[i]),
                    wo[i],
                    "frame {}: verify_crypto changed more than the crypto checks",
                    p.frame
                );
            }
        }
    }
}
