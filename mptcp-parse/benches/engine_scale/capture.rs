//! The capture in memory, and its replays as new traffic: ports shifted, keys masked, MP_JOIN
//! tokens recomputed (see the crate documentation of `main.rs`).

use mptcp_parse::crypto::{key_derived, Key, Version};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, Linktype, PcapBlockOwned, PcapError, PcapNGReader};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

// ---------------------------------------------------------------- the capture in memory

/// A key or token inside a segment, to rewrite in replays.
#[derive(Clone, Copy)]
enum Patch {
    /// A 64-bit key at this offset of the TCP segment.
    Key(u16),
    /// An MP_JOIN SYN token at this offset, naming the key `keys[index]` of the capture.
    Token(u16, u32),
    /// An MP_JOIN SYN token of no key of the capture: left alone.
    Skip,
}

/// An address and port.
type Endpoint = (IpAddr, u16);

/// One TCP segment of the capture.
pub(crate) struct Seg {
    /// Where its TCP bytes are in `Capture::bytes`.
    at: usize,
    pub(crate) len: u32,
    pub(crate) frame: u32,
    pub(crate) time: i64,
    pub(crate) src: IpAddr,
    pub(crate) dst: IpAddr,
    pub(crate) stream: u32,
    /// Range of its patches in `Capture::patches`.
    patches: (u32, u32),
}

/// Every TCP segment of a capture file, its bytes in one buffer.
pub(crate) struct Capture {
    pub(crate) bytes: Vec<u8>,
    pub(crate) segs: Vec<Seg>,
    patches: Vec<Patch>,
    /// Keys met in MP_CAPABLE, with their version, that MP_JOIN tokens name.
    pub(crate) keys: Vec<(Version, u64)>,
    pub(crate) frames: u32,
    pub(crate) streams: u32,
    pub(crate) first_time: i64,
    pub(crate) last_time: i64,
    pub(crate) linktypes: Vec<Linktype>,
}

/// Reads the capture at `path` (pcap or pcapng) into memory.
pub(crate) fn read_capture(path: &str) -> Result<Capture, String> {
    let data = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let mut cap = Capture {
        bytes: Vec::with_capacity(data.len()),
        segs: Vec::new(),
        patches: Vec::new(),
        keys: Vec::new(),
        frames: 0,
        streams: 0,
        first_time: i64::MAX,
        last_time: i64::MIN,
        linktypes: Vec::new(),
    };
    let mut streams: HashMap<(Endpoint, Endpoint), u32> = HashMap::new();
    let mut tokens: HashMap<u32, u32> = HashMap::new();
    let mut joins: Vec<(usize, u16, u32)> = Vec::new(); // (patch index, offset, token)
    let mut push = |cap: &mut Capture, linktype: Linktype, time: i64, bytes: &[u8]| {
        cap.frames += 1;
        if !cap.linktypes.contains(&linktype) {
            cap.linktypes.push(linktype);
        }
        let Some((src, dst, tcp)) = crate::support::link_to_tcp(linktype, bytes) else {
            return;
        };
        if tcp.len() < 20 {
            return;
        }
        let sport = u16::from_be_bytes([tcp[0], tcp[1]]);
        let dport = u16::from_be_bytes([tcp[2], tcp[3]]);
        let key = if (src, sport) <= (dst, dport) {
            ((src, sport), (dst, dport))
        } else {
            ((dst, dport), (src, sport))
        };
        let next = streams.len() as u32;
        let stream = *streams.entry(key).or_insert(next);
        let first_patch = cap.patches.len() as u32;
        find_patches(
            tcp,
            &mut cap.patches,
            &mut cap.keys,
            &mut tokens,
            &mut joins,
        );
        cap.first_time = cap.first_time.min(time);
        cap.last_time = cap.last_time.max(time);
        cap.segs.push(Seg {
            at: cap.bytes.len(),
            len: tcp.len() as u32,
            frame: cap.frames,
            time,
            src,
            dst,
            stream,
            patches: (first_patch, cap.patches.len() as u32),
        });
        cap.bytes.extend_from_slice(tcp);
    };
    if data.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let reader = PcapNGReader::new(1 << 20, &data[..])
            .map_err(|e| format!("{path}: pcapng header: {e:?}"))?;
        // Per interface: link type, resolution (units a second), offset (seconds).
        let mut interfaces: Vec<(Linktype, u64, i64)> = Vec::new();
        for_each_block(reader, path, |block| {
            let PcapBlockOwned::NG(b) = block else {
                return;
            };
            use pcap_parser::Block;
            match b {
                Block::SectionHeader(_) => interfaces.clear(),
                Block::InterfaceDescription(idb) => interfaces.push((
                    idb.linktype,
                    idb.ts_resolution().unwrap_or(1_000_000),
                    idb.ts_offset(),
                )),
                Block::EnhancedPacket(epb) => {
                    let (lt, res, off) = interfaces.get(epb.if_id as usize).copied().unwrap_or((
                        Linktype::ETHERNET,
                        1_000_000,
                        0,
                    ));
                    let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                    let ns = (u128::from(raw) * 1_000_000_000 / u128::from(res.max(1))) as i64
                        + off * 1_000_000_000;
                    let caplen = (epb.caplen as usize).min(epb.data.len());
                    push(&mut cap, lt, ns, &epb.data[..caplen]);
                }
                Block::SimplePacket(spb) => {
                    let lt = interfaces.first().map_or(Linktype::ETHERNET, |i| i.0);
                    push(&mut cap, lt, 0, spb.data);
                }
                _ => {}
            }
        })?;
    } else {
        let reader = LegacyPcapReader::new(1 << 20, &data[..])
            .map_err(|e| format!("{path}: pcap header: {e:?}"))?;
        let (mut linktype, mut nanos) = (Linktype::ETHERNET, false);
        for_each_block(reader, path, |block| match block {
            PcapBlockOwned::LegacyHeader(h) => {
                linktype = h.network;
                nanos = h.is_nanosecond_precision();
            }
            PcapBlockOwned::Legacy(b) => {
                let frac = i64::from(b.ts_usec) * if nanos { 1 } else { 1000 };
                let caplen = (b.caplen as usize).min(b.data.len());
                push(
                    &mut cap,
                    linktype,
                    i64::from(b.ts_sec) * 1_000_000_000 + frac,
                    &b.data[..caplen],
                );
            }
            _ => {}
        })?;
    }
    // MP_JOIN tokens that name a key of the capture (tokens of keys seen after the join too).
    for (index, offset, token) in joins {
        cap.patches[index] = match tokens.get(&token) {
            Some(&k) => Patch::Token(offset, k),
            None => Patch::Skip,
        };
    }
    cap.streams = streams.len() as u32;
    if cap.segs.is_empty() {
        cap.first_time = 0;
        cap.last_time = 0;
    }
    cap.bytes.shrink_to_fit();
    Ok(cap)
}

