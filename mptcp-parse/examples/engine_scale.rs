//! How the analysis engine scales: time per packet and live heap as a capture is fed to it.
//!
//! ```sh
//! cargo run --release -p mptcp-parse --features analysis --example engine_scale -- \
//!     FILE.pcap [--repeat N] [--every 100000] [--tuples] [--same-keys] [--no-verify]
//! ```
//!
//! The capture (pcap or pcapng; Ethernet, Linux SLL/SLL2, raw IP, BSD loopback; IPv4 and
//! IPv6) is read into memory first; then every TCP segment goes to a fresh [`Engine`], in
//! order, `N` times over (`--repeat`, default 1). Every `--every` segments (default 100,000)
//! a row shows the time of the last block, the engine's live heap (bytes allocated since just
//! before `Engine::new`: the capture buffer is not counted), its peak, the connections and
//! subflows, and the bytes per subflow and per connection; the end shows the totals, then
//! `Engine::finish` and dropping the engine. `--no-verify` turns off the engine's crypto
//! checks (`Config::verify_crypto`): fewer findings to keep, no hashing.
//!
//! Replays (repeat `r` > 0) are new traffic to the engine, so that 1e7 packets can be measured
//! from a 1e6 capture:
//! - frame numbers continue and times are shifted past the previous replay's;
//! - both TCP ports are shifted by `r * 7919` (mod 65536; the next multiple when a shifted
//!   4-tuple would meet one of an earlier replay), so replayed subflows are new subflows;
//! - each segment has a `stream` number (one per 4-tuple, as Wireshark's `tcp.stream` for
//!   captures that do not reuse ports), offset by the capture's stream count at each replay;
//!   `--tuples` gives no stream and lets the engine tell subflows by their 4-tuples;
//! - MPTCP keys (MP_CAPABLE, MP_FASTCLOSE) are XORed with a per-replay mask and MP_JOIN SYN
//!   tokens that name a key of the capture are recomputed for the masked key, so replayed
//!   connections have new tokens (the engine's token map grows as with new traffic);
//!   `--same-keys` leaves keys alone. HMACs (join, ADD_ADDR) and 32-bit DSNs are not redone:
//!   in replays they fail verification, at the same cost. TCP checksums are not fixed (the
//!   engine does not check them).
//!
//! Every segment, replay 0 included, is copied into a scratch buffer and patched before
//! `process`: the timed loop is the same for all replays. Its cost alone (no engine) is
//! measured first and printed as "replay overhead".
//!
//! The live heap comes from a counting global allocator that wraps the system allocator. The
//! library forbids `unsafe`; this example needs one `unsafe impl GlobalAlloc`, which only
//! forwards to `std::alloc::System` and adds up sizes.

use mptcp_parse::analysis::{Config, Engine, Finding, Packet};
use mptcp_parse::crypto::{key_derived, Version};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, Linktype, PcapBlockOwned, PcapError, PcapNGReader};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

// The capture reader the tests use: link layers and IP headers down to the TCP segment.
#[path = "../tests/support/mod.rs"]
mod support;

// ---------------------------------------------------------------- counting allocator

/// Bytes currently allocated, and the most ever, by the whole program.
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

