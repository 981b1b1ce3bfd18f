//! The loops of `benches/decode.rs`, without criterion, for instruction counts under
//! callgrind (stable on a shared machine, where times are not):
//!
//! ```sh
//! cargo build --release -p mptcp-parse --example decode_profile
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='decode_profile::run' \
//!     target/release/examples/decode_profile parse_mptcp_option 20
//! ```
//!
//! Instructions per element = "Collected" / (iterations × the element count it prints).
//! Benchmarks: `parse_mptcp_option`, `tcp_options`, `mptcp_options_lenient`,
//! `parse_mptcp_option_lenient`, `update_1400` (elements: payload bytes).

use mptcp_parse::crypto::DssChecksum;
use mptcp_parse::{
    mptcp_options_lenient, parse_mptcp_option, parse_mptcp_option_lenient, raw_options, tcp_options, Context,
    TcpSegment, MPTCP_KIND,
};
use std::hint::black_box;
use std::ops::Range;

#[path = "../tests/support/mod.rs"]
mod support;

const CAPTURES: [&str; 2] = ["20_v4_bulk_fullmesh.pcap", "22_v6_endpoint_del_midtransfer.pcap"];

/// The inputs, built as the benchmark builds them.
struct Inputs {
    options: Vec<u8>,
    ranges: Vec<Range<usize>>,
    areas: Vec<u8>,
    area_ranges: Vec<(Range<usize>, Context)>,
    tcp_options: usize,
    payloads: Vec<Vec<u8>>,
}

fn inputs() -> Inputs {
    let dir = support::captures_dir().join("kernel");
    let mut segments = Vec::new();
    for name in CAPTURES {
        segments.extend(support::read_frames(&dir.join(name)).into_iter().flatten().map(|p| p.tcp));
    }
    let mut i = Inputs {
        options: Vec::new(),
        ranges: Vec::new(),
        areas: Vec::new(),
        area_ranges: Vec::new(),
        tcp_options: 0,
        payloads: Vec::new(),
    };
    for tcp in &segments {
        let Ok(seg) = TcpSegment::parse(tcp) else { continue };
        if seg.payload.len() >= 1400 && i.payloads.len() < 64 {
            i.payloads.push(seg.payload[..1400].to_vec());
        }
        if seg.options.is_empty() {
            continue;
        }
        let start = i.areas.len();
        i.areas.extend_from_slice(seg.options);
        i.area_ranges.push((start..i.areas.len(), seg.context()));
        for raw in raw_options(seg.options) {
            i.tcp_options += 1;
            let Ok(raw) = raw else { continue };
            if raw.kind == MPTCP_KIND {
                let start = i.options.len();
                i.options.extend_from_slice(raw.bytes);
                i.ranges.push(start..i.options.len());
            }
        }
    }
    // The benchmark fills up to 64 payloads with pseudo-random bytes; the captures have enough.
    assert_eq!(i.payloads.len(), 64, "fewer than 64 payloads of 1400 bytes");
    i
}

#[inline(never)]
fn run_parse_mptcp_option(i: &Inputs) {
    let bytes = black_box(&i.options[..]);
    let ctx = Context::default();
    for r in &i.ranges {
        black_box(&parse_mptcp_option(&bytes[r.clone()], &ctx));
    }
}

#[inline(never)]
fn run_tcp_options(i: &Inputs) {
    let bytes = black_box(&i.areas[..]);
    for (r, ctx) in &i.area_ranges {
        for option in tcp_options(&bytes[r.clone()], *ctx) {
            black_box(&option);
        }
    }
}

#[inline(never)]
fn run_mptcp_options_lenient(i: &Inputs) {
    let bytes = black_box(&i.areas[..]);
    for (r, ctx) in &i.area_ranges {
        for decoded in mptcp_options_lenient(&bytes[r.clone()], *ctx) {
            black_box(&decoded);
        }
    }
}

#[inline(never)]
fn run_parse_mptcp_option_lenient(i: &Inputs) {
    let bytes = black_box(&i.options[..]);
    let ctx = Context::default();
    for r in &i.ranges {
        black_box(&parse_mptcp_option_lenient(&bytes[r.clone()], &ctx));
    }
}

#[inline(never)]
fn run_update_1400(i: &Inputs) {
    for (n, p) in i.payloads.iter().enumerate() {
        let mut sum = DssChecksum::new(black_box(n as u64), 1, 1400);
        sum.update(black_box(p));
        black_box(sum.value());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(which), Some(iterations)) = (args.next(), args.next().and_then(|n| n.parse::<usize>().ok())) else {
        eprintln!("usage: decode_profile BENCHMARK ITERATIONS");
        std::process::exit(2);
    };
    let i = inputs();
    let (run, elements): (fn(&Inputs), usize) = match which.as_str() {
        "parse_mptcp_option" => (run_parse_mptcp_option, i.ranges.len()),
        "tcp_options" => (run_tcp_options, i.tcp_options),
        "mptcp_options_lenient" => (run_mptcp_options_lenient, i.ranges.len()),
        "parse_mptcp_option_lenient" => (run_parse_mptcp_option_lenient, i.ranges.len()),
        "update_1400" => (run_update_1400, i.payloads.iter().map(Vec::len).sum()),
        other => {
            eprintln!("unknown benchmark {other}");
            std::process::exit(2);
        }
    };
    for _ in 0..iterations {
        run(&i);
    }
    println!("{which}: {iterations} iterations of {elements} elements");
}