/// Hands every block of `reader` to `f`, refilling the reader as it goes.
fn for_each_block<R: PcapReaderIterator>(
    mut reader: R,
    path: &str,
    mut f: impl FnMut(PcapBlockOwned<'_>),
) -> Result<(), String> {
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                f(block);
                reader.consume(offset);
            }
            Err(PcapError::Eof) => return Ok(()),
            Err(PcapError::Incomplete(_)) => {
                reader.refill().map_err(|e| format!("{path}: {e:?}"))?
            }
            Err(e) => return Err(format!("{path}: {e:?}")),
        }
    }
}

/// Records where the keys (MP_CAPABLE, MP_FASTCLOSE) and MP_JOIN SYN tokens of `tcp` are.
fn find_patches(
    tcp: &[u8],
    patches: &mut Vec<Patch>,
    keys: &mut Vec<(Version, u64)>,
    tokens: &mut HashMap<u32, u32>,
    joins: &mut Vec<(usize, u16, u32)>,
) {
    let doff = usize::from(tcp[12] >> 4) * 4;
    let options = tcp.get(20..doff.min(tcp.len())).unwrap_or(&[]);
    let mut at = 0;
    while at < options.len() {
        let kind = options[at];
        if kind == 0 {
            break;
        }
        if kind == 1 {
            at += 1;
            continue;
        }
        let Some(&len) = options.get(at + 1) else {
            break;
        };
        let len = usize::from(len);
        if len < 2 || at + len > options.len() {
            break;
        }
        let opt = &options[at..at + len];
        let base = (20 + at) as u16;
        if kind == 30 && len >= 3 {
            let subtype = opt[2] >> 4;
            let mut key_at = |off: usize, version: Option<Version>| {
                let key = u64::from_be_bytes(opt[off..off + 8].try_into().unwrap_or_default());
                patches.push(Patch::Key(base + off as u16));
                if let Some(v) = version {
                    let token = key_derived(v, Key(key)).token;
                    if let std::collections::hash_map::Entry::Vacant(e) = tokens.entry(token) {
                        e.insert(keys.len() as u32);
                        keys.push((v, key));
                    }
                }
            };
            match subtype {
                0 if len >= 12 => {
                    let version = Version::from_nibble(opt[2] & 0x0f);
                    key_at(4, version);
                    if len >= 20 {
                        key_at(12, version);
                    }
                }
                7 if len >= 12 => key_at(4, None),
                1 if len == 12 => {
                    // MP_JOIN SYN: token at offset 4; resolved once all keys are known.
                    let token = u32::from_be_bytes(opt[4..8].try_into().unwrap_or_default());
                    joins.push((patches.len(), base + 4, token));
                    patches.push(Patch::Skip);
                }
                _ => {}
            }
        }
        at += len;
    }
}