fn shrank(n: usize) {
    CURRENT.fetch_sub(n, Relaxed);
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters are only updated after a successful call and are
// atomics, so this adds no memory unsafety. (`unsafe` is needed to implement the trait at
// all; the library itself stays `forbid(unsafe_code)`.)
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

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
struct Seg {
    /// Where its TCP bytes are in `Capture::bytes`.
    at: usize,
    len: u32,
    frame: u32,
    time: i64,
    src: IpAddr,
    dst: IpAddr,
    stream: u32,
    /// Range of its patches in `Capture::patches`.
    patches: (u32, u32),
}

struct Capture {
    bytes: Vec<u8>,
    segs: Vec<Seg>,
    patches: Vec<Patch>,
    /// Keys met in MP_CAPABLE, with their version, that MP_JOIN tokens name.
    keys: Vec<(Version, u64)>,
    frames: u32,
    streams: u32,
    first_time: i64,
    last_time: i64,
    linktypes: Vec<Linktype>,
}

fn read_capture(path: &str) -> Result<Capture, String> {
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
        let Some((src, dst, tcp)) = support::link_to_tcp(linktype, bytes) else {
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
        let mut reader = PcapNGReader::new(1 << 20, &data[..])
            .map_err(|e| format!("{path}: pcapng header: {e:?}"))?;
        // Per interface: link type, resolution (units a second), offset (seconds).
        let mut interfaces: Vec<(Linktype, u64, i64)> = Vec::new();
        loop {
            match reader.next() {
                Ok((offset, block)) => {
                    if let PcapBlockOwned::NG(b) = block {
                        use pcap_parser::Block;
                        match b {
                            Block::SectionHeader(_) => interfaces.clear(),
                            Block::InterfaceDescription(idb) => interfaces.push((
                                idb.linktype,
                                idb.ts_resolution().unwrap_or(1_000_000),
                                idb.ts_offset(),
                            )),
                            Block::EnhancedPacket(epb) => {
                                let (lt, res, off) = interfaces
                                    .get(epb.if_id as usize)
                                    .copied()
                                    .unwrap_or((Linktype::ETHERNET, 1_000_000, 0));
                                let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                                let ns = (u128::from(raw) * 1_000_000_000 / u128::from(res.max(1)))
                                    as i64
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
                    }
                    reader.consume(offset);
                }
                Err(PcapError::Eof) => break,
                Err(PcapError::Incomplete(_)) => {
                    reader.refill().map_err(|e| format!("{path}: {e:?}"))?
                }
                Err(e) => return Err(format!("{path}: {e:?}")),
            }
        }
    } else {
        let mut reader = LegacyPcapReader::new(1 << 20, &data[..])
            .map_err(|e| format!("{path}: pcap header: {e:?}"))?;
        let (mut linktype, mut nanos) = (Linktype::ETHERNET, false);
        loop {
            match reader.next() {
                Ok((offset, block)) => {
                    match block {
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
                    }
                    reader.consume(offset);
                }
                Err(PcapError::Eof) => break,
                Err(PcapError::Incomplete(_)) => {
                    reader.refill().map_err(|e| format!("{path}: {e:?}"))?
                }
                Err(e) => return Err(format!("{path}: {e:?}")),
            }
        }
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
                    let token = key_derived(v, key).token;
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
fn port_shifts(cap: &Capture, repeat: u32) -> Vec<u16> {
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
fn key_mask(r: u32) -> u64 {
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
fn prepare(
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

// ---------------------------------------------------------------- report

struct Options {
    path: String,
    repeat: u32,
    every: u64,
    tuples: bool,
    same_keys: bool,
    no_verify: bool,
}

fn parse_args() -> Result<Options, String> {
    let usage = "usage: engine_scale FILE.pcap [--repeat N] [--every PACKETS] [--tuples] [--same-keys] [--no-verify]";
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        path: String::new(),
        repeat: 1,
        every: 100_000,
        tuples: false,
        same_keys: false,
        no_verify: false,
    };
    while let Some(a) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let v = args
                .next()
                .ok_or_else(|| format!("{name} needs a value\n{usage}"))?;
            let v = v.replace('_', "");
            let n = v
                .parse::<f64>()
                .map_err(|_| format!("{name}: not a number: {v}\n{usage}"))?;
            if n < 1.0 || n.fract() != 0.0 {
                return Err(format!("{name}: expected a positive integer: {v}"));
            }
            Ok(n as u64)
        };
        match a.as_str() {
            "--repeat" => {
                o.repeat = u32::try_from(number("--repeat")?).map_err(|e| e.to_string())?
            }
            "--every" => o.every = number("--every")?,
            "--tuples" => o.tuples = true,
            "--same-keys" => o.same_keys = true,
            "--no-verify" => o.no_verify = true,
            "-h" | "--help" => return Err(usage.to_string()),
            _ if a.starts_with('-') => return Err(format!("unknown option {a}\n{usage}")),
            _ if o.path.is_empty() => o.path = a,
            _ => return Err(usage.to_string()),
        }
    }
    if o.path.is_empty() {
        return Err(usage.to_string());
    }
    Ok(o)
}

/// 1234567 -> "1 234 567"
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn per(bytes: usize, n: usize) -> String {
    if n == 0 {
        "-".to_string()
    } else {
        format!("{:.0}", bytes as f64 / n as f64)
    }
}

fn live(baseline: usize) -> usize {
    CURRENT.load(Relaxed).saturating_sub(baseline)
}

fn peak(baseline: usize) -> usize {
    PEAK.load(Relaxed).saturating_sub(baseline)
}

fn row(packets: u64, block: u64, elapsed: Duration, engine: &Engine, baseline: usize) {
    let (bytes, top) = (live(baseline), peak(baseline));
    let (c, s) = (engine.connection_count(), engine.subflow_count());
    let ns = elapsed.as_nanos() as f64 / block.max(1) as f64;
    println!(
        "{:>12} {:>10.1} {:>8.0} {:>10.1} {:>10.1} {:>12} {:>12} {:>10} {:>10}",
        grouped(packets),
        ns * 1e5 / 1e6,
        ns,
        mib(bytes),
        mib(top),
        grouped(c as u64),
        grouped(s as u64),
        per(bytes, s),
        per(bytes, c)
    );
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let load = Instant::now();
    let cap = match read_capture(&o.path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let load = load.elapsed();
    let n = cap.segs.len() as u64;
    let total = n * u64::from(o.repeat);
    if total > u64::from(u32::MAX)
        || u64::from(cap.frames) * u64::from(o.repeat) > u64::from(u32::MAX)
    {
        eprintln!(
            "too many frames for 32-bit frame numbers: {} x {}",
            cap.frames, o.repeat
        );
        return ExitCode::FAILURE;
    }
    let shifts = port_shifts(&cap, o.repeat);
    let span = cap.last_time - cap.first_time + 10_000;
    let max_len = cap.segs.iter().map(|s| s.len as usize).max().unwrap_or(0);
    let mut scratch = vec![0u8; max_len];
    let mut new_tokens = vec![0u32; cap.keys.len()];

    println!("capture      {}", o.path);
    println!(
        "             {} frames, {} TCP segments, {} 4-tuples, {} MiB of TCP bytes, link types {:?}; read in {:.2} s",
        grouped(u64::from(cap.frames)),
        grouped(n),
        grouped(u64::from(cap.streams)),
        mib(cap.bytes.len()) as u64,
        cap.linktypes.iter().map(|l| l.0).collect::<Vec<_>>(),
        load.as_secs_f64()
    );
    println!(
        "replays      {} ({} packets); subflows told by {}; keys {}; port shifts {:?}",
        o.repeat,
        grouped(total),
        if o.tuples {
            "4-tuple (no stream)"
        } else {
            "stream number"
        },
        if o.same_keys {
            "the same in every replay"
        } else {
            "masked per replay"
        },
        &shifts[..shifts.len().min(6)]
    );
    println!(
        "engine       crypto checks {}; size_of Finding {} B",
        if o.no_verify { "off" } else { "on" },
        std::mem::size_of::<Finding>()
    );

    // The cost of copying and patching alone, for one pass over the capture.
    let dry = Instant::now();
    let mut check = 0usize;
    for s in &cap.segs {
        check = check.wrapping_add(prepare(&cap, s, &mut scratch, 1, 1, &new_tokens));
        std::hint::black_box(&scratch);
    }
    std::hint::black_box(check);
    let dry = dry.elapsed();
    println!(
        "replay overhead  {:.1} ns/packet (copy and patch, included in the times below)",
        dry.as_nanos() as f64 / n.max(1) as f64
    );
    println!();
    println!(
        "{:>12} {:>10} {:>8} {:>10} {:>10} {:>12} {:>12} {:>10} {:>10}",
        "packets",
        "ms/1e5 pkt",
        "ns/pkt",
        "live MiB",
        "peak MiB",
        "connections",
        "subflows",
        "B/subflow",
        "B/conn"
    );
    println!("{}", "-".repeat(12 + 11 + 9 + 11 + 11 + 13 + 13 + 11 + 11));

    // Everything the loop needs is allocated: what is allocated from here on is the engine's.
    let baseline = CURRENT.load(Relaxed);
    PEAK.store(baseline, Relaxed);
    let mut engine = Engine::new(Config {
        verify_crypto: !o.no_verify,
        ..Config::default()
    });

    let mut packets: u64 = 0;
    let mut block: u64 = 0;
    let mut block_time = Duration::ZERO;
    let mut engine_time = Duration::ZERO;
    let mut rows_printed = 0;
    for r in 0..o.repeat {
        let mask = if o.same_keys { 0 } else { key_mask(r) };
        for (slot, &(v, k)) in new_tokens.iter_mut().zip(&cap.keys) {
            *slot = key_derived(v, k ^ mask).token;
        }
        let shift = shifts[r as usize];
        let frame_base = r * cap.frames;
        let stream_base = r * cap.streams;
        let time_base = i64::from(r) * span;
        let mut start = Instant::now();
        for s in &cap.segs {
            let len = prepare(&cap, s, &mut scratch, shift, mask, &new_tokens);
            let packet = Packet {
                frame: frame_base + s.frame,
                time: s.time + time_base,
                src: s.src,
                dst: s.dst,
                stream: if o.tuples {
                    None
                } else {
                    Some(stream_base + s.stream)
                },
                tcp: &scratch[..len],
            };
            engine.process(&packet);
            packets += 1;
            block += 1;
            if block == o.every {
                let spent = start.elapsed();
                block_time += spent;
                engine_time += spent;
                row(packets, block, block_time, &engine, baseline);
                rows_printed += 1;
                block = 0;
                block_time = Duration::ZERO;
                start = Instant::now();
            }
        }
        let spent = start.elapsed();
        block_time += spent;
        engine_time += spent;
    }
    if block > 0 || rows_printed == 0 {
        row(packets, block, block_time, &engine, baseline);
    }
    let (bytes, top) = (live(baseline), peak(baseline));
    let (c, s) = (engine.connection_count(), engine.subflow_count());
    let finish = Instant::now();
    engine.finish();
    let finish = finish.elapsed();
    let after_finish = live(baseline);
    drop(engine);
    let after_drop = CURRENT.load(Relaxed) as i64 - baseline as i64;

    let secs = engine_time.as_secs_f64();
    println!();
    println!("packets          {}", grouped(packets));
    println!(
        "time             {:.3} s in process(): {:.0} packets/s, {:.0} ns/packet",
        secs,
        packets as f64 / secs,
        secs * 1e9 / packets.max(1) as f64
    );
    println!("connections      {}", grouped(c as u64));
    println!("subflows         {}", grouped(s as u64));
    println!(
        "live engine heap {} B ({:.1} MiB); {} B/subflow, {} B/connection, {:.1} B/packet",
        grouped(bytes as u64),
        mib(bytes),
        per(bytes, s),
        per(bytes, c),
        bytes as f64 / packets.max(1) as f64
    );
    println!(
        "peak engine heap {} B ({:.1} MiB)",
        grouped(top as u64),
        mib(top)
    );
    println!(
        "finish()         {:.1} ms; live heap after it {} B",
        finish.as_secs_f64() * 1e3,
        grouped(after_finish as u64)
    );
    println!("after drop       {after_drop:+} B (0: the engine freed everything)");
    ExitCode::SUCCESS
}
