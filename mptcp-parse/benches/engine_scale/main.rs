//! How the analysis engine scales: time per packet and live heap as a capture is fed to it.
//!
//! ```sh
//! cargo bench -p mptcp-parse --features analysis --bench engine_scale -- \
//!     FILE.pcap [--repeat N] [--every 100000] [--tuples] [--same-keys] [--no-verify]
//! ```
//!
//! A benchmark without the test harness (`harness = false`): it takes its own arguments, and
//! ignores the `--bench` that `cargo bench` adds. Without a capture it measures nothing and
//! says so (successfully under `cargo bench`, so that a run of every bench goes on).
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
//! library forbids `unsafe`; this benchmark needs one `unsafe impl GlobalAlloc`, which only
//! forwards to `std::alloc::System` and adds up sizes.

use mptcp_parse::analysis::{Config, Engine, Finding, Packet};
use mptcp_parse::crypto::{key_derived, Key};
use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

mod capture;

use capture::{key_mask, port_shifts, prepare, read_capture};

// The capture reader the tests use: link layers and IP headers down to the TCP segment.
#[path = "../../tests/support/mod.rs"]
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
// ---------------------------------------------------------------- report

struct Options {
    path: String,
    /// Run by `cargo bench` (which passes `--bench`).
    bench: bool,
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
        bench: false,
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
            "--bench" => o.bench = true,
            "-h" | "--help" => return Err(usage.to_string()),
            _ if a.starts_with('-') => return Err(format!("unknown option {a}\n{usage}")),
            _ if o.path.is_empty() => o.path = a,
            _ => return Err(usage.to_string()),
        }
    }
    if o.path.is_empty() && !o.bench {
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
    if o.path.is_empty() {
        eprintln!("engine_scale: no capture given, nothing measured (cargo bench -p mptcp-parse --features analysis --bench engine_scale -- FILE.pcap)");
        return ExitCode::SUCCESS;
    }
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
            *slot = key_derived(v, Key(k ^ mask)).token;
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