// ---------------------------------------------------------------- replays

/// The port shift of each replay: `r * 7919` or the next multiple of 7919 whose shifted
/// 4-tuples meet none of the earlier replays'.
pub(crate) fn port_shifts(cap: &Capture, repeat: u32) -> Vec<u16> {
    let mut tuples: HashSet<(IpAddr, u16, IpAddr, u16)> = HashSet::new();
    let canonical = |s: &Seg, bytes: &[u8], shift: u16| {
        let sport = u16::from_be_bytes([bytes[s.at], bytes[s.at + 1]]).wrapping_add(shift);
        let dport = u16::from_be_bytes([bytes[s.at + 2], bytes[s.at + 3]]).wrapping_add(shift);
        if (s.src, sport) <= (s.dst, dport) {
            (s.src, sport, s.dst, dport)
        } else {
            (s.dst, dport, s.src, sport)
        }
    };
    // One segment a stream is enough: all its segments have the same 4-tuple.
    let mut firsts: Vec<usize> = Vec::with_capacity(cap.streams as usize);
    let mut seen = vec![false; cap.streams as usize];
    for (i, s) in cap.segs.iter().enumerate() {
        if !std::mem::replace(&mut seen[s.stream as usize], true) {
            firsts.push(i);
        }
    }
    let mut shifts = Vec::new();
    let mut k: u32 = 0;
    for r in 0..repeat {
        if r > 0 {
            k = k.max(r * 7919);
        }
        loop {
            let shift = (k % 65536) as u16;
            if r == 0
                || firsts
                    .iter()
                    .all(|&i| !tuples.contains(&canonical(&cap.segs[i], &cap.bytes, shift)))
            {
                break;
            }
            k += 7919;
            if k >= 7919 * 65536 {
                // Every shift tried (65536 and 7919 are coprime): give up avoiding collisions.
                break;
            }
        }
        let shift = (k % 65536) as u16;
        tuples.extend(
            firsts
                .iter()
                .map(|&i| canonical(&cap.segs[i], &cap.bytes, shift)),
        );
        shifts.push(shift);
        k += 7919;
    }
    shifts
}

/// The XOR mask of replay `r`'s keys (0 for the capture itself).
pub(crate) fn key_mask(r: u32) -> u64 {
    if r == 0 {
        return 0;
    }
    // splitmix64
    let mut z = u64::from(r).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Copies segment `s` into `scratch` and rewrites it for a replay; returns its length.
pub(crate) fn prepare(
    cap: &Capture,
    s: &Seg,
    scratch: &mut [u8],
    shift: u16,
    mask: u64,
    new_tokens: &[u32],
) -> usize {
    let len = s.len as usize;
    let out = &mut scratch[..len];
    out.copy_from_slice(&cap.bytes[s.at..s.at + len]);
    if shift != 0 {
        for at in [0, 2] {
            let port = u16::from_be_bytes([out[at], out[at + 1]]).wrapping_add(shift);
            out[at..at + 2].copy_from_slice(&port.to_be_bytes());
        }
    }
    if mask != 0 {
        for p in &cap.patches[s.patches.0 as usize..s.patches.1 as usize] {
            match *p {
                Patch::Skip => {}
                Patch::Key(at) => {
                    let at = usize::from(at);
                    let key =
                        u64::from_be_bytes(out[at..at + 8].try_into().unwrap_or_default()) ^ mask;
                    out[at..at + 8].copy_from_slice(&key.to_be_bytes());
                }
                Patch::Token(at, k) => {
                    let at = usize::from(at);
                    out[at..at + 4].copy_from_slice(&new_tokens[k as usize].to_be_bytes());
                }
            }
        }
    }
    len
}
